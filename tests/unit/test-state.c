/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/machine/state.c: the state file format, and the state directory with its locks. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "state.h"
#include "strv.h"
#include "tap.h"

static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        if (!s)
                abort();
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

static bool strv_equal(char **a, char **b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

static bool str_equal(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool state_equal(const MachineState *a, const MachineState *b) {
        return str_equal(a->name, b->name) && str_equal(a->class, b->class) && str_equal(a->root, b->root) &&
               str_equal(a->uuid, b->uuid) && str_equal(a->cgroup, b->cgroup) && a->leader == b->leader &&
               a->leader_starttime == b->leader_starttime && a->monitor == b->monitor &&
               a->monitor_starttime == b->monitor_starttime && a->since_usec == b->since_usec &&
               a->allow_nesting == b->allow_nesting && str_equal(a->private_users, b->private_users) &&
               a->uid_base == b->uid_base && a->uid_count == b->uid_count &&
               str_equal(a->ownership, b->ownership) && strv_equal(a->cleanup_paths, b->cleanup_paths);
}

static MachineState sample(void) {
        static char *cleanup[] = { (char *) "/var/tmp/berth-ovl-1", (char *) "/var/tmp/berth-ovl-2", NULL };

        return (MachineState){
                .name = (char *) "web-1",
                .class = (char *) "container",
                .root = (char *) "/var/lib/machines/web = root", /* '=' in a value is fine */
                .uuid = (char *) "0123456789abcdef0123456789abcdef",
                .cgroup = (char *) "/machine.slice/berth-web-1.scope",
                .leader = 4242,
                .leader_starttime = 123456789,
                .monitor = 4241,
                .monitor_starttime = 123456700,
                .since_usec = UINT64_C(1700000000000000),
                .allow_nesting = true,
                .private_users = (char *) "fixed",
                .uid_base = 1342177280,
                .uid_count = 65536,
                .ownership = (char *) "map",
                .cleanup_paths = cleanup,
        };
}

static void test_round_trip(void) {
        MachineState in = sample(), out = {};
        _cleanup_free_ char *text = NULL;
        int r;

        r = machine_state_serialize(&in, &text);
        CHECK_INT(r, ==, 0);
        if (r < 0)
                return;
        CHECK(strstr(text, "NAME=web-1\n"));
        CHECK(strstr(text, "LEADER=4242\n"));
        CHECK(strstr(text, "CLEANUP=/var/tmp/berth-ovl-2\n"));
        CHECK(strstr(text, "ALLOW_NESTING=1\n"));
        CHECK(strstr(text, "PRIVATE_USERS=fixed\n"));
        CHECK(strstr(text, "UID_BASE=1342177280\n"));
        CHECK(strstr(text, "UID_COUNT=65536\n"));
        CHECK(strstr(text, "OWNERSHIP=map\n"));
        r = machine_state_parse(text, &out);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(r == 0 && state_equal(&in, &out), "serialize then parse gives the same state");
        machine_state_done(&out);
        CHECK_MSG(!out.name && !out.cleanup_paths, "machine_state_done() resets the struct");

        /* Minimal: only what a monitor always has. A NULL class is written as "container". */
        in = (MachineState){ .name = (char *) "m", .monitor = 1 };
        free(text);
        text = NULL;
        r = machine_state_serialize(&in, &text);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(text && !strstr(text, "LEADER="), "no LEADER line while the leader is 0");
        r = text ? machine_state_parse(text, &out) : -1;
        CHECK_INT(r, ==, 0);
        CHECK_STR(out.class, "container");
        CHECK_INT(out.leader, ==, 0);
        CHECK_INT(out.monitor, ==, 1);
        CHECK(!out.root && !out.uuid && !out.cgroup && !out.cleanup_paths);
        machine_state_done(&out);
}

/* The user namespace lines go together and only with a range; nesting has a line of its own. */
static void test_userns_fields(void) {
        MachineState in = { .name = (char *) "m", .monitor = 1 }, out = {};
        _cleanup_free_ char *text = NULL;
        int r;

        /* Without a range nothing about the user namespace is written, whatever else is set. */
        in.private_users = (char *) "identity";
        in.uid_base = 4242;
        in.ownership = (char *) "chown";
        r = machine_state_serialize(&in, &text);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(text && !strstr(text, "PRIVATE_USERS=") && !strstr(text, "UID_BASE=") &&
                          !strstr(text, "UID_COUNT=") && !strstr(text, "OWNERSHIP="),
                  "no user namespace lines while uid_count is 0");
        CHECK_MSG(text && !strstr(text, "ALLOW_NESTING="), "no ALLOW_NESTING line while nesting is off");
        r = text ? machine_state_parse(text, &out) : -1;
        CHECK_INT(r, ==, 0);
        CHECK(!out.private_users && !out.ownership && !out.allow_nesting);
        CHECK_UINT(out.uid_base, ==, 0);
        CHECK_UINT(out.uid_count, ==, 0);
        machine_state_done(&out);

        /* A range without names writes the defaults, and nesting is independent of the range. */
        in = (MachineState){
                .name = (char *) "m", .monitor = 1, .uid_base = 0, .uid_count = 1, .allow_nesting = true
        };
        free(text);
        text = NULL;
        r = machine_state_serialize(&in, &text);
        CHECK_INT(r, ==, 0);
        CHECK(text && strstr(text, "PRIVATE_USERS=pick\n"));
        CHECK(text && strstr(text, "UID_BASE=0\n"));
        CHECK(text && strstr(text, "UID_COUNT=1\n"));
        CHECK(text && strstr(text, "OWNERSHIP=off\n"));
        CHECK(text && strstr(text, "ALLOW_NESTING=1\n"));
        r = text ? machine_state_parse(text, &out) : -1;
        CHECK_INT(r, ==, 0);
        CHECK_STR(out.private_users, "pick");
        CHECK_STR(out.ownership, "off");
        CHECK_UINT(out.uid_base, ==, 0);
        CHECK_UINT(out.uid_count, ==, 1);
        CHECK(out.allow_nesting);
        machine_state_done(&out);

        /* The highest range that stops short of (uid_t) -1. */
        r = machine_state_parse("NAME=x\nPRIVATE_USERS=fixed\nUID_BASE=4294901759\nUID_COUNT=65536\n"
                                "OWNERSHIP=chown\n",
                                &out);
        CHECK_INT(r, ==, 0);
        CHECK_UINT(out.uid_base, ==, UINT32_C(4294901759));
        CHECK_UINT(out.uid_count, ==, 65536);
        CHECK_STR(out.private_users, "fixed");
        CHECK_STR(out.ownership, "chown");
        machine_state_done(&out);
}

/* What parse accepts, serialize must write back in a form parse accepts again: a state file without a
 * MONITOR line (monitor == 0) is accepted by the parser, so it must survive a round trip. */
static void test_round_trip_of_parsed(void) {
        MachineState a = {}, b = {};
        _cleanup_free_ char *text = NULL;
        int r;

        r = machine_state_parse("NAME=foo\n", &a);
        CHECK_INT(r, ==, 0);
        if (r < 0)
                return;
        CHECK_INT(a.monitor, ==, 0);
        r = machine_state_serialize(&a, &text);
        CHECK_INT(r, ==, 0);
        if (r == 0) {
                r = machine_state_parse(text, &b);
                if (!CHECK_MSG(r == 0, "a parsed state without MONITOR survives serialize + parse"))
                        tap_diag("r = %d; serialized text was: %s", r, text);
                machine_state_done(&b);
        }
        machine_state_done(&a);
}

/* The monitor writes what serialize produces and everybody else loads it with machine_state_parse(), which
 * refuses more than MACHINE_STATE_SIZE_MAX bytes: serialize must not produce a file that cannot be loaded
 * (it should refuse instead). 20 overlay work directories with long paths are enough. */
static void test_serialize_size(void) {
        MachineState s = { .name = (char *) "big", .monitor = 1 };
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_free_ char *text = NULL;
        MachineState out = {};
        int r, q;

        for (unsigned i = 0; i < 20; i++) {
                char *p = repeat('p', 4000);
                snprintf(p, 4000, "/var/tmp/berth-overlay-%u/", i);
                p[strlen(p)] = 'w'; /* overwrite the NUL snprintf left */
                if (strv_push(&paths, p) < 0)
                        abort();
        }
        s.cleanup_paths = paths;
        r = machine_state_serialize(&s, &text);
        q = r < 0 ? 0 : machine_state_parse(text, &out);
        if (!CHECK_MSG(q == 0,
                       "serialize refuses a state that parse would refuse (here: over the size limit)"))
                tap_diag("serialize gave %zu bytes (MACHINE_STATE_SIZE_MAX is %u), parse gave %d",
                         strlen(text), MACHINE_STATE_SIZE_MAX, q);
        machine_state_done(&out);
}

static void parse_ok(const char *text, const char *what) {
        MachineState s = {};
        int r = machine_state_parse(text, &s);

        if (!CHECK_MSG(r == 0, "state parser accepts %s", what))
                tap_diag("r = %d (%s)", r, strerror(-r));
        machine_state_done(&s);
}

static void parse_fails(const char *text, int want, const char *what) {
        MachineState s = {};
        int r = machine_state_parse(text, &s);

        if (!CHECK_MSG(r == want, "state parser refuses %s with %s", what, strerrorname_np(-want)))
                tap_diag("r = %d", r);
        if (r == 0)
                machine_state_done(&s);
}

static void test_parse(void) {
        MachineState s = {};
        _cleanup_free_ char *long_line = NULL, *huge = NULL, *long_root = NULL;
        int r;

        r = machine_state_parse("# comment\n\nNAME=x\nFUTURE_KEY=whatever\nMONITOR=7\nCLASS=vm", &s);
        CHECK_INT(r, ==, 0);
        CHECK_STR(s.name, "x");
        CHECK_STR(s.class, "vm");
        CHECK_INT(s.monitor, ==, 7);
        machine_state_done(&s);

        parse_ok("NAME=x\nLEADER=4194304\n", "the largest pid");
        parse_ok("NAME=x\nROOT=\n", "an empty ROOT");
        parse_ok("NAME=x\nCLEANUP=/a\nCLEANUP=/b\n", "several CLEANUP lines");
        parse_ok("NAME=x\nSINCE_USEC=18446744073709551615\n", "the largest SINCE_USEC");

        parse_fails("", -EBADMSG, "an empty file");
        parse_fails("# only a comment\n", -EBADMSG, "a file without NAME");
        parse_fails("CLASS=container\nMONITOR=1\n", -EBADMSG, "a missing NAME");
        parse_fails("NAME=x\nNAME=y\n", -EBADMSG, "a duplicate NAME");
        parse_fails("NAME=x\nROOT=/a\nROOT=/b\n", -EBADMSG, "a duplicate ROOT");
        parse_fails("NAME=x\nCGROUP=/a\nCGROUP=/a\n", -EBADMSG, "a duplicate CGROUP");
        parse_fails("NAME=x\nLEADER=10\nLEADER=20\n", -EBADMSG, "a duplicate LEADER");
        parse_fails("NAME=x\nMONITOR=10\nMONITOR=20\n", -EBADMSG, "a duplicate MONITOR");
        parse_fails("NAME=x\nLEADER_STARTTIME=1\nLEADER_STARTTIME=2\n", -EBADMSG,
                    "a duplicate LEADER_STARTTIME");
        parse_fails("NAME=../etc\n", -EBADMSG, "an invalid NAME");
        parse_fails("NAME=\n", -EBADMSG, "an empty NAME");
        parse_fails("NAME=x\nLEADER=abc\n", -EBADMSG, "a non-numeric LEADER");
        parse_fails("NAME=x\nLEADER=0\n", -EBADMSG, "LEADER=0");
        parse_fails("NAME=x\nLEADER=-1\n", -EBADMSG, "a negative LEADER");
        parse_fails("NAME=x\nLEADER=4194305\n", -EBADMSG, "a LEADER over PID_MAX_LIMIT");
        parse_fails("NAME=x\nMONITOR=99999999999\n", -EBADMSG, "a MONITOR over 32 bits");
        parse_fails("NAME=x\nMONITOR= 5\n", -EBADMSG, "a MONITOR with a space");
        parse_fails("NAME=x\nSINCE_USEC=18446744073709551616\n", -EBADMSG, "a SINCE_USEC over 64 bits");
        parse_fails("NAME=x\nCGROUP=machine.slice\n", -EBADMSG, "a relative CGROUP");
        parse_fails("NAME=x\nCGROUP=/a/../b\n", -EBADMSG, "'..' in CGROUP");
        parse_fails("NAME=x\nCLEANUP=tmp/x\n", -EBADMSG, "a relative CLEANUP");
        parse_fails("NAME=x\njunk\n", -EBADMSG, "a line without '='");
        parse_fails("NAME=x\nUID_BASE=1\nUID_BASE=1\n", -EBADMSG, "a duplicate UID_BASE");
        parse_fails("NAME=x\nUID_BASE=1\nUID_COUNT=65536\nUID_BASE=2\n", -EBADMSG,
                    "a duplicate UID_BASE after UID_COUNT");
        parse_fails("NAME=x\nUID_COUNT=1\nUID_COUNT=2\n", -EBADMSG, "a duplicate UID_COUNT");
        parse_fails("NAME=x\nPRIVATE_USERS=pick\nPRIVATE_USERS=no\n", -EBADMSG, "a duplicate PRIVATE_USERS");
        parse_fails("NAME=x\nOWNERSHIP=map\nOWNERSHIP=off\n", -EBADMSG, "a duplicate OWNERSHIP");
        parse_fails("NAME=x\nALLOW_NESTING=1\nALLOW_NESTING=1\n", -EBADMSG, "a duplicate ALLOW_NESTING");
        parse_fails("NAME=x\nALLOW_NESTING=yes\n", -EBADMSG, "ALLOW_NESTING other than 1");
        parse_fails("NAME=x\nUID_BASE=abc\n", -EBADMSG, "a non-numeric UID_BASE");
        parse_fails("NAME=x\nUID_BASE=\n", -EBADMSG, "an empty UID_BASE");
        parse_fails("NAME=x\nUID_BASE=-1\n", -EBADMSG, "a negative UID_BASE");
        parse_fails("NAME=x\nUID_BASE=0x10000\n", -EBADMSG, "a hexadecimal UID_BASE");
        parse_fails("NAME=x\nUID_BASE=4294967296\n", -EBADMSG, "a UID_BASE over 32 bits");
        parse_fails("NAME=x\nUID_COUNT=65536x\n", -EBADMSG, "trailing garbage in UID_COUNT");

        /* A line may be up to PATH_MAX_BERTH + 63 bytes. */
        long_root = repeat('r', 4096);
        memcpy(long_root, "NAME=x\nROOT=", 12);
        parse_ok(long_root, "a 4089-byte line");
        long_line = repeat('r', 4200);
        memcpy(long_line, "NAME=x\nROOT=", 12);
        parse_fails(long_line, -EBADMSG, "a 4193-byte line");

        /* Comment lines of 100 bytes after the NAME. */
        huge = repeat('#', MACHINE_STATE_SIZE_MAX + 1);
        memcpy(huge, "NAME=x\n", 7);
        for (size_t i = 106; i < MACHINE_STATE_SIZE_MAX + 1; i += 100)
                huge[i] = '\n';
        parse_fails(huge, -EFBIG, "a file over MACHINE_STATE_SIZE_MAX");
        huge[MACHINE_STATE_SIZE_MAX] = '\0';
        parse_ok(huge, "a file of exactly MACHINE_STATE_SIZE_MAX bytes");
}

static void test_serialize_refuses(void) {
        MachineState s = sample();
        _cleanup_free_ char *text = NULL;
        char *bad_cleanup[] = { (char *) "/ok", (char *) "/bad\nNAME=evil", NULL };

        s.root = (char *) "/x\nLEADER=1";
        CHECK_INT(machine_state_serialize(&s, &text), ==, -EINVAL);
        CHECK(!text);
        s = sample();
        s.class = (char *) "container\n";
        CHECK_INT(machine_state_serialize(&s, &text), ==, -EINVAL);
        s = sample();
        s.cleanup_paths = bad_cleanup;
        CHECK_INT(machine_state_serialize(&s, &text), ==, -EINVAL);
        s = sample();
        s.name = (char *) "bad/name";
        CHECK_INT(machine_state_serialize(&s, &text), ==, -EINVAL);
        s.name = NULL;
        CHECK_INT(machine_state_serialize(&s, &text), ==, -EINVAL);
        CHECK(!text);
}

/* ---- on disk ---- */

static void test_files(const char *dir) {
        MachineState a = sample(), out = {};
        _cleanup_strv_free_ char **names = NULL;
        char path[4096];
        int r, fd;

        r = machine_state_list(dir, &names);
        CHECK_INT(r, ==, 0);
        CHECK_INT(strv_length(names), ==, 0);
        CHECK_INT(machine_state_load(dir, "web-1", &out), ==, -ENOENT);

        CHECK_INT(machine_state_write(dir, &a), ==, 0);
        a.name = (char *) "alpha";
        a.leader = 0;
        CHECK_INT(machine_state_write(dir, &a), ==, 0);
        a.name = (char *) "zulu";
        CHECK_INT(machine_state_write(dir, &a), ==, 0);
        a.name = (char *) "no\nway";
        CHECK_INT(machine_state_write(dir, &a), ==, -EINVAL);

        /* Junk in the directory that list must skip: a leftover temporary file and a bad name. */
        snprintf(path, sizeof(path), "%s/machines/.#half.tmp", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK_INT(fd, >=, 0);
        safe_close(fd);
        snprintf(path, sizeof(path), "%s/machines/bad name", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK_INT(fd, >=, 0);
        safe_close(fd);

        r = machine_state_list(dir, &names);
        CHECK_INT(r, ==, 0);
        CHECK_INT(strv_length(names), ==, 3);
        if (strv_length(names) == 3) {
                CHECK_STR(names[0], "alpha");
                CHECK_STR(names[1], "web-1");
                CHECK_STR(names[2], "zulu");
        }

        a = sample();
        r = machine_state_load(dir, "web-1", &out);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(r == 0 && state_equal(&a, &out), "load gives what was written");
        machine_state_done(&out);

        /* Rewriting replaces. */
        a.leader = 777;
        CHECK_INT(machine_state_write(dir, &a), ==, 0);
        r = machine_state_load(dir, "web-1", &out);
        CHECK_INT(r, ==, 0);
        CHECK_INT(out.leader, ==, 777);
        machine_state_done(&out);

        /* A file whose NAME does not match its file name is refused. */
        snprintf(path, sizeof(path), "%s/machines/impostor", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK_INT(fd, >=, 0);
        if (fd >= 0) {
                CHECK_INT(loop_write(fd, "NAME=web-1\nMONITOR=1\n", 21), ==, 0);
                safe_close(fd);
        }
        CHECK_INT(machine_state_load(dir, "impostor", &out), ==, -EBADMSG);
        CHECK(!out.name);

        CHECK_INT(machine_state_load(dir, "../etc", &out), ==, -EINVAL);
        CHECK_INT(machine_state_remove(dir, "../etc"), ==, -EINVAL);

        CHECK_INT(machine_state_remove(dir, "web-1"), ==, 0);
        CHECK_INT(machine_state_load(dir, "web-1", &out), ==, -ENOENT);
        CHECK_INT(machine_state_remove(dir, "web-1"), ==, 0);
        strv_free(names);
        names = NULL;
        CHECK_INT(machine_state_list(dir, &names), ==, 0);
        CHECK_MSG(strv_length(names) == 3 && !strv_contains(names, "web-1"),
                  "removed machine is not listed");

        /* Cleanup for the lock test and rmdir. */
        (void) machine_state_remove(dir, "alpha");
        (void) machine_state_remove(dir, "zulu");
        (void) machine_state_remove(dir, "impostor");
        snprintf(path, sizeof(path), "%s/machines/.#half.tmp", dir);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/machines/bad name", dir);
        (void) unlink(path);
}

static void test_locks(const char *dir) {
        char path[4096];
        struct stat st;
        int a = -1, b = -1, c = -1, r;

        r = machine_lock(dir, "web-1", &a);
        CHECK_INT(r, ==, 0);
        CHECK_INT(a, >=, 0);
        snprintf(path, sizeof(path), "%s/locks/machine-web-1", dir);
        CHECK_MSG(stat(path, &st) == 0, "the lock file exists while held");

        /* Two opens in one process are separate open file descriptions: flock() conflicts between them. */
        r = machine_lock(dir, "web-1", &b);
        CHECK_INT(r, ==, -EBUSY);
        CHECK_INT(b, ==, -1);

        /* Another name is independent. */
        r = machine_lock(dir, "web-2", &c);
        CHECK_INT(r, ==, 0);
        machine_unlock(dir, "web-2", c);

        CHECK_INT(machine_lock(dir, "../x", &b), ==, -EINVAL);
        CHECK_INT(machine_lock(dir, "", &b), ==, -EINVAL);

        machine_unlock(dir, "web-1", a);
        CHECK_MSG(stat(path, &st) < 0 && errno == ENOENT, "unlock removes the lock file");

        r = machine_lock(dir, "web-1", &b);
        CHECK_INT(r, ==, 0);
        machine_unlock(dir, "web-1", b);

        /* A lock file left behind by a dead holder (no flock on it) is taken over. */
        {
                int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                CHECK_INT(fd, >=, 0);
                safe_close(fd);
                r = machine_lock(dir, "web-1", &b);
                CHECK_INT(r, ==, 0);
                machine_unlock(dir, "web-1", b);
        }

        /* A lock held through some other open of the file (another monitor) blocks us. */
        {
                int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                CHECK_INT(fd, >=, 0);
                CHECK_INT(flock(fd, LOCK_EX | LOCK_NB), ==, 0);
                CHECK_INT(machine_lock(dir, "web-1", &b), ==, -EBUSY);
                safe_close(fd);
                r = machine_lock(dir, "web-1", &b);
                CHECK_INT(r, ==, 0);
                machine_unlock(dir, "web-1", b);
        }

        machine_unlock(dir, "nothing", -1); /* a no-op, must not crash */
}

static void rm_rf_state(const char *dir) {
        char p[4096];

        snprintf(p, sizeof(p), "%s/machines", dir);
        (void) rmdir(p);
        snprintf(p, sizeof(p), "%s/locks", dir);
        (void) rmdir(p);
        (void) rmdir(dir);
}

int main(void) {
        char dir[] = "/tmp/berth-test-state-XXXXXX";
        char sub[sizeof(dir) + 16];

        test_round_trip();
        test_userns_fields();
        test_round_trip_of_parsed();
        test_serialize_size();
        test_parse();
        test_serialize_refuses();

        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 2;
        }
        /* The state directory itself need not exist yet: write and lock create it. */
        snprintf(sub, sizeof(sub), "%s/state", dir);
        test_files(sub);
        test_locks(sub);
        rm_rf_state(sub);
        CHECK_MSG(rmdir(dir) == 0, "everything in the temporary state directory was cleaned up");
        return tap_finish();
}
