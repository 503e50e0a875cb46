#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup-limits.h"
#include "fd-util.h"
#include "macro.h"
#include "path-util.h"
#include "strv.h"

/* The kernel's bounds, so that a value it would refuse is refused while parsing, with the setting's
 * name, instead of when the machine starts. */
#define WEIGHT_MIN          UINT64_C(1)
#define WEIGHT_MAX          UINT64_C(10000)
#define CPU_PERIOD_MIN_USEC UINT64_C(1000)    /* min_cfs_quota_period; also the least quota */
#define CPU_PERIOD_MAX_USEC UINT64_C(1000000) /* max_cfs_quota_period */
#define CPU_QUOTA_MAX_USEC  (UINT64_C(10000) * UINT64_C(1000000)) /* 10000 CPUs' worth */
#define CPUSET_CPUS_MAX     8192U                                 /* NR_CPUS at its largest */
#define CPUSET_MEMS_MAX     1024U                                 /* MAX_NUMNODES at its largest */
#define PIDS_MAX            UINT64_C(4194304)                     /* PID_MAX_LIMIT: pids.max refuses more */
#define IO_LIMIT_MIN        UINT64_C(2) /* io.max refuses 0, and 1 on many kernels */
#define IO_DEVICES_MAX      64U
#define LIMIT_VALUE_MAX     4096U
#define CGROUP_FILE_MAX     (64U * 1024U)
#define USEC_PER_SEC        UINT64_C(1000000)

typedef enum LimitKey {
        LIMIT_MEMORY_MAX,
        LIMIT_MEMORY_HIGH,
        LIMIT_MEMORY_SWAP_MAX,
        LIMIT_CPU_WEIGHT,
        LIMIT_CPU_QUOTA,
        LIMIT_CPU_QUOTA_PERIOD,
        LIMIT_ALLOWED_CPUS,
        LIMIT_ALLOWED_MEMORY_NODES,
        LIMIT_TASKS_MAX,
        LIMIT_IO_WEIGHT,
        LIMIT_IO_READ_BANDWIDTH_MAX,
        LIMIT_IO_WRITE_BANDWIDTH_MAX,
        LIMIT_IO_READ_IOPS_MAX,
        LIMIT_IO_WRITE_IOPS_MAX,
        LIMIT_OOM_POLICY,
        _LIMIT_KEY_MAX,
        _LIMIT_KEY_INVALID = -EINVAL,
} LimitKey;

/* In LimitKey's order, which is also the order of cgroup_limits_to_strv(). */
const CgroupLimitOption cgroup_limit_options[] = {
        [LIMIT_MEMORY_MAX] = { "memory-max", "MemoryMax", "BYTES",
                               "memory.max: hard limit (K, M, G, T; N% of RAM; infinity)" },
        [LIMIT_MEMORY_HIGH] = { "memory-high", "MemoryHigh", "BYTES",
                                "memory.high: reclaim and throttle above this" },
        [LIMIT_MEMORY_SWAP_MAX] = { "memory-swap-max", "MemorySwapMax", "BYTES",
                                    "memory.swap.max: swap the machine may use" },
        [LIMIT_CPU_WEIGHT] = { "cpu-weight", "CPUWeight", "WEIGHT",
                               "cpu.weight: share of CPU time, 1-10000 (default 100)" },
        [LIMIT_CPU_QUOTA] = { "cpu-quota", "CPUQuota", "PERCENT",
                              "cpu.max: CPU time per second, 150% = 1.5 CPUs" },
        [LIMIT_CPU_QUOTA_PERIOD] = { "cpu-quota-period", "CPUQuotaPeriodSec", "TIME",
                                     "cpu.max's period, 1ms-1s (default 100ms)" },
        [LIMIT_ALLOWED_CPUS] = { "cpuset-cpus", "AllowedCPUs", "LIST",
                                 "cpuset.cpus: the CPUs it may run on, e.g. 0-3,6" },
        [LIMIT_ALLOWED_MEMORY_NODES] = { "cpuset-mems", "AllowedMemoryNodes", "LIST",
                                         "cpuset.mems: the NUMA nodes it may use" },
        [LIMIT_TASKS_MAX] = { "pids-max", "TasksMax", "NUMBER",
                              "pids.max: processes and threads (N% of pid_max; infinity)" },
        [LIMIT_IO_WEIGHT] = { "io-weight", "IOWeight", "WEIGHT",
                              "io.weight: share of disk time, 1-10000 (default 100)" },
        [LIMIT_IO_READ_BANDWIDTH_MAX] = { "io-read-bandwidth-max", "IOReadBandwidthMax", "'DEVICE BYTES'",
                                          "io.max: read bytes per second (K, M, G: base 1000)" },
        [LIMIT_IO_WRITE_BANDWIDTH_MAX] = { "io-write-bandwidth-max", "IOWriteBandwidthMax", "'DEVICE BYTES'",
                                           "io.max: written bytes per second" },
        [LIMIT_IO_READ_IOPS_MAX] = { "io-read-iops-max", "IOReadIOPSMax", "'DEVICE IOPS'",
                                     "io.max: read operations per second" },
        [LIMIT_IO_WRITE_IOPS_MAX] = { "io-write-iops-max", "IOWriteIOPSMax", "'DEVICE IOPS'",
                                      "io.max: write operations per second" },
        [LIMIT_OOM_POLICY] = { "oom-policy", "OOMPolicy", "kill|continue",
                               "memory.oom.group: an OOM kill takes the whole machine" },
        [_LIMIT_KEY_MAX] = {},
};

/* What each key expects, for the one-line errors. */
static const char *const limit_expected[_LIMIT_KEY_MAX] = {
        [LIMIT_MEMORY_MAX] = "expected bytes with an optional K, M, G, T, P or E suffix (base 1024), a "
                             "percentage of physical memory up to 100%, or infinity",
        [LIMIT_MEMORY_HIGH] = "expected bytes with an optional K, M, G, T, P or E suffix (base 1024), a "
                              "percentage of physical memory up to 100%, or infinity",
        [LIMIT_MEMORY_SWAP_MAX] = "expected bytes with an optional K, M, G, T, P or E suffix (base 1024), a "
                                  "percentage of physical memory up to 100%, or infinity",
        [LIMIT_CPU_WEIGHT] = "expected a weight from 1 to 10000 (the default is 100)",
        [LIMIT_CPU_QUOTA] = "expected a percentage of one CPU above 0% and up to 1000000% (150% is one and "
                            "a half CPUs), or infinity",
        [LIMIT_CPU_QUOTA_PERIOD] = "expected a time span from 1ms to 1s, such as 10ms",
        [LIMIT_ALLOWED_CPUS] = "expected CPU numbers and ranges below 8192, such as 0-3,6",
        [LIMIT_ALLOWED_MEMORY_NODES] = "expected memory node numbers and ranges below 1024, such as 0-1",
        [LIMIT_TASKS_MAX] = "expected a number of tasks up to 4194304, a percentage of the kernel's pid_max "
                            "up to 100%, or infinity",
        [LIMIT_IO_WEIGHT] = "expected a weight from 1 to 10000 (the default is 100)",
        [LIMIT_IO_READ_BANDWIDTH_MAX] = "expected an absolute device path and bytes per second with an "
                                        "optional K, M, G, T, P or E suffix (base 1000), at least 2, or "
                                        "infinity, such as '/dev/sda 10M'",
        [LIMIT_IO_WRITE_BANDWIDTH_MAX] = "expected an absolute device path and bytes per second with an "
                                         "optional K, M, G, T, P or E suffix (base 1000), at least 2, or "
                                         "infinity, such as '/dev/sda 10M'",
        [LIMIT_IO_READ_IOPS_MAX] = "expected an absolute device path and operations per second with an "
                                   "optional K, M, G, T, P or E suffix (base 1000), at least 2, or "
                                   "infinity, such as '/dev/sda 1000'",
        [LIMIT_IO_WRITE_IOPS_MAX] = "expected an absolute device path and operations per second with an "
                                    "optional K, M, G, T, P or E suffix (base 1000), at least 2, or "
                                    "infinity, such as '/dev/sda 1000'",
        [LIMIT_OOM_POLICY] = "expected kill or continue",
};

const char *cgroup_controller_to_string(CgroupController c) {
        switch (c) {
        case CGROUP_CONTROLLER_CPU:
                return "cpu";
        case CGROUP_CONTROLLER_CPUSET:
                return "cpuset";
        case CGROUP_CONTROLLER_IO:
                return "io";
        case CGROUP_CONTROLLER_MEMORY:
                return "memory";
        case CGROUP_CONTROLLER_PIDS:
                return "pids";
        default:
                return NULL;
        }
}

static LimitKey limit_key_from_string(const char *key) {
        for (size_t i = 0; i < _LIMIT_KEY_MAX; i++)
                if (streq(cgroup_limit_options[i].key, key))
                        return (LimitKey) i;
        return _LIMIT_KEY_INVALID;
}

static bool limit_key_is_io_device(LimitKey k) {
        return k >= LIMIT_IO_READ_BANDWIDTH_MAX && k <= LIMIT_IO_WRITE_IOPS_MAX;
}

/* The uint64_t field of a key that has one (not the lists, IO devices or OOMPolicy=). */
static uint64_t *limit_scalar(CgroupLimits *l, LimitKey k) {
        switch (k) {
        case LIMIT_MEMORY_MAX:
                return &l->memory_max;
        case LIMIT_MEMORY_HIGH:
                return &l->memory_high;
        case LIMIT_MEMORY_SWAP_MAX:
                return &l->memory_swap_max;
        case LIMIT_CPU_WEIGHT:
                return &l->cpu_weight;
        case LIMIT_CPU_QUOTA:
                return &l->cpu_quota_usec;
        case LIMIT_CPU_QUOTA_PERIOD:
                return &l->cpu_period_usec;
        case LIMIT_TASKS_MAX:
                return &l->pids_max;
        case LIMIT_IO_WEIGHT:
                return &l->io_weight;
        default:
                return NULL;
        }
}

static const uint64_t *limit_scalar_const(const CgroupLimits *l, LimitKey k) {
        return limit_scalar((CgroupLimits *) l, k);
}

static char **limit_list(CgroupLimits *l, LimitKey k) {
        return k == LIMIT_ALLOWED_CPUS           ? &l->cpuset_cpus
               : k == LIMIT_ALLOWED_MEMORY_NODES ? &l->cpuset_mems
                                                 : NULL;
}

static uint64_t *io_field(CgroupIODeviceLimit *d, LimitKey k) {
        switch (k) {
        case LIMIT_IO_READ_BANDWIDTH_MAX:
                return &d->rbps;
        case LIMIT_IO_WRITE_BANDWIDTH_MAX:
                return &d->wbps;
        case LIMIT_IO_READ_IOPS_MAX:
                return &d->riops;
        case LIMIT_IO_WRITE_IOPS_MAX:
                return &d->wiops;
        default:
                return NULL;
        }
}

static bool io_device_is_empty(const CgroupIODeviceLimit *d) {
        return d->rbps == CGROUP_LIMIT_UNSET && d->wbps == CGROUP_LIMIT_UNSET &&
               d->riops == CGROUP_LIMIT_UNSET && d->wiops == CGROUP_LIMIT_UNSET;
}

void cgroup_limits_init(CgroupLimits *l) {
        *l = (CgroupLimits){
                .memory_max = CGROUP_LIMIT_UNSET,
                .memory_high = CGROUP_LIMIT_UNSET,
                .memory_swap_max = CGROUP_LIMIT_UNSET,
                .cpu_weight = CGROUP_LIMIT_UNSET,
                .cpu_quota_usec = CGROUP_LIMIT_UNSET,
                .cpu_period_usec = CGROUP_LIMIT_UNSET,
                .pids_max = CGROUP_LIMIT_UNSET,
                .io_weight = CGROUP_LIMIT_UNSET,
                .oom_kill_group = -1,
        };
}

void cgroup_limits_done(CgroupLimits *l) {
        free(l->cpuset_cpus);
        free(l->cpuset_mems);
        for (size_t i = 0; i < l->n_io_devices; i++)
                free(l->io_devices[i].path);
        free(l->io_devices);
        cgroup_limits_init(l);
}

bool cgroup_limits_is_empty(const CgroupLimits *l) {
        for (LimitKey k = 0; k < _LIMIT_KEY_MAX; k++) {
                const uint64_t *v = limit_scalar_const(l, k);
                if (v && *v != CGROUP_LIMIT_UNSET)
                        return false;
        }
        return !l->cpuset_cpus && !l->cpuset_mems && l->n_io_devices == 0 && l->oom_kill_group < 0;
}

CgroupController cgroup_limits_controllers(const CgroupLimits *l) {
        CgroupController m = 0;

        if (l->memory_max != CGROUP_LIMIT_UNSET || l->memory_high != CGROUP_LIMIT_UNSET ||
            l->memory_swap_max != CGROUP_LIMIT_UNSET || l->oom_kill_group >= 0)
                m |= CGROUP_CONTROLLER_MEMORY;
        if (l->cpu_weight != CGROUP_LIMIT_UNSET || l->cpu_quota_usec != CGROUP_LIMIT_UNSET ||
            l->cpu_period_usec != CGROUP_LIMIT_UNSET)
                m |= CGROUP_CONTROLLER_CPU;
        if (l->cpuset_cpus || l->cpuset_mems)
                m |= CGROUP_CONTROLLER_CPUSET;
        if (l->pids_max != CGROUP_LIMIT_UNSET)
                m |= CGROUP_CONTROLLER_PIDS;
        if (l->io_weight != CGROUP_LIMIT_UNSET || l->n_io_devices > 0)
                m |= CGROUP_CONTROLLER_IO;
        return m;
}

/* ---- parsing ---- */

/* Decimal digits at *p (at least one), moving *p past them. */
static int parse_digits(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                unsigned d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *p = s;
        *ret = v;
        return 0;
}

/* ".DIGITS" at *p, if there is one: up to nine digits count, as frac / *ret_div. */
static int parse_fraction(const char **p, uint64_t *ret_frac, uint64_t *ret_div) {
        const char *s = *p;
        uint64_t frac = 0, div = 1;

        if (*s == '.') {
                s++;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                for (; isdigit((unsigned char) *s); s++)
                        if (div < UINT64_C(1000000000)) {
                                frac = frac * 10 + (uint64_t) (*s - '0');
                                div *= 10;
                        }
        }
        *p = s;
        *ret_frac = frac;
        *ret_div = div;
        return 0;
}

/* whole + frac/div, each times mult, without overflowing. */
static int scale_add(uint64_t whole, uint64_t frac, uint64_t div, uint64_t mult, uint64_t *ret) {
        uint64_t v, add;

        if (mult != 0 && whole > UINT64_MAX / mult)
                return -ERANGE;
        v = whole * mult;
        add = mult / div * frac + (mult % div) * frac / div;
        if (v > UINT64_MAX - add)
                return -ERANGE;
        *ret = v + add;
        return 0;
}

/* systemd's sizes: "512M", "1.5G", "100" with K, M, G, T, P, E (or B) in powers of base. */
static int parse_size(const char *s, uint64_t base, uint64_t *ret) {
        static const char suffixes[] = "KMGTPE";
        uint64_t whole, frac, div, mult = 1, v;
        const char *p = s, *c;
        int r;

        r = parse_digits(&p, &whole);
        if (r < 0)
                return r;
        r = parse_fraction(&p, &frac, &div);
        if (r < 0)
                return r;
        p += strspn(p, " \t");
        if (*p == 'B')
                p++;
        else if (*p && (c = strchr(suffixes, *p))) {
                for (const char *i = suffixes; i <= c; i++)
                        mult *= base;
                p++;
        }
        if (*p)
                return -EINVAL;
        if (div > 1 && mult == 1)
                return -EINVAL; /* a fraction of a byte */
        r = scale_add(whole, frac, div, mult, &v);
        if (r < 0)
                return r;
        if (v >= CGROUP_LIMIT_MAX)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* "50%", "12.5%": the percentage times 10^decimals, with at most that many decimals. */
static int parse_percent(const char *s, unsigned decimals, uint64_t *ret) {
        uint64_t whole, frac = 0, scale = 1;
        const char *p = s;
        unsigned n = 0;
        int r;

        r = parse_digits(&p, &whole);
        if (r < 0)
                return r;
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                for (; isdigit((unsigned char) *p); p++) {
                        if (++n > decimals)
                                return -EINVAL;
                        frac = frac * 10 + (uint64_t) (*p - '0');
                }
        }
        if (p[0] != '%' || p[1])
                return -EINVAL;
        for (unsigned i = 0; i < decimals; i++) {
                scale *= 10;
                if (i >= n)
                        frac *= 10;
        }
        if (whole > UINT64_C(1000000000000))
                return -ERANGE;
        *ret = whole * scale + frac;
        return 0;
}

static bool is_percent(const char *s) {
        size_t n = strlen(s);
        return n > 0 && s[n - 1] == '%';
}

/* total * permyriad / 10000 without overflowing. */
static uint64_t scale_permyriad(uint64_t total, uint64_t permyriad) {
        return total / 10000 * permyriad + total % 10000 * permyriad / 10000;
}

/* systemd's time spans, as far as a period of at most a second needs: "10ms", "1s", "0.5s", "500 us",
 * "1s 500ms"; a bare number is seconds. Microseconds. */
static int parse_timespan_usec(const char *s, uint64_t *ret) {
        static const struct {
                const char *unit;
                uint64_t usec;
        } units[] = {
                { "us", 1 },
                { "usec", 1 },
                { "ms", 1000 },
                { "msec", 1000 },
                { "s", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "second", USEC_PER_SEC },
                { "seconds", USEC_PER_SEC },
                { "", USEC_PER_SEC },
        };
        uint64_t total = 0;
        const char *p = s;
        bool any = false;
        int r;

        for (;;) {
                uint64_t whole, frac, div, mult = 0, v;
                size_t n;

                p += strspn(p, " \t");
                if (!*p)
                        break;
                r = parse_digits(&p, &whole);
                if (r < 0)
                        return r;
                r = parse_fraction(&p, &frac, &div);
                if (r < 0)
                        return r;
                p += strspn(p, " \t");
                for (n = 0; isalpha((unsigned char) p[n]); n++)
                        ;
                for (size_t i = 0; i < ELEMENTSOF(units); i++)
                        if (strlen(units[i].unit) == n && strneq(p, units[i].unit, n)) {
                                mult = units[i].usec;
                                break;
                        }
                if (mult == 0)
                        return -EINVAL;
                p += n;
                r = scale_add(whole, frac, div, mult, &v);
                if (r < 0)
                        return r;
                if (total > UINT64_MAX - v)
                        return -ERANGE;
                total += v;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

/* "0-3,6", "0 2", "1,2 5-7": numbers below bound, into a bitmap of bound bits. */
static int parse_id_list(const char *s, unsigned bound, uint8_t *bits) {
        const char *p = s;
        bool any = false;
        int r;

        memset(bits, 0, (bound + 7) / 8);
        for (;;) {
                uint64_t a, b;

                p += strspn(p, " \t\n,");
                if (!*p)
                        break;
                r = parse_digits(&p, &a);
                if (r < 0)
                        return r;
                b = a;
                if (*p == '-') {
                        p++;
                        r = parse_digits(&p, &b);
                        if (r < 0)
                                return r;
                }
                if (*p && !strchr(" \t\n,", *p))
                        return -EINVAL;
                if (a >= bound || b >= bound)
                        return -ERANGE;
                if (b < a)
                        return -EINVAL;
                for (uint64_t i = a; i <= b; i++)
                        bits[i / 8] |= (uint8_t) (1U << (i % 8));
                any = true;
        }
        return any ? 0 : -EINVAL;
}

static bool bit_is_set(const uint8_t *bits, unsigned i) {
        return bits[i / 8] & (1U << (i % 8));
}

/* The kernel's form of a list: ascending ranges, "0-3,6". */
static char *format_id_list(const uint8_t *bits, unsigned bound) {
        char *s, *p;

        /* At worst pairs with a gap, "0-1,3-4,…": ten characters for every three numbers (of at most
         * four digits each). */
        s = p = malloc((size_t) bound * 4 + 16);
        if (!s)
                return NULL;
        *p = '\0';
        for (unsigned i = 0; i < bound; i++) {
                unsigned j = i;

                if (!bit_is_set(bits, i))
                        continue;
                while (j + 1 < bound && bit_is_set(bits, j + 1))
                        j++;
                p += sprintf(p, p == s ? "%u" : ",%u", i);
                if (j > i)
                        p += sprintf(p, "-%u", j);
                i = j;
        }
        return s;
}

static int normalize_id_list(const char *s, unsigned bound, char **ret) {
        uint8_t bits[CPUSET_CPUS_MAX / 8];
        char *n;
        int r;

        r = parse_id_list(s, bound, bits);
        if (r < 0)
                return r;
        n = format_id_list(bits, bound);
        if (!n)
                return -ENOMEM;
        *ret = n;
        return 0;
}

/* "DEVICE VALUE": an absolute path (simplified) and the rest. */
static int parse_io_device_value(const char *value, char **ret_path, uint64_t *ret) {
        _cleanup_free_ char *path = NULL;
        size_t n = strcspn(value, " \t");
        const char *rest = value + n;
        uint64_t v;
        int r;

        rest += strspn(rest, " \t");
        if (n == 0 || !*rest)
                return -EINVAL;
        path = strndup(value, n);
        if (!path)
                return -ENOMEM;
        if (!path_is_normalized_absolute(path) || n >= PATH_MAX_BERTH)
                return -EINVAL;
        path_simplify(path);
        if (streq(rest, "infinity"))
                v = CGROUP_LIMIT_MAX;
        else {
                r = parse_size(rest, 1000, &v);
                if (r < 0)
                        return r;
                if (v < IO_LIMIT_MIN)
                        return -ERANGE;
        }
        *ret_path = TAKE_PTR(path);
        *ret = v;
        return 0;
}

static CgroupIODeviceLimit *io_device_find(const CgroupLimits *l, const char *path) {
        for (size_t i = 0; i < l->n_io_devices; i++)
                if (streq(l->io_devices[i].path, path))
                        return &l->io_devices[i];
        return NULL;
}

/* The entry of path, added (with nothing set) when there is none. Takes *path when it adds one. */
static int io_device_get(CgroupLimits *l, char **path, CgroupIODeviceLimit **ret) {
        CgroupIODeviceLimit *d = io_device_find(l, *path), *n;

        if (!d) {
                if (l->n_io_devices >= IO_DEVICES_MAX)
                        return -E2BIG;
                n = realloc(l->io_devices, sizeof(CgroupIODeviceLimit) * (l->n_io_devices + 1));
                if (!n)
                        return -ENOMEM;
                l->io_devices = n;
                d = &l->io_devices[l->n_io_devices++];
                *d = (CgroupIODeviceLimit){
                        .path = TAKE_PTR(*path),
                        .rbps = CGROUP_LIMIT_UNSET,
                        .wbps = CGROUP_LIMIT_UNSET,
                        .riops = CGROUP_LIMIT_UNSET,
                        .wiops = CGROUP_LIMIT_UNSET,
                };
        }
        *ret = d;
        return 0;
}

/* Drops the entries that have nothing set any more. */
static void io_devices_prune(CgroupLimits *l) {
        size_t j = 0;

        for (size_t i = 0; i < l->n_io_devices; i++) {
                if (io_device_is_empty(&l->io_devices[i]))
                        free(l->io_devices[i].path);
                else
                        l->io_devices[j++] = l->io_devices[i];
        }
        l->n_io_devices = j;
        if (j == 0)
                l->io_devices = mfree(l->io_devices);
}

static void limit_reset(CgroupLimits *l, LimitKey k) {
        uint64_t *v = limit_scalar(l, k);
        char **list = limit_list(l, k);

        if (v)
                *v = CGROUP_LIMIT_UNSET;
        else if (list)
                *list = mfree(*list);
        else if (limit_key_is_io_device(k)) {
                for (size_t i = 0; i < l->n_io_devices; i++)
                        *io_field(&l->io_devices[i], k) = CGROUP_LIMIT_UNSET;
                io_devices_prune(l);
        } else if (k == LIMIT_OOM_POLICY)
                l->oom_kill_group = -1;
}

static int parse_weight(const char *value, uint64_t *ret) {
        const char *p = value;
        uint64_t v;
        int r;

        r = parse_digits(&p, &v);
        if (r < 0)
                return r;
        if (*p)
                return -EINVAL;
        if (v < WEIGHT_MIN || v > WEIGHT_MAX)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int limit_set_key(CgroupLimits *l, LimitKey k, const char *value, const CgroupHostFacts *host,
                         const char **ret_why) {
        uint64_t v;
        int r;

        *ret_why = limit_expected[k];
        if (isempty(value)) {
                limit_reset(l, k);
                return 0;
        }

        switch (k) {
        case LIMIT_MEMORY_MAX:
        case LIMIT_MEMORY_HIGH:
        case LIMIT_MEMORY_SWAP_MAX:
                if (streq(value, "infinity"))
                        v = CGROUP_LIMIT_MAX;
                else if (is_percent(value)) {
                        r = parse_percent(value, 2, &v);
                        if (r < 0 || v > 10000)
                                return -EINVAL;
                        if (!host || host->physical_memory == 0) {
                                *ret_why = "a percentage needs the host's physical memory size, which is "
                                           "not known here";
                                return -EINVAL;
                        }
                        v = scale_permyriad(host->physical_memory, v);
                } else if (parse_size(value, 1024, &v) < 0)
                        return -EINVAL;
                break;

        case LIMIT_CPU_WEIGHT:
        case LIMIT_IO_WEIGHT:
                if (streq(value, "idle")) {
                        /* cgroup v2 has cpu.idle for it, a different file with a different meaning
                         * from any weight; the kernel's io controller has no such thing at all. */
                        *ret_why = "idle is not supported: expected a weight from 1 to 10000 (the default "
                                   "is 100)";
                        return -EINVAL;
                }
                if (parse_weight(value, &v) < 0)
                        return -EINVAL;
                break;

        case LIMIT_CPU_QUOTA:
                /* "infinity" is ours, not systemd's: set-limit needs a way to lift a quota. */
                if (streq(value, "infinity"))
                        v = CGROUP_LIMIT_MAX;
                else {
                        /* 1% is 10000µs per second, so four decimals are exactly microseconds. */
                        r = parse_percent(value, 4, &v);
                        if (r < 0 || v == 0 || v > CPU_QUOTA_MAX_USEC)
                                return -EINVAL;
                }
                break;

        case LIMIT_CPU_QUOTA_PERIOD:
                r = parse_timespan_usec(value, &v);
                if (r < 0 || v < CPU_PERIOD_MIN_USEC || v > CPU_PERIOD_MAX_USEC)
                        return -EINVAL;
                break;

        case LIMIT_ALLOWED_CPUS:
        case LIMIT_ALLOWED_MEMORY_NODES: {
                char *list, **field = limit_list(l, k);

                r = normalize_id_list(value, k == LIMIT_ALLOWED_CPUS ? CPUSET_CPUS_MAX : CPUSET_MEMS_MAX,
                                      &list);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return -EINVAL;
                free(*field);
                *field = list;
                return 0;
        }

        case LIMIT_TASKS_MAX:
                if (streq(value, "infinity"))
                        v = CGROUP_LIMIT_MAX;
                else if (is_percent(value)) {
                        r = parse_percent(value, 2, &v);
                        if (r < 0 || v > 10000)
                                return -EINVAL;
                        if (!host || host->pid_max == 0) {
                                *ret_why =
                                        "a percentage needs the kernel's pid_max, which is not known here";
                                return -EINVAL;
                        }
                        v = MIN(scale_permyriad(host->pid_max, v), PIDS_MAX);
                } else {
                        const char *p = value;
                        r = parse_digits(&p, &v);
                        if (r < 0 || *p || v > PIDS_MAX)
                                return -EINVAL;
                }
                break;

        case LIMIT_IO_READ_BANDWIDTH_MAX:
        case LIMIT_IO_WRITE_BANDWIDTH_MAX:
        case LIMIT_IO_READ_IOPS_MAX:
        case LIMIT_IO_WRITE_IOPS_MAX: {
                _cleanup_free_ char *path = NULL;
                CgroupIODeviceLimit *d;

                r = parse_io_device_value(value, &path, &v);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return -EINVAL;
                r = io_device_get(l, &path, &d);
                if (r == -E2BIG) {
                        *ret_why = "at most 64 devices may have IO limits";
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
                *io_field(d, k) = v;
                return 0;
        }

        case LIMIT_OOM_POLICY:
                if (streq(value, "kill"))
                        l->oom_kill_group = 1;
                else if (streq(value, "continue"))
                        l->oom_kill_group = 0;
                else
                        return -EINVAL;
                return 0;

        default:
                return -EINVAL;
        }

        *limit_scalar(l, k) = v;
        return 0;
}

int cgroup_limit_set_why(CgroupLimits *l, const char *key, const char *value, const CgroupHostFacts *host,
                         const char **ret_why) {
        _cleanup_free_ char *stripped = NULL;
        LimitKey k;
        size_t n;

        k = limit_key_from_string(key);
        if (k < 0) {
                *ret_why = "not a resource limit";
                return -ENOENT;
        }
        if (strlen(value) > LIMIT_VALUE_MAX) {
                *ret_why = "the value is longer than 4096 bytes";
                return -EINVAL;
        }
        if (string_has_cc(value)) {
                *ret_why = "the value contains control characters";
                return -EINVAL;
        }
        /* As a settings file has it: surrounding blanks are not part of the value. */
        value += strspn(value, " \t");
        n = strlen(value);
        while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
                n--;
        stripped = strndup(value, n);
        if (!stripped)
                return -ENOMEM;
        return limit_set_key(l, k, stripped, host, ret_why);
}

/* The value as it goes into a one-line message: control characters shown as '?', long ones cut. */
static void shown_value(const char *value, char buf[static 132]) {
        size_t i = 0;

        for (; value[i] && i < 128; i++)
                buf[i] = (unsigned char) value[i] < ' ' || value[i] == 0x7f ? '?' : value[i];
        strcpy(buf + i, value[i] ? "..." : "");
}

int cgroup_limit_set(CgroupLimits *l, const char *key, const char *value, const CgroupHostFacts *host,
                     char **ret_error) {
        const char *why = NULL;
        int r;

        r = cgroup_limit_set_why(l, key, value, host, &why);
        if (r < 0 && r != -ENOMEM && ret_error) {
                char shown_key[132], shown[132], *e;

                shown_value(key, shown_key);
                shown_value(value, shown);
                if (asprintf(&e, "%s=%s: %s", shown_key, shown, why) < 0)
                        return -ENOMEM;
                *ret_error = e;
        }
        return r;
}

int cgroup_limits_copy(CgroupLimits *dst, const CgroupLimits *src) {
        CgroupLimits t = *src;

        t.cpuset_cpus = t.cpuset_mems = NULL;
        t.io_devices = NULL;
        t.n_io_devices = 0;
        if ((src->cpuset_cpus && !(t.cpuset_cpus = strdup(src->cpuset_cpus))) ||
            (src->cpuset_mems && !(t.cpuset_mems = strdup(src->cpuset_mems))))
                goto oom;
        if (src->n_io_devices > 0) {
                t.io_devices = calloc(src->n_io_devices, sizeof(CgroupIODeviceLimit));
                if (!t.io_devices)
                        goto oom;
                for (size_t i = 0; i < src->n_io_devices; i++) {
                        t.io_devices[i] = src->io_devices[i];
                        t.io_devices[i].path = strdup(src->io_devices[i].path);
                        t.n_io_devices++;
                        if (!t.io_devices[i].path)
                                goto oom;
                }
        }
        *dst = t;
        return 0;
oom:
        cgroup_limits_done(&t);
        return -ENOMEM;
}

int cgroup_limits_merge(CgroupLimits *dst, const CgroupLimits *src) {
        CgroupLimits t;
        int r;

        /* Into a copy, so that dst stays as it was when this fails. */
        r = cgroup_limits_copy(&t, dst);
        if (r < 0)
                return r;
        for (LimitKey k = 0; k < _LIMIT_KEY_MAX; k++) {
                const uint64_t *v = limit_scalar_const(src, k);
                if (v && *v != CGROUP_LIMIT_UNSET)
                        *limit_scalar(&t, k) = *v;
        }
        for (LimitKey k = LIMIT_ALLOWED_CPUS; k <= LIMIT_ALLOWED_MEMORY_NODES; k++) {
                const char *s = *limit_list((CgroupLimits *) src, k);
                char *c;

                if (!s)
                        continue;
                c = strdup(s);
                if (!c) {
                        r = -ENOMEM;
                        goto fail;
                }
                free(*limit_list(&t, k));
                *limit_list(&t, k) = c;
        }
        for (size_t i = 0; i < src->n_io_devices; i++) {
                CgroupIODeviceLimit *s = &src->io_devices[i], *d;
                _cleanup_free_ char *path = strdup(s->path);

                if (!path) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = io_device_get(&t, &path, &d);
                if (r < 0)
                        goto fail;
                for (LimitKey k = LIMIT_IO_READ_BANDWIDTH_MAX; k <= LIMIT_IO_WRITE_IOPS_MAX; k++)
                        if (*io_field(s, k) != CGROUP_LIMIT_UNSET)
                                *io_field(d, k) = *io_field(s, k);
        }
        if (src->oom_kill_group >= 0)
                t.oom_kill_group = src->oom_kill_group;
        cgroup_limits_done(dst);
        *dst = t;
        return 0;
fail:
        cgroup_limits_done(&t);
        return r;
}

/* ---- formatting ---- */

static void format_u64_or(uint64_t v, const char *max, char buf[static 32]) {
        if (v == CGROUP_LIMIT_MAX)
                snprintf(buf, 32, "%s", max);
        else
                snprintf(buf, 32, "%" PRIu64, v);
}

/* A scalar key's value in systemd's syntax, such that parsing it gives v again. */
static void format_scalar(LimitKey k, uint64_t v, char buf[static 32]) {
        switch (k) {
        case LIMIT_CPU_QUOTA:
                if (v == CGROUP_LIMIT_MAX)
                        snprintf(buf, 32, "infinity");
                else if (v % 10000 == 0)
                        snprintf(buf, 32, "%" PRIu64 "%%", v / 10000);
                else {
                        int n = snprintf(buf, 32, "%" PRIu64 ".%04" PRIu64, v / 10000, v % 10000);
                        while (buf[n - 1] == '0')
                                n--;
                        snprintf(buf + n, (size_t) (32 - n), "%%");
                }
                break;
        case LIMIT_CPU_QUOTA_PERIOD:
                if (v % 1000 == 0)
                        snprintf(buf, 32, "%" PRIu64 "ms", v / 1000);
                else
                        snprintf(buf, 32, "%" PRIu64 "us", v);
                break;
        default:
                format_u64_or(v, "infinity", buf);
        }
}

static int strv_extend_key(char ***l, LimitKey k, const char *value) {
        char *s;
        int r;

        if (asprintf(&s, "%s=%s", cgroup_limit_options[k].key, value) < 0)
                return -ENOMEM;
        r = strv_push(l, s);
        if (r < 0)
                free(s);
        return r;
}

int cgroup_limits_to_strv(const CgroupLimits *l, char ***ret) {
        _cleanup_strv_free_ char **s = NULL;
        _cleanup_free_ size_t *order = NULL;
        int r;

        /* Devices by path, not in the order they were first named: the lines of one key would come out
         * in another order after a round trip through the lines of all keys. */
        order = malloc(sizeof(size_t) * (l->n_io_devices + 1));
        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < l->n_io_devices; i++) {
                size_t j = i;
                for (; j > 0 && strcmp(l->io_devices[order[j - 1]].path, l->io_devices[i].path) > 0; j--)
                        order[j] = order[j - 1];
                order[j] = i;
        }

        for (LimitKey k = 0; k < _LIMIT_KEY_MAX; k++) {
                const uint64_t *v = limit_scalar_const(l, k);
                char buf[32];

                if (v) {
                        if (*v == CGROUP_LIMIT_UNSET)
                                continue;
                        format_scalar(k, *v, buf);
                        r = strv_extend_key(&s, k, buf);
                } else if (k == LIMIT_ALLOWED_CPUS || k == LIMIT_ALLOWED_MEMORY_NODES) {
                        const char *list = *limit_list((CgroupLimits *) l, k);
                        r = list ? strv_extend_key(&s, k, list) : 0;
                } else if (limit_key_is_io_device(k)) {
                        r = 0;
                        for (size_t i = 0; r >= 0 && i < l->n_io_devices; i++) {
                                CgroupIODeviceLimit *d = &l->io_devices[order[i]];
                                _cleanup_free_ char *value = NULL;

                                if (*io_field(d, k) == CGROUP_LIMIT_UNSET)
                                        continue;
                                format_u64_or(*io_field(d, k), "infinity", buf);
                                value = strjoin3(d->path, " ", buf);
                                r = value ? strv_extend_key(&s, k, value) : -ENOMEM;
                        }
                } else if (k == LIMIT_OOM_POLICY)
                        r = l->oom_kill_group < 0
                                    ? 0
                                    : strv_extend_key(&s, k, l->oom_kill_group ? "kill" : "continue");
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        if (!s) {
                s = calloc(1, sizeof(char *));
                if (!s)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- the host ---- */

int cgroup_host_facts(CgroupHostFacts *ret) {
        _cleanup_free_ char *text = NULL;
        long pages, page_size;
        uint64_t pid_max;
        const char *p;
        int r;

        pages = sysconf(_SC_PHYS_PAGES);
        page_size = sysconf(_SC_PAGESIZE);
        if (pages <= 0 || page_size <= 0)
                return -EOPNOTSUPP;
        r = read_small_file_at(AT_FDCWD, "/proc/sys/kernel/pid_max", 64, &text, NULL);
        if (r < 0)
                return r;
        p = text;
        if (parse_digits(&p, &pid_max) < 0 || (*p && *p != '\n') || pid_max == 0)
                return -EBADMSG;
        *ret = (CgroupHostFacts){
                .physical_memory = (uint64_t) pages * (uint64_t) page_size,
                .pid_max = pid_max,
        };
        return 0;
}

static int check_list(const char *key, const char *list, const char *online, unsigned bound,
                      const char *what, char **ret_error) {
        uint8_t want[CPUSET_CPUS_MAX / 8], have[CPUSET_CPUS_MAX / 8];
        int r;

        if (parse_id_list(list, bound, want) < 0)
                return asprintf(ret_error, "%s=%s: %s", key, list, "not a normalized list") < 0 ? -ENOMEM
                                                                                                : -EINVAL;
        r = parse_id_list(online, bound, have);
        if (r < 0)
                return asprintf(ret_error, "%s=%s: cannot parse the host's list of online %ss", key, list,
                                what) < 0
                               ? -ENOMEM
                               : -EBADMSG;
        for (unsigned i = 0; i < bound; i++)
                if (bit_is_set(want, i) && !bit_is_set(have, i)) {
                        _cleanup_free_ char *shown = format_id_list(have, bound);
                        if (!shown)
                                return -ENOMEM;
                        return asprintf(ret_error, "%s=%s: %s %u is not online on this host (online: %s)",
                                        key, list, what, i, shown) < 0
                                       ? -ENOMEM
                                       : -EINVAL;
                }
        return 0;
}

int cgroup_limits_check_cpusets(const CgroupLimits *l, const char *cpus_online, const char *mems_online,
                                char **ret_error) {
        int r;

        if (l->cpuset_cpus) {
                r = check_list(cgroup_limit_options[LIMIT_ALLOWED_CPUS].key, l->cpuset_cpus,
                               cpus_online ?: "", CPUSET_CPUS_MAX, "CPU", ret_error);
                if (r < 0)
                        return r;
        }
        if (l->cpuset_mems) {
                r = check_list(cgroup_limit_options[LIMIT_ALLOWED_MEMORY_NODES].key, l->cpuset_mems,
                               mems_online ?: "0", CPUSET_MEMS_MAX, "memory node", ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "MAJ:MIN", all of it. */
static int parse_devnum(const char *s, const char **ret_end, dev_t *ret) {
        uint64_t maj, min;
        const char *p = s;

        if (parse_digits(&p, &maj) < 0 || *p != ':')
                return -EINVAL;
        p++;
        if (parse_digits(&p, &min) < 0)
                return -EINVAL;
        if (maj > 0xfffU || min > 0xfffffU)
                return -ERANGE;
        if (ret_end)
                *ret_end = p;
        else if (*p)
                return -EINVAL;
        *ret = makedev((unsigned) maj, (unsigned) min);
        return 0;
}

int cgroup_block_device_whole_disk(int sys_dev_block_fd, dev_t dev, dev_t *ret) {
        _cleanup_free_ char *text = NULL;
        char p[64];
        const char *end;
        dev_t whole;
        int r;

        snprintf(p, sizeof(p), "%u:%u", major(dev), minor(dev));
        if (faccessat(sys_dev_block_fd, p, F_OK, 0) < 0)
                return errno == ENOENT ? -ENOTBLK : negative_errno();
        snprintf(p, sizeof(p), "%u:%u/partition", major(dev), minor(dev));
        if (faccessat(sys_dev_block_fd, p, F_OK, 0) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                *ret = dev;
                return 0;
        }
        /* A partition's directory sits in its disk's, as systemd finds the disk (block_get_whole_disk). */
        snprintf(p, sizeof(p), "%u:%u/../dev", major(dev), minor(dev));
        r = read_small_file_at(sys_dev_block_fd, p, 64, &text, NULL);
        if (r < 0)
                return r;
        r = parse_devnum(text, &end, &whole);
        if (r < 0 || (*end && !streq(end, "\n")))
                return -EBADMSG;
        *ret = whole;
        return 0;
}

int cgroup_io_device_resolve(const char *path, dev_t *ret) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        dev_t dev;

        if (stat(path, &st) < 0) {
                int r = negative_errno();
                if (r != -ENOENT || !strneq(path, "/dev/block/", 11) ||
                    parse_devnum(path + 11, NULL, &dev) < 0)
                        return r;
        } else if (S_ISBLK(st.st_mode))
                dev = st.st_rdev;
        else if (S_ISCHR(st.st_mode))
                return -ENOTBLK;
        else
                dev = st.st_dev;
        if (major(dev) == 0)
                return -ENOTBLK; /* an anonymous device: tmpfs, overlayfs, NFS, … */
        fd = open("/sys/dev/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return cgroup_block_device_whole_disk(fd, dev, ret);
}

int cgroup_limits_check_host(const CgroupLimits *l, char **ret_error) {
        _cleanup_free_ char *cpus = NULL, *mems = NULL;
        int r;

        if (l->cpuset_cpus) {
                r = read_small_file_at(AT_FDCWD, "/sys/devices/system/cpu/online", CGROUP_FILE_MAX, &cpus,
                                       NULL);
                if (r < 0)
                        return asprintf(ret_error, "cannot read the host's online CPUs: %s", strerror(-r)) <
                                               0
                                       ? -ENOMEM
                                       : r;
        }
        if (l->cpuset_mems) {
                r = read_small_file_at(AT_FDCWD, "/sys/devices/system/node/online", CGROUP_FILE_MAX, &mems,
                                       NULL);
                if (r < 0 && r != -ENOENT)
                        return asprintf(ret_error, "cannot read the host's online memory nodes: %s",
                                        strerror(-r)) < 0
                                       ? -ENOMEM
                                       : r;
        }
        r = cgroup_limits_check_cpusets(l, cpus, mems, ret_error);
        if (r < 0)
                return r;

        for (size_t i = 0; i < l->n_io_devices; i++) {
                CgroupIODeviceLimit *d = &l->io_devices[i];
                LimitKey k = LIMIT_IO_READ_BANDWIDTH_MAX;
                dev_t dev;

                while (k < LIMIT_IO_WRITE_IOPS_MAX && *io_field(d, k) == CGROUP_LIMIT_UNSET)
                        k++;
                r = cgroup_io_device_resolve(d->path, &dev);
                if (r == -ENOENT)
                        return asprintf(ret_error, "%s=%s: no such device or file",
                                        cgroup_limit_options[k].key, d->path) < 0
                                       ? -ENOMEM
                                       : -ENOENT;
                if (r == -ENOTBLK)
                        return asprintf(ret_error,
                                        "%s=%s: not a block device, nor a file on a file system that is on "
                                        "one",
                                        cgroup_limit_options[k].key, d->path) < 0
                                       ? -ENOMEM
                                       : -EINVAL;
                if (r < 0)
                        return asprintf(ret_error, "%s=%s: cannot look it up: %s",
                                        cgroup_limit_options[k].key, d->path, strerror(-r)) < 0
                                       ? -ENOMEM
                                       : r;
        }
        return 0;
}

/* ---- cgroup files ---- */

/* One write() for the kernel to take or refuse; truncating, so a plain file ends up holding the value
 * alone, as a cgroup file would show it. */
static int write_file(int dir_fd, const char *file, const char *value, const char **ret_file) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(dir_fd, file, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        r = fd < 0 ? negative_errno() : loop_write(fd, value, strlen(value));
        if (r < 0 && ret_file)
                *ret_file = file;
        return r;
}

static int write_u64_or_max(int dir_fd, const char *file, uint64_t v, const char **ret_file) {
        char buf[32];

        if (v == CGROUP_LIMIT_UNSET)
                return 0;
        format_u64_or(v, "max", buf);
        return write_file(dir_fd, file, buf, ret_file);
}

/* "max PERIOD" or "QUOTA PERIOD", as cpu.max has it. */
static int parse_cpu_max(const char *text, uint64_t *ret_quota, uint64_t *ret_period) {
        const char *p = text;
        uint64_t quota = CGROUP_LIMIT_MAX, period;

        if (strneq(p, "max", 3))
                p += 3;
        else if (parse_digits(&p, &quota) < 0)
                return -EBADMSG;
        if (*p++ != ' ' || parse_digits(&p, &period) < 0 || (*p && !streq(p, "\n")) || period == 0)
                return -EBADMSG;
        *ret_quota = quota;
        *ret_period = period;
        return 0;
}

/* quota's share of a second at period, never below what the kernel takes. */
static uint64_t quota_at_period(uint64_t quota, uint64_t from_period, uint64_t to_period) {
        uint64_t q = quota / from_period * to_period + quota % from_period * to_period / from_period;
        return MAX(q, CPU_PERIOD_MIN_USEC);
}

static int write_cpu_max(const CgroupLimits *l, int cgroup_fd, const char **ret_file) {
        uint64_t period = l->cpu_period_usec != CGROUP_LIMIT_UNSET ? l->cpu_period_usec
                                                                   : CGROUP_CPU_PERIOD_DEFAULT_USEC;
        uint64_t quota = l->cpu_quota_usec;
        char buf[64];
        int r;

        if (quota == CGROUP_LIMIT_UNSET && l->cpu_period_usec == CGROUP_LIMIT_UNSET)
                return 0;
        if (quota == CGROUP_LIMIT_UNSET) {
                /* Only the period: the kernel wants both, so keep the cgroup's share of a second. */
                _cleanup_free_ char *text = NULL;
                uint64_t old_period;

                r = read_small_file_at(cgroup_fd, "cpu.max", 256, &text, NULL);
                if (r >= 0)
                        r = parse_cpu_max(text, &quota, &old_period);
                if (r < 0) {
                        if (ret_file)
                                *ret_file = "cpu.max";
                        return r;
                }
                if (quota != CGROUP_LIMIT_MAX)
                        quota = quota_at_period(quota, old_period, USEC_PER_SEC);
        }
        if (quota == CGROUP_LIMIT_MAX)
                snprintf(buf, sizeof(buf), "max %" PRIu64, period);
        else
                snprintf(buf, sizeof(buf), "%" PRIu64 " %" PRIu64,
                         quota_at_period(quota, USEC_PER_SEC, period), period);
        return write_file(cgroup_fd, "cpu.max", buf, ret_file);
}

static int write_io_max(const CgroupIODeviceLimit *d, int cgroup_fd, const char **ret_file) {
        static const char *const names[] = { "rbps", "wbps", "riops", "wiops" };
        const uint64_t values[] = { d->rbps, d->wbps, d->riops, d->wiops };
        char buf[256];
        size_t n;
        dev_t dev;
        int r;

        r = cgroup_io_device_resolve(d->path, &dev);
        if (r < 0) {
                if (ret_file)
                        *ret_file = "io.max";
                return r;
        }
        n = (size_t) snprintf(buf, sizeof(buf), "%u:%u", major(dev), minor(dev));
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char v[32];

                if (values[i] == CGROUP_LIMIT_UNSET)
                        continue; /* the kernel keeps what it has for a key not given */
                format_u64_or(values[i], "max", v);
                n += (size_t) snprintf(buf + n, sizeof(buf) - n, " %s=%s", names[i], v);
        }
        return write_file(cgroup_fd, "io.max", buf, ret_file);
}

/* io.weight is what io.cost weighs by, io.bfq.weight (1..1000) what the BFQ scheduler does; which one
 * counts depends on the disk, so both are written where they exist, as systemd does. */
static int write_io_weight(uint64_t weight, int cgroup_fd, const char **ret_file) {
        uint64_t bfq = weight <= 100 ? weight : 100 + (weight - 100) * 900 / 9900;
        char buf[64];
        int r, k;

        if (weight == CGROUP_LIMIT_UNSET)
                return 0;
        snprintf(buf, sizeof(buf), "default %" PRIu64, weight);
        r = write_file(cgroup_fd, "io.weight", buf, ret_file);
        if (r < 0 && r != -ENOENT)
                return r;
        snprintf(buf, sizeof(buf), "default %" PRIu64, bfq);
        k = write_file(cgroup_fd, "io.bfq.weight", buf, NULL);
        if (k < 0 && k != -ENOENT) {
                if (ret_file)
                        *ret_file = "io.bfq.weight";
                return k;
        }
        if (r < 0 && k < 0)
                return r; /* neither: ret_file names io.weight */
        if (ret_file)
                *ret_file = NULL;
        return 0;
}

int cgroup_limits_write(const CgroupLimits *l, int cgroup_fd, const char **ret_file) {
        int r;

        /* Each step only when its limit is set:
         * 1. memory.max, memory.high, memory.swap.max
         * 2. cpu.weight, cpu.max
         * 3. cpuset.cpus, cpuset.mems
         * 4. pids.max
         * 5. io.weight (and io.bfq.weight), then io.max once for each device (its whole disk's MAJ:MIN) */
        if (ret_file)
                *ret_file = NULL;

        r = write_u64_or_max(cgroup_fd, "memory.max", l->memory_max, ret_file);
        if (r < 0)
                return r;
        r = write_u64_or_max(cgroup_fd, "memory.high", l->memory_high, ret_file);
        if (r < 0)
                return r;
        r = write_u64_or_max(cgroup_fd, "memory.swap.max", l->memory_swap_max, ret_file);
        if (r < 0)
                return r;

        r = write_u64_or_max(cgroup_fd, "cpu.weight", l->cpu_weight, ret_file);
        if (r < 0)
                return r;
        r = write_cpu_max(l, cgroup_fd, ret_file);
        if (r < 0)
                return r;

        if (l->cpuset_cpus) {
                r = write_file(cgroup_fd, "cpuset.cpus", l->cpuset_cpus, ret_file);
                if (r < 0)
                        return r;
        }
        if (l->cpuset_mems) {
                r = write_file(cgroup_fd, "cpuset.mems", l->cpuset_mems, ret_file);
                if (r < 0)
                        return r;
        }

        r = write_u64_or_max(cgroup_fd, "pids.max", l->pids_max, ret_file);
        if (r < 0)
                return r;

        r = write_io_weight(l->io_weight, cgroup_fd, ret_file);
        if (r < 0)
                return r;
        for (size_t i = 0; i < l->n_io_devices; i++) {
                r = write_io_max(&l->io_devices[i], cgroup_fd, ret_file);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_limits_write_payload(const CgroupLimits *l, int payload_fd, const char **ret_file) {
        if (ret_file)
                *ret_file = NULL;
        if (l->oom_kill_group < 0)
                return 0;
        return write_file(payload_fd, "memory.oom.group", l->oom_kill_group ? "1" : "0", ret_file);
}

/* A cgroup file's text without its newline; -ENOENT when the cgroup has no such file. */
static int read_file(int cgroup_fd, const char *file, char **ret) {
        char *text;
        size_t n;
        int r;

        r = read_small_file_at(cgroup_fd, file, CGROUP_FILE_MAX, &text, &n);
        if (r < 0)
                return r;
        while (n > 0 && text[n - 1] == '\n')
                text[--n] = '\0';
        *ret = text;
        return 0;
}

static int parse_u64_or_max(const char *s, uint64_t *ret) {
        const char *p = s;

        if (streq(s, "max")) {
                *ret = CGROUP_LIMIT_MAX;
                return 0;
        }
        if (parse_digits(&p, ret) < 0 || *p || *ret >= CGROUP_LIMIT_MAX)
                return -EBADMSG;
        return 0;
}

static int read_u64_or_max(int cgroup_fd, const char *file, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file(cgroup_fd, file, &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return parse_u64_or_max(text, ret);
}

static int read_list(int cgroup_fd, const char *file, unsigned bound, char **ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file(cgroup_fd, file, &text);
        if (r == -ENOENT || (r >= 0 && isempty(text)))
                return 0; /* empty: the parent's, nothing of its own */
        if (r < 0)
                return r;
        r = normalize_id_list(text, bound, ret);
        return r == -ENOMEM ? r : r < 0 ? -EBADMSG : 0;
}

/* "MAJ:MIN rbps=N wbps=max riops=N wiops=max" lines. */
static int parse_io_max(const char *text, CgroupLimits *l) {
        static const LimitKey keys[] = { LIMIT_IO_READ_BANDWIDTH_MAX, LIMIT_IO_WRITE_BANDWIDTH_MAX,
                                         LIMIT_IO_READ_IOPS_MAX, LIMIT_IO_WRITE_IOPS_MAX };
        static const char *const names[] = { "rbps=", "wbps=", "riops=", "wiops=" };
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        r = split_escaped(text, '\n', 4096, &lines);
        if (r < 0)
                return r == -E2BIG ? -EBADMSG : r;
        STRV_FOREACH (line, lines) {
                _cleanup_strv_free_ char **words = NULL;
                _cleanup_free_ char *path = NULL;
                CgroupIODeviceLimit *d;
                const char *end;
                dev_t dev;

                if (isempty(*line))
                        continue;
                r = split_escaped(*line, ' ', 16, &words);
                if (r < 0)
                        return r == -E2BIG ? -EBADMSG : r;
                if (parse_devnum(words[0], &end, &dev) < 0 || *end)
                        return -EBADMSG;
                if (asprintf(&path, "/dev/block/%u:%u", major(dev), minor(dev)) < 0)
                        return -ENOMEM;
                r = io_device_get(l, &path, &d);
                if (r < 0)
                        return r;
                for (char **w = words + 1; *w; w++)
                        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                                if (strneq(*w, names[i], strlen(names[i]))) {
                                        r = parse_u64_or_max(*w + strlen(names[i]), io_field(d, keys[i]));
                                        if (r < 0)
                                                return r;
                                }
        }
        io_devices_prune(l);
        return 0;
}

int cgroup_limits_read(int cgroup_fd, CgroupLimits *ret) {
        static const struct {
                const char *file;
                LimitKey key;
        } scalars[] = {
                { "memory.max", LIMIT_MEMORY_MAX },
                { "memory.high", LIMIT_MEMORY_HIGH },
                { "memory.swap.max", LIMIT_MEMORY_SWAP_MAX },
                { "cpu.weight", LIMIT_CPU_WEIGHT },
                { "pids.max", LIMIT_TASKS_MAX },
        };
        _cleanup_free_ char *text = NULL;
        CgroupLimits t;
        int r;

        cgroup_limits_init(&t);
        for (size_t i = 0; i < ELEMENTSOF(scalars); i++) {
                r = read_u64_or_max(cgroup_fd, scalars[i].file, limit_scalar(&t, scalars[i].key));
                if (r < 0)
                        goto fail;
        }

        r = read_file(cgroup_fd, "cpu.max", &text);
        if (r >= 0) {
                uint64_t quota, period;

                r = parse_cpu_max(text, &quota, &period);
                if (r < 0)
                        goto fail;
                t.cpu_period_usec = period;
                t.cpu_quota_usec =
                        quota == CGROUP_LIMIT_MAX ? quota : quota_at_period(quota, period, USEC_PER_SEC);
        } else if (r != -ENOENT)
                goto fail;
        text = mfree(text);

        r = read_list(cgroup_fd, "cpuset.cpus", CPUSET_CPUS_MAX, &t.cpuset_cpus);
        if (r < 0)
                goto fail;
        r = read_list(cgroup_fd, "cpuset.mems", CPUSET_MEMS_MAX, &t.cpuset_mems);
        if (r < 0)
                goto fail;

        /* "default N", then a line for each device with a weight of its own. */
        r = read_file(cgroup_fd, "io.weight", &text);
        if (r >= 0) {
                const char *p = text;

                if (!strneq(p, "default ", 8) || (p += 8, parse_digits(&p, &t.io_weight) < 0) ||
                    (*p && *p != '\n')) {
                        r = -EBADMSG;
                        goto fail;
                }
        } else if (r != -ENOENT)
                goto fail;
        text = mfree(text);

        r = read_file(cgroup_fd, "io.max", &text);
        if (r >= 0)
                r = parse_io_max(text, &t);
        if (r < 0 && r != -ENOENT)
                goto fail;

        *ret = t;
        return 0;
fail:
        cgroup_limits_done(&t);
        return r;
}

int cgroup_limits_read_payload(int payload_fd, CgroupLimits *l) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file(payload_fd, "memory.oom.group", &text);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (!streq(text, "0") && !streq(text, "1"))
                return -EBADMSG;
        l->oom_kill_group = text[0] == '1';
        return 0;
}
