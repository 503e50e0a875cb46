#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "parse-util.h"
#include "process-util.h"

pid_t clone3_fork(uint64_t flags, int cgroup_fd, int *ret_pidfd) {
        int pidfd = -EBADF;
        struct clone_args args = {
                .flags = flags | (ret_pidfd ? CLONE_PIDFD : 0),
                .pidfd = (uint64_t) (uintptr_t) &pidfd,
                /* With CLONE_PARENT the kernel takes the exit signal from the caller and wants 0 here. */
                .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
                .cgroup = (uint64_t) (cgroup_fd >= 0 ? cgroup_fd : 0),
        };
        long pid;

        pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0)
                return negative_errno();
        if (pid > 0 && ret_pidfd)
                *ret_pidfd = pidfd;
        return (pid_t) pid;
}

pid_t fork_with_pid(pid_t pid) {
        struct clone_args args = {
                .exit_signal = SIGCHLD,
                .set_tid = (uint64_t) (uintptr_t) &pid,
                .set_tid_size = 1,
        };
        long r = syscall(SYS_clone3, &args, sizeof(args));

        if (r < 0 && (errno == EPERM || errno == EINVAL || errno == ENOSYS || errno == EEXIST))
                r = fork(); /* no privilege over the PID namespace, or the number is taken */
        if (r < 0)
                return negative_errno();
        return (pid_t) r;
}

int pidfd_open_pid(pid_t pid) {
        return RET_NERRNO(syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_signal(int pidfd, int sig) {
        return RET_NERRNO(syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0));
}

int proc_pid_starttime(pid_t pid, uint64_t *ret) {
        char path[64], buf[1024];
        _cleanup_close_ int fd = -EBADF;
        unsigned long long start;
        const char *p;
        ssize_t k;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        k = loop_read(fd, buf, sizeof(buf) - 1);
        if (k < 0)
                return (int) k;
        buf[k] = '\0';
        /* comm may hold spaces and parentheses: the fields start after the last ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return -EBADMSG;
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EBADMSG;
        }
        if (sscanf(p, " %llu", &start) != 1)
                return -EBADMSG;
        *ret = start;
        return 0;
}

int exit_status_from_siginfo(const siginfo_t *si) {
        if (si->si_code == CLD_EXITED)
                return si->si_status & 0xff;
        return 128 + si->si_status;
}

int wait_pid(pid_t pid, siginfo_t *ret) {
        siginfo_t si = {};

        for (;;) {
                if (waitid(P_PID, (id_t) pid, &si, WEXITED) >= 0)
                        break;
                if (errno != EINTR)
                        return negative_errno();
        }
        if (ret)
                *ret = si;
        return 0;
}

const char *signal_name(int sig) {
        const char *s = sigabbrev_np(sig);
        return s ? s : "unknown";
}

int signal_from_string(const char *s) {
        uint32_t n;

        if (isempty(s))
                return -EINVAL;
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        if (safe_atou32(s, &n) >= 0)
                return n >= 1 && n < (uint32_t) _NSIG ? (int) n : -EINVAL;
        if (strncasecmp(s, "RTMIN", 5) == 0) {
                uint32_t off = 0;
                if (s[5] && (s[5] != '+' || safe_atou32(s + 6, &off) < 0))
                        return -EINVAL;
                return SIGRTMIN + (int) off <= SIGRTMAX ? SIGRTMIN + (int) off : -EINVAL;
        }
        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *abbrev = sigabbrev_np(sig);
                if (abbrev && strcasecmp(abbrev, s) == 0)
                        return sig;
        }
        return -EINVAL;
}
