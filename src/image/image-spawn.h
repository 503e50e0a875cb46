#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Running the host programs that populate a tree (busybox, debootstrap): an argv array, never a shell
 * string, with a fixed environment and only the fds given. */

/* The environment of those programs: a fixed PATH, LC_ALL=C, DEBIAN_FRONTEND=noninteractive, and the
 * caller's http_proxy, https_proxy and no_proxy (upper or lower case) when set. */
int image_spawn_env(char ***ret);

/* Starts argv[0] (path, or the already opened executable exec_fd when it is >= 0) with fds[0..2] as
 * stdin, stdout and stderr (-1: /dev/null) and fds[3] as fd 3 (-1: none), working directory cwd_fd
 * (-1: unchanged), every other fd closed, signal mask and dispositions reset, and SIGTERM when the
 * caller dies. Returns a pidfd and the pid; an exec that fails is reported as its errno. */
int image_spawn(int exec_fd, const char *path, char *const argv[], char *const envp[], const int fds[4],
                int cwd_fd, pid_t *ret_pid, int *ret_pidfd);

/* Runs argv like image_spawn() (stdin and stderr /dev/null) and returns what it printed on stdout, at
 * most max bytes (-EFBIG beyond, after killing it), NUL-terminated. -EPROTO when it did not exit 0. */
int image_spawn_capture(int exec_fd, const char *path, char *const argv[], size_t max, char **ret,
                        size_t *ret_size);

/* Waits for pid (retrying on EINTR) and returns its exit status as a shell reports it (128+N for a
 * signal N). */
int image_spawn_wait(pid_t pid);
