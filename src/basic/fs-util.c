#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "path-util.h"
#include "strv.h"

char *fd_path(int fd, char buf[static FD_PATH_MAX]) {
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

static int openat2_supported = -1; /* probed once; read-only afterwards */

int open_in_root(int root_fd, const char *path, int flags, mode_t mode) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        if (openat2_supported != 0) {
                fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
                if (fd >= 0) {
                        openat2_supported = 1;
                        return fd;
                }
                if (errno != ENOSYS)
                        return -errno;
                openat2_supported = 0;
        }
        return open_in_root_fallback(root_fd, path, flags, mode);
}

static bool same_inode(int a, int b) {
        struct stat sa, sb;
        return fstat(a, &sa) >= 0 && fstat(b, &sb) >= 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int open_in_root_fallback(int root_fd, const char *path, int flags, mode_t mode) {
        _cleanup_free_ char *todo = NULL;
        _cleanup_close_ int cur = -EBADF;
        unsigned symlinks = 0;
        char *p;

        if (strlen(path) >= PATH_MAX_BERTH)
                return -ENAMETOOLONG;
        todo = strdup(path);
        if (!todo)
                return -ENOMEM;
        cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return negative_errno();

        p = todo;
        for (;;) {
                _cleanup_close_ int next = -EBADF;
                char *comp;
                size_t n;
                bool last;
                struct stat st;

                p += strspn(p, "/");
                if (*p == '\0') {
                        /* The path ended in the directory we are at ("/", "a/.."). */
                        int fd = openat(cur, ".", (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
                        return fd < 0 ? negative_errno() : fd;
                }
                n = strcspn(p, "/");
                comp = p;
                last = comp[n + strspn(comp + n, "/")] == '\0';
                if (comp[n] != '\0')
                        comp[n] = '\0', p = comp + n + 1;
                else
                        p = comp + n;

                if (streq(comp, "."))
                        continue;
                if (streq(comp, "..")) {
                        /* ".." never climbs above the root. */
                        if (same_inode(cur, root_fd))
                                continue;
                        next = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (next < 0)
                                return negative_errno();
                        safe_close(cur);
                        cur = TAKE_FD(next);
                        continue;
                }

                next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        if (errno == ENOENT && last && (flags & O_CREAT)) {
                                int fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
                                return fd < 0 ? negative_errno() : fd;
                        }
                        return negative_errno();
                }
                if (fstat(next, &st) < 0)
                        return negative_errno();

                if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
                        char target[PATH_MAX_BERTH];
                        _cleanup_free_ char *joined = NULL;
                        ssize_t k;

                        if (++symlinks > 40)
                                return -ELOOP;
                        k = readlinkat(next, "", target, sizeof(target) - 1);
                        if (k < 0)
                                return negative_errno();
                        target[k] = '\0';
                        joined = strjoin3(target, "/", p);
                        if (!joined)
                                return -ENOMEM;
                        if (strlen(joined) >= PATH_MAX_BERTH)
                                return -ENAMETOOLONG;
                        if (target[0] == '/') {
                                safe_close(cur);
                                cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
                                if (cur < 0)
                                        return negative_errno();
                        }
                        free(todo);
                        todo = TAKE_PTR(joined);
                        p = todo;
                        continue;
                }

                if (last) {
                        int fd;
                        if ((flags & O_CREAT) && (flags & O_EXCL))
                                return -EEXIST;
                        if ((flags & O_PATH) && (flags & O_NOFOLLOW))
                                return TAKE_FD(next);
                        fd = openat(cur, comp, (flags & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW | O_CLOEXEC);
                        return fd < 0 ? negative_errno() : fd;
                }
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                safe_close(cur);
                cur = TAKE_FD(next);
        }
}

int open_beneath_nofollow(int dir_fd, const char *path, int flags) {
        _cleanup_free_ char *todo = NULL;
        _cleanup_close_ int cur = -EBADF;
        char *p, *next;

        if (path[0] == '/')
                return -EXDEV;
        /* Longer than PATH_MAX is fine here (the walk is ours), but not without bound. */
        if (strlen(path) >= OPEN_BENEATH_PATH_MAX)
                return -ENAMETOOLONG;
        todo = strdup(path);
        if (!todo)
                return -ENOMEM;

        for (p = todo; p; p = next) {
                int base = cur >= 0 ? cur : dir_fd, fd;

                next = strchr(p, '/');
                if (next)
                        *next++ = '\0';
                /* Skip empty components ("a//b", a trailing slash), but end on the last real one. */
                while (next && *next == '/')
                        next++;
                if (next && *next == '\0')
                        next = NULL;
                if (*p == '\0' || streq(p, "."))
                        p = (char *) ".";
                else if (streq(p, ".."))
                        return -EXDEV;

                fd = openat(base, p,
                            next ? O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
                                 : flags | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                safe_close(cur);
                cur = fd;
        }
        return TAKE_FD(cur);
}

static int make_path_in_root_internal(int root_fd, const char *path, bool directory, mode_t mode,
                                      unsigned symlinks) {
        _cleanup_free_ char *copy = NULL;
        _cleanup_close_ int parent = -EBADF;
        char *end;
        int fd;

        fd = open_in_root(root_fd, path, O_PATH, 0);
        if (fd >= 0 || fd != -ENOENT)
                return fd;

        if (strlen(path) >= PATH_MAX_BERTH)
                return -ENAMETOOLONG;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        path_simplify(copy);

        /* Walk the prefixes from the root; each is resolved within the tree anew, so a symlink that
         * appears among them still lands beneath root_fd. */
        parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        if (parent < 0)
                return negative_errno();
        end = copy;
        for (;;) {
                _cleanup_close_ int next = -EBADF;
                const char *comp;
                bool last;
                char saved;

                end += strspn(end, "/");
                comp = end;
                end += strcspn(end, "/");
                last = *end == '\0' || end[strspn(end, "/")] == '\0';
                saved = *end;
                *end = '\0';

                next = open_in_root(root_fd, copy, O_PATH, 0);
                if (next == -ENOENT) {
                        char target[PATH_MAX_BERTH];
                        ssize_t k;

                        /* A dangling symlink: make what it points to, as the tree sees it. */
                        k = readlinkat(parent, comp, target, sizeof(target) - 1);
                        if (k >= 0) {
                                _cleanup_free_ char *redirected = NULL;
                                const char *rest = saved ? end + 1 : "";

                                if (++symlinks > 40)
                                        return -ELOOP;
                                target[k] = '\0';
                                if (target[0] == '/')
                                        redirected = strjoin3(target, "/", rest);
                                else {
                                        _cleanup_free_ char *dir = NULL;
                                        *(char *) comp = '\0';
                                        dir = strjoin3(copy, target, "/");
                                        redirected = dir ? strjoin3(dir, rest, NULL) : NULL;
                                }
                                if (!redirected)
                                        return -ENOMEM;
                                return make_path_in_root_internal(root_fd, redirected, directory, mode,
                                                                  symlinks);
                        }
                        if (last && !directory) {
                                int f = openat(parent, comp,
                                               O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC,
                                               mode & 0666);
                                if (f < 0 && errno != EEXIST)
                                        return negative_errno();
                                safe_close(f);
                        } else if (mkdirat(parent, comp, last ? mode : 0755) < 0 && errno != EEXIST)
                                return negative_errno();
                        next = open_in_root(root_fd, copy, O_PATH, 0);
                }
                if (next < 0)
                        return next;
                *end = saved;
                if (last)
                        return TAKE_FD(next);
                safe_close(parent);
                parent = TAKE_FD(next);
        }
}

int make_path_in_root(int root_fd, const char *path, bool directory, mode_t mode) {
        return make_path_in_root_internal(root_fd, path, directory, mode, 0);
}

int write_file_atomic(const char *path, const char *text, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&tmp, "%s.#%d.tmp", path, (int) getpid()) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return negative_errno();
        r = loop_write(fd, text, strlen(text));
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlink(tmp);
        return r;
}
