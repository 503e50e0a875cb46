#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "image-spawn.h"
#include "process-util.h"
#include "strv.h"

#define SPAWN_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int image_spawn_env(char ***ret) {
        static const char *const passed[] = { "http_proxy", "https_proxy", "no_proxy",
                                              "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY" };
        _cleanup_strv_free_ char **env = NULL;
        int r;

        r = strv_extend(&env, SPAWN_PATH);
        if (r >= 0)
                r = strv_extend(&env, "LC_ALL=C");
        if (r >= 0)
                r = strv_extend(&env, "DEBIAN_FRONTEND=noninteractive");
        if (r >= 0)
                r = strv_extend(&env, "HOME=/root");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(passed); i++) {
                const char *v = getenv(passed[i]);
                char *e;

                if (!v || strlen(v) > 4096 || string_has_cc(v))
                        continue;
                e = strjoin3(passed[i], "=", v);
                if (!e)
                        return -ENOMEM;
                r = strv_push(&env, e);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(env);
        return 0;
}

_noreturn_ static void child(int exec_fd, const char *path, char *const argv[], char *const envp[],
                             const int fds[4], int cwd_fd, int err_fd, pid_t parent) {
        int moved[4] = { -1, -1, -1, -1 }, keep[3];
        size_t n_keep = 0;
        sigset_t all;
        int e;

        /* The caller may block or ignore signals (an event loop does); the program gets defaults. */
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                goto fail;

        /* Everything the child still needs out of the way of 0..3 first, then into place (dup2 clears
         * O_CLOEXEC on the copy). */
        err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, 10);
        if (err_fd < 0)
                _exit(127);
        if (exec_fd >= 0 && (exec_fd = fcntl(exec_fd, F_DUPFD_CLOEXEC, 10)) < 0)
                goto fail;
        if (cwd_fd >= 0 && fchdir(cwd_fd) < 0)
                goto fail;
        for (int i = 0; i < 4; i++) {
                if (fds[i] >= 0)
                        moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
                else if (i < 3)
                        moved[i] = open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOCTTY);
                else
                        continue;
                if (moved[i] < 0)
                        goto fail;
        }
        for (int i = 0; i < 4; i++)
                if (moved[i] >= 0 && dup2(moved[i], i) < 0)
                        goto fail;

        /* err_fd and exec_fd are O_CLOEXEC: the program gets 0..2 and fd 3 when asked for. */
        keep[n_keep++] = err_fd;
        if (exec_fd >= 0)
                keep[n_keep++] = exec_fd;
        if (fds[3] >= 0)
                keep[n_keep++] = 3;
        if (close_all_fds_except(keep, n_keep) < 0)
                goto fail;

        if (exec_fd >= 0)
                syscall(SYS_execveat, exec_fd, "", argv, envp, AT_EMPTY_PATH);
        else
                execve(path, argv, envp);
fail:
        e = errno > 0 ? errno : EIO;
        (void) !write(err_fd, &e, sizeof(e));
        _exit(127);
}

int image_spawn(int exec_fd, const char *path, char *const argv[], char *const envp[], const int fds[4],
                int cwd_fd, pid_t *ret_pid, int *ret_pidfd) {
        _cleanup_close_pair_ int err[2] = { -EBADF, -EBADF };
        _cleanup_close_ int pidfd = -EBADF;
        pid_t parent = getpid(), pid;
        ssize_t k;
        int e = 0;

        if (!argv || !argv[0] || (exec_fd < 0 && !path))
                return -EINVAL;
        if (pipe2(err, O_CLOEXEC) < 0)
                return negative_errno();

        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0)
                child(exec_fd, path, argv, envp, fds, cwd_fd, err[1], parent);

        err[1] = safe_close(err[1]);
        pidfd = pidfd_open_pid(pid);
        /* An exec that worked closed the pipe (O_CLOEXEC) without a word. */
        do
                k = read(err[0], &e, sizeof(e));
        while (k < 0 && errno == EINTR);
        if (k == (ssize_t) sizeof(e) || pidfd < 0) {
                int r = k == (ssize_t) sizeof(e) ? -e : pidfd;

                (void) kill(pid, SIGKILL);
                (void) image_spawn_wait(pid);
                return r;
        }
        *ret_pid = pid;
        *ret_pidfd = TAKE_FD(pidfd);
        return 0;
}

int image_spawn_wait(pid_t pid) {
        siginfo_t si = {};
        int r;

        r = wait_pid(pid, &si);
        if (r < 0)
                return r;
        return exit_status_from_siginfo(&si);
}

int image_spawn_capture(int exec_fd, const char *path, char *const argv[], size_t max, char **ret,
                        size_t *ret_size) {
        _cleanup_close_pair_ int out[2] = { -EBADF, -EBADF };
        _cleanup_close_ int pidfd = -EBADF;
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *buf = NULL;
        ssize_t k;
        pid_t pid;
        int r, status;

        r = image_spawn_env(&env);
        if (r < 0)
                return r;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        if (pipe2(out, O_CLOEXEC) < 0)
                return negative_errno();
        r = image_spawn(exec_fd, path, argv, env, (const int[4]){ -1, out[1], -1, -1 }, -1, &pid, &pidfd);
        if (r < 0)
                return r;
        out[1] = safe_close(out[1]);

        k = loop_read(out[0], buf, max + 1);
        if (k < 0 || (size_t) k > max)
                (void) pidfd_signal(pidfd, SIGKILL);
        status = image_spawn_wait(pid);
        if (k < 0)
                return (int) k;
        if ((size_t) k > max)
                return -EFBIG;
        if (status < 0)
                return status;
        if (status != 0)
                return -EPROTO;
        buf[k] = '\0';
        if (ret_size)
                *ret_size = (size_t) k;
        *ret = TAKE_PTR(buf);
        return 0;
}
