/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/spawn/user.c: users and groups from the machine's own passwd/group text, and the environment. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "tap.h"
#include "user.h"

static const char passwd[] = "# a comment line\n"
                             "root:x:0:0:root:/root:/bin/bash\n"
                             "\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "broken line without colons\n"
                             "short:x:5:5\n"
                             "baduid:x:abc:5::/home/baduid:/bin/sh\n"
                             "+nisuser:x:700:700::/home/nis:/bin/sh\n"
                             "-minus:x:701:701::/home/minus:/bin/sh\n"
                             "#hidden:x:702:702::/home/hidden:/bin/sh\n"
                             "alice:x:1000:100:Alice A.:/home/alice:/bin/zsh\n"
                             "bare:x:1001:1001:::\n"
                             "42:x:1002:1002::/home/numeric:/bin/sh\n"
                             "dup:x:2000:2000::/first:/bin/sh\n"
                             "dup:x:2001:2001::/second:/bin/sh\n"
                             "last:x:3000:3000::/home/last:/bin/sh"; /* no final newline */

static void find_ok(const char *spec, const char *name, uid_t uid, gid_t gid, const char *home,
                    const char *shell) {
        UserRecord u = {};
        int r = user_record_find(passwd, spec, &u);

        if (!CHECK_MSG(r == 0, "user '%s' is found", spec)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        CHECK_STR(u.name, name);
        CHECK_MSG(u.uid == uid && u.gid == gid, "user '%s' has uid %u gid %u", spec, (unsigned) uid,
                  (unsigned) gid);
        CHECK_STR(u.home, home);
        CHECK_STR(u.shell, shell);
        user_record_done(&u);
        CHECK(!u.name && !u.home && !u.shell);
}

static void find_fails(const char *spec, int want, const char *why) {
        UserRecord u = {};
        int r = user_record_find(passwd, spec, &u);

        if (!CHECK_MSG(r == want, "user lookup of %s fails with %d", why, want))
                tap_diag("r = %d, name '%s'", r, u.name ?: "(null)");
        if (r == 0)
                user_record_done(&u);
}

static void test_user_find(void) {
        char *huge;
        UserRecord u = {};

        find_ok("root", "root", 0, 0, "/root", "/bin/bash");
        find_ok("0", "root", 0, 0, "/root", "/bin/bash");
        find_ok("daemon", "daemon", 1, 1, "/usr/sbin", "/usr/sbin/nologin");
        find_ok("1000", "alice", 1000, 100, "/home/alice", "/bin/zsh");
        find_ok("alice", "alice", 1000, 100, "/home/alice", "/bin/zsh");
        find_ok("bare", "bare", 1001, 1001, "/", "/bin/sh");
        find_ok("dup", "dup", 2000, 2000, "/first", "/bin/sh");
        find_ok("last", "last", 3000, 3000, "/home/last", "/bin/sh");
        find_ok("3000", "last", 3000, 3000, "/home/last", "/bin/sh");
        /* A numeric spec is a UID, even if some user is called that. */
        find_ok("1002", "42", 1002, 1002, "/home/numeric", "/bin/sh");

        find_fails("nobody", -ESRCH, "a missing user");
        find_fails("4242", -ESRCH, "a missing UID");
        find_fails("42", -ESRCH, "a numeric name (it is a UID)");
        find_fails("short", -ESRCH, "a line with too few fields");
        find_fails("baduid", -ESRCH, "a line with a bad UID");
        find_fails("nisuser", -ESRCH, "a '+' NIS line");
        find_fails("+nisuser", -ESRCH, "a '+' NIS line by its full name");
        find_fails("-minus", -ESRCH, "a '-' line");
        find_fails("#hidden", -ESRCH, "a commented-out user");
        find_fails("700", -ESRCH, "the UID of a '+' line");
        find_fails("", -EINVAL, "the empty spec");
        find_fails("4294967295", -EINVAL, "UID 4294967295 (-1)");
        find_fails("roo", -ESRCH, "a prefix of a name");
        find_fails("root:x", -ESRCH, "a spec with a colon");

        CHECK_INT(user_record_find("", "root", &u), ==, -ESRCH);
        huge = malloc(USER_DB_SIZE_MAX + 2);
        if (huge) {
                memset(huge, '#', USER_DB_SIZE_MAX + 1);
                huge[USER_DB_SIZE_MAX + 1] = '\0';
                CHECK_INT(user_record_find(huge, "root", &u), ==, -EINVAL);
                free(huge);
        }
}

static const char group[] = "root:x:0:\n"
                            "# users:x:50:alice\n"
                            "wheel:x:10:root,alice\n"
                            "audio:x:29:bob,alice,carol\n"
                            "video:x:44:alicex,xalice\n"
                            "badgid:x:zz:alice\n"
                            "short:x:60\n"
                            "empty:x:70:\n"
                            "tail:x:80:carol,alice";

static void test_groups(void) {
        gid_t groups[USER_GROUPS_MAX];
        size_t n = 999;
        int r;

        r = user_groups_find(group, "alice", groups, USER_GROUPS_MAX, &n);
        CHECK_INT(r, ==, 0);
        CHECK_INT(n, ==, 3);
        if (n == 3) {
                CHECK_INT(groups[0], ==, 10);
                CHECK_INT(groups[1], ==, 29);
                CHECK_INT(groups[2], ==, 80);
        }

        n = 999;
        r = user_groups_find(group, "bob", groups, USER_GROUPS_MAX, &n);
        CHECK_INT(r, ==, 0);
        CHECK_INT(n, ==, 1);
        CHECK_INT(groups[0], ==, 29);

        n = 999;
        r = user_groups_find(group, "nobody", groups, USER_GROUPS_MAX, &n);
        CHECK_INT(r, ==, 0);
        CHECK_INT(n, ==, 0);

        n = 999;
        r = user_groups_find(group, "alic", groups, USER_GROUPS_MAX, &n);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(n == 0, "a prefix of a member is not a member");

        n = 999;
        r = user_groups_find(group, "root", groups, USER_GROUPS_MAX, &n);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(n == 1 && groups[0] == 10, "root is a member of wheel only (not of its primary group)");

        n = 999;
        r = user_groups_find("", "alice", groups, USER_GROUPS_MAX, &n);
        CHECK_INT(r, ==, 0);
        CHECK_INT(n, ==, 0);

        /* Exactly max groups is fine, one more is -E2BIG. */
        r = user_groups_find(group, "alice", groups, 3, &n);
        CHECK_INT(r, ==, 0);
        r = user_groups_find(group, "alice", groups, 2, &n);
        CHECK_INT(r, ==, -E2BIG);

        {
                /* USER_GROUPS_MAX + 1 groups with the user in each. */
                char *text = calloc(USER_GROUPS_MAX + 1, 64);
                size_t len = 0;

                if (text) {
                        for (unsigned i = 0; i <= USER_GROUPS_MAX; i++)
                                len += (size_t) sprintf(text + len, "g%u:x:%u:x,alice\n", i, 1000 + i);
                        r = user_groups_find(text, "alice", groups, USER_GROUPS_MAX, &n);
                        CHECK_INT(r, ==, -E2BIG);
                        free(text);
                }
        }
}

static void test_environment(void) {
        UserRecord u = {
                .name = (char *) "alice",
                .uid = 1000,
                .gid = 100,
                .home = (char *) "/home/alice",
                .shell = (char *) "/bin/zsh",
        };
        const char *const want[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "container=berth",
                "TERM=xterm-256color",
                "container_uuid=0123456789abcdef0123456789abcdef",
                "HOME=/home/alice",
                "USER=alice",
                "LOGNAME=alice",
                "SHELL=/bin/zsh",
                NULL,
        };
        const char *const want_min[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "container=berth",
                "TERM=dumb",
                "HOME=/",
                NULL,
        };
        char *extra[] = { (char *) "TERM=vt100", (char *) "FOO=bar", (char *) "PATH=/only",
                          (char *) "FOO=baz",    (char *) "EMPTY=",  NULL };
        _cleanup_strv_free_ char **env = NULL;
        bool same;
        int r;

        r = environment_build(&u, "xterm-256color", "0123456789abcdef0123456789abcdef", NULL, &env);
        CHECK_INT(r, ==, 0);
        same = strv_length(env) == strv_length((char *const *) want);
        for (size_t i = 0; same && want[i]; i++)
                same = strcmp(env[i], want[i]) == 0;
        if (!CHECK_MSG(same, "environment for a user: exactly the defaults, in order"))
                STRV_FOREACH (e, env)
                        tap_diag("got %s", *e);
        strv_free(env);
        env = NULL;

        r = environment_build(NULL, NULL, NULL, NULL, &env);
        CHECK_INT(r, ==, 0);
        same = strv_length(env) == strv_length((char *const *) want_min);
        for (size_t i = 0; same && want_min[i]; i++)
                same = strcmp(env[i], want_min[i]) == 0;
        if (!CHECK_MSG(same, "environment without user, terminal or uuid: TERM=dumb, HOME=/"))
                STRV_FOREACH (e, env)
                        tap_diag("got %s", *e);
        strv_free(env);
        env = NULL;

        r = environment_build(&u, "xterm", NULL, extra, &env);
        CHECK_INT(r, ==, 0);
        CHECK(strv_contains(env, "TERM=vt100"));
        CHECK(!strv_contains(env, "TERM=xterm"));
        CHECK(strv_contains(env, "PATH=/only"));
        CHECK(strv_contains(env, "FOO=baz"));
        CHECK(!strv_contains(env, "FOO=bar"));
        CHECK(strv_contains(env, "EMPTY="));
        CHECK(strv_contains(env, "USER=alice"));
        CHECK_INT(strv_length(env), ==, 9); /* 7 defaults without uuid, FOO, EMPTY */
        if (strv_length(env) >= 3) {
                CHECK_STR(env[0], "PATH=/only"); /* replaced in place */
                CHECK_STR(env[2], "TERM=vt100");
        }
        {
                size_t n_term = 0;
                STRV_FOREACH (e, env)
                        if (strncmp(*e, "TERM=", 5) == 0)
                                n_term++;
                CHECK_MSG(n_term == 1, "TERM appears once");
        }
}

int main(void) {
        test_user_find();
        test_groups();
        test_environment();
        return tap_finish();
}
