#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "boot.h"
#include "caps.h"
#include "cgroup.h"
#include "console.h"
#include "enter.h"
#include "exec-util.h"
#include "fd-util.h"
#include "log.h"
#include "process-util.h"
#include "seccomp-args.h"
#include "seccomp-setup.h"
#include "strv.h"
#include "sync.h"
#include "userns.h"

static bool same_ns(pid_t pid, const char *ns) {
        char a[64], b[64];
        struct stat sa, sb;

        snprintf(a, sizeof(a), "/proc/self/ns/%s", ns);
        snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int) pid, ns);
        return stat(a, &sa) >= 0 && stat(b, &sb) >= 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* The entered process, already in the machine's PID namespace and cgroup. Its steps:
 *   1. the machine's other namespaces, through the leader's pidfd (root and cwd become the machine's)
 *   2. not dumpable; a new session; the pty from the machine's devpts when interactive
 *   3. user and environment from the machine's passwd, working directory
 *   4. the machine's bounding set and seccomp programs, every other fd closed, exec */
static _Noreturn void enter_child(const EnterRequest *req, int ns_flags, int sync_fd,
                                  const SeccompProgram *machine, const SeccompProgram *args) {
        UserRecord u = {};
        gid_t groups[USER_GROUPS_MAX];
        size_t n_groups = 0;
        _cleanup_strv_free_ char **env = NULL, **extra = NULL, **argv = NULL;
        const char *term = req->console == CONSOLE_PIPE ? "dumb" : (getenv("TERM") ?: "vt220");
        const char *wd;
        int r;

        if (setns(req->leader_pidfd, ns_flags) < 0)
                fail(sync_fd, errno, "cannot join the namespaces of machine '%s': %m", req->machine->name);
        /* In the machine's user namespace, as its root: files and ptys made from here on are the
         * guest's. */
        if ((ns_flags & CLONE_NEWUSER) && userns_become_root() < 0)
                fail(sync_fd, errno, "cannot become root of machine '%s': %m", req->machine->name);
        (void) prctl(PR_SET_DUMPABLE, 0);
        if (setsid() < 0)
                fail(sync_fd, errno, "cannot start a new session: %m");

        if (req->console != CONSOLE_PIPE) {
                int master, slave, unlock = 0;

                master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0)
                        fail(sync_fd, errno, "cannot allocate a pty in machine '%s': %m",
                             req->machine->name);
                slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_CLOEXEC);
                if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                        fail(sync_fd, errno, "cannot open the pty's peer: %m");
                if (sync_send(sync_fd, SYNC_CONSOLE, 0, 0, NULL, master) < 0)
                        _exit(EXIT_FAILURE);
                safe_close(master);
                if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
                        fail(sync_fd, errno, "cannot set up the pty: %m");
                safe_close(slave);
        }

        r = user_lookup(req->user ?: "0", &u, groups, USER_GROUPS_MAX, &n_groups);
        if (r == -ESRCH && req->user)
                fail(sync_fd, ESRCH, "user '%s' not found in the machine's /etc/passwd", req->user);
        if (r < 0 && r != -ESRCH)
                fail(sync_fd, r, "cannot look up user '%s' in the machine: %m", req->user ?: "root");
        extra = strv_copy(req->host_environment);
        if (req->host_environment && !extra)
                fail(sync_fd, ENOMEM, "out of memory");
        STRV_FOREACH (e, req->environment)
                if (strv_extend(&extra, *e) < 0)
                        fail(sync_fd, ENOMEM, "out of memory");
        r = environment_build(u.name ? &u : NULL, term, req->machine->uuid, extra, &env);
        if (r < 0)
                fail(sync_fd, r, "cannot build the environment: %m");

        if (req->argv)
                argv = strv_copy(req->argv);
        else {
                const char *shell = u.shell ?: "/bin/sh";
                const char *base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;

                /* A login shell, by the convention of a leading dash in argv[0]. */
                argv = calloc(3, sizeof(char *));
                if (argv) {
                        argv[0] = strdup(shell);
                        argv[1] = req->login ? strjoin3("-", base, NULL) : NULL;
                }
                if (argv && req->login) {
                        /* exec the shell, but show "-sh" as its name */
                        free(argv[0]);
                        argv[0] = argv[1];
                        argv[1] = NULL;
                }
        }
        if (!argv || !argv[0])
                fail(sync_fd, ENOMEM, "out of memory");

        /* The machine's limits apply to whoever enters it; set while we are still root (both need
         * privileges a user switch drops). */
        r = capability_bounding_set_limit(req->machine->capabilities ?: capability_default_set());
        if (r < 0)
                fail(sync_fd, r, "cannot limit the capability bounding set: %m");
        if (req->machine->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail(sync_fd, errno, "cannot set no_new_privs: %m");
        if (seccomp_program_load(machine) < 0 || seccomp_program_load(args) < 0)
                fail(sync_fd, errno, "cannot install the seccomp filter: %m");

        if (u.name && (setgroups(n_groups, groups) < 0 || setresgid(u.gid, u.gid, u.gid) < 0 ||
                       setresuid(u.uid, u.uid, u.uid) < 0))
                fail(sync_fd, errno, "cannot become user '%s': %m", req->user ?: "root");
        wd = req->working_directory ?: (req->argv ? "/" : (u.home ?: "/"));
        if (chdir(wd) < 0 && (req->working_directory || chdir("/") < 0))
                fail(sync_fd, errno, "cannot change to '%s' in the machine: %m", wd);

        if (close_all_fds_except(&sync_fd, 1) < 0)
                fail(sync_fd, errno, "cannot close file descriptors: %m");

        if (req->login && !req->argv) {
                /* argv[0] is "-sh": exec the real path. */
                execve(u.shell ?: "/bin/sh", argv, env);
                r = -errno;
        } else
                r = exec_search(argv, env);
        {
                int status = r == -ENOENT || r == -ENOTDIR ? 127 : 126;
                char text[SYNC_TEXT_MAX];
                errno = -r;
                snprintf(text, sizeof(text), "command '%s' %s in machine '%s'", argv[0],
                         status == 127 ? "not found" : "cannot be executed", req->machine->name);
                (void) sync_send(sync_fd, SYNC_EXEC_FAILED, -r, status, text, -EBADF);
                _exit(status);
        }
}

typedef struct EnterContext {
        Console *console;
        int status;
} EnterContext;

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        EnterContext *c = userdata;

        c->status = exit_status_from_siginfo(si);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_winch(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        EnterContext *c = userdata;

        console_resize(c->console);
        return 0;
}

static int on_forward(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        int *pidfd = userdata;

        (void) pidfd_signal(*pidfd, (int) si->ssi_signo);
        return 0;
}

/* The cgroup an entered process starts in: the payload, unless the machine's init made it an inner
 * node. A booted systemd moves itself to payload/init.scope and enables the delegated controllers in
 * the payload's cgroup.subtree_control, and from then on no process may live in the payload itself (a
 * clone into it fails with EBUSY). Then the leader's own cgroup, a leaf by the same rule, as long as it
 * lies below the payload: the guest cannot move its leader elsewhere, but that is checked, not
 * trusted. */
static char *enter_cgroup(const MachineState *m) {
        _cleanup_free_ char *payload = NULL, *own = NULL;
        size_t n;

        payload = strjoin3(m->cgroup, "/payload", NULL);
        if (!payload || m->leader <= 0 || cgroup_of_pid(m->leader, &own) < 0)
                return TAKE_PTR(payload);
        n = strlen(payload);
        if (!strneq(own, payload, n) || own[n] != '/' || strstr(own + n, "/.."))
                return TAKE_PTR(payload);
        return TAKE_PTR(own);
}

int machine_enter(const EnterRequest *req, int *ret_status) {
        _cleanup_(seccomp_program_done) SeccompProgram machine = {}, args = {};
        _cleanup_close_ int cgroup_fd = -EBADF, child_pidfd = -EBADF, host_pidns = -EBADF;
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        static const char *const namespaces[] = { "user", "mnt", "uts", "ipc", "net", "cgroup", "time" };
        static const int flags[] = { CLONE_NEWUSER, CLONE_NEWNS,     CLONE_NEWUTS, CLONE_NEWIPC,
                                     CLONE_NEWNET,  CLONE_NEWCGROUP, CLONE_NEWTIME };
        EnterContext ctx = { .status = -1 };
        _cleanup_strv_free_ char **host_env = NULL;
        EnterRequest req_copy;
        sd_event *e = NULL;
        const char *bad = NULL;
        int ns_flags = 0, r;
        pid_t pid;
        sigset_t mask;

        /* container_host_* describe the host: read its os-release before joining anything. */
        r = boot_environment(false, &host_env);
        if (r < 0)
                return log_oom();
        req_copy = *req;
        req_copy.host_environment = host_env;
        req = &req_copy;

        /* The machine's own filter, --system-call-filter= additions included. */
        r = seccomp_programs_build(req->machine->syscall_allow, req->machine->syscall_deny,
                                   req->machine->allow_nesting, &machine, &args, &bad);
        if (r < 0)
                return log_error_errno(r, "cannot build the seccomp filter: %m");

        /* Join only what differs: a namespace the machine shares with the host (the network with
         * --network=host) must not be re-entered, and setns() refuses the time namespace we are in. */
        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++)
                if (!same_ns(req->machine->leader, namespaces[i]))
                        ns_flags |= flags[i];

        if (req->join_cgroup && req->machine->cgroup) {
                _cleanup_free_ char *payload = enter_cgroup(req->machine);
                cgroup_fd = payload ? open(payload, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
                if (cgroup_fd < 0)
                        return log_error_errno(errno, "cannot open the cgroup of machine '%s': %m",
                                               req->machine->name);
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(errno, "cannot create a socket: %m");

        /* The PID namespace only applies to children: join it for them, clone, and step back. */
        host_pidns = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
        if (host_pidns < 0)
                return log_error_errno(errno, "cannot open our PID namespace: %m");
        if (setns(req->leader_pidfd, CLONE_NEWPID) < 0)
                return log_error_errno(errno, "cannot join the PID namespace of machine '%s': %m",
                                       req->machine->name);

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);

        pid = clone3_fork(cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0, cgroup_fd, &child_pidfd);
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                safe_close(pair[0]);
                enter_child(req, ns_flags, pair[1], &machine, &args);
        }
        (void) setns(host_pidns, CLONE_NEWPID);
        if (pid < 0)
                return log_error_errno(pid, "cannot start a process in machine '%s': %m",
                                       req->machine->name);
        pair[1] = safe_close(pair[1]);

        r = sd_event_new(&e);
        if (r >= 0)
                r = sd_event_add_child_pidfd(e, NULL, child_pidfd, WEXITED, on_child_exit, &ctx);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGWINCH, on_winch, &ctx);
        for (int sig = SIGHUP; r >= 0 && sig <= SIGTERM; sig++)
                if (sig == SIGHUP || sig == SIGINT || sig == SIGTERM)
                        r = sd_event_add_signal(e, NULL, sig, on_forward, &child_pidfd);
        if (r < 0) {
                (void) pidfd_signal(child_pidfd, SIGKILL);
                sd_event_unref(e);
                return log_error_errno(r, "cannot set up the event loop: %m");
        }

        /* What the child says before it execs: the pty master, or why it failed. */
        for (;;) {
                SyncMsg msg;
                int fd;

                r = sync_recv(pair[0], &msg, &fd, false);
                if (r <= 0)
                        break; /* exec'd (the socket closed with it), or gone */
                if (msg.type == SYNC_CONSOLE && fd >= 0 && !ctx.console) {
                        r = console_new(e, fd, CONSOLE_INTERACTIVE, &ctx.console);
                        if (r < 0) {
                                safe_close(fd);
                                log_error_errno(r, "cannot attach the pty: %m");
                                (void) pidfd_signal(child_pidfd, SIGKILL);
                        }
                        continue;
                }
                safe_close(fd);
                if (msg.type == SYNC_ERROR || msg.type == SYNC_EXEC_FAILED)
                        log_error_errno(msg.error ?: EIO, "%s", msg.text);
        }

        r = sd_event_loop(e);
        console_drain(ctx.console);
        ctx.console = console_free(ctx.console);
        sd_event_unref(e);
        if (r < 0)
                return log_error_errno(r, "event loop failed: %m");
        *ret_status = ctx.status;
        return 0;
}
