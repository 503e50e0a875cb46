#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "userns.h"

int userns_write_maps(pid_t pid, uid_t base, uint32_t count) {
        char path[64], map[64];
        int r;

        snprintf(map, sizeof(map), "0 %u %u\n", (unsigned) base, (unsigned) count);
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int) pid);
        r = write_string_file_at(AT_FDCWD, path, map);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int) pid);
        return write_string_file_at(AT_FDCWD, path, map);
}

int userns_clone_mount(int dir_fd, bool recursive, int userns_fd) {
        _cleanup_close_ int tree = -EBADF;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd };
        unsigned rec = recursive ? AT_RECURSIVE : 0;

        tree = (int) syscall(SYS_open_tree, dir_fd, "",
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
        if (tree < 0)
                return -errno;
        if (userns_fd >= 0 &&
            syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0)
                return -errno;
        return TAKE_FD(tree);
}

int userns_idmap_over(int dir_fd, const char *path, bool recursive, int userns_fd) {
        _cleanup_close_ int tree = userns_clone_mount(dir_fd, recursive, userns_fd);

        if (tree < 0)
                return tree;
        if (syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

bool userns_idmap_refused(int r) {
        /* EINVAL: the file system has no FS_ALLOW_IDMAP (or the kernel predates idmapped mounts, 5.12);
         * ENOSYS, EOPNOTSUPP, EPERM: the kernel or a security module says no. */
        return r == -EINVAL || r == -ENOSYS || r == -EOPNOTSUPP || r == -EPERM;
}

int userns_idmap_supported(int dir_fd, int userns_fd) {
        int fd = userns_clone_mount(dir_fd, false, userns_fd);

        if (userns_idmap_refused(fd))
                return 0;
        if (fd < 0)
                return fd;
        safe_close(fd);
        return 1;
}

int userns_become_file_owner(uid_t uid, gid_t gid) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

        (void) setfsgid(gid);
        (void) setfsuid(uid);
        /* setfsuid() reports the previous value whatever happens: ask again to know. */
        if ((uid_t) setfsuid((uid_t) -1) != uid || (gid_t) setfsgid((gid_t) -1) != gid)
                return -EPERM;
        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
                d[i].effective = d[i].permitted;
        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        return 0;
}

int userns_become_root(void) {
        if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return -errno;
        return 0;
}
