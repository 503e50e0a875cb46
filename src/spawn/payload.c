#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "fd-util.h"
#include "mount-image.h"
#include "mount-setup.h"
#include "exec-util.h"
#include "payload.h"
#include "process-util.h"
#include "strv.h"
#include "sync.h"
#include "user.h"
#include "userns.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

/* Signals the reaper passes on to the command. */
static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static void reset_signals(void) {
        sigset_t none;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
}

static int loopback_up(int sync_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct ifreq ifr = { .ifr_name = "lo" };

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return sync_errorf(sync_fd, errno,
                                   "cannot open a socket in the machine's network namespace: %m");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return sync_errorf(sync_fd, errno, "cannot read the loopback device's flags: %m");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return sync_errorf(sync_fd, errno, "cannot bring the loopback device up: %m");
        return 0;
}

static int write_time_offsets(const Settings *s, int sync_fd) {
        char buf[128];
        int64_t m = s->monotonic_offset_ns, b = s->boottime_offset_ns;
        /* The kernel wants seconds and a non-negative nanosecond part. */
        int64_t ms = m >= 0 ? m / 1000000000 : -((-m + 999999999) / 1000000000);
        int64_t bs = b >= 0 ? b / 1000000000 : -((-b + 999999999) / 1000000000);
        int r;

        if (unshare(CLONE_NEWTIME) < 0)
                return sync_errorf(sync_fd, errno, "cannot create a time namespace: %m");
        snprintf(buf, sizeof(buf), "monotonic %lld %lld\nboottime %lld %lld\n", (long long) ms,
                 (long long) (m - ms * 1000000000), (long long) bs, (long long) (b - bs * 1000000000));
        r = write_string_file_at(AT_FDCWD, "/proc/self/timens_offsets", buf);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot set the time namespace's clock offsets: %m");
        return 0;
}

static int lookup_user(const Settings *s, UserRecord *ret, gid_t *groups, size_t *n_groups, int sync_fd) {
        int r = user_lookup(s->user ?: "0", ret, groups, USER_GROUPS_MAX, n_groups);

        if (r == -ESRCH && !s->user)
                return 0; /* root without a passwd entry: HOME=/ and no more */
        if (r == -ESRCH)
                return sync_errorf(sync_fd, ESRCH,
                                   "user '%s' not found in the machine's /etc/passwd (add it to the tree, "
                                   "or give a UID)",
                                   s->user);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot look up user '%s' in the machine: %m",
                                   s->user ?: "root");
        return 1;
}

/* The last steps of the command's process: user and group, environment, working directory, fds,
 * exec. Never returns. */
static _Noreturn void exec_command(const Payload *p, int sync_fd) {
        const Settings *s = p->settings;
        UserRecord u = {};
        gid_t groups[USER_GROUPS_MAX];
        size_t n_groups = 0;
        _cleanup_strv_free_ char **env = NULL, **argv = NULL;
        const char *wd;
        int r, status;

        r = lookup_user(s, &u, groups, &n_groups, sync_fd);
        if (r < 0)
                _exit(EXIT_FAILURE);

        {
                /* The container interface's variables first, then the user's --setenv= (later wins). */
                _cleanup_strv_free_ char **extra = strv_copy(p->extra_env);
                STRV_FOREACH (e, s->environment)
                        if (strv_extend(&extra, *e) < 0)
                                fail(sync_fd, ENOMEM, "out of memory");
                r = environment_build(r > 0 ? &u : NULL, p->term, p->uuid, extra, &env);
                if (r < 0)
                        fail(sync_fd, r, "cannot build the environment: %m");
        }

        if (p->argv)
                argv = strv_copy(p->argv);
        else if (s->command)
                argv = strv_copy(s->command);
        else {
                /* No command: the user's shell, as a login shell would be. */
                argv = calloc(2, sizeof(char *));
                if (argv)
                        argv[0] = strdup(u.shell ?: "/bin/sh");
        }
        if (!argv || !argv[0])
                fail(sync_fd, ENOMEM, "Out of memory");

        if (s->user) {
                if (setgroups(n_groups, groups) < 0 || setresgid(u.gid, u.gid, u.gid) < 0 ||
                    setresuid(u.uid, u.uid, u.uid) < 0)
                        fail(sync_fd, errno, "cannot become user '%s': %m", s->user);
        }

        wd = s->working_directory ?: "/";
        if (chdir(wd) < 0)
                fail(sync_fd, errno, "cannot change to the working directory '%s' in the machine: %m", wd);

        /* Only stdin, stdout and stderr go to the command; the sync socket is O_CLOEXEC and stays
         * until exec succeeds, so a failure can still be reported. */
        r = close_all_fds_except(&sync_fd, 1);
        if (r < 0)
                fail(sync_fd, r, "cannot close file descriptors: %m");

        r = exec_search(argv, env);
        status = r == -ENOENT || r == -ENOTDIR ? 127 : 126;
        {
                char text[SYNC_TEXT_MAX];
                errno = -r;
                if (status == 127 && strchr(argv[0], '/'))
                        snprintf(text, sizeof(text), "command '%s' not found in the machine's tree",
                                 argv[0]);
                else if (status == 127)
                        snprintf(text, sizeof(text),
                                 "command '%s' not found in the machine's PATH (give its full path, or fix "
                                 "PATH with --setenv=PATH=...)",
                                 argv[0]);
                else if (r == -ENOEXEC)
                        snprintf(
                                text, sizeof(text),
                                "command '%s' cannot be executed in the machine: not an executable for this "
                                "system, or its interpreter or a library it needs is missing in the tree",
                                argv[0]);
                else
                        snprintf(text, sizeof(text), "command '%s' cannot be executed in the machine: %m",
                                 argv[0]);
                (void) sync_send(sync_fd, SYNC_EXEC_FAILED, -r, status, text, -EBADF);
        }
        _exit(status);
}

static void noop_handler(int sig) {
}

static void hide_command_line(void) {
        static const char name[] = "(berth-reaper)";
        unsigned long start = 0, end = 0;
        _cleanup_free_ char *stat = NULL;
        const char *p;

        /* The reaper's argv is still the monitor's, on its stack: overwrite it in place (fields 48 and
         * 49 of /proc/self/stat say where it lies). prctl(PR_SET_MM) would need CAP_SYS_RESOURCE, which
         * some hosts do not hand out. Failing is harmless. */
        if (read_small_file_at(AT_FDCWD, "/proc/self/stat", 4096, &stat, NULL) < 0)
                return;
        p = strrchr(stat, ')');
        for (int field = 2; p && field < 48; field++)
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p, " %lu %lu", &start, &end) != 2 || end <= start || end - start > 1024 * 1024)
                return;
        memset((void *) start, 0, end - start);
        memcpy((void *) start, name, MIN(sizeof(name), end - start) - 1);
}

/* PID 1 of the machine when the command is not: reaps every orphan, passes signals on, and leaves with
 * the command's status once the command is gone (the kernel then ends the rest of the namespace). */
static _Noreturn void reaper(pid_t child, const sigset_t *mask) {
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(mask, &si);

                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        (void) kill(child, sig);
                        continue;
                }
                for (;;) {
                        siginfo_t w = {};
                        if (waitid(P_ALL, 0, &w, WEXITED | WNOHANG) < 0 || w.si_pid == 0)
                                break;
                        if (w.si_pid == child)
                                _exit(exit_status_from_siginfo(&w));
                }
        }
}

/* Seccomp goes last among the privileged steps: it may refuse calls the steps before need, and it is
 * installed while we still hold CAP_SYS_ADMIN, so no_new_privs stays the user's choice. */
static void load_seccomp(const Payload *p, int sync_fd) {
        int r = seccomp_program_load(&p->seccomp);

        if (r >= 0)
                r = seccomp_program_load(&p->seccomp_args);
        if (r < 0)
                fail(sync_fd, r, "cannot install the seccomp filter: %m");
}

static int monitor_alive(const Payload *p) {
        struct pollfd pfd = { .fd = p->monitor_pidfd, .events = POLLIN };
        /* A pidfd polls readable once its process has exited. */
        return poll(&pfd, 1, 0) == 0;
}

/* The inner child: PID 1 of the machine. Its setup order (ARCHITECTURE.md):
 *   1. die with the monitor; hide from ptrace; become root of the user namespace
 *   2. wait for the mounter: /proc, /sys and the pivot into the tree
 *   3. a mount namespace of its own, owned by the user namespace: every mount is now locked
 *   4. hostname, loopback
 *   5. new session and session keyring, console on stdio
 *   6. capability bounding set, no_new_privs where asked, seccomp
 *   7. report ready; then run the command as PID 1, or fork it and become its reaper */
static _Noreturn void inner_child(const Payload *p, int go_fd) {
        const Settings *s = p->settings;
        int sync_fd = p->sync_fd, r;
        sigset_t mask;
        pid_t child;
        char c;

        /* Root of the user namespace first: a change of credentials clears the parent-death signal. */
        if (p->userns_fd >= 0 && userns_become_root() < 0)
                fail(sync_fd, errno, "cannot become root of the machine's user namespace: %m");
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || !monitor_alive(p))
                _exit(EXIT_FAILURE);
        umask(0022); /* what the command starts with, as after a login */
        (void) prctl(PR_SET_DUMPABLE, 0);

        /* EOF: the mounter failed and said why. */
        if (read(go_fd, &c, 1) != 1)
                _exit(EXIT_FAILURE);
        safe_close(go_fd);
        if (chdir("/") < 0)
                fail(sync_fd, errno, "cannot change to the machine's root: %m");
        if (p->userns_fd >= 0 && unshare(CLONE_NEWNS) < 0)
                fail(sync_fd, errno, "cannot create the machine's own mount namespace: %m");

        if (sethostname(p->hostname, strlen(p->hostname)) < 0)
                fail(sync_fd, errno, "cannot set the hostname '%s': %m", p->hostname);
        if (s->network == NETWORK_PRIVATE && loopback_up(sync_fd) < 0)
                _exit(EXIT_FAILURE);

        if (setsid() < 0)
                fail(sync_fd, errno, "cannot start a new session: %m");
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
                fail(sync_fd, errno, "cannot join a new session keyring: %m");
        if (p->console != CONSOLE_PIPE) {
                int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                        fail(sync_fd, errno, "cannot open /dev/console: %m");
                if (fd > 2)
                        safe_close(fd);
        }

        r = capability_bounding_set_limit(p->capabilities);
        if (r < 0)
                fail(sync_fd, r, "cannot limit the capability bounding set: %m");
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail(sync_fd, errno, "cannot set no_new_privs: %m");

        if (s->as_pid1 || s->boot) {
                load_seccomp(p, sync_fd);
                if (sync_send(sync_fd, SYNC_READY, 0, 0, NULL, -EBADF) < 0)
                        _exit(EXIT_FAILURE);
                if (p->console != CONSOLE_PIPE)
                        (void) ioctl(0, TIOCSCTTY, 0);
                exec_command(p, sync_fd);
        }

        /* Block what the reaper waits for before the fork, so nothing is lost in between. PID 1 only
         * receives signals it has a handler for, hence the no-op handlers. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++)
                sigaddset(&mask, forwarded_signals[i]);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        for (int sig = 1; sig < _NSIG; sig++)
                if (sigismember(&mask, sig))
                        (void) signal(sig, noop_handler);

        /* Ready before the fork, so that a command that cannot be started is the command's failure
         * (status 127), not the machine's. */
        if (sync_send(sync_fd, SYNC_READY, 0, 0, NULL, -EBADF) < 0)
                _exit(EXIT_FAILURE);
        /* The command is PID 2, as documented, although the mounter took that number for a moment: the
         * fork asks for it, before seccomp (which refuses clone3) is loaded. */
        child = fork_with_pid(2);
        if (child < 0)
                fail(sync_fd, child, "cannot start the command: %m");
        if (child == 0) {
                reset_signals();
                load_seccomp(p, sync_fd);
                if (setsid() < 0)
                        fail(sync_fd, errno, "cannot start a new session: %m");
                if (p->console != CONSOLE_PIPE)
                        (void) ioctl(0, TIOCSCTTY, 0);
                exec_command(p, sync_fd);
        }
        load_seccomp(p, sync_fd);

        /* The reaper needs no privileges and no channel to the monitor. Its command line is still the
         * monitor's, which names host paths (the tree, bind sources): show the machine a neutral one. */
        hide_command_line();
        safe_close(sync_fd);
        (void) close_all_fds_except(NULL, 0);
        (void) capability_process_limit(0);
        reaper(child, &mask);
}

/* The mounter: forked by the outer child before it enters the machine's user namespace, so it stays in
 * the host's. Once the inner child exists, it joins the machine's PID, network, IPC and cgroup
 * namespaces and forks (a PID namespace only takes children); that child mounts /proc, /sys and
 * /dev/mqueue, which take their view from it, then pivots the mount namespace into the tree. Every
 * mount so far belongs to the host's user namespace, so once the inner child makes its own mount
 * namespace, the kernel locks them all. Tells the inner child to go on through go_fd. */
static _Noreturn void mounter(const Payload *p, int root_fd, int pid_fd, int go_fd) {
        const Settings *s = p->settings;
        int sync_fd = p->sync_fd, flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWCGROUP, r;
        _cleanup_close_ int leader = -EBADF;
        pid_t pid, inner = 0;
        siginfo_t si;

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || !monitor_alive(p))
                _exit(EXIT_FAILURE);
        if (loop_read(pid_fd, &inner, sizeof(inner)) != sizeof(inner) || inner <= 0)
                _exit(EXIT_FAILURE); /* the outer child failed to clone, and said why */
        leader = pidfd_open_pid(inner);
        if (leader < 0)
                fail(sync_fd, leader, "cannot open the machine's leader: %m");
        if (s->network == NETWORK_PRIVATE)
                flags |= CLONE_NEWNET;
        if (setns(leader, flags) < 0)
                fail(sync_fd, errno, "cannot join the machine's namespaces to mount /proc and /sys: %m");

        pid = fork();
        if (pid < 0)
                fail(sync_fd, errno, "cannot fork in the machine's PID namespace: %m");
        if (pid == 0) {
                if (mount_setup_proc(root_fd, s->network == NETWORK_PRIVATE, sync_fd) < 0 ||
                    mount_setup_sys(root_fd, s->boot, sync_fd) < 0 ||
                    mount_setup_mqueue(root_fd, sync_fd) < 0 || mount_pivot_root(root_fd, sync_fd) < 0)
                        _exit(EXIT_FAILURE);
                _exit(EXIT_SUCCESS);
        }
        r = wait_pid(pid, &si);
        if (r < 0 || exit_status_from_siginfo(&si) != 0)
                _exit(EXIT_FAILURE);
        if (loop_write(go_fd, "g", 1) < 0)
                _exit(EXIT_FAILURE);
        _exit(EXIT_SUCCESS);
}

static void receive_from_monitor(const Payload *p, int *ret_cgroup_fd, int *ret_netns_fd) {
        int cgroup_fd = -EBADF, netns_fd = -EBADF;
        bool want_netns = p->settings->network == NETWORK_PRIVATE;

        /* The monitor makes the cgroup (and the network namespace) while we build the mounts, and sends
         * them when they are there. */
        while (cgroup_fd < 0 || (want_netns && netns_fd < 0)) {
                SyncMsg msg;
                int fd, r;

                r = sync_recv(p->sync_fd, &msg, &fd, false);
                if (r <= 0 || fd < 0)
                        _exit(EXIT_FAILURE); /* the monitor gave up (and said why) or died */
                if (msg.type == SYNC_CGROUP && cgroup_fd < 0)
                        cgroup_fd = fd;
                else if (msg.type == SYNC_NETNS && netns_fd < 0)
                        netns_fd = fd;
                else
                        _exit(EXIT_FAILURE);
        }
        *ret_cgroup_fd = cgroup_fd;
        *ret_netns_fd = netns_fd;
}

_Noreturn void payload_outer_child(const Payload *p) {
        const Settings *s = p->settings;
        int keep[3 + IMAGE_MOUNTS_MAX] = { p->sync_fd, p->monitor_pidfd, p->userns_fd };
        int sync_fd = p->sync_fd, root_fd = -EBADF, master = -EBADF, notify = -EBADF, incoming = -EBADF,
            cgroup_fd, netns_fd, r;
        size_t n_keep = 3;
        int pid_pipe[2], go_pipe[2];
        uint64_t flags;
        pid_t inner, mounter_pid;
        siginfo_t si;

        /* The outer child's steps:
         *   1. drop inherited fds and the monitor's signal mask; with a user namespace, create files as
         *      the guest's root
         *   2. private mount propagation, the root bound onto itself (idmapped where asked), or an image's
         *      file systems mounted from their devices
         *   3. /dev (and the console), /run, /tmp, the user's mounts, read-only root where asked
         *   4. a time namespace where asked
         *   5. the mounter (see above), still in the host's user namespace
         *   6. the machine's network and user namespaces; the inner child, cloned into the other
         *      namespaces and straight into the machine's cgroup
         * Every mount made here is owned by the host's user namespace. */
        reset_signals();
        umask(0000); /* device nodes and directories get exactly the modes asked for */
        /* The image's devices (-i) stay: their /proc/self/fd links are the mount sources. */
        for (size_t i = 0; i < s->n_image_mounts; i++)
                keep[n_keep++] = s->image_mounts[i].fd;
        if (close_all_fds_except(keep, n_keep) < 0)
                fail(sync_fd, errno, "cannot close inherited file descriptors: %m");
        if (chdir("/") < 0)
                fail(sync_fd, errno, "cannot change to the root directory: %m");
        if (p->userns_fd >= 0) {
                mount_setup_set_owner(p->uid_base);
                r = userns_become_file_owner(p->uid_base, p->uid_base);
                if (r < 0)
                        fail(sync_fd, r, "cannot create files as the machine's root: %m");
        }

        if ((p->propagate_dir && mount_open_incoming(p->propagate_dir, sync_fd, &incoming) < 0) ||
            mount_make_private(sync_fd) < 0 ||
            (s->n_image_mounts > 0
                     ? mount_image_tree(s, p->idmap ? p->userns_fd : -EBADF, sync_fd, &root_fd)
                     : mount_bind_root(p->root, p->idmap ? p->userns_fd : -EBADF, sync_fd, &root_fd)) < 0 ||
            (s->volatile_mode == VOLATILE_OVERLAY &&
             mount_overlay_root(&root_fd, p->volatile_scratch, p->idmap ? p->userns_fd : -EBADF, sync_fd) <
                     0) ||
            (s->volatile_mode == VOLATILE_YES && mount_volatile_yes(&root_fd, sync_fd) < 0) ||
            (s->volatile_mode == VOLATILE_STATE && mount_volatile_state(root_fd, sync_fd) < 0) ||
            mount_setup_dev(root_fd, p->console != CONSOLE_PIPE, sync_fd, &master) < 0 ||
            mount_setup_run(root_fd, p->uuid, s->boot, sync_fd, &notify) < 0 ||
            (incoming >= 0 && mount_setup_incoming(root_fd, incoming, sync_fd) < 0) ||
            mount_setup_tmp(root_fd, sync_fd) < 0 ||
            mount_setup_custom(root_fd, s, p->overlays, p->userns_fd, p->idmap, sync_fd) < 0 ||
            (p->journal_host_dir && mount_setup_journal(root_fd, p->journal_host_dir, p->journal_dest,
                                                        p->userns_fd, p->idmap, sync_fd) < 0) ||
            mount_setup_etc(root_fd, s, sync_fd) < 0 || mount_prepare_api_dirs(root_fd, sync_fd) < 0 ||
            ((s->read_only || s->volatile_mode == VOLATILE_STATE) &&
             mount_root_read_only(root_fd, sync_fd) < 0))
                _exit(EXIT_FAILURE);

        if (notify >= 0) {
                if (sync_send(sync_fd, SYNC_NOTIFY, 0, 0, NULL, notify) < 0)
                        _exit(EXIT_FAILURE);
                safe_close(notify);
        }
        if (master >= 0) {
                if (sync_send(sync_fd, SYNC_CONSOLE, 0, 0, NULL, master) < 0)
                        _exit(EXIT_FAILURE);
                safe_close(master);
        }
        if (s->time_namespace && write_time_offsets(s, sync_fd) < 0)
                _exit(EXIT_FAILURE);
        /* Back to our own file owner: CLONE_INTO_CGROUP checks it against the cgroups' owners. */
        if (p->userns_fd >= 0 && userns_become_file_owner(0, 0) < 0)
                fail(sync_fd, EPERM, "cannot become the host's root again: %m");

        if (pipe2(pid_pipe, O_CLOEXEC) < 0 || pipe2(go_pipe, O_CLOEXEC) < 0)
                fail(sync_fd, errno, "cannot create a pipe: %m");
        mounter_pid = fork();
        if (mounter_pid < 0)
                fail(sync_fd, errno, "cannot fork: %m");
        if (mounter_pid == 0) {
                safe_close(pid_pipe[1]);
                safe_close(go_pipe[0]);
                mounter(p, root_fd, pid_pipe[0], go_pipe[1]);
        }
        safe_close(pid_pipe[0]);
        safe_close(go_pipe[1]);

        receive_from_monitor(p, &cgroup_fd, &netns_fd);
        if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
                fail(sync_fd, errno, "cannot join the machine's network namespace: %m");
        safe_close(netns_fd);
        if (p->userns_fd >= 0 && setns(p->userns_fd, CLONE_NEWUSER) < 0)
                fail(sync_fd, errno, "cannot join the machine's user namespace: %m");

        flags = CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_PARENT |
                CLONE_INTO_CGROUP;
        inner = clone3_fork(flags, cgroup_fd, NULL);
        if (inner < 0)
                fail(sync_fd, inner, "cannot create the machine's namespaces: %m");
        if (inner == 0) {
                safe_close(cgroup_fd);
                safe_close(pid_pipe[1]);
                inner_child(p, go_pipe[0]);
        }
        safe_close(go_pipe[0]);
        if (loop_write(pid_pipe[1], &inner, sizeof(inner)) < 0)
                fail(sync_fd, errno, "cannot tell the mounter the machine's leader: %m");
        safe_close(pid_pipe[1]);
        r = sync_send(sync_fd, SYNC_INNER_PID, 0, inner, NULL, -EBADF);
        if (wait_pid(mounter_pid, &si) < 0 || exit_status_from_siginfo(&si) != 0)
                r = -EPROTO;
        _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}
