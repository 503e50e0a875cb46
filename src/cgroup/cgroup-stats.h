#pragma once

#include <stdbool.h>
#include <stdint.h>

/* What a machine has used, read from the cgroup v2 files of its scope (the whole machine: payload and
 * whatever else berth puts beside it). Which files exist depends on the host: on a hybrid host the v2 tree
 * has no controllers, so only cpu.stat's usage_usec/user_usec/system_usec and the core files are there;
 * memory.peak needs Linux 5.19. A figure whose file or key is missing is CGROUP_STAT_UNKNOWN, so callers
 * print "-" or null rather than a made-up 0. */

#define CGROUP_STAT_UNKNOWN UINT64_MAX

typedef struct CgroupStats {
        /* cpu.stat, microseconds */
        uint64_t cpu_usage_usec;
        uint64_t cpu_user_usec;
        uint64_t cpu_system_usec;
        uint64_t cpu_nr_throttled;
        uint64_t cpu_throttled_usec;
        /* memory.current, memory.peak, memory.swap.current, bytes */
        uint64_t memory_current;
        uint64_t memory_peak;
        uint64_t memory_swap_current;
        /* memory.stat, bytes */
        uint64_t memory_anon;
        uint64_t memory_file;
        uint64_t memory_kernel;
        uint64_t memory_shmem;
        /* memory.events, counts (of the whole subtree) */
        uint64_t memory_events_oom;      /* times an allocation hit memory.max and reclaim failed */
        uint64_t memory_events_oom_kill; /* processes the OOM killer killed */
        uint64_t memory_events_max;
        uint64_t memory_events_high;
        /* pids.current, pids.events */
        uint64_t pids_current;
        uint64_t pids_events_max; /* forks refused by pids.max */
        /* io.stat, summed over every device */
        uint64_t io_read_bytes;
        uint64_t io_write_bytes;
        uint64_t io_read_ops;
        uint64_t io_write_ops;
        /* The freezer of the machine's payload (of the cgroup itself when it has no "payload" child):
         * cgroup.freeze (asked for) and cgroup.events' frozen (reached). 1, 0, or -1 when unknown. */
        int freeze;
        int frozen;
} CgroupStats;

static inline bool cgroup_stat_known(uint64_t v) {
        return v != CGROUP_STAT_UNKNOWN;
}

/* Every figure unknown. */
void cgroup_stats_init(CgroupStats *s);

/* Reads every figure of the cgroup at scope_fd; a missing or unreadable file leaves its figures
 * unknown. Fails only when cpu.stat, which every cgroup v2 has, cannot be read (the cgroup is gone:
 * -ENOENT or -ENODEV). One openat() and read() per file, nothing else. */
int cgroup_stats_read(int scope_fd, CgroupStats *ret);

/* Pure parsers of the cgroup v2 file formats (Documentation/admin-guide/cgroup-v2.rst, "Interface
 * Files"). All return -EINVAL for a malformed value and -ENOENT for a key that is not there. */

/* A single value: "12345\n". "max" is refused (-EINVAL): no figure read here can be "max". */
int cgroup_parse_single_value(const char *text, uint64_t *ret);
/* One key of a flat-keyed file ("usage_usec 123\nuser_usec 45\n"): the key must be a whole word at
 * the start of a line. */
int cgroup_parse_flat_keyed(const char *text, const char *key, uint64_t *ret);

typedef struct CgroupIOStat {
        uint64_t rbytes;
        uint64_t wbytes;
        uint64_t rios;
        uint64_t wios;
} CgroupIOStat;

/* io.stat, nested-keyed ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", one line per device),
 * summed over the devices (saturating). Keys it does not know are skipped, as are lines that do not
 * start with MAJOR:MINOR; an empty text is all zeros (no IO yet). -EINVAL only for a malformed value of
 * a key it sums. */
int cgroup_parse_io_stat(const char *text, CgroupIOStat *ret);
