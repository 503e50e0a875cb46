#pragma once

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

int safe_close(int fd);
static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void close_pairp(int (*p)[2]) {
        safe_close((*p)[0]);
        safe_close((*p)[1]);
}
#define _cleanup_close_pair_ _cleanup_(close_pairp)

/* Closes every fd >= 3 except those listed (order does not matter). */
int close_all_fds_except(const int *keep, size_t n_keep);

/* read()/write() the whole buffer, retrying on EINTR and short transfers. */
ssize_t loop_read(int fd, void *buf, size_t n);
int loop_write(int fd, const void *buf, size_t n);

/* Reads a small file (at most max bytes) below dir_fd; returns a NUL-terminated buffer. */
int read_small_file_at(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_size);
int write_string_file_at(int dir_fd, const char *path, const char *s);

/* Where the last `lines` lines of the first `end` bytes of a file start (0 when it has fewer, end for 0). */
int file_tail_offset(int fd, uint64_t end, unsigned lines, uint64_t *ret);
/* Copies bytes [from, to) of in_fd to out_fd (fewer when the file ends first). */
int file_copy_range(int in_fd, uint64_t from, uint64_t to, int out_fd);

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* A DIR for the directory path beneath dir_fd ("." for dir_fd itself, which keeps its own fd); flags are
 * added to O_RDONLY | O_DIRECTORY | O_CLOEXEC. */
int opendir_at(int dir_fd, const char *path, int flags, DIR **ret);
