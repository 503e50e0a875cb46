/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "fd-util.h"
#include "fs-util.h"
#include "log.h"

/* Subvolumes nest as deep as directories do; this bounds our recursion over them, not the file system. */
#define SUBVOL_DEPTH_MAX 64
/* Subvolumes directly below one subvolume that we are prepared to handle. */
#define SUBVOL_CHILDREN_MAX 16384

typedef struct SubvolChild {
        uint64_t id;    /* subvolume id of the child */
        uint64_t dirid; /* inode, in the parent subvolume, of the directory holding it */
        char name[BTRFS_VOL_NAME_MAX + 1];
} SubvolChild;

int btrfs_fd_is_on_btrfs(int fd) {
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return -errno;
        return sfs.f_type == (typeof(sfs.f_type)) BTRFS_SUPER_MAGIC;
}

int btrfs_is_subvolume_fd(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) || st.st_ino != BTRFS_FIRST_FREE_OBJECTID)
                return 0;
        return btrfs_fd_is_on_btrfs(fd);
}

int btrfs_is_subvolume_at(int dir_fd, const char *name) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return btrfs_is_subvolume_fd(fd);
}

int btrfs_subvolume_get_id_fd(int fd, uint64_t *ret) {
        /* INO_LOOKUP with tree id 0 answers in the tree of the inode fd refers to, and reports that tree. */
        struct btrfs_ioctl_ino_lookup_args args = {
                .treeid = 0,
                .objectid = BTRFS_FIRST_FREE_OBJECTID,
        };

        if (ioctl(fd, BTRFS_IOC_INO_LOOKUP, &args) < 0)
                return -errno;
        *ret = args.treeid;
        return 0;
}

static int check_name(const char *name) {
        /* One path component: the ioctls take a name below the directory they are called on. */
        if (isempty(name) || streq(name, ".") || streq(name, "..") || strchr(name, '/'))
                return -EINVAL;
        if (strlen(name) > BTRFS_VOL_NAME_MAX)
                return -ENAMETOOLONG;
        return 0;
}

int btrfs_subvolume_create_at(int dir_fd, const char *name) {
        struct btrfs_ioctl_vol_args args = { .fd = 0 };
        int r;

        r = check_name(name);
        if (r < 0)
                return r;
        strncpy(args.name, name, sizeof(args.name) - 1);
        return RET_NERRNO(ioctl(dir_fd, BTRFS_IOC_SUBVOL_CREATE, &args));
}

/* The subvolumes directly below subvolume id: its ROOT_REF items in the root tree, keyed (id, ROOT_REF,
 * child id), each holding the directory and name the child is linked under. */
static int subvol_children(int fd, uint64_t id, SubvolChild **ret, size_t *ret_n) {
        struct btrfs_ioctl_search_args args = {
                .key = {
                        .tree_id = BTRFS_ROOT_TREE_OBJECTID,
                        .min_objectid = id,
                        .max_objectid = id,
                        .min_type = BTRFS_ROOT_REF_KEY,
                        .max_type = BTRFS_ROOT_REF_KEY,
                        .min_offset = 0,
                        .max_offset = UINT64_MAX,
                        .min_transid = 0,
                        .max_transid = UINT64_MAX,
                },
        };
        _cleanup_free_ SubvolChild *children = NULL;
        size_t n = 0;

        for (;;) {
                uint64_t last = 0;
                size_t off = 0;

                args.key.nr_items = 4096;
                if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &args) < 0)
                        return -errno;
                if (args.key.nr_items == 0)
                        break;

                for (uint32_t i = 0; i < args.key.nr_items; i++) {
                        struct btrfs_ioctl_search_header sh;
                        struct btrfs_root_ref ref;
                        uint16_t name_len;

                        if (off + sizeof(sh) > sizeof(args.buf))
                                return -EBADMSG;
                        memcpy(&sh, args.buf + off, sizeof(sh));
                        off += sizeof(sh);
                        if (sh.len > sizeof(args.buf) - off)
                                return -EBADMSG;
                        last = sh.offset;

                        if (sh.objectid == id && sh.type == BTRFS_ROOT_REF_KEY) {
                                SubvolChild *c;

                                if (sh.len < sizeof(ref))
                                        return -EBADMSG;
                                memcpy(&ref, args.buf + off, sizeof(ref));
                                name_len = le16toh(ref.name_len);
                                if (name_len == 0 || name_len > BTRFS_VOL_NAME_MAX ||
                                    sizeof(ref) + name_len > sh.len)
                                        return -EBADMSG;
                                if (n >= SUBVOL_CHILDREN_MAX)
                                        return -E2BIG;
                                c = reallocarray(children, n + 1, sizeof(SubvolChild));
                                if (!c)
                                        return -ENOMEM;
                                children = c;
                                c = &children[n++];
                                *c = (SubvolChild){ .id = sh.offset, .dirid = le64toh(ref.dirid) };
                                memcpy(c->name, args.buf + off + sizeof(ref), name_len);
                                c->name[name_len] = '\0';
                                if (memchr(c->name, '/', name_len) || memchr(c->name, '\0', name_len))
                                        return -EBADMSG;
                        }
                        off += sh.len;
                }

                if (last == UINT64_MAX)
                        break;
                args.key.min_offset = last + 1;
        }

        *ret = TAKE_PTR(children);
        *ret_n = n;
        return 0;
}

/* Opens the directory a child subvolume is linked in, beneath the parent subvolume's top directory
 * parent_fd: INO_LOOKUP gives its path inside the parent ("" for the top, else "a/b/"), which is then
 * walked without following symlinks, since the tree may change under us. */
static int open_child_parent_dir(int parent_fd, uint64_t parent_id, const SubvolChild *c) {
        struct btrfs_ioctl_ino_lookup_args args = {
                .treeid = parent_id,
                .objectid = c->dirid,
        };

        if (c->dirid == BTRFS_FIRST_FREE_OBJECTID)
                return RET_NERRNO(openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (ioctl(parent_fd, BTRFS_IOC_INO_LOOKUP, &args) < 0)
                return -errno;
        args.name[sizeof(args.name) - 1] = '\0';
        return open_beneath_nofollow(parent_fd, args.name, O_RDONLY | O_DIRECTORY);
}

static int subvol_destroy(int dir_fd, const char *name, uint64_t id) {
        /* By id where the kernel can (5.7), so what goes is exactly the subvolume we looked at even if
         * the name was swapped meanwhile; by name on older kernels. */
        struct btrfs_ioctl_vol_args_v2 args2 = { .flags = BTRFS_SUBVOL_SPEC_BY_ID, .subvolid = id };
        struct btrfs_ioctl_vol_args args = { .fd = 0 };

        if (ioctl(dir_fd, BTRFS_IOC_SNAP_DESTROY_V2, &args2) >= 0)
                return 0;
        if (errno != ENOTTY && errno != EOPNOTSUPP)
                return -errno;
        strncpy(args.name, name, sizeof(args.name) - 1);
        return RET_NERRNO(ioctl(dir_fd, BTRFS_IOC_SNAP_DESTROY, &args));
}

static int subvolume_remove_internal(int dir_fd, const char *name, unsigned depth) {
        _cleanup_free_ SubvolChild *children = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n_children = 0;
        uint64_t id = 0;
        int r;

        /* 1. open the subvolume and learn its id
         * 2. remove the subvolumes nested in it, deepest first (destroy refuses a parent of others)
         * 3. destroy it, with all files it holds, in one ioctl */
        if (depth > SUBVOL_DEPTH_MAX)
                return -ELOOP;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = btrfs_is_subvolume_fd(fd);
        if (r < 0)
                return r;
        if (r == 0)
                return -EMEDIUMTYPE;
        r = btrfs_subvolume_get_id_fd(fd, &id);
        if (r < 0)
                return r;

        r = subvol_children(fd, id, &children, &n_children);
        if (r < 0)
                return r;
        if (n_children > 0) {
                /* Unlinking a nested subvolume writes to the directory it sits in. */
                r = btrfs_subvolume_get_read_only_fd(fd);
                if (r > 0)
                        r = btrfs_subvolume_set_read_only_fd(fd, false);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_children; i++) {
                _cleanup_close_ int parent_fd = open_child_parent_dir(fd, id, &children[i]);

                if (parent_fd < 0)
                        return parent_fd;
                r = subvolume_remove_internal(parent_fd, children[i].name, depth + 1);
                if (r < 0 && r != -ENOENT)
                        return r;
        }

        return subvol_destroy(dir_fd, name, id);
}

int btrfs_subvolume_remove_at(int dir_fd, const char *name) {
        int r = check_name(name);

        if (r < 0)
                return r;
        return subvolume_remove_internal(dir_fd, name, 0);
}

static int snapshot_internal(int src_fd, int dst_dir_fd, const char *dst_name, BtrfsSnapshotFlags flags,
                             unsigned depth) {
        struct btrfs_ioctl_vol_args_v2 args = { .fd = src_fd };
        _cleanup_free_ SubvolChild *children = NULL;
        _cleanup_close_ int new_fd = -EBADF;
        size_t n_children = 0;
        uint64_t src_id = 0;
        int r;

        /* 1. find the subvolumes nested in the source (when recursive)
         * 2. snapshot the source; read-only right away only when nothing is to be put into it
         * 3. for each nested one: replace the empty directory the snapshot shows in its place with a
         *    snapshot of it (recursively)
         * 4. make the snapshot read-only if asked
         * On failure after 2, the new snapshot goes again with everything put into it. */
        if (depth > SUBVOL_DEPTH_MAX)
                return -ELOOP;
        r = btrfs_is_subvolume_fd(src_fd);
        if (r < 0)
                return r;
        if (r == 0)
                return -EMEDIUMTYPE;
        r = btrfs_subvolume_get_id_fd(src_fd, &src_id);
        if (r < 0)
                return r;
        if (flags & BTRFS_SNAPSHOT_RECURSIVE) {
                r = subvol_children(src_fd, src_id, &children, &n_children);
                if (r < 0)
                        return r;
        }

        if ((flags & BTRFS_SNAPSHOT_READ_ONLY) && n_children == 0)
                args.flags |= BTRFS_SUBVOL_RDONLY;
        strncpy(args.name, dst_name, sizeof(args.name) - 1);
        if (ioctl(dst_dir_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0)
                return -errno;
        if (n_children == 0)
                return 0;

        new_fd = openat(dst_dir_fd, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (new_fd < 0) {
                r = -errno;
                goto fail;
        }
        for (size_t i = 0; i < n_children; i++) {
                _cleanup_close_ int src_parent_fd = -EBADF, dst_parent_fd = -EBADF, child_fd = -EBADF;
                const SubvolChild *c = &children[i];
                uint64_t child_id = 0;
                struct stat st;

                src_parent_fd = open_child_parent_dir(src_fd, src_id, c);
                if (src_parent_fd < 0) {
                        r = src_parent_fd;
                        goto fail;
                }
                child_fd = openat(src_parent_fd, c->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child_fd < 0) {
                        r = -errno;
                        goto fail;
                }
                /* The name must still lead to the subvolume the search found. */
                r = btrfs_subvolume_get_id_fd(child_fd, &child_id);
                if (r < 0)
                        goto fail;
                if (child_id != c->id) {
                        r = -ESTALE;
                        goto fail;
                }

                /* The same directory in the new snapshot: same inode number, same path. */
                dst_parent_fd = open_child_parent_dir(new_fd, 0, c);
                if (dst_parent_fd < 0) {
                        r = dst_parent_fd;
                        goto fail;
                }
                if (fstat(dst_parent_fd, &st) < 0 || unlinkat(dst_parent_fd, c->name, AT_REMOVEDIR) < 0) {
                        r = -errno;
                        goto fail;
                }
                r = snapshot_internal(child_fd, dst_parent_fd, c->name, flags, depth + 1);
                if (r < 0)
                        goto fail;
                /* Replacing the placeholder touched the directory: give it back the source's times. */
                if (futimens(dst_parent_fd, (struct timespec[2]){ st.st_atim, st.st_mtim }) < 0) {
                        r = -errno;
                        goto fail;
                }
        }
        if (flags & BTRFS_SNAPSHOT_READ_ONLY) {
                r = btrfs_subvolume_set_read_only_fd(new_fd, true);
                if (r < 0)
                        goto fail;
        }
        return 0;

fail:
        (void) subvolume_remove_internal(dst_dir_fd, dst_name, 0);
        return r;
}

int btrfs_subvolume_snapshot_at(int src_fd, int dst_dir_fd, const char *dst_name, BtrfsSnapshotFlags flags) {
        int r = check_name(dst_name);

        if (r < 0)
                return r;
        return snapshot_internal(src_fd, dst_dir_fd, dst_name, flags, 0);
}

int btrfs_subvolume_get_read_only_fd(int fd) {
        uint64_t flags;

        if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
                return -errno;
        return !!(flags & BTRFS_SUBVOL_RDONLY);
}

int btrfs_subvolume_set_read_only_fd(int fd, bool read_only) {
        uint64_t flags, nflags;

        if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
                return -errno;
        nflags = read_only ? (flags | BTRFS_SUBVOL_RDONLY) : (flags & ~(uint64_t) BTRFS_SUBVOL_RDONLY);
        if (nflags == flags)
                return 0;
        return RET_NERRNO(ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &nflags));
}

int btrfs_subvolume_get_usage_fd(int fd, BtrfsUsage *ret) {
        /* The level-0 qgroup of a subvolume has the subvolume's id; its QGROUP_INFO item is keyed
         * (0, QGROUP_INFO, qgroupid) in the quota tree, which only exists while quotas are on. */
        struct btrfs_ioctl_search_args args = {
                .key = {
                        .tree_id = BTRFS_QUOTA_TREE_OBJECTID,
                        .min_objectid = 0,
                        .max_objectid = 0,
                        .min_type = BTRFS_QGROUP_INFO_KEY,
                        .max_type = BTRFS_QGROUP_INFO_KEY,
                        .min_transid = 0,
                        .max_transid = UINT64_MAX,
                        .nr_items = 1,
                },
        };
        struct btrfs_ioctl_search_header sh;
        struct btrfs_qgroup_info_item info;
        uint64_t id = 0;
        int r;

        r = btrfs_subvolume_get_id_fd(fd, &id);
        if (r < 0)
                return r;
        args.key.min_offset = args.key.max_offset = id;
        if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &args) < 0)
                return errno == ENOENT ? -ENODATA : -errno;
        if (args.key.nr_items == 0)
                return -ENODATA;
        memcpy(&sh, args.buf, sizeof(sh));
        if (sh.type != BTRFS_QGROUP_INFO_KEY || sh.offset != id || sh.len < sizeof(info) ||
            sh.len > sizeof(args.buf) - sizeof(sh))
                return -ENODATA;
        memcpy(&info, args.buf + sizeof(sh), sizeof(info));
        *ret = (BtrfsUsage){
                .referenced = le64toh(info.rfer),
                .exclusive = le64toh(info.excl),
        };
        return 0;
}
