#pragma once

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

/* clone3() used like fork(): the child returns 0 on the same stack. flags may hold namespace flags and
 * CLONE_INTO_CGROUP (then cgroup_fd is used), CLONE_PARENT. Returns the child's pid in the parent. */
pid_t clone3_fork(uint64_t flags, int cgroup_fd, int *ret_pidfd);

int pidfd_open_pid(pid_t pid);
/* fork(), asking for this PID in the caller's PID namespace (clone3 set_tid, which needs
 * CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN over it); a plain fork() where that cannot be had. */
pid_t fork_with_pid(pid_t pid);
int pidfd_signal(int pidfd, int sig);

/* Field 22 of /proc/PID/stat: lets a recorded pid be told apart from a recycled one. */
int proc_pid_starttime(pid_t pid, uint64_t *ret);

/* The exit status a shell would report: the code, or 128+N for death by signal N. */
int exit_status_from_siginfo(const siginfo_t *si);

/* Retries on EINTR. */
int wait_pid(pid_t pid, siginfo_t *ret);

const char *signal_name(int sig);
/* "SIGTERM", "TERM", "15", "SIGRTMIN+4", "RTMIN+4": the signal number, or -EINVAL. */
int signal_from_string(const char *s);
