#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "mount-image.h"
#include "sync.h"
#include "userns.h"

int image_mount_detached(const ImageMount *m, bool read_only_mount, int idmap_userns_fd) {
        _cleanup_close_ int fs = -EBADF, mnt = -EBADF;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) idmap_userns_fd };
        char source[FD_PATH_MAX];

        /* The device by its fd's magic link: no path in /dev is looked up again. */
        fs = (int) syscall(SYS_fsopen, m->fstype, FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", fd_path(m->fd, source), 0) < 0)
                return -errno;
        if (m->read_only && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
                return -errno;
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mnt = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                            read_only_mount || m->read_only ? MOUNT_ATTR_RDONLY : 0);
        if (mnt < 0)
                return -errno;
        if (idmap_userns_fd >= 0 &&
            syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return -errno;
        return TAKE_FD(mnt);
}

int image_idmap_supported(const ImageMount *m, int userns_fd) {
        int fd = image_mount_detached(m, true, userns_fd);

        if (userns_idmap_refused(fd))
                return 0;
        if (fd < 0)
                return fd;
        safe_close(fd);
        return 1;
}

int mount_image_tree(const Settings *s, int idmap_userns_fd, int sync_fd, int *ret_root_fd) {
        _cleanup_close_ int root = -EBADF, top = -EBADF;

        if (s->n_image_mounts == 0 || !streq(s->image_mounts[0].where, "/"))
                return sync_errorf(sync_fd, EINVAL, "the image has no root file system");

        /* The root goes on top of this namespace's "/": the tree has no directory of the host to live
         * in, and none is needed. Lookups of host paths still start from the process's root, beneath
         * the stack, so binds from the host keep working until pivot_root() moves it all. */
        root = image_mount_detached(&s->image_mounts[0], false, idmap_userns_fd);
        if (root < 0)
                return sync_errorf(sync_fd, root,
                                   "cannot mount the root file system (%s) of image '%s'%s: %m",
                                   s->image_mounts[0].fstype, s->image,
                                   idmap_userns_fd >= 0 && root == -EINVAL
                                           ? " as an idmapped mount (use --private-users-ownership=off or "
                                             "--private-users=no)"
                                           : "");
        top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (top < 0)
                return sync_errorf(sync_fd, errno, "cannot open the root directory: %m");
        if (syscall(SYS_move_mount, root, "", top, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
            0)
                return sync_errorf(sync_fd, errno, "cannot attach the root file system of image '%s': %m",
                                   s->image);

        for (size_t i = 1; i < s->n_image_mounts; i++) {
                const ImageMount *m = &s->image_mounts[i];
                _cleanup_close_ int mnt = -EBADF, mp = -EBADF;

                mp = make_path_in_root(root, m->where, true, 0755);
                if (mp < 0)
                        return sync_errorf(
                                sync_fd, mp, "cannot create the mount point '%s' in image '%s'%s: %m",
                                m->where, s->image,
                                mp == -EROFS ? " (its root is read-only: the directory must be there)" : "");
                mnt = image_mount_detached(m, false, idmap_userns_fd);
                if (mnt < 0)
                        return sync_errorf(sync_fd, mnt,
                                           "cannot mount the %s file system of image '%s' on '%s': %m",
                                           m->fstype, s->image, m->where);
                if (syscall(SYS_move_mount, mnt, "", mp, "",
                            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return sync_errorf(sync_fd, errno,
                                           "cannot attach the file system of image '%s' on '%s': %m",
                                           s->image, m->where);
        }
        *ret_root_fd = TAKE_FD(root);
        return 0;
}
