/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/cli/limit-options.c and run's and boot's resource limit options: what lands in Settings, merged over
 * a settings file's [Resources], and the one-line errors. Only parses: nothing is started. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit-codes.h"
#include "fd-util.h"
#include "limit-options.h"
#include "run.h"
#include "settings-file.h"
#include "strv.h"
#include "tap.h"

/* What fd (stdout or stderr) gets while f runs, NUL-terminated; the caller frees it. */
static char *capture(int fd, int (*f)(void *), void *userdata, int *ret) {
        char path[] = "/tmp/berth-test-limit-options-XXXXXX", *text = NULL;
        int tmp, saved;

        fflush(stdout);
        fflush(stderr);
        tmp = mkstemp(path);
        saved = dup(fd);
        if (tmp < 0 || saved < 0 || dup2(tmp, fd) < 0) {
                perror("capture");
                exit(2);
        }
        *ret = f(userdata);
        fflush(stdout);
        fflush(stderr);
        dup2(saved, fd);
        safe_close(saved);
        (void) read_small_file_at(AT_FDCWD, path, 65536, &text, NULL);
        safe_close(tmp);
        unlink(path);
        return text;
}

typedef struct Args {
        const char *const *argv;
        bool boot;
        Settings *base;
        Settings *result;
} Args;

static int parse(void *userdata) {
        Args *a = userdata;
        int argc = (int) strv_length((char *const *) a->argv);
        char **argv = strv_copy((char *const *) a->argv);
        int r;

        r = run_parse_args(argc, argv, a->boot, a->base, &a->result);
        strv_free(argv);
        return r;
}

/* Parses argv; returns the settings (NULL on failure) and, in *ret_err, what went to stderr. */
static Settings *run_args(const char *const *argv, bool boot, Settings *base, int *ret, char **ret_err) {
        Args a = { .argv = argv, .boot = boot, .base = base };
        char *err = capture(STDERR_FILENO, parse, &a, ret);

        if (ret_err)
                *ret_err = err;
        else
                free(err);
        return *ret == 0 ? a.result : NULL;
}

static void refused(const char *arg, const char *message) {
        char *err = NULL;
        int r;
        Settings *s = run_args(STRV_MAKE("run", "-D", "/srv/tree", arg), false, NULL, &r, &err);

        CHECK_MSG(r == EXIT_BERTH_USAGE && !s, "%s is a usage error", arg);
        if (!CHECK_MSG(err && strncmp(err, message, strlen(message)) == 0 && strchr(err, '\n') == err + strlen(err) - 1,
                       "%s: one line starting '%s'", arg, message))
                tap_diag("stderr: %s", err ?: "(nothing)");
        free(err);
        settings_free(s);
}

static int show_help(void *userdata) {
        int r;
        Settings *s = run_args(STRV_MAKE("run", "--help"), false, NULL, &r, NULL);

        settings_free(s);
        return r;
}

int main(void) {
        static const struct option base_options[] = {
                { "help", no_argument, NULL, 'h' },
                { "machine", required_argument, NULL, 'M' },
                {},
        };
        struct option *all;
        char **ignored = NULL, *out;
        unsigned line = 0;
        Settings *s, *base;
        size_t n = 0;
        int r;

        /* The table: the caller's options, then one per limit, each with its value. */
        all = limit_options_append(base_options);
        CHECK(all && streq(all[0].name, "help") && streq(all[1].name, "machine"));
        for (struct option *o = all + 2; o->name; o++, n++)
                CHECK_MSG(o->has_arg == required_argument && limit_option_is(o->val) &&
                                  streq(o->name, cgroup_limit_options[o->val - LIMIT_OPTION_FIRST].option),
                          "--%s is a limit option", o->name);
        CHECK_UINT(n, ==, 15);
        CHECK(!limit_option_is('h') && !limit_option_is(LIMIT_OPTION_FIRST + 15) &&
              !limit_option_is(LIMIT_OPTION_FIRST - 1));
        free(all);

        /* Every option, into settings->limits and settings->slice. */
        s = run_args(STRV_MAKE("run", "-D", "/srv/tree", "--memory-max=1G", "--memory-high=512M",
                               "--memory-swap-max=0", "--cpu-weight=50", "--cpu-quota=150%",
                               "--cpu-quota-period=10ms", "--cpuset-cpus=0 2-3", "--cpuset-mems=0",
                               "--pids-max=100", "--io-weight=200", "--io-read-bandwidth-max=/dev/sda 10M",
                               "--io-write-bandwidth-max=/dev/sda infinity", "--io-read-iops-max=/dev/sdb 1K",
                               "--io-write-iops-max=/dev/sdb 2", "--oom-policy=kill", "--slice=tenants", "--",
                               "true"),
                     false, NULL, &r, NULL);
        CHECK_INT(r, ==, 0);
        if (s) {
                CHECK_UINT(s->limits.memory_max, ==, UINT64_C(1) << 30);
                CHECK_UINT(s->limits.memory_high, ==, UINT64_C(512) << 20);
                CHECK_UINT(s->limits.memory_swap_max, ==, 0);
                CHECK_UINT(s->limits.cpu_weight, ==, 50);
                CHECK_UINT(s->limits.cpu_quota_usec, ==, 1500000);
                CHECK_UINT(s->limits.cpu_period_usec, ==, 10000);
                CHECK_STR(s->limits.cpuset_cpus, "0,2-3");
                CHECK_STR(s->limits.cpuset_mems, "0");
                CHECK_UINT(s->limits.pids_max, ==, 100);
                CHECK_UINT(s->limits.io_weight, ==, 200);
                CHECK_UINT(s->limits.n_io_devices, ==, 2);
                CHECK_INT(s->limits.oom_kill_group, ==, 1);
                CHECK_STR(s->slice, "machine-tenants.slice");
                CHECK_STR(s->command ? s->command[0] : NULL, "true");
                CHECK_UINT(cgroup_limits_controllers(&s->limits), ==, _CGROUP_CONTROLLER_ALL);
        }
        settings_free(s);

        /* boot takes them too; no limits, nothing set. */
        s = run_args(STRV_MAKE("boot", "-D", "/srv/tree", "--pids-max=infinity", "--slice=a-b.slice"), true, NULL,
                     &r, NULL);
        CHECK_INT(r, ==, 0);
        CHECK(s && s->boot && s->limits.pids_max == CGROUP_LIMIT_MAX);
        CHECK_STR(s ? s->slice : NULL, "a-b.slice");
        settings_free(s);
        s = run_args(STRV_MAKE("run", "-D", "/srv/tree"), false, NULL, &r, NULL);
        CHECK(s && cgroup_limits_is_empty(&s->limits) && !s->slice);
        settings_free(s);

        /* Over a settings file: what the command line sets wins, one device's key at a time. */
        base = settings_new();
        CHECK_INT(settings_file_apply(base,
                                      "[Resources]\nMemoryMax=2G\nCPUWeight=50\nIOReadBandwidthMax=/dev/sda 1M\n"
                                      "IOWriteBandwidthMax=/dev/sda 2M\nTasksMax=10\nSlice=a.slice\n",
                                      true, &ignored, &line),
                  ==, 0);
        strv_free(ignored);
        s = run_args(STRV_MAKE("run", "-D", "/srv/tree", "--memory-max=1G", "--io-read-bandwidth-max=/dev/sda 5M",
                               "--pids-max="),
                     false, base, &r, NULL);
        CHECK_INT(r, ==, 0);
        if (s) {
                CHECK_UINT(s->limits.memory_max, ==, UINT64_C(1) << 30);
                CHECK_UINT(s->limits.cpu_weight, ==, 50);
                CHECK_UINT(s->limits.pids_max, ==, CGROUP_LIMIT_UNSET); /* an empty value unsets */
                CHECK_UINT(s->limits.n_io_devices, ==, 1);
                CHECK_UINT(s->limits.io_devices[0].rbps, ==, 5000000);
                CHECK_UINT(s->limits.io_devices[0].wbps, ==, 2000000);
                CHECK_STR(s->slice, "a.slice");
        }
        settings_free(s);
        base = settings_new();
        base->slice = strdup("a.slice");
        s = run_args(STRV_MAKE("run", "-D", "/srv/tree", "--slice="), false, base, &r, NULL);
        CHECK(r == 0 && s && !s->slice); /* back to machine.slice */
        settings_free(s);

        /* Bad values: the usage exit code and "berth: --option=value: what is expected". */
        refused("--memory-max=12Q", "berth: --memory-max=12Q: expected bytes");
        refused("--memory-high=-1", "berth: --memory-high=-1: expected bytes");
        refused("--memory-swap-max=1.5", "berth: --memory-swap-max=1.5: expected bytes");
        refused("--cpu-weight=0", "berth: --cpu-weight=0: expected a weight from 1 to 10000");
        refused("--cpu-weight=idle", "berth: --cpu-weight=idle: idle is not supported");
        refused("--cpu-quota=150", "berth: --cpu-quota=150: expected a percentage");
        refused("--cpu-quota-period=2s", "berth: --cpu-quota-period=2s: expected a time span from 1ms to 1s");
        refused("--cpuset-cpus=3-1", "berth: --cpuset-cpus=3-1: expected CPU numbers");
        refused("--cpuset-mems=1024", "berth: --cpuset-mems=1024: expected memory node numbers");
        refused("--pids-max=5000000", "berth: --pids-max=5000000: expected a number of tasks");
        refused("--io-weight=10001", "berth: --io-weight=10001: expected a weight");
        refused("--io-read-bandwidth-max=/dev/sda", "berth: --io-read-bandwidth-max=/dev/sda: expected an absolute");
        refused("--io-write-bandwidth-max=sda 5M", "berth: --io-write-bandwidth-max=sda 5M: expected an absolute");
        refused("--io-read-iops-max=/dev/sda 0", "berth: --io-read-iops-max=/dev/sda 0: expected");
        refused("--io-write-iops-max= 5", "berth: --io-write-iops-max= 5: expected");
        refused("--oom-policy=stop", "berth: --oom-policy=stop: expected kill or continue");
        refused("--slice=a--b", "berth: --slice=a--b: expected NAME");
        refused("--slice=-x", "berth: --slice=-x: expected NAME");
        refused("--memory-max=1\nG", "berth: --memory-max=…: ");
        refused("--memory-max", "berth: run: option '--memory-max' is unknown or misses its value");

        /* The help names them. */
        out = capture(STDOUT_FILENO, show_help, NULL, &r);
        CHECK_INT(r, ==, 0);
        for (const CgroupLimitOption *o = cgroup_limit_options; o->option; o++) {
                char want[64];

                snprintf(want, sizeof(want), "--%s=%s ", o->option, o->arg);
                CHECK_MSG(out && strstr(out, want), "--help shows %s", want);
        }
        CHECK_MSG(out && strstr(out, "--slice=NAME"), "--help shows --slice=NAME");
        free(out);
        return tap_finish();
}
