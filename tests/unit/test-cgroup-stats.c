/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/cgroup/cgroup-stats.c and cgroup-freeze.c: the parsers on texts the kernel writes, and the readers
 * on a directory of plain files standing in for a cgroup (a pure cgroup v2 host, a hybrid one, a kernel
 * without memory.peak). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-freeze.h"
#include "cgroup-stats.h"
#include "fd-util.h"
#include "tap.h"

static void test_single_value(void) {
        uint64_t v = 0;

        CHECK_INT(cgroup_parse_single_value("123\n", &v), ==, 0);
        CHECK_UINT(v, ==, 123);
        CHECK_INT(cgroup_parse_single_value("0", &v), ==, 0);
        CHECK_UINT(v, ==, 0);
        CHECK_INT(cgroup_parse_single_value("18446744073709551615\n", &v), ==, 0);
        CHECK_UINT(v, ==, UINT64_MAX);
        CHECK_INT(cgroup_parse_single_value("18446744073709551616\n", &v), ==, -ERANGE);
        CHECK_INT(cgroup_parse_single_value("", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_single_value("\n", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_single_value("max\n", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_single_value("-1\n", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_single_value("12 34\n", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_single_value("12\n34\n", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_single_value("12x\n", &v), ==, -EINVAL);
}

/* cpu.stat of a cgroup on a hybrid host (no cpu controller) and of one with it. */
static const char cpu_stat_hybrid[] = "usage_usec 1490891\nuser_usec 1486905\nsystem_usec 3986\n"
                                      "core_sched.force_idle_usec 0\n";
static const char cpu_stat_full[] = "usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\n"
                                    "core_sched.force_idle_usec 0\nnr_periods 10\nnr_throttled 4\n"
                                    "throttled_usec 777\nnr_bursts 0\nburst_usec 0\n";
static const char memory_events[] = "low 0\nhigh 3\nmax 5\noom 1\noom_kill 2\noom_group_kill 0\n";

static void test_flat_keyed(void) {
        uint64_t v = 0;

        CHECK_INT(cgroup_parse_flat_keyed(cpu_stat_hybrid, "usage_usec", &v), ==, 0);
        CHECK_UINT(v, ==, 1490891);
        CHECK_INT(cgroup_parse_flat_keyed(cpu_stat_hybrid, "system_usec", &v), ==, 0);
        CHECK_UINT(v, ==, 3986);
        CHECK_INT(cgroup_parse_flat_keyed(cpu_stat_hybrid, "nr_throttled", &v), ==, -ENOENT);
        CHECK_INT(cgroup_parse_flat_keyed(cpu_stat_full, "throttled_usec", &v), ==, 0);
        CHECK_UINT(v, ==, 777);
        CHECK_INT(cgroup_parse_flat_keyed(cpu_stat_full, "burst_usec", &v), ==, 0);
        CHECK_UINT(v, ==, 0);

        /* A key is a whole word at the start of a line: "oom" is not "oom_kill", nor "oom_group_kill". */
        CHECK_INT(cgroup_parse_flat_keyed(memory_events, "oom", &v), ==, 0);
        CHECK_UINT(v, ==, 1);
        CHECK_INT(cgroup_parse_flat_keyed(memory_events, "oom_kill", &v), ==, 0);
        CHECK_UINT(v, ==, 2);
        CHECK_INT(cgroup_parse_flat_keyed(memory_events, "max", &v), ==, 0);
        CHECK_UINT(v, ==, 5);
        CHECK_INT(cgroup_parse_flat_keyed(memory_events, "oom_", &v), ==, -ENOENT);
        CHECK_INT(cgroup_parse_flat_keyed("xusage_usec 5\nusage_usec 7\n", "usage_usec", &v), ==, 0);
        CHECK_UINT(v, ==, 7);
        CHECK_INT(cgroup_parse_flat_keyed("a 1\nb 2", "b", &v), ==, 0); /* no final newline */
        CHECK_UINT(v, ==, 2);

        CHECK_INT(cgroup_parse_flat_keyed("", "a", &v), ==, -ENOENT);
        CHECK_INT(cgroup_parse_flat_keyed("a\n", "a", &v), ==, -ENOENT);
        CHECK_INT(cgroup_parse_flat_keyed("a 1\n", "", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_flat_keyed("a 1\n", "a 1", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_flat_keyed("a x\n", "a", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_flat_keyed("a 5x\n", "a", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_flat_keyed("a \n", "a", &v), ==, -EINVAL);
        CHECK_INT(cgroup_parse_flat_keyed("a 99999999999999999999\n", "a", &v), ==, -ERANGE);
}

static void test_io_stat(void) {
        CgroupIOStat io = { 1, 1, 1, 1 };

        CHECK_INT(cgroup_parse_io_stat("", &io), ==, 0);
        CHECK_MSG(io.rbytes == 0 && io.wbytes == 0 && io.rios == 0 && io.wios == 0, "empty io.stat: all zero");

        CHECK_INT(cgroup_parse_io_stat("8:0 rbytes=1000 wbytes=2000 rios=3 wios=4 dbytes=5 dios=6\n"
                                       "253:1 rbytes=10 wbytes=20 rios=30 wios=40 dbytes=0 dios=0\n",
                                       &io),
                  ==, 0);
        CHECK_UINT(io.rbytes, ==, 1010);
        CHECK_UINT(io.wbytes, ==, 2020);
        CHECK_UINT(io.rios, ==, 33);
        CHECK_UINT(io.wios, ==, 44);

        /* io.cost adds keys; a device line may lack some; keys may come in any order. */
        CHECK_INT(cgroup_parse_io_stat("259:0 wbytes=7 rbytes=1 cost.vrate=100.00 cost.usage=12\n"
                                       "259:2 rios=2\n",
                                       &io),
                  ==, 0);
        CHECK_MSG(io.rbytes == 1 && io.wbytes == 7 && io.rios == 2 && io.wios == 0,
                  "unknown keys skipped, missing keys add nothing");

        /* Lines that are not MAJOR:MINOR are skipped; a device without keys is fine. */
        CHECK_INT(cgroup_parse_io_stat("garbage rbytes=5\n8:16\n:1 rbytes=5\n8: rbytes=5\n8:1 rbytes=5", &io),
                  ==, 0);
        CHECK_UINT(io.rbytes, ==, 5);

        /* A value of a summed key that is not a number is an error, not a silent 0. */
        CHECK_INT(cgroup_parse_io_stat("8:0 rbytes=x\n", &io), ==, -EINVAL);
        CHECK_INT(cgroup_parse_io_stat("8:0 rbytes=5x\n", &io), ==, -EINVAL);
        CHECK_INT(cgroup_parse_io_stat("8:0 rbytes=\n", &io), ==, -EINVAL);
        CHECK_INT(cgroup_parse_io_stat("8:0 rbytes=99999999999999999999\n", &io), ==, -ERANGE);

        /* The sum saturates instead of wrapping. */
        CHECK_INT(cgroup_parse_io_stat("8:0 rbytes=18446744073709551615\n8:1 rbytes=2\n", &io), ==, 0);
        CHECK_UINT(io.rbytes, ==, UINT64_MAX);
}

/* A temporary directory standing in for a cgroup. */
static int make_dir(char *template) {
        int fd;

        if (!mkdtemp(template))
                return -errno;
        fd = open(template, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static void put(int dir_fd, const char *name, const char *text) {
        int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || loop_write(fd, text, strlen(text)) < 0) {
                tap_diag("cannot write %s: %s", name, strerror(errno));
                abort();
        }
        close(fd);
}

static void remove_dir(const char *path, int dir_fd) {
        static const char *const names[] = {
                "cpu.stat",     "memory.current",       "memory.peak", "memory.swap.current", "memory.stat",
                "memory.events", "pids.current",        "pids.events", "io.stat",             "cgroup.events",
                "cgroup.freeze", "payload/cgroup.events", "payload/cgroup.freeze",
        };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                (void) unlinkat(dir_fd, names[i], 0);
        (void) unlinkat(dir_fd, "payload", AT_REMOVEDIR);
        close(dir_fd);
        (void) rmdir(path);
}

static void test_read_pure_v2(void) {
        char dir[] = "/tmp/berth-test-cgroup-stats-XXXXXX";
        int fd = make_dir(dir);
        CgroupStats s;

        if (!CHECK_MSG(fd >= 0, "a temporary directory for a pure cgroup v2 scope"))
                return;
        put(fd, "cpu.stat", cpu_stat_full);
        put(fd, "memory.current", "12582912\n");
        put(fd, "memory.peak", "31562138\n");
        put(fd, "memory.swap.current", "0\n");
        put(fd, "memory.stat", "anon 4096\nfile 8192\nkernel 1024\nkernel_stack 512\nshmem 0\nfile_mapped 0\n");
        put(fd, "memory.events", memory_events);
        put(fd, "pids.current", "5\n");
        put(fd, "pids.events", "max 7\n");
        put(fd, "io.stat", "8:0 rbytes=1258291 wbytes=0 rios=12 wios=0 dbytes=0 dios=0\n");
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        put(fd, "cgroup.freeze", "0\n");
        CHECK(mkdirat(fd, "payload", 0755) == 0);
        put(fd, "payload/cgroup.events", "populated 1\nfrozen 1\n");
        put(fd, "payload/cgroup.freeze", "1\n");

        CHECK_INT(cgroup_stats_read(fd, &s), ==, 0);
        CHECK_UINT(s.cpu_usage_usec, ==, 5000);
        CHECK_UINT(s.cpu_user_usec, ==, 3000);
        CHECK_UINT(s.cpu_system_usec, ==, 2000);
        CHECK_UINT(s.cpu_nr_throttled, ==, 4);
        CHECK_UINT(s.cpu_throttled_usec, ==, 777);
        CHECK_UINT(s.memory_current, ==, 12582912);
        CHECK_UINT(s.memory_peak, ==, 31562138);
        CHECK_UINT(s.memory_swap_current, ==, 0);
        CHECK_UINT(s.memory_anon, ==, 4096);
        CHECK_UINT(s.memory_file, ==, 8192);
        CHECK_UINT(s.memory_kernel, ==, 1024);
        CHECK_UINT(s.memory_shmem, ==, 0);
        CHECK_UINT(s.memory_events_oom, ==, 1);
        CHECK_UINT(s.memory_events_oom_kill, ==, 2);
        CHECK_UINT(s.memory_events_max, ==, 5);
        CHECK_UINT(s.memory_events_high, ==, 3);
        CHECK_UINT(s.pids_current, ==, 5);
        CHECK_UINT(s.pids_events_max, ==, 7);
        CHECK_UINT(s.io_read_bytes, ==, 1258291);
        CHECK_UINT(s.io_write_bytes, ==, 0);
        CHECK_UINT(s.io_read_ops, ==, 12);
        CHECK_UINT(s.io_write_ops, ==, 0);
        /* The freezer is the payload's, not the scope's. */
        CHECK_INT(s.freeze, ==, 1);
        CHECK_INT(s.frozen, ==, 1);

        /* A kernel before 5.19 has no memory.peak; a malformed file is as good as none. */
        CHECK(unlinkat(fd, "memory.peak", 0) == 0);
        put(fd, "pids.current", "many\n");
        CHECK_INT(cgroup_stats_read(fd, &s), ==, 0);
        CHECK_MSG(!cgroup_stat_known(s.memory_peak), "no memory.peak: peak unknown");
        CHECK_MSG(!cgroup_stat_known(s.pids_current), "malformed pids.current: unknown");
        CHECK_UINT(s.memory_current, ==, 12582912);

        remove_dir(dir, fd);
}

static void test_read_hybrid(void) {
        char dir[] = "/tmp/berth-test-cgroup-stats-XXXXXX";
        int fd = make_dir(dir);
        CgroupStats s;

        if (!CHECK_MSG(fd >= 0, "a temporary directory for a scope on a hybrid host"))
                return;

        /* No cpu.stat: not a cgroup (or gone). */
        CHECK_INT(cgroup_stats_read(fd, &s), ==, -ENOENT);

        /* What the v2 tree of a hybrid host has: core files only, and no payload child here. */
        put(fd, "cpu.stat", cpu_stat_hybrid);
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        put(fd, "cgroup.freeze", "0\n");
        CHECK_INT(cgroup_stats_read(fd, &s), ==, 0);
        CHECK_UINT(s.cpu_usage_usec, ==, 1490891);
        CHECK_UINT(s.cpu_user_usec, ==, 1486905);
        CHECK_UINT(s.cpu_system_usec, ==, 3986);
        CHECK_MSG(!cgroup_stat_known(s.cpu_nr_throttled) && !cgroup_stat_known(s.cpu_throttled_usec),
                  "hybrid: throttling unknown");
        CHECK_MSG(!cgroup_stat_known(s.memory_current) && !cgroup_stat_known(s.memory_peak) &&
                          !cgroup_stat_known(s.memory_swap_current) && !cgroup_stat_known(s.memory_anon) &&
                          !cgroup_stat_known(s.memory_events_oom_kill),
                  "hybrid: memory unknown");
        CHECK_MSG(!cgroup_stat_known(s.pids_current) && !cgroup_stat_known(s.pids_events_max),
                  "hybrid: pids unknown");
        CHECK_MSG(!cgroup_stat_known(s.io_read_bytes) && !cgroup_stat_known(s.io_write_ops), "hybrid: io unknown");
        CHECK_INT(s.freeze, ==, 0);
        CHECK_INT(s.frozen, ==, 0);

        /* Without a payload child the cgroup's own freezer counts. */
        put(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        CHECK_INT(cgroup_stats_read(fd, &s), ==, 0);
        CHECK_INT(s.frozen, ==, 1);

        /* A kernel without a freezer (before 5.2): unknown. */
        put(fd, "cgroup.events", "populated 1\n");
        CHECK(unlinkat(fd, "cgroup.freeze", 0) == 0);
        CHECK_INT(cgroup_stats_read(fd, &s), ==, 0);
        CHECK_INT(s.freeze, ==, -1);
        CHECK_INT(s.frozen, ==, -1);

        remove_dir(dir, fd);
}

static void test_freeze(void) {
        char dir[] = "/tmp/berth-test-cgroup-stats-XXXXXX";
        int fd = make_dir(dir);

        if (!CHECK_MSG(fd >= 0, "a temporary directory for a freezer"))
                return;

        /* No cgroup.freeze: no freezer. */
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        CHECK_INT(cgroup_freeze(fd, true, 1000), ==, -EOPNOTSUPP);
        CHECK_INT(cgroup_freeze_requested(fd), ==, -EOPNOTSUPP);

        /* Already where it is asked to be: done at once. (A plain file is not truncated by the write, as
         * a cgroup file needs no truncating: keep what is written one character long.) */
        put(fd, "cgroup.freeze", "0\n");
        CHECK_INT(cgroup_freeze_requested(fd), ==, 0);
        put(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        CHECK_INT(cgroup_freeze(fd, true, 1000), ==, 0);
        CHECK_INT(cgroup_freeze_requested(fd), ==, 1);

        /* A freeze that never completes (nothing here changes cgroup.events) times out and is undone. */
        put(fd, "cgroup.events", "populated 1\nfrozen 0\n");
        CHECK_INT(cgroup_freeze(fd, true, 150 * 1000), ==, -ETIMEDOUT);
        CHECK_INT(cgroup_freeze_requested(fd), ==, 0);

        /* A thaw that never completes times out, and cgroup.freeze stays 0. */
        put(fd, "cgroup.events", "populated 1\nfrozen 1\n");
        CHECK_INT(cgroup_freeze(fd, false, 150 * 1000), ==, -ETIMEDOUT);
        CHECK_INT(cgroup_freeze_requested(fd), ==, 0);

        /* A cgroup.events without "frozen" means no freezer. */
        put(fd, "cgroup.events", "populated 1\n");
        CHECK_INT(cgroup_freeze(fd, true, 1000), ==, -EOPNOTSUPP);

        remove_dir(dir, fd);
}

int main(void) {
        test_single_value();
        test_flat_keyed();
        test_io_stat();
        test_read_pure_v2();
        test_read_hybrid();
        test_freeze();
        return tap_finish();
}
