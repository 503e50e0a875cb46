/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Named system call groups and the default container policy.
 *
 * Every system call libseccomp 2.5.4 knows for x86-64 and i386 is a member of exactly one group (apart
 * from @known, which only references the others). Syscalls newer than that (statmount, listmount, mseal,
 * lsm_*, the *xattrat family, …) are deliberately absent: libseccomp cannot name them yet, and leaving
 * them out means containers get ENOSYS for them, which is what a kernel without them would say.
 *
 * Names that do not exist on x86 at all (pciconfig_*, s390_*, sync_file_range2, cacheflush, …) are left
 * out too; add them when berth supports an architecture that has them. */

#include <string.h>

#include "seccomp-groups.h"

static const char *const group_aio[] = {
        "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
        "io_setup",  "io_submit",  NULL,
};

static const char *const group_basic_io[] = {
        "_llseek",
        "close",
        "close_range",
        "copy_file_range",
        "dup",
        "dup2",
        "dup3",
        "fcntl",
        "fcntl64",
        /* ioctl() is a multiplexer that can do almost anything a driver offers, but terminal handling
         * (even isatty()) needs it, so it lives here. Dangerous requests (TIOCSTI, TIOCLINUX) have to be
         * filtered by argument where the filter is loaded. */
        "ioctl",
        "lseek",
        "pread64",
        "preadv",
        "preadv2",
        "pwrite64",
        "pwritev",
        "pwritev2",
        "read",
        "readv",
        "sendfile",
        "sendfile64",
        "splice",
        "tee",
        "vmsplice",
        "write",
        "writev",
        NULL,
};

static const char *const group_chown[] = {
        "chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32", NULL,
};

/* Only the calls that *change* a clock. Reading clocks is in @default. */
static const char *const group_clock[] = {
        "adjtimex",        "clock_adjtime", "clock_adjtime64", "clock_settime",
        "clock_settime64", "settimeofday",  "stime",           NULL,
};

static const char *const group_cpu_emulation[] = {
        "modify_ldt",
        "vm86",
        "vm86old",
        NULL,
};

static const char *const group_debug[] = {
        "kcmp", "lookup_dcookie", "perf_event_open", "process_vm_readv", "process_vm_writev", "ptrace", NULL,
};

static const char *const group_default[] = {
        "arch_prctl",
        "brk",
        "clock_getres",
        "clock_getres_time64",
        "clock_gettime",
        "clock_gettime64",
        "clock_nanosleep",
        "clock_nanosleep_time64",
        /* Needed to start the payload at all once the filter is in place. */
        "execve",
        "exit",
        "exit_group",
        "futex",
        "futex_requeue",
        "futex_time64",
        "futex_wait",
        "futex_waitv",
        "futex_wake",
        "get_robust_list",
        "get_thread_area",
        "getcpu",
        "getegid",
        "getegid32",
        "geteuid",
        "geteuid32",
        "getgid",
        "getgid32",
        "getgroups",
        "getgroups32",
        "getpgid",
        "getpgrp",
        "getpid",
        "getppid",
        "getrandom",
        "getresgid",
        "getresgid32",
        "getresuid",
        "getresuid32",
        "getrlimit",
        "getsid",
        "gettid",
        "gettimeofday",
        "getuid",
        "getuid32",
        "madvise",
        /* glibc allocates shadow stacks for new threads with this when CET shadow stacks are enabled. */
        "map_shadow_stack",
        "membarrier",
        "mincore",
        "mmap",
        "mmap2",
        "mprotect",
        "mremap",
        "munmap",
        "nanosleep",
        "pause",
        "prlimit64",
        /* Deprecated since Linux 3.16, but still emulated by the kernel, so old programs keep working. */
        "remap_file_pages",
        "restart_syscall",
        "rseq",
        "rt_sigreturn",
        "sched_getaffinity",
        "sched_yield",
        "set_robust_list",
        "set_thread_area",
        "set_tid_address",
        /* On i386 glibc returns from signal handlers installed without SA_SIGINFO through this. */
        "sigreturn",
        "sysinfo",
        "time",
        "ugetrlimit",
        "uname",
        NULL,
};

static const char *const group_file_system[] = {
        "access",
        "cachestat",
        "chdir",
        "chmod",
        "creat",
        "faccessat",
        "faccessat2",
        "fadvise64",
        "fadvise64_64",
        "fallocate",
        "fanotify_init",
        "fanotify_mark",
        "fchdir",
        "fchmod",
        "fchmodat",
        "fchmodat2",
        "fgetxattr",
        "flistxattr",
        "flock",
        "fremovexattr",
        "fsetxattr",
        "fstat",
        "fstat64",
        "fstatat64",
        "fstatfs",
        "fstatfs64",
        "ftruncate",
        "ftruncate64",
        "futimesat",
        "getcwd",
        "getdents",
        "getdents64",
        "getxattr",
        "inotify_add_watch",
        "inotify_init",
        "inotify_init1",
        "inotify_rm_watch",
        "lgetxattr",
        "link",
        "linkat",
        "listxattr",
        "llistxattr",
        "lremovexattr",
        "lsetxattr",
        "lstat",
        "lstat64",
        "memfd_create",
        "mkdir",
        "mkdirat",
        /* Creating FIFOs and sockets is unprivileged; device nodes need CAP_MKNOD, and whether they can be
         * used is up to the device cgroup, not seccomp. */
        "mknod",
        "mknodat",
        /* Only produces a handle; opening one (open_by_handle_at, see @privileged) is what is dangerous. */
        "name_to_handle_at",
        "newfstatat",
        "open",
        "openat",
        "openat2",
        "readahead",
        "readlink",
        "readlinkat",
        "removexattr",
        "rename",
        "renameat",
        "renameat2",
        "rmdir",
        "setxattr",
        "stat",
        "stat64",
        "statfs",
        "statfs64",
        "statx",
        "symlink",
        "symlinkat",
        "truncate",
        "truncate64",
        "umask",
        "unlink",
        "unlinkat",
        "utime",
        "utimensat",
        "utimensat_time64",
        "utimes",
        NULL,
};

static const char *const group_io_event[] = {
        "_newselect", "epoll_create",    "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
        "epoll_wait", "eventfd",         "eventfd2",      "poll",      "ppoll",       "ppoll_time64",
        "pselect6",   "pselect6_time64", "select",        NULL,
};

/* Kept apart from @aio: io_uring is off the default policy (a large kernel attack surface that programs
 * do without: liburing users fall back on ENOSYS), @aio is on it. */
static const char *const group_io_uring[] = {
        "io_uring_enter",
        "io_uring_register",
        "io_uring_setup",
        NULL,
};

static const char *const group_ipc[] = {
        "ipc", /* i386 multiplexer for the SysV calls below */
        "mq_getsetattr",
        "mq_notify",
        "mq_open",
        "mq_timedreceive",
        "mq_timedreceive_time64",
        "mq_timedsend",
        "mq_timedsend_time64",
        "mq_unlink",
        "msgctl",
        "msgget",
        "msgrcv",
        "msgsnd",
        "pipe",
        "pipe2",
        "semctl",
        "semget",
        "semop",
        "semtimedop",
        "semtimedop_time64",
        "shmat",
        "shmctl",
        "shmdt",
        "shmget",
        NULL,
};

static const char *const group_keyring[] = {
        "add_key",
        "keyctl",
        "request_key",
        NULL,
};

static const char *const group_memlock[] = {
        /* Secret memory is unmapped from the kernel's direct map and cannot be swapped; it is accounted
         * like locked memory. */
        "memfd_secret", "mlock", "mlock2", "mlockall", "munlock", "munlockall", NULL,
};

static const char *const group_module[] = {
        "delete_module",
        "finit_module",
        "init_module",
        NULL,
};

static const char *const group_mount[] = {
        "chroot",        "fsconfig",   "fsmount",   "fsopen",     "fspick", "mount",
        "mount_setattr", "move_mount", "open_tree", "pivot_root", "umount", /* i386 only: the old
                                                                               one-argument umount */
        "umount2",       NULL,
};

static const char *const group_network_io[] = {
        "accept",          "accept4",    "bind",     "connect",    "getpeername",
        "getsockname",     "getsockopt", "listen",   "recvfrom",   "recvmmsg",
        "recvmmsg_time64", "recvmsg",    "sendmmsg", "sendmsg",    "sendto",
        "setsockopt",      "shutdown",   "socket",   "socketcall", /* i386 multiplexer that older 32-bit
                                                                      libcs use for all of these */
        "socketpair",      NULL,
};

/* Calls the kernel no longer implements (they return ENOSYS anyway), placeholders that never had an
 * implementation, and deprecated interfaces nothing current uses. */
static const char *const group_obsolete[] = {
        "_sysctl",                                                           /* removed in 5.5 */
        "afs_syscall",   "bdflush",        "break",       "create_module",   /* removed in 2.6 */
        "epoll_ctl_old", "epoll_wait_old", "ftime",       "get_kernel_syms", /* removed in 2.6 */
        "getpmsg",       "gtty",           "idle",        "lock",
        "mpx",           "nfsservctl", /* removed in 3.1 */
        "oldfstat",      "oldlstat",       "oldolduname", "oldstat",
        "olduname",      "prof",           "profil",      "putpmsg",
        "query_module", /* removed in 2.6 */
        "readdir",       "security",       "sgetmask",    "ssetmask",
        "stty",          "sysfs",          "tuxcall",     "ulimit",
        "uselib",        "ustat",          "vserver",     NULL,
};

static const char *const group_pkey[] = {
        "pkey_alloc",
        "pkey_free",
        "pkey_mprotect",
        NULL,
};

/* Calls that need a capability of the initial user namespace or act on the whole system. */
static const char *const group_privileged[] = {
        "acct",
        "bpf",
        /* Opens any inode of a file system by handle, bypassing path lookup and thus a chroot or mount
         * namespace boundary (the classic "shocker" container escape). */
        "open_by_handle_at",
        "quotactl",
        "quotactl_fd",
        "setdomainname",
        "sethostname",
        "syslog",
        "vhangup",
        NULL,
};

static const char *const group_process[] = {
        "capget",
        "capset",
        "clone",
        "clone3",
        "execveat",
        "fork",
        "kill",
        /* Lets a program change its execution domain. Some flags (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE)
         * weaken hardening of the caller only: the argument filter (seccomp-args.c) allows only
         * PER_LINUX, PER_LINUX32 and the 0xffffffff query. */
        "personality",
        "pidfd_getfd",
        "pidfd_open",
        "pidfd_send_signal",
        "prctl",
        "process_madvise",
        "process_mrelease",
        "rt_sigqueueinfo",
        "rt_tgsigqueueinfo",
        "setns",
        "setpgid",
        "setsid",
        "tgkill",
        "times",
        "tkill",
        "unshare",
        "vfork",
        "wait4",
        "waitid",
        "waitpid",
        NULL,
};

static const char *const group_raw_io[] = {
        "ioperm",
        "iopl",
        NULL,
};

static const char *const group_reboot[] = {
        "kexec_file_load",
        "kexec_load",
        "reboot",
        NULL,
};

/* Scheduling, priorities, resource usage and NUMA memory policy. */
static const char *const group_resources[] = {
        "get_mempolicy",
        "getpriority",
        "getrusage",
        "ioprio_get",
        "ioprio_set",
        "mbind",
        "migrate_pages",
        "move_pages",
        "nice",
        "sched_get_priority_max",
        "sched_get_priority_min",
        "sched_getattr",
        "sched_getparam",
        "sched_getscheduler",
        "sched_rr_get_interval",
        "sched_rr_get_interval_time64",
        "sched_setaffinity",
        "sched_setattr",
        "sched_setparam",
        "sched_setscheduler",
        "set_mempolicy",
        "set_mempolicy_home_node",
        "setpriority",
        "setrlimit",
        NULL,
};

static const char *const group_sandbox[] = {
        "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp", NULL,
};

static const char *const group_setuid[] = {
        "setfsgid",    "setfsgid32", "setfsuid",   "setfsuid32", "setgid",      "setgid32",  "setgroups",
        "setgroups32", "setregid",   "setregid32", "setresgid",  "setresgid32", "setresuid", "setresuid32",
        "setreuid",    "setreuid32", "setuid",     "setuid32",   NULL,
};

/* Handling signals in the calling process. Sending signals to others is in @process. */
static const char *const group_signal[] = {
        "rt_sigaction",  "rt_sigpending",   "rt_sigprocmask",
        "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
        "sigaction",     "sigaltstack",     "signal",
        "signalfd",      "signalfd4",       "sigpending",
        "sigprocmask",   "sigsuspend",      NULL,
};

static const char *const group_swap[] = {
        "swapoff",
        "swapon",
        NULL,
};

static const char *const group_sync[] = {
        "fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs", NULL,
};

static const char *const group_timer[] = {
        "alarm",
        "getitimer",
        "setitimer",
        "timer_create",
        "timer_delete",
        "timer_getoverrun",
        "timer_gettime",
        "timer_gettime64",
        "timer_settime",
        "timer_settime64",
        "timerfd_create",
        "timerfd_gettime",
        "timerfd_gettime64",
        "timerfd_settime",
        "timerfd_settime64",
        NULL,
};

/* On its own so that it can be allowed by itself: it is off the default policy (it lets a program stall
 * the kernel at a page fault of its choosing, a favourite tool for winning kernel races, and few
 * programs need it). */
static const char *const group_uffd[] = {
        "userfaultfd",
        NULL,
};

static const char *const group_known[] = {
        "@aio",         "@basic-io",   "@chown",    "@clock",  "@cpu-emulation", "@debug",   "@default",
        "@file-system", "@io-event",   "@io-uring", "@ipc",    "@keyring",       "@memlock", "@module",
        "@mount",       "@network-io", "@obsolete", "@pkey",   "@privileged",    "@process", "@raw-io",
        "@reboot",      "@resources",  "@sandbox",  "@setuid", "@signal",        "@swap",    "@sync",
        "@timer",       "@uffd",       NULL,
};

const SyscallGroup syscall_groups[] = {
        { "@aio", "Asynchronous I/O (io_setup() and friends)", group_aio },
        { "@basic-io", "Reading, writing and managing file descriptors", group_basic_io },
        { "@chown", "Changing file ownership", group_chown },
        { "@clock", "Setting and adjusting the system clock", group_clock },
        { "@cpu-emulation", "Emulating other CPU modes (LDT, virtual 8086 mode)", group_cpu_emulation },
        { "@debug", "Debugging, tracing and profiling other processes", group_debug },
        { "@default", "What nearly every program needs to run", group_default },
        { "@file-system", "Files, directories, links, xattrs and inotify", group_file_system },
        { "@io-event", "Waiting for events (poll, select, epoll, eventfd)", group_io_event },
        { "@io-uring", "io_uring asynchronous I/O", group_io_uring },
        { "@ipc", "Pipes, SysV IPC and POSIX message queues", group_ipc },
        { "@keyring", "The kernel key retention service", group_keyring },
        { "@memlock", "Locking memory into RAM", group_memlock },
        { "@module", "Loading and unloading kernel modules", group_module },
        { "@mount", "Mounting, unmounting and changing the root directory", group_mount },
        { "@network-io", "Sockets", group_network_io },
        { "@obsolete", "Removed, unimplemented or long deprecated calls", group_obsolete },
        { "@pkey", "Memory protection keys", group_pkey },
        { "@privileged", "Calls needing system-wide privileges", group_privileged },
        { "@process", "Process creation and control, namespaces, kill()", group_process },
        { "@raw-io", "Direct access to I/O ports", group_raw_io },
        { "@reboot", "Rebooting and loading a new kernel", group_reboot },
        { "@resources", "Scheduling, priorities, resource use, NUMA policy", group_resources },
        { "@sandbox", "Setting up sandboxes (seccomp, Landlock)", group_sandbox },
        { "@setuid", "Changing user and group credentials", group_setuid },
        { "@signal", "Handling signals in the calling process", group_signal },
        { "@swap", "Enabling and disabling swap", group_swap },
        { "@sync", "Flushing data to storage", group_sync },
        { "@timer", "Interval timers, POSIX timers and timerfds", group_timer },
        { "@uffd", "userfaultfd()", group_uffd },
        { "@known", "All system calls in any group", group_known },
};

const size_t syscall_groups_count = sizeof(syscall_groups) / sizeof(syscall_groups[0]);

const SyscallGroup *syscall_group_find(const char *name) {
        if (!name)
                return NULL;

        for (size_t i = 0; i < syscall_groups_count; i++)
                if (strcmp(syscall_groups[i].name, name) == 0)
                        return &syscall_groups[i];

        return NULL;
}

/* Groups referenced here are allowed as a whole. Groups that are only partly allowed are listed by name
 * below, so that adding a call to such a group does not silently allow it. Not allowed at all (besides
 * what syscall_default_deny lists), and so answered with ENOSYS as if the kernel lacked them: @obsolete
 * (which is what the kernel says for most of it), and @io-uring and @uffd, kernel attack surface that
 * programs fall back from; --system-call-filter= or --allow-nesting turns them on. */
const char *const syscall_default_allow[] = {
        "@default",
        "@aio",
        "@basic-io",
        "@chown",
        "@cpu-emulation",
        "@file-system",
        "@io-event",
        "@ipc",
        "@memlock",
        "@mount",
        "@network-io",
        "@pkey",
        "@process",
        "@resources",
        "@sandbox",
        "@setuid",
        "@signal",
        "@sync",
        "@timer",

        /* From @debug: tracing one's own children is normal inside a container (gdb, strace); the pid
         * namespace and ptrace access mode checks confine it. perf_event_open and lookup_dcookie are
         * denied. */
        "kcmp",
        "process_vm_readv",
        "process_vm_writev",
        "ptrace",

        /* From @reboot: inside a pid namespace the kernel turns reboot() into terminating the namespace's
         * init with a status the container manager can read. kexec is denied. */
        "reboot",

        /* From @privileged: these only affect the container's own UTS namespace and controlling
         * terminal. vhangup() still needs CAP_SYS_TTY_CONFIG. */
        "setdomainname",
        "sethostname",
        "vhangup",

        NULL,
};

/* Blocked with EPERM so that programs see "not permitted" rather than "not implemented" and fall back
 * gracefully. Everything here either reaches beyond the container (kernel, hardware, global state) or
 * needs a capability the container does not get. */
const char *const syscall_default_deny[] = {
        /* @keyring: keys are not namespaced. */
        "add_key",
        "keyctl",
        "request_key",

        /* @privileged */
        "acct",
        "bpf",
        "open_by_handle_at",
        "quotactl",
        "quotactl_fd",
        "syslog", /* the kernel log is not namespaced */

        /* @debug */
        "lookup_dcookie",
        "perf_event_open",

        /* @reboot */
        "kexec_file_load",
        "kexec_load",

        /* @module, including the long removed calls from @obsolete */
        "create_module",
        "delete_module",
        "finit_module",
        "get_kernel_syms",
        "init_module",
        "query_module",

        /* @swap */
        "swapoff",
        "swapon",

        /* @raw-io */
        "ioperm",
        "iopl",

        /* @clock: need CAP_SYS_TIME, which the container lacks, so EPERM is what the kernel would say
         * anyway. Note that this also refuses read-only adjtimex()/clock_adjtime() (modes == 0, as used by
         * ntp_gettime()); an argument filter could allow that later. */
        "adjtimex",
        "clock_adjtime",
        "clock_adjtime64",
        "clock_settime",
        "clock_settime64",
        "settimeofday",
        "stime",

        /* @obsolete calls that once did something privileged. */
        "_sysctl",
        "nfsservctl",
        "uselib",

        NULL,
};
