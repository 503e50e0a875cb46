#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A machine's resource limits, with systemd's resource-control names and units: the [Resources] section
 * of a settings file, the --memory-max= … options of run, boot and set-limit, and the properties of a
 * transient scope. Parsing and formatting are pure; cgroup_limits_write() puts them in cgroup v2 files. */

#define CGROUP_LIMIT_UNSET UINT64_MAX       /* not asked for: the cgroup keeps what it has */
#define CGROUP_LIMIT_MAX   (UINT64_MAX - 1) /* "infinity": the file's "max" */

#define CGROUP_CPU_PERIOD_DEFAULT_USEC 100000U /* cpu.max's period when CPUQuotaPeriodSec= is unset */

typedef enum CgroupController {
        CGROUP_CONTROLLER_CPU = 1U << 0,
        CGROUP_CONTROLLER_CPUSET = 1U << 1,
        CGROUP_CONTROLLER_IO = 1U << 2,
        CGROUP_CONTROLLER_MEMORY = 1U << 3,
        CGROUP_CONTROLLER_PIDS = 1U << 4,
        _CGROUP_CONTROLLER_ALL = (1U << 5) - 1,
} CgroupController;

/* "cpu", "cpuset", "io", "memory", "pids"; NULL for anything but one bit. */
const char *cgroup_controller_to_string(CgroupController c);

typedef struct CgroupIODeviceLimit {
        char *path;    /* the block device as given: /dev/sda, or a file on it (as systemd takes it) */
        uint64_t rbps; /* IOReadBandwidthMax=; CGROUP_LIMIT_UNSET or _MAX or bytes per second */
        uint64_t wbps; /* IOWriteBandwidthMax= */
        uint64_t riops;
        uint64_t wiops;
} CgroupIODeviceLimit;

typedef struct CgroupLimits {
        uint64_t memory_max;      /* MemoryMax=      memory.max       bytes */
        uint64_t memory_high;     /* MemoryHigh=     memory.high      bytes */
        uint64_t memory_swap_max; /* MemorySwapMax=  memory.swap.max  bytes */
        uint64_t cpu_weight;      /* CPUWeight=      cpu.weight       1..10000 */
        uint64_t cpu_quota_usec;  /* CPUQuota=       cpu.max          CPU time per second, 150% = 1500000 */
        uint64_t cpu_period_usec; /* CPUQuotaPeriodSec=  cpu.max's period; UNSET = 100ms */
        char *cpuset_cpus;        /* AllowedCPUs=    cpuset.cpus      normalized list "0-3,6" */
        char *cpuset_mems;        /* AllowedMemoryNodes= cpuset.mems  normalized list */
        uint64_t pids_max;        /* TasksMax=       pids.max */
        uint64_t io_weight;       /* IOWeight=       io.weight        1..10000 */
        CgroupIODeviceLimit *io_devices; /* IO{Read,Write}{Bandwidth,IOPS}Max=  io.max */
        size_t n_io_devices;
        int oom_kill_group; /* OOMPolicy=kill: 1, continue: 0, -1 unset. memory.oom.group of the payload */
} CgroupLimits;

/* What percentages are of, so parsing stays pure: MemoryMax=50% of physical memory, TasksMax=10% of
 * the kernel's pid_max. */
typedef struct CgroupHostFacts {
        uint64_t physical_memory;
        uint64_t pid_max;
} CgroupHostFacts;

/* Reads them from this host (sysconf, /proc/sys/kernel/pid_max). */
int cgroup_host_facts(CgroupHostFacts *ret);

void cgroup_limits_init(CgroupLimits *l); /* everything unset */
void cgroup_limits_done(CgroupLimits *l);
bool cgroup_limits_is_empty(const CgroupLimits *l);

/* One option of run, boot and set-limit and its settings key, e.g. { "memory-max", "MemoryMax",
 * "BYTES", "memory.max: ..." }. The table ends with a NULL option. */
typedef struct CgroupLimitOption {
        const char *option; /* long option, without "--" */
        const char *key;    /* [Resources] key */
        const char *arg;    /* metavariable for --help */
        const char *help;
} CgroupLimitOption;
extern const CgroupLimitOption cgroup_limit_options[];

/* Sets one limit from a [Resources] key (systemd's name, case as systemd spells it) and its value in
 * systemd's syntax: bytes with K/M/G/T/P/E (base 1024; base 1000 for IO…Max=, as systemd has it),
 * "infinity", percentages; CPUQuota=150%; lists "0-3,6"; IO…Max= "DEVICE VALUE". IO…Max= adds to (or
 * replaces the entry of) that device; an empty value resets the key to unset. -EINVAL when the value is
 * bad (ret_error, if given, gets one line that names the key, the value and what is expected), -ENOENT
 * (with a line too) when the key is unknown. host may be NULL: a percentage of memory or pid_max is then
 * refused. On failure l is unchanged. */
int cgroup_limit_set(CgroupLimits *l, const char *key, const char *value, const CgroupHostFacts *host,
                     char **ret_error);
/* The same, with *ret_why a static string that says only what is expected, for callers that name the
 * setting their own way ("berth: --memory-max=12Q: expected ..."). */
int cgroup_limit_set_why(CgroupLimits *l, const char *key, const char *value, const CgroupHostFacts *host,
                         const char **ret_why);

/* A deep copy into dst, which is overwritten, not freed. */
int cgroup_limits_copy(CgroupLimits *dst, const CgroupLimits *src);

/* Copies every limit that is set in src over dst (the command line over a settings file; set-limit
 * over what a machine has). */
int cgroup_limits_merge(CgroupLimits *dst, const CgroupLimits *src);

/* The limits that are set as "Key=Value" lines in systemd's syntax, in a stable order, which
 * cgroup_limit_set() reads back to the same limits. */
int cgroup_limits_to_strv(const CgroupLimits *l, char ***ret);

/* The controllers the limits that are set need. */
CgroupController cgroup_limits_controllers(const CgroupLimits *l);

/* Checks values against the host: a cpuset outside the CPUs (memory nodes) that are online, an IO
 * device that is not a block device. -EINVAL/-ENOENT with one line in ret_error. */
int cgroup_limits_check_host(const CgroupLimits *l, char **ret_error);
/* Its cpuset half, pure: the online lists as the kernel prints them ("0-3,6"); mems_online NULL means
 * node 0 only (a kernel without NUMA has no /sys/devices/system/node). */
int cgroup_limits_check_cpusets(const CgroupLimits *l, const char *cpus_online, const char *mems_online,
                                char **ret_error);

/* The device io.max wants for an IO…Max= path: a block device node's own number, or the number of the
 * block device a file's file system is on; a partition gives its whole disk. "/dev/block/MAJ:MIN"
 * (how cgroup_limits_read() names devices) works on hosts without that directory too. -ENOTBLK for a
 * character device, or a file on a file system without a block device (tmpfs, overlayfs, NFS). */
int cgroup_io_device_resolve(const char *path, dev_t *ret);
/* The whole disk of dev, looked up in sys_dev_block_fd (/sys/dev/block): dev itself unless it is a
 * partition. -ENOTBLK when dev is not a block device there. */
int cgroup_block_device_whole_disk(int sys_dev_block_fd, dev_t dev, dev_t *ret);

/* Writes every limit that is set into the cgroup at cgroup_fd (memory.max, cpu.max, …; not
 * memory.oom.group, which belongs to the payload: see cgroup_limits_write_payload()). Stops at the
 * first failure with ret_file naming the file. A CPUQuotaPeriodSec= without CPUQuota= keeps the share
 * of CPU time cpu.max has, at the new period. IOWeight= goes to io.weight and to io.bfq.weight (scaled
 * to 1..1000), whichever of them the cgroup has. The files are opened below cgroup_fd and written, nothing
 * else: a directory of plain files stands in for a cgroup in tests. */
int cgroup_limits_write(const CgroupLimits *l, int cgroup_fd, const char **ret_file);
int cgroup_limits_write_payload(const CgroupLimits *l, int payload_fd, const char **ret_file);

/* The limits a cgroup has now, read from its files (unset where a file is missing, as on a cgroup
 * without that controller; "max" reads as CGROUP_LIMIT_MAX). io.max's devices are named
 * "/dev/block/MAJ:MIN". Not memory.oom.group: see cgroup_limits_read_payload(). */
int cgroup_limits_read(int cgroup_fd, CgroupLimits *ret);
/* Fills l->oom_kill_group from the payload cgroup's memory.oom.group (left unset when missing). */
int cgroup_limits_read_payload(int payload_fd, CgroupLimits *l);
