/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "copy.h"
#include "fd-util.h"
#include "tree-remove.h"

static dev_t statx_dev(const struct statx *sx) {
        return makedev(sx->stx_dev_major, sx->stx_dev_minor);
}

bool statx_on_other_mount(const struct statx *sx, const struct statx *top) {
        if (sx->stx_mask & top->stx_mask & STATX_MNT_ID)
                return sx->stx_mnt_id != top->stx_mnt_id;
        /* Without mount ids (kernels before 5.8) a new st_dev means a mount, or a btrfs subvolume, whose
         * top directory is inode 256. */
        return statx_dev(sx) != statx_dev(top) && sx->stx_ino != 256;
}

int statx_nofollow_at(int dir_fd, const char *name, struct statx *ret) {
        return RET_NERRNO(statx(dir_fd, name,
                                AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | (isempty(name) ? AT_EMPTY_PATH : 0),
                                STATX_BASIC_STATS | STATX_MNT_ID, ret));
}

static int remove_entry(int parent_fd, const char *name, const struct statx *parent, unsigned depth) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_(closedirp) DIR *d = NULL;
        struct statx sx;
        int r, ret = 0;

        /* 1. a non-directory is unlinked (a symlink is never followed)
         * 2. a directory on another mount is not entered: -EBUSY
         * 3. a btrfs subvolume goes with its own ioctl, nested subvolumes and all
         * 4. any other directory is emptied, depth first, then removed */
        r = statx_nofollow_at(parent_fd, name, &sx);
        if (r < 0)
                return r;
        if (!S_ISDIR(sx.stx_mode))
                return RET_NERRNO(unlinkat(parent_fd, name, 0));

        if (statx_on_other_mount(&sx, parent))
                return -EBUSY;
        if (depth > COPY_DEPTH_MAX)
                return -ELOOP;

        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        if (btrfs_is_subvolume_fd(fd) > 0) {
                r = btrfs_subvolume_remove_at(parent_fd, name);
                if (r >= 0 || (r != -EPERM && r != -EACCES && r != -ENOTTY && r != -EOPNOTSUPP))
                        return r;
                /* Not allowed to destroy it (say, in a user namespace): empty it and rmdir it, which
                 * recent kernels allow for an empty subvolume. */
        }

        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF; /* owned by d now */
        for (;;) {
                struct dirent *de;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0 && ret == 0)
                                ret = -errno;
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = remove_entry(dirfd(d), de->d_name, &sx, depth + 1);
                if (r < 0 && r != -ENOENT && ret == 0)
                        ret = r;
        }
        if (ret < 0)
                return ret;
        return RET_NERRNO(unlinkat(parent_fd, name, AT_REMOVEDIR));
}

int tree_remove_at(int parent_fd, const char *name) {
        struct statx parent;
        int r;

        if (isempty(name) || streq(name, ".") || streq(name, "..") || strchr(name, '/'))
                return -EINVAL;
        r = statx_nofollow_at(parent_fd, "", &parent);
        if (r < 0)
                return r;
        return remove_entry(parent_fd, name, &parent, 0);
}
