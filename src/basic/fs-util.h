#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Paths inside a machine's tree belong to whoever built it: every lookup below resolves symlinks and
 * ".." as if root_fd were "/", so nothing can point out of the tree. */

/* openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS), or the userspace walk where the kernel lacks it. */
int open_in_root(int root_fd, const char *path, int flags, mode_t mode);
/* The userspace walk alone; exported so the tests cover it on kernels that have openat2. */
int open_in_root_fallback(int root_fd, const char *path, int flags, mode_t mode);

/* Creates path (and its parents) beneath root as directories, or the last component as an empty
 * regular file when !directory. Existing entries of the right kind are fine. Returns an O_PATH fd. */
int make_path_in_root(int root_fd, const char *path, bool directory, mode_t mode);

/* Opens a relative path beneath dir_fd without following any symlink on the way (ENOTDIR or ELOOP; with
 * O_PATH a symlink as the last component is opened itself), refusing absolute paths and ".." (EXDEV): for
 * paths we know name real directories in a tree someone else may be changing. "" opens dir_fd again.
 * flags (O_CLOEXEC and O_NOFOLLOW are added) apply to the last component. */
#define OPEN_BENEATH_PATH_MAX (128U * 1024U)
int open_beneath_nofollow(int dir_fd, const char *path, int flags);

/* "/proc/self/fd/N" for mounting onto an fd. */
#define FD_PATH_MAX 32
char *fd_path(int fd, char buf[static FD_PATH_MAX]);

/* Writes text to path through a temporary file beside it and a rename, so readers see the old file or
 * the new one, never a part. */
int write_file_atomic(const char *path, const char *text, mode_t mode);
