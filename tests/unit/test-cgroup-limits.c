/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/cgroup/cgroup-limits.c: every [Resources] key, its units and errors, formatting back, merging, and
 * the cgroup files, written to and read from a directory of plain files standing in for a cgroup. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup-limits.h"
#include "fd-util.h"
#include "strv.h"
#include "tap.h"

#define GiB (UINT64_C(1) << 30)

static const CgroupHostFacts host = { .physical_memory = 8 * GiB, .pid_max = 32768 };

/* TAP's own skip, which tap.h's descriptions cannot carry (they lose '#'). */
static void skip(const char *what, const char *why) {
        tap_count++;
        printf("ok %u - %s # SKIP %s\n", tap_count, what, why);
        fflush(stdout);
}

/* ---- one key at a time ---- */

static uint64_t field(const CgroupLimits *l, size_t offset) {
        return *(const uint64_t *) ((const char *) l + offset);
}

static void u64_ok(const char *key, const char *value, size_t offset, uint64_t expected) {
        CgroupLimits l;
        char *error = NULL;
        int r;

        cgroup_limits_init(&l);
        r = cgroup_limit_set(&l, key, value, &host, &error);
        if (!CHECK_MSG(r == 0, "%s=%s parses", key, value))
                tap_diag("r = %d, error: %s", r, error ?: "(none)");
        else if (!CHECK_MSG(field(&l, offset) == expected, "%s=%s is %ju", key, value, (uintmax_t) expected))
                tap_diag("got %ju", (uintmax_t) field(&l, offset));
        free(error);
        cgroup_limits_done(&l);
}

static void fails(const char *key, const char *value, const char *why) {
        CgroupLimits l;
        char *error = NULL;
        int r;

        cgroup_limits_init(&l);
        r = cgroup_limit_set(&l, key, value, &host, &error);
        if (!CHECK_MSG(r == -EINVAL, "%s= refuses %s", key, why))
                tap_diag("value '%s': r = %d", value, r);
        /* One line that names the key and what it expects. */
        CHECK_MSG(error && strncmp(error, key, strlen(key)) == 0 && error[strlen(key)] == '=' &&
                          strstr(error, ": ") && !strchr(error, '\n'),
                  "%s= error for %s is one line naming the key", key, why);
        CHECK_MSG(cgroup_limits_is_empty(&l), "%s= refusing %s leaves the limits as they were", key, why);
        free(error);
        cgroup_limits_done(&l);
}

static void list_ok(const char *key, const char *value, const char *expected) {
        CgroupLimits l;
        const char *got;
        int r;

        cgroup_limits_init(&l);
        r = cgroup_limit_set(&l, key, value, &host, NULL);
        got = streq(key, "AllowedCPUs") ? l.cpuset_cpus : l.cpuset_mems;
        if (!CHECK_MSG(r == 0 && got && streq(got, expected), "%s=%s is '%s'", key, value, expected))
                tap_diag("r = %d, got '%s'", r, got ?: "(null)");
        cgroup_limits_done(&l);
}

#define MEM(v, e)    u64_ok("MemoryMax", v, offsetof(CgroupLimits, memory_max), e)
#define QUOTA(v, e)  u64_ok("CPUQuota", v, offsetof(CgroupLimits, cpu_quota_usec), e)
#define PERIOD(v, e) u64_ok("CPUQuotaPeriodSec", v, offsetof(CgroupLimits, cpu_period_usec), e)
#define TASKS(v, e)  u64_ok("TasksMax", v, offsetof(CgroupLimits, pids_max), e)

static void test_memory(void) {
        MEM("100", 100);
        MEM("100B", 100);
        MEM("0", 0); /* the kernel takes memory.max=0 */
        MEM("1K", 1024);
        MEM("512M", 512ULL << 20);
        MEM("512 M", 512ULL << 20);
        MEM("1.5G", 3 * GiB / 2);
        MEM("0.5K", 512);
        MEM("2T", 2ULL << 40);
        MEM("1P", 1ULL << 50);
        MEM("1E", 1ULL << 60);
        MEM("15E", 15ULL << 60);
        MEM(" 1G ", GiB);
        MEM("18446744073709551613", CGROUP_LIMIT_MAX - 1);
        MEM("infinity", CGROUP_LIMIT_MAX);
        MEM("50%", 4 * GiB);
        MEM("12.5%", GiB);
        MEM("100%", 8 * GiB);
        MEM("0%", 0);
        u64_ok("MemoryHigh", "1G", offsetof(CgroupLimits, memory_high), GiB);
        u64_ok("MemoryHigh", "infinity", offsetof(CgroupLimits, memory_high), CGROUP_LIMIT_MAX);
        u64_ok("MemorySwapMax", "0", offsetof(CgroupLimits, memory_swap_max), 0);
        u64_ok("MemorySwapMax", "25%", offsetof(CgroupLimits, memory_swap_max), 2 * GiB);

        fails("MemoryMax", "12Q", "an unknown suffix");
        fails("MemoryMax", "1g", "a lower-case suffix");
        fails("MemoryMax", "1KB", "two suffixes");
        fails("MemoryMax", "-1", "a negative number");
        fails("MemoryMax", "+1", "a sign");
        fails("MemoryMax", "0x10", "hexadecimal");
        fails("MemoryMax", "1e3", "an exponent");
        fails("MemoryMax", "1.5", "a fraction of a byte");
        fails("MemoryMax", "1.G", "a dot without digits");
        fails("MemoryMax", "G", "a suffix alone");
        fails("MemoryMax", "1G garbage", "trailing garbage");
        fails("MemoryMax", "16E", "2^64 bytes");
        fails("MemoryMax", "18446744073709551614", "the value that means infinity");
        fails("MemoryMax", "99999999999999999999", "overflow");
        fails("MemoryMax", "101%", "more than 100%");
        fails("MemoryMax", "50.125%", "three decimals");
        fails("MemoryMax", "%", "a percent sign alone");
        fails("MemoryMax", "-5%", "a negative percentage");
        fails("MemoryMax", "Infinity", "Infinity capitalized");
        fails("MemoryHigh", "1Z", "an unknown suffix");
        fails("MemorySwapMax", "max", "the file's own spelling");
}

static void test_percent_without_host(void) {
        CgroupLimits l;
        char *error = NULL;

        cgroup_limits_init(&l);
        CHECK_INT(cgroup_limit_set(&l, "MemoryMax", "50%", NULL, &error), ==, -EINVAL);
        CHECK_MSG(error && strstr(error, "physical memory"), "a percentage without the host's facts says why");
        free(error);
        error = NULL;
        CHECK_INT(cgroup_limit_set(&l, "TasksMax", "50%", NULL, &error), ==, -EINVAL);
        CHECK_MSG(error && strstr(error, "pid_max"), "TasksMax= percentage without the host's facts says why");
        free(error);
        /* CPUQuota= is a percentage of one CPU, not of anything on the host. */
        CHECK_INT(cgroup_limit_set(&l, "CPUQuota", "50%", NULL, NULL), ==, 0);
        CHECK_UINT(l.cpu_quota_usec, ==, 500000);
        cgroup_limits_done(&l);
}

static void test_weights(void) {
        const char *keys[] = { "CPUWeight", "IOWeight" };
        const size_t offsets[] = { offsetof(CgroupLimits, cpu_weight), offsetof(CgroupLimits, io_weight) };

        for (size_t i = 0; i < 2; i++) {
                CgroupLimits l;
                char *error = NULL;

                u64_ok(keys[i], "1", offsets[i], 1);
                u64_ok(keys[i], "100", offsets[i], 100);
                u64_ok(keys[i], "10000", offsets[i], 10000);
                fails(keys[i], "0", "zero (the kernel refuses it)");
                fails(keys[i], "10001", "more than 10000");
                fails(keys[i], "-5", "a negative weight");
                fails(keys[i], "1.5", "a fraction");
                fails(keys[i], "5K", "a suffix");
                fails(keys[i], "abc", "a word");
                fails(keys[i], "infinity", "infinity");

                cgroup_limits_init(&l);
                CHECK_INT(cgroup_limit_set(&l, keys[i], "idle", &host, &error), ==, -EINVAL);
                CHECK_MSG(error && strstr(error, "idle is not supported"), "%s=idle says it is not supported",
                          keys[i]);
                free(error);
                cgroup_limits_done(&l);
        }
}

static void test_cpu_quota(void) {
        QUOTA("150%", 1500000);
        QUOTA("100%", 1000000);
        QUOTA("1%", 10000);
        QUOTA("0.5%", 5000);
        QUOTA("12.3456%", 123456);
        QUOTA("0.0001%", 1);
        QUOTA("1000000%", UINT64_C(10000000000));
        QUOTA("infinity", CGROUP_LIMIT_MAX);
        fails("CPUQuota", "0%", "zero");
        fails("CPUQuota", "0.00%", "zero with decimals");
        fails("CPUQuota", "150", "a number without %");
        fails("CPUQuota", "1000001%", "more than 10000 CPUs");
        fails("CPUQuota", "1.23456%", "five decimals");
        fails("CPUQuota", "-5%", "a negative percentage");
        fails("CPUQuota", "abc%", "a word");
        fails("CPUQuota", "50 %", "a blank before %");

        PERIOD("10ms", 10000);
        PERIOD("1ms", 1000);
        PERIOD("1s", 1000000);
        PERIOD("1", 1000000);
        PERIOD("0.5s", 500000);
        PERIOD("1000us", 1000);
        PERIOD("2500usec", 2500);
        PERIOD("20msec", 20000);
        PERIOD("100 ms", 100000);
        PERIOD("1.5ms", 1500);
        PERIOD("500ms 500ms", 1000000);
        PERIOD("1sec", 1000000);
        fails("CPUQuotaPeriodSec", "999us", "less than 1ms");
        fails("CPUQuotaPeriodSec", "1.5s", "more than 1s");
        fails("CPUQuotaPeriodSec", "2s", "two seconds");
        fails("CPUQuotaPeriodSec", "0", "zero");
        fails("CPUQuotaPeriodSec", "10xs", "an unknown unit");
        fails("CPUQuotaPeriodSec", "ms", "a unit alone");
        fails("CPUQuotaPeriodSec", "-10ms", "a negative span");
        fails("CPUQuotaPeriodSec", "infinity", "infinity");
        fails("CPUQuotaPeriodSec", "99999999999999999999s", "overflow");
}

static void test_cpusets(void) {
        list_ok("AllowedCPUs", "0-3,6", "0-3,6");
        list_ok("AllowedCPUs", "0 2", "0,2");
        list_ok("AllowedCPUs", "3,2,1,0", "0-3");
        list_ok("AllowedCPUs", "0-1 1-2", "0-2");
        list_ok("AllowedCPUs", "5-5", "5");
        list_ok("AllowedCPUs", "1,,2", "1-2");
        list_ok("AllowedCPUs", "0,2,4-5, 7", "0,2,4-5,7");
        list_ok("AllowedCPUs", "8191", "8191");
        list_ok("AllowedCPUs", "0-8191", "0-8191");
        list_ok("AllowedMemoryNodes", "0-1", "0-1");
        list_ok("AllowedMemoryNodes", "1023", "1023");
        fails("AllowedCPUs", "8192", "a CPU above the bound");
        fails("AllowedCPUs", "0-8192", "a range past the bound");
        fails("AllowedCPUs", "3-1", "a reversed range");
        fails("AllowedCPUs", "1-", "an open range");
        fails("AllowedCPUs", "-1", "a negative number");
        fails("AllowedCPUs", "a", "a word");
        fails("AllowedCPUs", ",", "a list of nothing");
        fails("AllowedCPUs", "1;2", "another separator");
        fails("AllowedCPUs", "99999999999999999999", "overflow");
        fails("AllowedMemoryNodes", "1024", "a node above the bound");
}

static void test_tasks(void) {
        TASKS("100", 100);
        TASKS("0", 0);
        TASKS("4194304", 4194304);
        TASKS("infinity", CGROUP_LIMIT_MAX);
        TASKS("10%", 3276);
        TASKS("100%", 32768);
        TASKS("0.5%", 163);
        fails("TasksMax", "4194305", "more than the kernel's PID_MAX_LIMIT");
        fails("TasksMax", "101%", "more than 100%");
        fails("TasksMax", "-1", "a negative number");
        fails("TasksMax", "1K", "a suffix");
        fails("TasksMax", "max", "the file's own spelling");
}

static void test_io_devices(void) {
        CgroupLimits l;
        char *error = NULL;

        cgroup_limits_init(&l);
        CHECK_INT(cgroup_limit_set(&l, "IOReadBandwidthMax", "/dev/sda 10M", &host, NULL), ==, 0);
        CHECK_UINT(l.n_io_devices, ==, 1);
        CHECK_STR(l.io_devices[0].path, "/dev/sda");
        CHECK_UINT(l.io_devices[0].rbps, ==, 10000000); /* base 1000, as systemd has it for IO */
        CHECK_UINT(l.io_devices[0].wbps, ==, CGROUP_LIMIT_UNSET);

        /* The same device, written differently: the same entry, its value replaced. */
        CHECK_INT(cgroup_limit_set(&l, "IOReadBandwidthMax", "//dev/sda/  1.5K", &host, NULL), ==, 0);
        CHECK_UINT(l.n_io_devices, ==, 1);
        CHECK_UINT(l.io_devices[0].rbps, ==, 1500);
        CHECK_INT(cgroup_limit_set(&l, "IOWriteBandwidthMax", "/dev/sda infinity", &host, NULL), ==, 0);
        CHECK_UINT(l.io_devices[0].wbps, ==, CGROUP_LIMIT_MAX);
        CHECK_INT(cgroup_limit_set(&l, "IOReadIOPSMax", "/dev/sdb 100", &host, NULL), ==, 0);
        CHECK_INT(cgroup_limit_set(&l, "IOWriteIOPSMax", "/dev/sdb 2K", &host, NULL), ==, 0);
        CHECK_UINT(l.n_io_devices, ==, 2);
        CHECK_UINT(l.io_devices[1].riops, ==, 100);
        CHECK_UINT(l.io_devices[1].wiops, ==, 2000);
        CHECK_UINT(cgroup_limits_controllers(&l), ==, CGROUP_CONTROLLER_IO);

        /* An empty value resets that key on every device; a device with nothing left goes. */
        CHECK_INT(cgroup_limit_set(&l, "IOReadBandwidthMax", "", &host, NULL), ==, 0);
        CHECK_UINT(l.n_io_devices, ==, 2);
        CHECK_UINT(l.io_devices[0].rbps, ==, CGROUP_LIMIT_UNSET);
        CHECK_UINT(l.io_devices[0].wbps, ==, CGROUP_LIMIT_MAX);
        CHECK_INT(cgroup_limit_set(&l, "IOWriteBandwidthMax", "", &host, NULL), ==, 0);
        CHECK_UINT(l.n_io_devices, ==, 1);
        CHECK_STR(l.io_devices[0].path, "/dev/sdb");
        CHECK_INT(cgroup_limit_set(&l, "IOReadIOPSMax", "", &host, NULL), ==, 0);
        CHECK_INT(cgroup_limit_set(&l, "IOWriteIOPSMax", "", &host, NULL), ==, 0);
        CHECK_UINT(l.n_io_devices, ==, 0);
        CHECK(cgroup_limits_is_empty(&l));

        /* A bounded number of devices. */
        for (unsigned i = 0; i < 64; i++) {
                char v[64];
                snprintf(v, sizeof(v), "/dev/disk%u 5M", i);
                if (cgroup_limit_set(&l, "IOReadBandwidthMax", v, &host, NULL) < 0)
                        break;
        }
        CHECK_UINT(l.n_io_devices, ==, 64);
        CHECK_INT(cgroup_limit_set(&l, "IOReadBandwidthMax", "/dev/one-too-many 5M", &host, &error), ==, -EINVAL);
        CHECK_MSG(error && strstr(error, "at most 64 devices"), "the 65th device is refused, saying why");
        free(error);
        CHECK_INT(cgroup_limit_set(&l, "IOReadBandwidthMax", "/dev/disk3 6M", &host, NULL), ==, 0);
        cgroup_limits_done(&l);

        fails("IOReadBandwidthMax", "/dev/sda", "a device without a value");
        fails("IOReadBandwidthMax", "5M", "a value without a device");
        fails("IOReadBandwidthMax", "dev/sda 5M", "a relative device path");
        fails("IOReadBandwidthMax", "/dev/../sda 5M", "a path with ..");
        fails("IOReadBandwidthMax", "/dev/sda 0", "zero (the kernel refuses it)");
        fails("IOReadBandwidthMax", "/dev/sda 1", "one (many kernels refuse it)");
        fails("IOReadBandwidthMax", "/dev/sda -5", "a negative bandwidth");
        fails("IOReadBandwidthMax", "/dev/sda 5Q", "an unknown suffix");
        fails("IOReadBandwidthMax", "/dev/sda 5M 6M", "two values");
        fails("IOWriteBandwidthMax", "/dev/sda 19E", "overflow");
        fails("IOReadIOPSMax", "/dev/sda 0", "zero operations");
        fails("IOWriteIOPSMax", "/dev/sda max", "the file's own spelling");
}

static void test_oom_policy(void) {
        CgroupLimits l;

        cgroup_limits_init(&l);
        CHECK_INT(l.oom_kill_group, ==, -1);
        CHECK_INT(cgroup_limit_set(&l, "OOMPolicy", "kill", &host, NULL), ==, 0);
        CHECK_INT(l.oom_kill_group, ==, 1);
        CHECK_UINT(cgroup_limits_controllers(&l), ==, CGROUP_CONTROLLER_MEMORY);
        CHECK_INT(cgroup_limit_set(&l, "OOMPolicy", "continue", &host, NULL), ==, 0);
        CHECK_INT(l.oom_kill_group, ==, 0);
        CHECK_INT(cgroup_limit_set(&l, "OOMPolicy", "", &host, NULL), ==, 0);
        CHECK_INT(l.oom_kill_group, ==, -1);
        cgroup_limits_done(&l);
        fails("OOMPolicy", "stop", "stop (a service's policy)");
        fails("OOMPolicy", "KILL", "upper case");
        fails("OOMPolicy", "yes", "a boolean");
}

static void test_generic(void) {
        CgroupLimits l;
        const char *why = NULL;
        char *error = NULL, *long_value;

        cgroup_limits_init(&l);
        CHECK_INT(cgroup_limit_set(&l, "NoSuchKey", "1", &host, NULL), ==, -ENOENT);
        CHECK_INT(cgroup_limit_set(&l, "memorymax", "1", &host, NULL), ==, -ENOENT);
        CHECK_INT(cgroup_limit_set(&l, "MemoryLimit", "1", &host, NULL), ==, -ENOENT);

        /* A refused value leaves what was set. */
        CHECK_INT(cgroup_limit_set(&l, "MemoryMax", "1G", &host, NULL), ==, 0);
        CHECK_INT(cgroup_limit_set(&l, "MemoryMax", "1X", &host, NULL), ==, -EINVAL);
        CHECK_UINT(l.memory_max, ==, GiB);
        CHECK_INT(cgroup_limit_set(&l, "AllowedCPUs", "0-1", &host, NULL), ==, 0);
        CHECK_INT(cgroup_limit_set(&l, "AllowedCPUs", "1-0", &host, NULL), ==, -EINVAL);
        CHECK_STR(l.cpuset_cpus, "0-1");
        /* An empty value resets. */
        CHECK_INT(cgroup_limit_set(&l, "MemoryMax", "", &host, NULL), ==, 0);
        CHECK_UINT(l.memory_max, ==, CGROUP_LIMIT_UNSET);
        CHECK_INT(cgroup_limit_set(&l, "AllowedCPUs", "  ", &host, NULL), ==, 0);
        CHECK(!l.cpuset_cpus);
        CHECK(cgroup_limits_is_empty(&l));

        /* The message: "Key=value: what is expected", one line even for a value that is not. */
        CHECK_INT(cgroup_limit_set(&l, "MemoryMax", "12Q", &host, &error), ==, -EINVAL);
        CHECK_MSG(error && strncmp(error, "MemoryMax=12Q: expected bytes", 29) == 0, "the message: %s",
                  error ?: "(null)");
        free(error);
        error = NULL;
        CHECK_INT(cgroup_limit_set(&l, "CPUWeight", "1\n2", &host, &error), ==, -EINVAL);
        CHECK_MSG(error && strstr(error, "CPUWeight=1?2: ") && strstr(error, "control characters"),
                  "control characters are refused and not printed");
        free(error);
        error = NULL;
        long_value = malloc(5000);
        memset(long_value, '1', 4999);
        long_value[4999] = '\0';
        CHECK_INT(cgroup_limit_set(&l, "TasksMax", long_value, &host, &error), ==, -EINVAL);
        CHECK_MSG(error && strlen(error) < 300 && strstr(error, "..."), "a long value is cut in the message");
        free(error);
        free(long_value);

        CHECK_INT(cgroup_limit_set_why(&l, "CPUQuota", "150", &host, &why), ==, -EINVAL);
        CHECK_MSG(why && strncmp(why, "expected a percentage", 21) == 0, "the reason alone: %s", why ?: "(null)");
        CHECK_INT(cgroup_limit_set_why(&l, "Nope", "1", &host, &why), ==, -ENOENT);
        CHECK(cgroup_limits_is_empty(&l));
        cgroup_limits_done(&l);

        /* The option table: every key is known, option names unique. */
        {
                size_t n = 0;
                for (const CgroupLimitOption *o = cgroup_limit_options; o->option; o++, n++) {
                        CHECK_MSG(cgroup_limit_set(&l, o->key, "", &host, NULL) == 0, "the table's %s is a key",
                                  o->key);
                        for (const CgroupLimitOption *p = o + 1; p->option; p++)
                                if (streq(o->option, p->option) || streq(o->key, p->key))
                                        CHECK_MSG(false, "--%s is in the table once", o->option);
                        CHECK_MSG(o->arg && o->help && !strchr(o->help, '\n'), "--%s has help", o->option);
                }
                CHECK_UINT(n, ==, 15);
        }

        CHECK_STR(cgroup_controller_to_string(CGROUP_CONTROLLER_CPU), "cpu");
        CHECK_STR(cgroup_controller_to_string(CGROUP_CONTROLLER_CPUSET), "cpuset");
        CHECK_STR(cgroup_controller_to_string(CGROUP_CONTROLLER_IO), "io");
        CHECK_STR(cgroup_controller_to_string(CGROUP_CONTROLLER_MEMORY), "memory");
        CHECK_STR(cgroup_controller_to_string(CGROUP_CONTROLLER_PIDS), "pids");
        CHECK(!cgroup_controller_to_string(CGROUP_CONTROLLER_CPU | CGROUP_CONTROLLER_IO));
        CHECK(!cgroup_controller_to_string(0));
}

static void test_controllers(void) {
        static const struct {
                const char *key, *value;
                CgroupController c;
        } table[] = {
                { "MemoryMax", "1G", CGROUP_CONTROLLER_MEMORY },
                { "MemoryHigh", "1G", CGROUP_CONTROLLER_MEMORY },
                { "MemorySwapMax", "0", CGROUP_CONTROLLER_MEMORY },
                { "OOMPolicy", "kill", CGROUP_CONTROLLER_MEMORY },
                { "CPUWeight", "50", CGROUP_CONTROLLER_CPU },
                { "CPUQuota", "50%", CGROUP_CONTROLLER_CPU },
                { "CPUQuotaPeriodSec", "10ms", CGROUP_CONTROLLER_CPU },
                { "AllowedCPUs", "0", CGROUP_CONTROLLER_CPUSET },
                { "AllowedMemoryNodes", "0", CGROUP_CONTROLLER_CPUSET },
                { "TasksMax", "10", CGROUP_CONTROLLER_PIDS },
                { "IOWeight", "10", CGROUP_CONTROLLER_IO },
                { "IOReadBandwidthMax", "/dev/sda 1M", CGROUP_CONTROLLER_IO },
                { "IOWriteBandwidthMax", "/dev/sda 1M", CGROUP_CONTROLLER_IO },
                { "IOReadIOPSMax", "/dev/sda 10", CGROUP_CONTROLLER_IO },
                { "IOWriteIOPSMax", "/dev/sda 10", CGROUP_CONTROLLER_IO },
        };
        CgroupLimits all;

        cgroup_limits_init(&all);
        CHECK_UINT(cgroup_limits_controllers(&all), ==, 0);
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                CgroupLimits l;

                cgroup_limits_init(&l);
                CHECK_INT(cgroup_limit_set(&l, table[i].key, table[i].value, &host, NULL), ==, 0);
                CHECK_MSG(cgroup_limits_controllers(&l) == table[i].c, "%s= needs %s", table[i].key,
                          cgroup_controller_to_string(table[i].c));
                CHECK_MSG(!cgroup_limits_is_empty(&l), "%s= makes the limits non-empty", table[i].key);
                cgroup_limits_done(&l);
                CHECK_INT(cgroup_limit_set(&all, table[i].key, table[i].value, &host, NULL), ==, 0);
        }
        CHECK_UINT(cgroup_limits_controllers(&all), ==, _CGROUP_CONTROLLER_ALL);
        cgroup_limits_done(&all);
        CHECK(cgroup_limits_is_empty(&all)); /* done leaves them initialized */
}

/* ---- formatting and merging ---- */

static CgroupLimits parse_lines(const char *const *lines) {
        CgroupLimits l;

        cgroup_limits_init(&l);
        for (size_t i = 0; lines[i]; i++) {
                const char *eq = strchr(lines[i], '=');
                char key[64];

                snprintf(key, sizeof(key), "%.*s", (int) (eq - lines[i]), lines[i]);
                if (!CHECK_MSG(cgroup_limit_set(&l, key, eq + 1, &host, NULL) == 0, "'%s' parses", lines[i]))
                        break;
        }
        return l;
}

static bool strv_equal(char **a, const char *const *b) {
        size_t i = 0;

        for (; a && a[i] && b[i]; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return (!a || !a[i]) && !b[i];
}

static void round_trip(const char *const *in, const char *const *expected) {
        CgroupLimits l = parse_lines(in), again;
        _cleanup_strv_free_ char **s = NULL, **s2 = NULL;

        CHECK_INT(cgroup_limits_to_strv(&l, &s), ==, 0);
        if (!CHECK_MSG(strv_equal(s, expected), "formatted as expected, starting with %s", expected[0] ?: "-"))
                STRV_FOREACH (i, s)
                        tap_diag("got %s", *i);
        again = parse_lines((const char *const *) s);
        CHECK_INT(cgroup_limits_to_strv(&again, &s2), ==, 0);
        CHECK_MSG(strv_equal(s2, (const char *const *) s), "parsed back, it formats the same");
        CHECK_UINT(cgroup_limits_controllers(&again), ==, cgroup_limits_controllers(&l));
        cgroup_limits_done(&again);
        cgroup_limits_done(&l);
}

static void test_to_strv(void) {
        CgroupLimits l;
        char **s = NULL;

        cgroup_limits_init(&l);
        CHECK_INT(cgroup_limits_to_strv(&l, &s), ==, 0);
        CHECK_MSG(s && !s[0], "nothing set: an empty list");
        strv_free(s);

        round_trip(STRV_MAKE("OOMPolicy=kill", "IOWriteIOPSMax=/dev/sdb 1K", "IOReadBandwidthMax=/dev/sda 1M",
                             "IOWriteBandwidthMax=/dev/sda infinity", "IOWeight=200", "TasksMax=10%",
                             "AllowedMemoryNodes=0", "AllowedCPUs=3 0-1 2", "CPUQuotaPeriodSec=10ms",
                             "CPUQuota=150%", "CPUWeight=50", "MemorySwapMax=0", "MemoryHigh=infinity",
                             "MemoryMax=1.5G"),
                   STRV_MAKE("MemoryMax=1610612736", "MemoryHigh=infinity", "MemorySwapMax=0", "CPUWeight=50",
                             "CPUQuota=150%", "CPUQuotaPeriodSec=10ms", "AllowedCPUs=0-3", "AllowedMemoryNodes=0",
                             "TasksMax=3276", "IOWeight=200", "IOReadBandwidthMax=/dev/sda 1000000",
                             "IOWriteBandwidthMax=/dev/sda infinity", "IOWriteIOPSMax=/dev/sdb 1000",
                             "OOMPolicy=kill"));
        round_trip(STRV_MAKE("CPUQuota=12.3456%", "CPUQuotaPeriodSec=1500us", "OOMPolicy=continue"),
                   STRV_MAKE("CPUQuota=12.3456%", "CPUQuotaPeriodSec=1500us", "OOMPolicy=continue"));
        round_trip(STRV_MAKE("CPUQuota=0.5%", "CPUQuotaPeriodSec=1s", "TasksMax=infinity", "MemoryMax=0"),
                   STRV_MAKE("MemoryMax=0", "CPUQuota=0.5%", "CPUQuotaPeriodSec=1000ms", "TasksMax=infinity"));
        round_trip(STRV_MAKE("CPUQuota=infinity", "CPUQuota=0.0001%"), STRV_MAKE("CPUQuota=0.0001%"));
        round_trip(STRV_MAKE("CPUQuota=100.1%"), STRV_MAKE("CPUQuota=100.1%"));
        round_trip(STRV_MAKE("CPUQuota=infinity"), STRV_MAKE("CPUQuota=infinity"));
        /* Devices come out by path, whatever order they were named in (the fuzzer's find: the lines of
         * one key in another order after a round trip). */
        round_trip(STRV_MAKE("IOWriteIOPSMax=/dev/b 5", "IOReadIOPSMax=/dev/c 6", "IOReadIOPSMax=/dev/a 7",
                             "IOReadIOPSMax=/dev/b 8"),
                   STRV_MAKE("IOReadIOPSMax=/dev/a 7", "IOReadIOPSMax=/dev/b 8", "IOReadIOPSMax=/dev/c 6",
                             "IOWriteIOPSMax=/dev/b 5"));
}

static void test_merge(void) {
        CgroupLimits dst = parse_lines(STRV_MAKE("MemoryMax=1G", "CPUWeight=50", "AllowedCPUs=0-1",
                                                 "IOReadBandwidthMax=/dev/sda 1M", "OOMPolicy=continue"));
        CgroupLimits src = parse_lines(STRV_MAKE("MemoryHigh=512M", "CPUWeight=200", "AllowedCPUs=2",
                                                 "IOWriteBandwidthMax=/dev/sda 2M", "IOReadIOPSMax=/dev/sdb 10",
                                                 "OOMPolicy=kill"));
        CgroupLimits empty, copy;
        _cleanup_strv_free_ char **s = NULL, **s2 = NULL;

        cgroup_limits_init(&empty);
        CHECK_INT(cgroup_limits_merge(&dst, &src), ==, 0);
        CHECK_INT(cgroup_limits_to_strv(&dst, &s), ==, 0);
        if (!CHECK_MSG(strv_equal(s, STRV_MAKE("MemoryMax=1073741824", "MemoryHigh=536870912", "CPUWeight=200",
                                               "AllowedCPUs=2", "IOReadBandwidthMax=/dev/sda 1000000",
                                               "IOWriteBandwidthMax=/dev/sda 2000000",
                                               "IOReadIOPSMax=/dev/sdb 10", "OOMPolicy=kill")),
                       "merged: what src sets wins, the rest of dst stays"))
                STRV_FOREACH (i, s)
                        tap_diag("got %s", *i);

        /* Merging nothing changes nothing; a copy is equal and independent. */
        CHECK_INT(cgroup_limits_merge(&dst, &empty), ==, 0);
        CHECK_INT(cgroup_limits_copy(&copy, &dst), ==, 0);
        CHECK_INT(cgroup_limits_to_strv(&copy, &s2), ==, 0);
        CHECK_MSG(strv_equal(s2, (const char *const *) s), "a copy formats the same");
        cgroup_limits_done(&dst);
        CHECK_STR(copy.cpuset_cpus, "2");
        CHECK_STR(copy.io_devices[1].path, "/dev/sdb");
        cgroup_limits_done(&copy);

        /* Into nothing: the same as src. */
        CHECK_INT(cgroup_limits_merge(&empty, &src), ==, 0);
        CHECK_UINT(empty.memory_high, ==, 512ULL << 20);
        CHECK_UINT(empty.n_io_devices, ==, 2);
        cgroup_limits_done(&empty);
        cgroup_limits_done(&src);
}

/* ---- the host ---- */

static void test_check_cpusets(void) {
        CgroupLimits l = parse_lines(STRV_MAKE("AllowedCPUs=0-3,6"));
        char *error = NULL;

        CHECK_INT(cgroup_limits_check_cpusets(&l, "0-7\n", NULL, &error), ==, 0);
        CHECK_INT(cgroup_limits_check_cpusets(&l, "0-3\n", NULL, &error), ==, -EINVAL);
        CHECK_MSG(error && streq(error, "AllowedCPUs=0-3,6: CPU 6 is not online on this host (online: 0-3)"),
                  "names the CPU: %s", error ?: "(null)");
        free(error);
        error = NULL;
        CHECK_INT(cgroup_limits_check_cpusets(&l, "", NULL, &error), ==, -EBADMSG);
        free(error);
        error = NULL;
        cgroup_limits_done(&l);

        /* Without /sys/devices/system/node there is node 0 only. */
        l = parse_lines(STRV_MAKE("AllowedMemoryNodes=0"));
        CHECK_INT(cgroup_limits_check_cpusets(&l, NULL, NULL, &error), ==, 0);
        CHECK_INT(cgroup_limit_set(&l, "AllowedMemoryNodes", "1", &host, NULL), ==, 0);
        CHECK_INT(cgroup_limits_check_cpusets(&l, NULL, NULL, &error), ==, -EINVAL);
        CHECK_MSG(error && strstr(error, "memory node 1 is not online"), "names the node: %s", error ?: "(null)");
        free(error);
        error = NULL;
        CHECK_INT(cgroup_limits_check_cpusets(&l, NULL, "0-1", &error), ==, 0);
        cgroup_limits_done(&l);
}

static void test_check_host(void) {
        CgroupLimits l = parse_lines(STRV_MAKE("IOReadBandwidthMax=/nonexistent/berth-test 1M"));
        CgroupHostFacts facts = {};
        char *error = NULL;
        dev_t dev;

        CHECK_INT(cgroup_limits_check_host(&l, &error), ==, -ENOENT);
        CHECK_MSG(error && streq(error, "IOReadBandwidthMax=/nonexistent/berth-test: no such device or file"),
                  "a missing device: %s", error ?: "(null)");
        free(error);
        error = NULL;
        cgroup_limits_done(&l);

        l = parse_lines(STRV_MAKE("IOWriteIOPSMax=/dev/null 100"));
        CHECK_INT(cgroup_limits_check_host(&l, &error), ==, -EINVAL);
        CHECK_MSG(error && strstr(error, "IOWriteIOPSMax=/dev/null: not a block device"),
                  "a character device: %s", error ?: "(null)");
        free(error);
        error = NULL;
        cgroup_limits_done(&l);

        CHECK_INT(cgroup_io_device_resolve("/dev/null", &dev), ==, -ENOTBLK);
        CHECK_INT(cgroup_io_device_resolve("/proc/self/status", &dev), ==, -ENOTBLK); /* no block device */
        CHECK_INT(cgroup_io_device_resolve("/dev/block/0:0", &dev), <, 0);

        /* This host's own CPUs pass; a CPU far past them does not. */
        l = parse_lines(STRV_MAKE("AllowedCPUs=0", "AllowedMemoryNodes=0"));
        if (access("/sys/devices/system/cpu/online", R_OK) < 0)
                skip("the host's CPU 0 is online", "no /sys/devices/system/cpu/online");
        else {
                CHECK_INT(cgroup_limits_check_host(&l, &error), ==, 0);
                CHECK_INT(cgroup_limit_set(&l, "AllowedCPUs", "8000", &host, NULL), ==, 0);
                CHECK_INT(cgroup_limits_check_host(&l, &error), ==, -EINVAL);
                free(error);
                error = NULL;
        }
        cgroup_limits_done(&l);

        if (access("/proc/sys/kernel/pid_max", R_OK) < 0)
                skip("the host's facts", "no /proc/sys/kernel/pid_max");
        else {
                CHECK_INT(cgroup_host_facts(&facts), ==, 0);
                CHECK(facts.physical_memory > 0 && facts.pid_max > 0);
        }
}

/* ---- a directory of files standing in for a cgroup ---- */

static char dir[] = "/tmp/berth-test-cgroup-limits-XXXXXX";
static int dir_fd = -EBADF;

static void put(const char *file, const char *content) {
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", dir, file);
        f = fopen(p, "we");
        if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "write %s: %m\n", p);
                exit(2);
        }
}

static char *get(const char *file) {
        char *text = NULL;
        size_t n;

        if (read_small_file_at(dir_fd, file, 65536, &text, &n) < 0)
                return NULL;
        return text;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

static void clear_dir(void) {
        static const char *const files[] = { "memory.max", "memory.high", "memory.swap.max", "cpu.weight",
                                             "cpu.max", "cpuset.cpus", "cpuset.mems", "pids.max",
                                             "io.weight", "io.max", "memory.oom.group" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                (void) unlinkat(dir_fd, files[i], 0);
                put(files[i], "");
        }
}

#define CHECK_FILE(file, expected)                                          \
        do {                                                                \
                char *_t = get(file);                                       \
                CHECK_MSG(_t && streq(_t, expected), "%s is '%s'", file, expected); \
                if (!_t || !streq(_t, expected))                            \
                        tap_diag("got '%s'", _t ?: "(unreadable)");         \
                free(_t);                                                   \
        } while (0)

static void test_write(void) {
        CgroupLimits l;
        const char *file = "x";

        clear_dir();
        l = parse_lines(STRV_MAKE("MemoryMax=1G", "MemoryHigh=infinity", "MemorySwapMax=0", "CPUWeight=50",
                                  "CPUQuota=150%", "AllowedCPUs=6 0-3", "AllowedMemoryNodes=0", "TasksMax=100",
                                  "IOWeight=200", "OOMPolicy=kill"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK(!file);
        CHECK_FILE("memory.max", "1073741824");
        CHECK_FILE("memory.high", "max");
        CHECK_FILE("memory.swap.max", "0");
        CHECK_FILE("cpu.weight", "50");
        CHECK_FILE("cpu.max", "150000 100000"); /* the default period */
        CHECK_FILE("cpuset.cpus", "0-3,6");
        CHECK_FILE("cpuset.mems", "0");
        CHECK_FILE("pids.max", "100");
        CHECK_FILE("io.weight", "default 200");
        CHECK_FILE("io.max", "");
        CHECK_FILE("memory.oom.group", ""); /* the payload's, not the scope's */
        CHECK_INT(cgroup_limits_write_payload(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("memory.oom.group", "1");
        cgroup_limits_done(&l);

        /* Unset limits are not written: the cgroup keeps what it has. */
        clear_dir();
        put("memory.max", "keep");
        l = parse_lines(STRV_MAKE("TasksMax=infinity", "CPUQuotaPeriodSec=10ms", "CPUQuota=25%",
                                  "OOMPolicy=continue"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("memory.max", "keep");
        CHECK_FILE("pids.max", "max");
        CHECK_FILE("cpu.max", "2500 10000");
        CHECK_INT(cgroup_limits_write_payload(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("memory.oom.group", "0");
        cgroup_limits_done(&l);

        /* The kernel's least quota is 1ms per period. */
        clear_dir();
        l = parse_lines(STRV_MAKE("CPUQuota=0.01%"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("cpu.max", "1000 100000");
        cgroup_limits_done(&l);
        clear_dir();
        l = parse_lines(STRV_MAKE("CPUQuota=infinity", "CPUQuotaPeriodSec=50ms"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("cpu.max", "max 50000");
        cgroup_limits_done(&l);

        /* A period alone keeps the share of CPU time the cgroup has. */
        clear_dir();
        put("cpu.max", "50000 100000\n");
        l = parse_lines(STRV_MAKE("CPUQuotaPeriodSec=10ms"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("cpu.max", "5000 10000");
        clear_dir();
        put("cpu.max", "max 100000\n");
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("cpu.max", "max 10000");
        clear_dir();
        put("cpu.max", "garbage\n");
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, -EBADMSG);
        CHECK_STR(file, "cpu.max");
        cgroup_limits_done(&l);

        /* The BFQ scheduler's weight too, where it is there (1..1000; up to 100 the same). */
        clear_dir();
        put("io.bfq.weight", "");
        l = parse_lines(STRV_MAKE("IOWeight=10000"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("io.weight", "default 10000");
        CHECK_FILE("io.bfq.weight", "default 1000");
        cgroup_limits_done(&l);
        (void) unlinkat(dir_fd, "io.weight", 0);
        l = parse_lines(STRV_MAKE("IOWeight=50"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK(!file);
        CHECK_FILE("io.bfq.weight", "default 50");
        (void) unlinkat(dir_fd, "io.bfq.weight", 0);
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, -ENOENT);
        CHECK_STR(file, "io.weight");
        cgroup_limits_done(&l);
        l = parse_lines(STRV_MAKE("IOWeight=1000"));
        put("io.bfq.weight", "");
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        CHECK_FILE("io.bfq.weight", "default 181");
        cgroup_limits_done(&l);
        (void) unlinkat(dir_fd, "io.bfq.weight", 0);

        /* A missing file (a cgroup without the controller): the first failure names it. */
        clear_dir();
        (void) unlinkat(dir_fd, "memory.swap.max", 0);
        l = parse_lines(STRV_MAKE("MemoryMax=1G", "MemorySwapMax=0", "TasksMax=5"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, -ENOENT);
        CHECK_STR(file, "memory.swap.max");
        CHECK_FILE("pids.max", ""); /* stopped there */
        cgroup_limits_done(&l);
        (void) unlinkat(dir_fd, "memory.oom.group", 0);
        l = parse_lines(STRV_MAKE("OOMPolicy=kill"));
        CHECK_INT(cgroup_limits_write_payload(&l, dir_fd, &file), ==, -ENOENT);
        CHECK_STR(file, "memory.oom.group");
        cgroup_limits_done(&l);
}

static void test_write_io(void) {
        CgroupLimits l;
        const char *file = NULL;
        char value[600], expected[128], block[64];
        struct stat st;
        dev_t dev;
        int r;

        /* The directory's own file system stands in for a disk, where it is on one. */
        r = cgroup_io_device_resolve(dir, &dev);
        if (r == -ENOTBLK || r == -ENOENT) {
                skip("io.max for a file's block device", "the temporary directory is not on a block device");
                return;
        }
        CHECK_INT(r, ==, 0);
        CHECK_INT(stat(dir, &st), ==, 0);
        CHECK_MSG(major(dev) == major(st.st_dev) || access("/sys/dev/block", F_OK) == 0,
                  "the device is the file system's or its disk's");

        clear_dir();
        snprintf(value, sizeof(value), "%s 10M", dir);
        cgroup_limits_init(&l);
        CHECK_INT(cgroup_limit_set(&l, "IOReadBandwidthMax", value, &host, NULL), ==, 0);
        snprintf(value, sizeof(value), "%s infinity", dir);
        CHECK_INT(cgroup_limit_set(&l, "IOWriteIOPSMax", value, &host, NULL), ==, 0);
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        snprintf(expected, sizeof(expected), "%u:%u rbps=10000000 wiops=max", major(dev), minor(dev));
        CHECK_FILE("io.max", expected);
        CHECK_INT(cgroup_limits_check_host(&l, NULL), ==, 0);
        cgroup_limits_done(&l);

        /* How cgroup_limits_read() names a device works for writing it too. */
        clear_dir();
        snprintf(block, sizeof(block), "/dev/block/%u:%u", major(dev), minor(dev));
        snprintf(value, sizeof(value), "%s 5", block);
        cgroup_limits_init(&l);
        CHECK_INT(cgroup_limit_set(&l, "IOReadIOPSMax", value, &host, NULL), ==, 0);
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
        snprintf(expected, sizeof(expected), "%u:%u riops=5", major(dev), minor(dev));
        CHECK_FILE("io.max", expected);
        cgroup_limits_done(&l);

        /* A device that is not there: nothing written, the file named. */
        clear_dir();
        l = parse_lines(STRV_MAKE("IOReadIOPSMax=/nonexistent/berth-test 5"));
        CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, -ENOENT);
        CHECK_STR(file, "io.max");
        cgroup_limits_done(&l);
}

static void test_read(void) {
        CgroupLimits l;

        clear_dir();
        put("memory.max", "max\n");
        put("memory.high", "1073741824\n");
        (void) unlinkat(dir_fd, "memory.swap.max", 0);
        put("cpu.weight", "100\n");
        put("cpu.max", "150000 100000\n");
        put("cpuset.cpus", "0-3,6\n");
        put("cpuset.mems", "\n");
        put("pids.max", "max\n");
        put("io.weight", "default 200\n8:0 300\n");
        put("io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=120\n8:16 rbps=max wbps=2 riops=max wiops=max\n");
        put("memory.oom.group", "1\n");
        CHECK_INT(cgroup_limits_read(dir_fd, &l), ==, 0);
        CHECK_UINT(l.memory_max, ==, CGROUP_LIMIT_MAX);
        CHECK_UINT(l.memory_high, ==, GiB);
        CHECK_UINT(l.memory_swap_max, ==, CGROUP_LIMIT_UNSET);
        CHECK_UINT(l.cpu_weight, ==, 100);
        CHECK_UINT(l.cpu_quota_usec, ==, 1500000);
        CHECK_UINT(l.cpu_period_usec, ==, 100000);
        CHECK_STR(l.cpuset_cpus, "0-3,6");
        CHECK(!l.cpuset_mems);
        CHECK_UINT(l.pids_max, ==, CGROUP_LIMIT_MAX);
        CHECK_UINT(l.io_weight, ==, 200);
        CHECK_UINT(l.n_io_devices, ==, 2);
        if (l.n_io_devices == 2) {
                CHECK_STR(l.io_devices[0].path, "/dev/block/8:0");
                CHECK_UINT(l.io_devices[0].rbps, ==, 1048576);
                CHECK_UINT(l.io_devices[0].wbps, ==, CGROUP_LIMIT_MAX);
                CHECK_UINT(l.io_devices[0].wiops, ==, 120);
                CHECK_STR(l.io_devices[1].path, "/dev/block/8:16");
                CHECK_UINT(l.io_devices[1].wbps, ==, 2);
        }
        CHECK_INT(l.oom_kill_group, ==, -1);
        CHECK_INT(cgroup_limits_read_payload(dir_fd, &l), ==, 0);
        CHECK_INT(l.oom_kill_group, ==, 1);
        {
                /* What is read formats and parses like anything else. */
                _cleanup_strv_free_ char **s = NULL;
                CgroupLimits again;

                CHECK_INT(cgroup_limits_to_strv(&l, &s), ==, 0);
                again = parse_lines((const char *const *) s);
                CHECK_UINT(again.cpu_quota_usec, ==, 1500000);
                CHECK_UINT(again.n_io_devices, ==, 2);
                cgroup_limits_done(&again);
        }
        cgroup_limits_done(&l);

        /* Written, then read back. */
        clear_dir();
        l = parse_lines(STRV_MAKE("MemoryMax=2G", "MemoryHigh=1G", "MemorySwapMax=0", "CPUWeight=7",
                                  "CPUQuota=50%", "CPUQuotaPeriodSec=20ms", "AllowedCPUs=1,2",
                                  "AllowedMemoryNodes=0", "TasksMax=42", "IOWeight=9", "OOMPolicy=continue"));
        {
                const char *file;
                _cleanup_strv_free_ char **a = NULL, **b = NULL;
                CgroupLimits back;

                CHECK_INT(cgroup_limits_write(&l, dir_fd, &file), ==, 0);
                CHECK_INT(cgroup_limits_write_payload(&l, dir_fd, &file), ==, 0);
                CHECK_INT(cgroup_limits_read(dir_fd, &back), ==, 0);
                CHECK_INT(cgroup_limits_read_payload(dir_fd, &back), ==, 0);
                CHECK_INT(cgroup_limits_to_strv(&l, &a), ==, 0);
                CHECK_INT(cgroup_limits_to_strv(&back, &b), ==, 0);
                CHECK_MSG(strv_equal(b, (const char *const *) a), "written and read back, the same limits");
                cgroup_limits_done(&back);
        }
        cgroup_limits_done(&l);

        /* Missing files are unset; a file that does not parse is an error. */
        clear_dir();
        for (const char *const *f = STRV_MAKE("memory.max", "memory.high", "memory.swap.max", "cpu.weight",
                                              "cpu.max", "cpuset.cpus", "cpuset.mems", "pids.max", "io.weight",
                                              "io.max", "memory.oom.group");
             *f; f++)
                (void) unlinkat(dir_fd, *f, 0);
        CHECK_INT(cgroup_limits_read(dir_fd, &l), ==, 0);
        CHECK(cgroup_limits_is_empty(&l));
        CHECK_INT(cgroup_limits_read_payload(dir_fd, &l), ==, 0);
        CHECK_INT(l.oom_kill_group, ==, -1);
        cgroup_limits_done(&l);
        for (const char *const *bad = STRV_MAKE("memory.max", "-1", "cpu.max", "max", "cpu.max", "5 0",
                                                "cpuset.cpus", "9999", "io.weight", "200", "io.max",
                                                "sda rbps=5", "io.max", "8:0 rbps=x", "pids.max", "lots");
             *bad; bad += 2) {
                clear_dir();
                put(bad[0], bad[1]);
                CHECK_MSG(cgroup_limits_read(dir_fd, &l) == -EBADMSG, "%s '%s' is refused", bad[0], bad[1]);
        }
        put("memory.oom.group", "2\n");
        CHECK_INT(cgroup_limits_read_payload(dir_fd, &l), ==, -EBADMSG);
}

/* A made-up /sys/dev/block: 8:0 a disk, 8:1 a partition of it. */
static void test_whole_disk(void) {
        char p[512];
        int fd;
        dev_t whole;

        snprintf(p, sizeof(p), "%s/sys", dir);
        if (mkdir(p, 0755) < 0 || mkdirat(dir_fd, "sys/disk", 0755) < 0 || mkdirat(dir_fd, "sys/disk/part", 0755) < 0 ||
            symlinkat("disk", dir_fd, "sys/8:0") < 0 || symlinkat("disk/part", dir_fd, "sys/8:1") < 0) {
                fprintf(stderr, "making the fake /sys/dev/block: %m\n");
                exit(2);
        }
        put("sys/disk/dev", "8:0\n");
        put("sys/disk/part/dev", "8:1\n");
        put("sys/disk/part/partition", "1\n");
        fd = openat(dir_fd, "sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK_INT(cgroup_block_device_whole_disk(fd, makedev(8, 1), &whole), ==, 0);
        CHECK_MSG(whole == makedev(8, 0), "a partition gives its disk");
        CHECK_INT(cgroup_block_device_whole_disk(fd, makedev(8, 0), &whole), ==, 0);
        CHECK_MSG(whole == makedev(8, 0), "a disk gives itself");
        CHECK_INT(cgroup_block_device_whole_disk(fd, makedev(8, 5), &whole), ==, -ENOTBLK);
        put("sys/disk/dev", "garbage\n");
        CHECK_INT(cgroup_block_device_whole_disk(fd, makedev(8, 1), &whole), ==, -EBADMSG);
        safe_close(fd);
}

int main(void) {
        test_memory();
        test_percent_without_host();
        test_weights();
        test_cpu_quota();
        test_cpusets();
        test_tasks();
        test_io_devices();
        test_oom_policy();
        test_generic();
        test_controllers();
        test_to_strv();
        test_merge();
        test_check_cpusets();
        test_check_host();

        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 2;
        }
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
                perror("open");
                return 2;
        }
        test_write();
        test_write_io();
        test_read();
        test_whole_disk();
        safe_close(dir_fd);
        (void) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return tap_finish();
}
