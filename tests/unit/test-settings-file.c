/* The .nspawn settings file: the INI reader and how keys land in Settings, trusted and untrusted. */
#include <string.h>

#include "capability-util.h"
#include "ini.h"
#include "settings-file.h"
#include "strv.h"
#include "tap.h"

static int count_cb(const char *section, const char *key, const char *value, unsigned line, void *userdata) {
        unsigned *n = userdata;
        (*n)++;
        return streq(key, "Stop") ? -ECANCELED : 0;
}

int main(void) {
        unsigned n = 0, line = 0;
        char **ignored = NULL;
        Settings *s;

        CHECK_INT(ini_parse("# c\n; c\n\n[A]\n k = v \nx=\n[B]\ny=1\n", count_cb, &n, &line), ==, 0);
        CHECK_UINT(n, ==, 3);
        CHECK_INT(ini_parse("k=v\n", count_cb, &n, &line), ==, -EBADMSG); /* before any section */
        CHECK_UINT(line, ==, 1);
        CHECK_INT(ini_parse("[A]\nnovalue\n", count_cb, &n, &line), ==, -EBADMSG);
        CHECK_UINT(line, ==, 2);
        CHECK_INT(ini_parse("[A\n", count_cb, &n, &line), ==, -EBADMSG);
        CHECK_INT(ini_parse("[]\n", count_cb, &n, &line), ==, -EBADMSG);
        CHECK_INT(ini_parse("[A]\n=v\n", count_cb, &n, &line), ==, -EBADMSG);
        CHECK_INT(ini_parse("[A]\nStop=1\nmore=2\n", count_cb, &n, &line), ==, -ECANCELED);
        CHECK_UINT(line, ==, 2);

        /* Trusted: everything applies. */
        s = settings_new();
        CHECK_INT(settings_file_apply(
                          s,
                          "[Exec]\nBoot=yes\nParameters=--log-level=debug quiet\nEnvironment=A=1\n"
                          "Environment=B=2\nHostname=web\nUser=nobody\nWorkingDirectory=/srv\n"
                          "Capability=CAP_NET_ADMIN\nDropCapability=CAP_SYS_ADMIN\nNoNewPrivileges=yes\n"
                          "SystemCallFilter=~@mount\nSystemCallFilter=@keyring\nTimezone=off\n"
                          "ResolvConf=copy-host\n[Files]\nReadOnly=yes\nBind=/srv:/srv\n"
                          "BindReadOnly=/etc/hostname:/etc/h\nTemporaryFileSystem=/var/tmp\n"
                          "Overlay=/a:/b:/c\n[Network]\nPrivate=no\n",
                          true, &ignored, &line),
                  ==, 0);
        CHECK(s->boot && s->read_only && s->no_new_privileges);
        CHECK_UINT(strv_length(s->command), ==, 2);
        CHECK_STR(s->command[0], "--log-level=debug");
        CHECK_UINT(strv_length(s->environment), ==, 2);
        CHECK_STR(s->hostname, "web");
        CHECK_STR(s->user, "nobody");
        CHECK_STR(s->working_directory, "/srv");
        CHECK(s->capability_add == (UINT64_C(1) << 12) && s->capability_drop == (UINT64_C(1) << 21));
        CHECK(strv_contains(s->syscall_deny, "@mount") && strv_contains(s->syscall_allow, "@keyring"));
        CHECK_INT(s->timezone, ==, TIMEZONE_OFF);
        CHECK_INT(s->resolv_conf, ==, RESOLV_CONF_COPY_HOST);
        CHECK_UINT(s->n_mounts, ==, 4);
        CHECK_INT(s->network, ==, NETWORK_HOST);
        CHECK_UINT(strv_length(ignored), ==, 0);
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        /* Untrusted: what grants privileges is skipped and said, the rest applies. */
        s = settings_new();
        CHECK_INT(settings_file_apply(
                          s,
                          "[Exec]\nCapability=all\nSystemCallFilter=bpf\nSystemCallFilter=~ptrace\n"
                          "NoNewPrivileges=no\nHostname=h\n[Files]\nBind=/:/host\nOverlay=/a:/b:/c\n"
                          "TemporaryFileSystem=/x\n[Network]\nPrivate=no\n[Unknown]\nFoo=1\n",
                          false, &ignored, &line),
                  ==, 0);
        CHECK_UINT(s->capability_add, ==, 0);
        CHECK(!s->syscall_allow && strv_contains(s->syscall_deny, "ptrace"));
        CHECK_INT(s->network, ==, NETWORK_PRIVATE);
        CHECK_UINT(s->n_mounts, ==, 1); /* only the tmpfs */
        CHECK_STR(s->hostname, "h");
        CHECK_UINT(strv_length(ignored), ==, 7);
        CHECK_MSG(ignored && strstr(ignored[0], "Exec.Capability (line 2)"),
                  "the first ignored key is named");
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        /* The defaults a settings file starts from. */
        s = settings_new();
        CHECK_INT(s->private_users, ==, PRIVATE_USERS_PICK);
        CHECK_INT(s->ownership, ==, OWNERSHIP_AUTO);
        CHECK_INT(s->no_new_privileges, ==, -1);
        CHECK(!s->allow_nesting);
        settings_free(s);

        /* User namespace keys, trusted: all apply. */
        s = settings_new();
        CHECK_INT(settings_file_apply(s,
                                      "[Exec]\nPrivateUsers=identity\nAllowNesting=yes\n"
                                      "[Files]\nPrivateUsersOwnership=chown\n",
                                      true, &ignored, &line),
                  ==, 0);
        CHECK_INT(s->private_users, ==, PRIVATE_USERS_IDENTITY);
        CHECK(s->allow_nesting);
        CHECK_INT(s->ownership, ==, OWNERSHIP_CHOWN);
        CHECK_UINT(strv_length(ignored), ==, 0);
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        s = settings_new();
        CHECK_INT(settings_file_apply(s, "[Exec]\nPrivateUsers=1342177280:65536\n", true, &ignored, &line),
                  ==, 0);
        CHECK_INT(s->private_users, ==, PRIVATE_USERS_FIXED);
        CHECK_UINT(s->uid_shift, ==, 1342177280);
        CHECK_UINT(s->uid_range, ==, 65536);
        CHECK_UINT(strv_length(ignored), ==, 0);
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        /* Untrusted: a block of its own may be asked for, and nesting turned off, nothing more. */
        s = settings_new();
        CHECK_INT(settings_file_apply(s, "[Exec]\nPrivateUsers=yes\n", false, &ignored, &line), ==, 0);
        CHECK_INT(s->private_users, ==, PRIVATE_USERS_PICK);
        CHECK_UINT(strv_length(ignored), ==, 0);
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        s = settings_new();
        CHECK_INT(settings_file_apply(s,
                                      "[Exec]\nPrivateUsers=pick\nPrivateUsers=no\nPrivateUsers=identity\n"
                                      "PrivateUsers=1342177280:65536\nAllowNesting=yes\n"
                                      "[Files]\nPrivateUsersOwnership=map\n",
                                      false, &ignored, &line),
                  ==, 0);
        CHECK_INT(s->private_users, ==, PRIVATE_USERS_PICK);
        CHECK_UINT(s->uid_shift, ==, 0);
        CHECK_UINT(s->uid_range, ==, 0);
        CHECK(!s->allow_nesting);
        CHECK_INT(s->ownership, ==, OWNERSHIP_MAP);
        CHECK_UINT(strv_length(ignored), ==, 4);
        CHECK_MSG(ignored && strstr(ignored[0], "Exec.PrivateUsers (line 3)"),
                  "untrusted PrivateUsers=no is ignored and named");
        CHECK_MSG(strv_length(ignored) >= 2 && strstr(ignored[1], "Exec.PrivateUsers (line 4)"),
                  "untrusted PrivateUsers=identity is ignored and named");
        CHECK_MSG(strv_length(ignored) >= 3 && strstr(ignored[2], "Exec.PrivateUsers (line 5)"),
                  "untrusted PrivateUsers=UID:COUNT is ignored and named");
        CHECK_MSG(strv_length(ignored) >= 4 && strstr(ignored[3], "Exec.AllowNesting (line 6)"),
                  "untrusted AllowNesting=yes is ignored and named");
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        /* Over settings that allowed nesting, an untrusted file may still turn it off (that takes
         * nothing away from the host), while PrivateUsers=no stays ignored. */
        s = settings_new();
        s->allow_nesting = true;
        CHECK_INT(
                settings_file_apply(s, "[Exec]\nAllowNesting=no\nPrivateUsers=no\n", false, &ignored, &line),
                ==, 0);
        CHECK(!s->allow_nesting);
        CHECK_INT(s->private_users, ==, PRIVATE_USERS_PICK);
        CHECK_UINT(strv_length(ignored), ==, 1);
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        /* Bad values are errors with their line. */
        s = settings_new();
        CHECK_INT(settings_file_apply(s, "[Exec]\nHostname=a b\n", true, &ignored, &line), ==, -EINVAL);
        CHECK_UINT(line, ==, 2);
        CHECK_INT(settings_file_apply(s, "[Files]\nBind=relative\n", true, &ignored, &line), <, 0);
        CHECK_INT(settings_file_apply(s, "[Exec]\nBoot=perhaps\n", true, &ignored, &line), ==, -EINVAL);
        line = 0;
        CHECK_INT(settings_file_apply(s, "[Exec]\nBoot=yes\nPrivateUsers=bogus\n", true, &ignored, &line),
                  ==, -EINVAL);
        CHECK_UINT(line, ==, 3);
        line = 0;
        CHECK_INT(settings_file_apply(s, "[Exec]\nPrivateUsers=bogus\n", false, &ignored, &line), ==,
                  -EINVAL);
        CHECK_UINT(line, ==, 2);
        line = 0;
        CHECK_INT(settings_file_apply(s, "[Exec]\nPrivateUsers=5:0\n", true, &ignored, &line), ==, -EINVAL);
        CHECK_UINT(line, ==, 2);
        line = 0;
        CHECK_INT(settings_file_apply(s, "[Files]\nReadOnly=no\nPrivateUsersOwnership=sideways\n", false,
                                      &ignored, &line),
                  ==, -EINVAL);
        CHECK_UINT(line, ==, 3);
        line = 0;
        CHECK_INT(settings_file_apply(s, "[Exec]\nAllowNesting=sometimes\n", false, &ignored, &line), ==,
                  -EINVAL);
        CHECK_UINT(line, ==, 2);
        settings_free(s);
        return tap_finish();
}
