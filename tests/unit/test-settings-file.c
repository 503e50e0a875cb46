/* The .nspawn settings file: the INI reader and how keys land in Settings, trusted and untrusted. */
#include <stdio.h>
#include <string.h>

#include "capability-util.h"
#include "ini.h"
#include "settings-file.h"
#include "strv.h"
#include "tap.h"

static const CgroupHostFacts host = { .physical_memory = UINT64_C(8) << 30, .pid_max = 32768 };

/* [Resources]: every limit key, Slice=, and what an untrusted file may not do. */
static void test_resources(void) {
        char **ignored = NULL, *error = NULL;
        unsigned line = 0;
        Settings *s;

        s = settings_new();
        CHECK(cgroup_limits_is_empty(&s->limits) && !s->slice);
        CHECK_INT(settings_file_apply_full(
                          s,
                          "[Resources]\nMemoryMax=1G\nMemoryHigh=50%\nMemorySwapMax=0\nCPUWeight=500\n"
                          "CPUQuota=150%\nCPUQuotaPeriodSec=10ms\nAllowedCPUs=0-3 6\nAllowedMemoryNodes=0\n"
                          "TasksMax=10%\nIOWeight=1000\nIOReadBandwidthMax=/dev/sda 10M\n"
                          "IOWriteBandwidthMax=/dev/sda 5M\nIOReadIOPSMax=/dev/sdb 100\n"
                          "IOWriteIOPSMax=/dev/sdb infinity\nOOMPolicy=kill\nSlice=tenants\n",
                          true, &host, &ignored, &line, &error),
                  ==, 0);
        CHECK_UINT(strv_length(ignored), ==, 0);
        CHECK(!error);
        CHECK_UINT(s->limits.memory_max, ==, UINT64_C(1) << 30);
        CHECK_UINT(s->limits.memory_high, ==, UINT64_C(4) << 30);
        CHECK_UINT(s->limits.memory_swap_max, ==, 0);
        CHECK_UINT(s->limits.cpu_weight, ==, 500);
        CHECK_UINT(s->limits.cpu_quota_usec, ==, 1500000);
        CHECK_UINT(s->limits.cpu_period_usec, ==, 10000);
        CHECK_STR(s->limits.cpuset_cpus, "0-3,6");
        CHECK_STR(s->limits.cpuset_mems, "0");
        CHECK_UINT(s->limits.pids_max, ==, 3276);
        CHECK_UINT(s->limits.io_weight, ==, 1000);
        CHECK_UINT(s->limits.n_io_devices, ==, 2);
        CHECK_INT(s->limits.oom_kill_group, ==, 1);
        CHECK_STR(s->slice, "machine-tenants.slice");
        strv_free(ignored);
        ignored = NULL;

        /* Later lines win; empty values reset. */
        CHECK_INT(settings_file_apply(s, "[Resources]\nMemoryMax=2G\nCPUWeight=\nSlice=\nSlice=a-b.slice\n",
                                      true, &ignored, &line),
                  ==, 0);
        CHECK_UINT(s->limits.memory_max, ==, UINT64_C(2) << 30);
        CHECK_UINT(s->limits.cpu_weight, ==, CGROUP_LIMIT_UNSET);
        CHECK_STR(s->slice, "a-b.slice");
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        /* Untrusted: limits only restrict and apply, but not Slice= or a weight above the default. */
        s = settings_new();
        CHECK_INT(
                settings_file_apply_full(s,
                                         "[Resources]\nSlice=other-tenant\nMemoryMax=512M\nCPUWeight=10000\n"
                                         "IOWeight=50\nIOWeight=101\nCPUQuota=20%\nTasksMax=100\n"
                                         "NoSuchLimit=1\nOOMPolicy=continue\nCPUWeight=100\n",
                                         false, &host, &ignored, &line, &error),
                ==, 0);
        CHECK(!s->slice);
        CHECK_UINT(s->limits.memory_max, ==, UINT64_C(512) << 20);
        CHECK_UINT(s->limits.cpu_weight, ==, 100);
        CHECK_UINT(s->limits.io_weight, ==, 50);
        CHECK_UINT(s->limits.cpu_quota_usec, ==, 200000);
        CHECK_UINT(s->limits.pids_max, ==, 100);
        CHECK_INT(s->limits.oom_kill_group, ==, 0);
        CHECK_UINT(strv_length(ignored), ==, 4);
        CHECK_MSG(strv_length(ignored) >= 4 && strstr(ignored[0], "Resources.Slice (line 2)") &&
                          strstr(ignored[1], "Resources.CPUWeight (line 4)") &&
                          strstr(ignored[2], "Resources.IOWeight (line 6)") &&
                          strstr(ignored[3], "Resources.NoSuchLimit (line 9): unknown"),
                  "untrusted Slice=, raised weights and unknown keys are named");
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        /* A bad value: the line, and a line saying why. */
        s = settings_new();
        CHECK_INT(settings_file_apply_full(s, "[Resources]\nCPUWeight=5\nMemoryMax=12Q\n", true, &host,
                                           &ignored, &line, &error),
                  ==, -EINVAL);
        CHECK_UINT(line, ==, 3);
        CHECK_MSG(error && strncmp(error, "MemoryMax=12Q: expected bytes", 29) == 0, "why: %s",
                  error ?: "(null)");
        free(error);
        error = NULL;
        CHECK_INT(settings_file_apply_full(s, "[Resources]\nSlice=-bad\n", true, &host, &ignored, &line,
                                           &error),
                  ==, -EINVAL);
        CHECK_MSG(error && strncmp(error, "Slice=-bad: expected NAME", 25) == 0, "why: %s",
                  error ?: "(null)");
        free(error);
        error = NULL;
        /* Untrusted, a bad weight is still an error rather than quietly ignored. */
        CHECK_INT(settings_file_apply_full(s, "[Resources]\nIOWeight=0\n", false, &host, &ignored, &line,
                                           &error),
                  ==, -EINVAL);
        CHECK_MSG(error && strstr(error, "IOWeight=0: expected a weight"), "why: %s", error ?: "(null)");
        free(error);
        error = NULL;
        /* Not a [Resources] value: no line from the limits. */
        CHECK_INT(
                settings_file_apply_full(s, "[Exec]\nBoot=perhaps\n", true, &host, &ignored, &line, &error),
                ==, -EINVAL);
        CHECK(!error);
        CHECK_INT(settings_file_apply_full(s, "[Resources]\nNoSuchLimit=1\n[Exec]\nBoot=perhaps\n", true,
                                           &host, &ignored, &line, &error),
                  ==, -EINVAL);
        CHECK_MSG(!error, "an ignored key's message is not reported for a later error");
        free(error);
        error = NULL;
        /* Without the host's facts given, a percentage reads them from this host. */
        CHECK_INT(settings_file_apply(s, "[Resources]\nMemoryMax=100%\nTasksMax=100%\n", true, &ignored,
                                      &line),
                  ==, 0);
        CHECK(s->limits.memory_max > 0 && s->limits.memory_max != CGROUP_LIMIT_UNSET);
        CHECK(s->limits.pids_max > 0 && s->limits.pids_max != CGROUP_LIMIT_UNSET);
        strv_free(ignored);
        settings_free(s);
}

static void set_keys_ok(const char *text, const char *section, const char *const *kv, const char *expected) {
        char *out = NULL;
        int r = settings_file_set_keys(text, section, (char *const *) kv, &out);

        if (!CHECK_MSG(r == 0 && out && streq(out, expected), "set %s in [%s]",
                       kv && kv[0] ? kv[0] : "nothing", section))
                tap_diag("r = %d, got:\n%s\nexpected:\n%s", r, out ?: "(null)", expected);
        free(out);
}

static void set_keys_fails(const char *text, const char *section, const char *const *kv, int error,
                           const char *why) {
        char *out = NULL;

        CHECK_MSG(settings_file_set_keys(text, section, (char *const *) kv, &out) == error && !out,
                  "set-keys refuses %s", why);
        free(out);
}

static void test_set_keys(void) {
        const char *file = "# machine web\n"
                           "[Exec]\n"
                           "Boot=yes\n"
                           "MemoryMax=not-this-one\n"
                           "\n"
                           "[Resources]\n"
                           "# the memory of web\n"
                           "  MemoryMax = 2G\n"
                           "CPUWeight=10\n"
                           "MemoryMax=3G\n"
                           "#TasksMax=5\n"
                           "\n"
                           "# the network\n"
                           "[Network]\n"
                           "Private=yes\n";
        const char *exec = "# machine web\n[Exec]\nBoot=yes\nMemoryMax=not-this-one\n\n";
        const char *network = "\n# the network\n[Network]\nPrivate=yes\n";
        char *out = NULL, **ignored = NULL, expected[1024];
        unsigned line = 0;
        Settings *s;

        /* No file yet. */
        set_keys_ok(NULL, "Resources", STRV_MAKE("MemoryMax=1G"), "[Resources]\nMemoryMax=1G\n");
        set_keys_ok("", "Resources", STRV_MAKE("MemoryMax=1G", "CPUWeight=5"),
                    "[Resources]\nMemoryMax=1G\nCPUWeight=5\n");
        set_keys_ok(NULL, "Resources", STRV_MAKE("MemoryMax="), "");

        /* Replaced in place, the other occurrences gone, everything else as it was. */
        snprintf(expected, sizeof(expected), "%s%s%s", exec,
                 "[Resources]\n# the memory of web\nMemoryMax=1G\nCPUWeight=10\n#TasksMax=5\n", network);
        set_keys_ok(file, "Resources", STRV_MAKE("MemoryMax=1G"), expected);
        /* Added after the section's last assignment, before what leads to the next section. */
        snprintf(expected, sizeof(expected), "%s%s%s", exec,
                 "[Resources]\n# the memory of web\n  MemoryMax = "
                 "2G\nCPUWeight=20\nMemoryMax=3G\nTasksMax=100\n"
                 "#TasksMax=5\n",
                 network);
        set_keys_ok(file, "Resources", STRV_MAKE("TasksMax=100", "CPUWeight=20"), expected);
        /* An empty value removes. */
        snprintf(expected, sizeof(expected), "%s%s%s", exec,
                 "[Resources]\n# the memory of web\n#TasksMax=5\n", network);
        set_keys_ok(file, "Resources", STRV_MAKE("MemoryMax=", "CPUWeight="), expected);
        /* Another section. */
        snprintf(expected, sizeof(expected), "%s%s%s",
                 "# machine web\n[Exec]\nBoot=no\nMemoryMax=not-this-one\n\n",
                 "[Resources]\n# the memory of web\n  MemoryMax = "
                 "2G\nCPUWeight=10\nMemoryMax=3G\n#TasksMax=5\n",
                 network);
        set_keys_ok(file, "Exec", STRV_MAKE("Boot=no"), expected);
        /* A KEY given more than once: all its lines, in order, where the first one was. */
        set_keys_ok(
                "[Resources]\nIOReadBandwidthMax=/dev/sda 1M\nCPUWeight=5\nIOReadBandwidthMax=/dev/sdc 1M\n",
                "Resources", STRV_MAKE("IOReadBandwidthMax=/dev/sda 2M", "IOReadBandwidthMax=/dev/sdb 3M"),
                "[Resources]\nIOReadBandwidthMax=/dev/sda 2M\nIOReadBandwidthMax=/dev/sdb "
                "3M\nCPUWeight=5\n");
        set_keys_ok(
                "[Resources]\nCPUWeight=5\n", "Resources",
                STRV_MAKE("IOReadBandwidthMax=/dev/sda 2M", "TasksMax=1", "IOReadBandwidthMax=/dev/sdb 3M"),
                "[Resources]\nCPUWeight=5\nIOReadBandwidthMax=/dev/sda 2M\nIOReadBandwidthMax=/dev/sdb 3M\n"
                "TasksMax=1\n");
        /* No such section: one at the end, after a blank line; a missing last newline is added. */
        set_keys_ok("[Exec]\nBoot=yes", "Resources", STRV_MAKE("MemoryMax=1G"),
                    "[Exec]\nBoot=yes\n\n[Resources]\nMemoryMax=1G\n");
        set_keys_ok("[Exec]\nBoot=yes\n\n", "Resources", STRV_MAKE("MemoryMax=1G"),
                    "[Exec]\nBoot=yes\n\n[Resources]\nMemoryMax=1G\n");
        set_keys_ok("[Exec]\nBoot=yes\n", "Resources", STRV_MAKE("MemoryMax="), "[Exec]\nBoot=yes\n");
        /* A section with nothing in it, or given twice: after its header, in its last block. */
        set_keys_ok("[Resources]\n\n[Exec]\nBoot=yes\n", "Resources", STRV_MAKE("MemoryMax=1G"),
                    "[Resources]\nMemoryMax=1G\n\n[Exec]\nBoot=yes\n");
        set_keys_ok("[Resources]\nMemoryMax=1G\n[Exec]\nBoot=yes\n[Resources]\nCPUWeight=1\n", "Resources",
                    STRV_MAKE("MemoryMax=2G", "TasksMax=5"),
                    "[Resources]\nMemoryMax=2G\n[Exec]\nBoot=yes\n[Resources]\nCPUWeight=1\nTasksMax=5\n");
        /* Lines keep their own endings and blanks; nothing given, nothing changes. */
        set_keys_ok("[Resources]\r\nMemoryMax=1G\r\nCPUWeight=1 \r\n", "Resources",
                    STRV_MAKE("MemoryMax=2G"), "[Resources]\r\nMemoryMax=2G\nCPUWeight=1 \r\n");
        set_keys_ok(file, "Resources", NULL, file);

        set_keys_fails("[Resources\n", "Resources", STRV_MAKE("MemoryMax=1G"), -EBADMSG, "a malformed file");
        set_keys_fails("Key=before-section\n", "Resources", STRV_MAKE("MemoryMax=1G"), -EBADMSG,
                       "an assignment before any section");
        set_keys_fails(NULL, "", STRV_MAKE("MemoryMax=1G"), -EINVAL, "an empty section");
        set_keys_fails(NULL, "Re]s", STRV_MAKE("MemoryMax=1G"), -EINVAL, "a bracket in the section");
        set_keys_fails(NULL, "Resources", STRV_MAKE("MemoryMax"), -EINVAL, "no '='");
        set_keys_fails(NULL, "Resources", STRV_MAKE("=1G"), -EINVAL, "an empty key");
        set_keys_fails(NULL, "Resources", STRV_MAKE("Memory Max=1G"), -EINVAL, "a blank in the key");
        set_keys_fails(NULL, "Resources", STRV_MAKE("#MemoryMax=1G"), -EINVAL, "a comment for a key");
        set_keys_fails(NULL, "Resources", STRV_MAKE("[MemoryMax=1G"), -EINVAL, "a section for a key");
        set_keys_fails(NULL, "Resources", STRV_MAKE("MemoryMax=1G\n[Exec]"), -EINVAL,
                       "a newline in the value");
        set_keys_fails(NULL, "Resources", STRV_MAKE("MemoryMax=1G", "Bad"), -EINVAL, "one bad of several");

        /* What it writes reads back as the settings it stands for. */
        CHECK_INT(settings_file_set_keys(
                          file, "Resources",
                          (char *const *) STRV_MAKE("MemoryMax=1G", "TasksMax=7", "Slice=tenants"), &out),
                  ==, 0);
        s = settings_new();
        CHECK_INT(settings_file_apply(s, out ?: "", true, &ignored, &line), ==, 0);
        CHECK_UINT(s->limits.memory_max, ==, UINT64_C(1) << 30);
        CHECK_UINT(s->limits.cpu_weight, ==, 10);
        CHECK_UINT(s->limits.pids_max, ==, 7);
        CHECK_STR(s->slice, "machine-tenants.slice");
        CHECK(s->boot);
        CHECK_UINT(strv_length(ignored), ==, 1); /* [Exec] MemoryMax= */
        strv_free(ignored);
        settings_free(s);
        free(out);
}

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

        /* LinkJournal=: trusted, any mode; untrusted, only no and auto (the others write to the host's
         * /var/log/journal). */
        s = settings_new();
        CHECK_INT(s->link_journal, ==, LINK_JOURNAL_AUTO);
        CHECK_INT(settings_file_apply(s, "[Exec]\nLinkJournal=try-guest\n", true, &ignored, &line), ==, 0);
        CHECK_INT(s->link_journal, ==, LINK_JOURNAL_TRY_GUEST);
        CHECK_INT(settings_file_apply(s, "[Exec]\nLinkJournal=sideways\n", true, &ignored, &line), ==, -EINVAL);
        settings_free(s);
        strv_free(ignored);
        ignored = NULL;
        s = settings_new();
        CHECK_INT(settings_file_apply(s, "[Exec]\nLinkJournal=no\nLinkJournal=host\n", false, &ignored, &line), ==, 0);
        CHECK_INT(s->link_journal, ==, LINK_JOURNAL_NO);
        CHECK_MSG(strv_length(ignored) == 1 && strstr(ignored[0], "Exec.LinkJournal (line 3)"),
                  "untrusted LinkJournal=host is ignored and named");
        strv_free(ignored);
        ignored = NULL;
        settings_free(s);

        /* Volatile=: the modes and nspawn's booleans, from any file (it only takes away). */
        s = settings_new();
        CHECK_INT(settings_file_apply(s, "[Exec]\nVolatile=state\n", false, &ignored, &line), ==, 0);
        CHECK_INT(s->volatile_mode, ==, VOLATILE_STATE);
        CHECK_INT(settings_file_apply(s, "[Exec]\nVolatile=true\n", false, &ignored, &line), ==, 0);
        CHECK_INT(s->volatile_mode, ==, VOLATILE_YES);
        CHECK_INT(settings_file_apply(s, "[Exec]\nVolatile=overlay\n", false, &ignored, &line), ==, 0);
        CHECK_INT(s->volatile_mode, ==, VOLATILE_OVERLAY);
        CHECK_INT(settings_file_apply(s, "[Exec]\nVolatile=sideways\n", false, &ignored, &line), ==, -EINVAL);
        settings_free(s);

        /* Ephemeral= anywhere; Template= (a host directory to copy) only from a trusted file. */
        s = settings_new();
        CHECK_INT(settings_file_apply(s, "[Exec]\nEphemeral=yes\n[Files]\nTemplate=/var/lib/machines/base\n", true,
                                      &ignored, &line),
                  ==, 0);
        CHECK_MSG(s->ephemeral && streq_ptr(s->template_name, "/var/lib/machines/base"),
                  "trusted Ephemeral= and Template= are taken");
        CHECK_INT(settings_file_apply(s, "[Files]\nTemplate=../x\n", true, &ignored, &line), ==, -EINVAL);
        CHECK_INT(settings_file_apply(s, "[Exec]\nEphemeral=perhaps\n", true, &ignored, &line), ==, -EINVAL);
        settings_free(s);
        s = settings_new();
        CHECK_INT(settings_file_apply(s, "[Exec]\nEphemeral=yes\n[Files]\nTemplate=base\n", false, &ignored, &line),
                  ==, 0);
        CHECK_MSG(s->ephemeral && !s->template_name, "untrusted: Ephemeral= taken, Template= not");
        CHECK_MSG(strv_length(ignored) == 1 && strstr(ignored[0], "Files.Template"),
                  "untrusted Template= is ignored and named");
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

        test_resources();
        test_set_keys();
        return tap_finish();
}
