#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"

int safe_close(int fd) {
        /* close() is never retried: on Linux the fd is gone even on EINTR. */
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;
        return x < y ? -1 : x > y;
}

int close_all_fds_except(const int *keep, size_t n_keep) {
        int sorted[64];
        size_t n = 0;
        unsigned start = 3;

        if (n_keep > ELEMENTSOF(sorted))
                return -E2BIG;
        for (size_t i = 0; i < n_keep; i++)
                if (keep[i] >= 3)
                        sorted[n++] = keep[i];
        qsort(sorted, n, sizeof(int), cmp_int);

        for (size_t i = 0; i <= n; i++) {
                unsigned end = i < n ? (unsigned) sorted[i] - 1 : ~0U;

                if (i < n && (unsigned) sorted[i] < start) /* duplicate */
                        continue;
                if (end >= start && syscall(SYS_close_range, start, end, 0) < 0)
                        return negative_errno();
                if (i < n)
                        start = (unsigned) sorted[i] + 1;
        }
        return 0;
}

ssize_t loop_read(int fd, void *buf, size_t n) {
        size_t done = 0;

        while (done < n) {
                ssize_t k = read(fd, (char *) buf + done, n - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                done += (size_t) k;
        }
        return (ssize_t) done;
}

int loop_write(int fd, const void *buf, size_t n) {
        const char *p = buf;

        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int read_small_file_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        ssize_t k;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        k = loop_read(fd, buf, max + 1);
        if (k < 0)
                return (int) k;
        if ((size_t) k > max)
                return -EFBIG;
        buf[k] = '\0';
        if (ret_size)
                *ret_size = (size_t) k;
        *ret = TAKE_PTR(buf);
        return 0;
}

int write_string_file_at(int dir_fd, const char *path, const char *s) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(dir_fd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return loop_write(fd, s, strlen(s));
}

int file_tail_offset(int fd, uint64_t end, unsigned lines, uint64_t *ret) {
        char buf[4096];
        uint64_t pos = end;
        unsigned seen = 0;

        if (lines == 0) {
                *ret = end;
                return 0;
        }
        /* Backwards from the end, counting the newlines that end lines; the one ending the last line does
         * not start another. */
        while (pos > 0) {
                size_t n = (size_t) MIN((uint64_t) sizeof(buf), pos);
                ssize_t k;

                pos -= n;
                k = pread(fd, buf, n, (off_t) pos);
                if (k < 0)
                        return negative_errno();
                if ((size_t) k != n)
                        return -EIO; /* the file shrank under us */
                for (size_t i = n; i > 0; i--) {
                        if (buf[i - 1] != '\n' || pos + i == end)
                                continue;
                        if (++seen == lines) {
                                *ret = pos + i;
                                return 0;
                        }
                }
        }
        *ret = 0;
        return 0;
}

int file_copy_range(int in_fd, uint64_t from, uint64_t to, int out_fd) {
        char buf[16384];

        while (from < to) {
                ssize_t k = pread(in_fd, buf, (size_t) MIN((uint64_t) sizeof(buf), to - from), (off_t) from);
                int r;

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                r = loop_write(out_fd, buf, (size_t) k);
                if (r < 0)
                        return r;
                from += (uint64_t) k;
        }
        return 0;
}

int opendir_at(int dir_fd, const char *path, int flags, DIR **ret) {
        int fd = openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
        DIR *d;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                int r = -errno;
                safe_close(fd);
                return r;
        }
        *ret = d;
        return 0;
}
