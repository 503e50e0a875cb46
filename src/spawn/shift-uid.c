#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "shift-uid.h"

/* Kernel ABI of the two xattr values (uapi posix_acl_xattr.h and capability.h), spelled out here under
 * our own names: libacl's and libcap's headers define some of the same names differently. */
#define ACL_XATTR_ACCESS        "system.posix_acl_access"
#define ACL_XATTR_DEFAULT       "system.posix_acl_default"
#define ACL_XATTR_VERSION       0x0002U
#define ACL_XATTR_HEADER_SIZE   4U
#define ACL_XATTR_ENTRY_SIZE    8U
#define ACL_XATTR_TAG_USER_OBJ  0x01U
#define ACL_XATTR_TAG_USER      0x02U
#define ACL_XATTR_TAG_GROUP_OBJ 0x04U
#define ACL_XATTR_TAG_GROUP     0x08U
#define ACL_XATTR_TAG_MASK      0x10U
#define ACL_XATTR_TAG_OTHER     0x20U

#define FSCAPS_XATTR         "security.capability"
#define FSCAPS_REVISION_MASK 0xFF000000U
#define FSCAPS_REVISION_1    0x01000000U
#define FSCAPS_REVISION_2    0x02000000U
#define FSCAPS_REVISION_3    0x03000000U
#define FSCAPS_SIZE_1        12U
#define FSCAPS_SIZE_2        20U
#define FSCAPS_SIZE_3        24U
#define FSCAPS_ROOTID_OFFSET 20U

/* The kernel's limit on one xattr value (XATTR_SIZE_MAX). */
#define SHIFT_XATTR_SIZE_MAX 65536U

static uint16_t get_le16(const uint8_t *p) {
        uint16_t v;

        memcpy(&v, p, sizeof(v)); /* values sit at any alignment */
        return le16toh(v);
}

static uint32_t get_le32(const uint8_t *p) {
        uint32_t v;

        memcpy(&v, p, sizeof(v));
        return le32toh(v);
}

static void put_le32(uint8_t *p, uint32_t v) {
        v = htole32(v);
        memcpy(p, &v, sizeof(v));
}

static bool range_valid(uid_t from, uid_t to, uint32_t count) {
        uint64_t f = from, t = to, n = count;

        /* (uid_t) -1 means "leave alone" to chown() and "no id" in an ACL: no range may reach it.
         * Overlapping ranges would make shifted ids look unshifted, and a rerun would move them twice. */
        if (n == 0 || f + n > UINT32_MAX || t + n > UINT32_MAX)
                return false;
        return f + n <= t || t + n <= f;
}

static bool id_in_range(uint32_t id, uid_t from, uint32_t count) {
        return id >= from && id - from < count;
}

static uint32_t id_shift(uint32_t id, uid_t from, uid_t to, uint32_t count) {
        return id_in_range(id, from, count) ? to + (id - from) : id;
}

static bool acl_tag_has_id(uint16_t tag) {
        return tag == ACL_XATTR_TAG_USER || tag == ACL_XATTR_TAG_GROUP;
}

static bool acl_tag_valid(uint16_t tag) {
        switch (tag) {
        case ACL_XATTR_TAG_USER_OBJ:
        case ACL_XATTR_TAG_USER:
        case ACL_XATTR_TAG_GROUP_OBJ:
        case ACL_XATTR_TAG_GROUP:
        case ACL_XATTR_TAG_MASK:
        case ACL_XATTR_TAG_OTHER:
                return true;
        default:
                return false;
        }
}

static int acl_entry_compare(const void *a, const void *b) {
        uint16_t ta = get_le16(a), tb = get_le16(b);
        uint32_t ia, ib;

        if (ta != tb)
                return ta < tb ? -1 : 1;
        if (!acl_tag_has_id(ta))
                return 0;
        ia = get_le32((const uint8_t *) a + 4);
        ib = get_le32((const uint8_t *) b + 4);
        return ia < ib ? -1 : ia > ib ? 1 : 0;
}

int acl_xattr_shift(void *value, size_t size, uid_t from, uid_t to, uint32_t count) {
        uint8_t *entries = (uint8_t *) value + ACL_XATTR_HEADER_SIZE;
        size_t n;
        int changed = 0;

        if (!range_valid(from, to, count))
                return -EINVAL;
        if (!value || size < ACL_XATTR_HEADER_SIZE || size > SHIFT_XATTR_SIZE_MAX ||
            (size - ACL_XATTR_HEADER_SIZE) % ACL_XATTR_ENTRY_SIZE != 0)
                return -EINVAL;
        if (get_le32(value) != ACL_XATTR_VERSION)
                return -EINVAL;
        n = (size - ACL_XATTR_HEADER_SIZE) / ACL_XATTR_ENTRY_SIZE;

        /* Every tag is checked before anything changes, so a malformed value is left as it was; an unknown
         * tag might carry an id we would miss. */
        for (size_t i = 0; i < n; i++)
                if (!acl_tag_valid(get_le16(entries + i * ACL_XATTR_ENTRY_SIZE)))
                        return -EINVAL;

        for (size_t i = 0; i < n; i++) {
                uint8_t *e = entries + i * ACL_XATTR_ENTRY_SIZE;
                uint32_t id = get_le32(e + 4);

                if (!acl_tag_has_id(get_le16(e)) || !id_in_range(id, from, count))
                        continue;
                put_le32(e + 4, id_shift(id, from, to, count));
                changed++;
        }
        if (changed == 0)
                return 0;

        /* Back to the canonical order libacl writes, by tag and then by id: a shifted id may now sort after
         * one outside the range. The kernel itself checks only the tag order, but it honours the first entry
         * for an id, so two entries for one id would make the ACL mean something else: refuse those. */
        qsort(entries, n, ACL_XATTR_ENTRY_SIZE, acl_entry_compare);
        for (size_t i = 1; i < n; i++) {
                const uint8_t *e = entries + i * ACL_XATTR_ENTRY_SIZE;

                if (acl_tag_has_id(get_le16(e)) && acl_entry_compare(e - ACL_XATTR_ENTRY_SIZE, e) == 0)
                        return -EINVAL;
        }
        return changed;
}

int fscaps_xattr_shift(void *value, size_t size, uid_t from, uid_t to, uint32_t count) {
        uint8_t *p = value;
        uint32_t rootid;

        if (!range_valid(from, to, count))
                return -EINVAL;
        if (!value || size < 4)
                return -EINVAL;

        switch (get_le32(p) & FSCAPS_REVISION_MASK) {
        case FSCAPS_REVISION_1:
                return size == FSCAPS_SIZE_1 ? 0 : -EINVAL;
        case FSCAPS_REVISION_2:
                return size == FSCAPS_SIZE_2 ? 0 : -EINVAL;
        case FSCAPS_REVISION_3:
                if (size != FSCAPS_SIZE_3)
                        return -EINVAL;
                rootid = get_le32(p + FSCAPS_ROOTID_OFFSET);
                if (!id_in_range(rootid, from, count))
                        return 0;
                put_le32(p + FSCAPS_ROOTID_OFFSET, id_shift(rootid, from, to, count));
                return 1;
        default:
                return -EINVAL;
        }
}

/* The inode being changed. A directory is reached through the fd the walk reads it with; anything else
 * through its parent and name, so that FIFOs and devices are never opened. Path-based calls go through
 * "/proc/self/fd/<parent>/<name>" with the l* variants, which never follow the last component. */
typedef struct InodeRef {
        int fd;
        int dir_fd;
        const char *name;
        char path[FD_PATH_MAX + NAME_MAX + 2];
        mode_t mode;
        uid_t uid;
        gid_t gid;
} InodeRef;

static ssize_t ref_listxattr(const InodeRef *r, char *buf, size_t size) {
        return r->fd >= 0 ? flistxattr(r->fd, buf, size) : llistxattr(r->path, buf, size);
}

static ssize_t ref_getxattr(const InodeRef *r, const char *name, void *buf, size_t size) {
        return r->fd >= 0 ? fgetxattr(r->fd, name, buf, size) : lgetxattr(r->path, name, buf, size);
}

static int ref_setxattr(const InodeRef *r, const char *name, const void *buf, size_t size) {
        return RET_NERRNO(r->fd >= 0 ? fsetxattr(r->fd, name, buf, size, 0)
                                     : lsetxattr(r->path, name, buf, size, 0));
}

static int ref_chown(const InodeRef *r, uid_t uid, gid_t gid) {
        return RET_NERRNO(r->fd >= 0 ? fchown(r->fd, uid, gid)
                                     : fchownat(r->dir_fd, r->name, uid, gid, AT_SYMLINK_NOFOLLOW));
}

static int ref_chmod(const InodeRef *r, mode_t mode) {
        _cleanup_close_ int fd = -EBADF;
        char p[FD_PATH_MAX];
        struct stat st;

        if (r->fd >= 0)
                return RET_NERRNO(fchmod(r->fd, mode));

        /* fchmodat() follows symlinks (AT_SYMLINK_NOFOLLOW needs fchmodat2): pin the inode with O_PATH, make
         * sure it is not a symlink swapped in since it was looked at, and chmod it through /proc. */
        fd = openat(r->dir_fd, r->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        return RET_NERRNO(chmod(fd_path(fd, p), mode));
}

static bool xattr_list_has(const char *list, size_t size, const char *name) {
        size_t len = strlen(name);

        for (size_t i = 0; i < size;) {
                size_t k = strnlen(list + i, size - i);

                if (k == len && memcmp(list + i, name, len) == 0)
                        return true;
                i += k + 1;
        }
        return false;
}

/* What getxattr() says when there simply is nothing: no such xattr, or none on this file system. */
static bool xattr_absent(int err) {
        return err == ENODATA || err == EOPNOTSUPP;
}

#define SHIFT_STATX_NEEDED (STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID)

typedef struct ShiftFrame {
        DIR *dir;
        mode_t mode;
        uid_t uid;
        gid_t gid;
} ShiftFrame;

typedef struct ShiftWalk {
        uid_t from, to;
        uint32_t count;
        uint32_t dev_major, dev_minor;
        uint64_t mnt_id;
        bool have_mnt_id;
        int n_changed;
        size_t depth;
        /* Explicit, so a deep tree costs fds and -ELOOP rather than our stack. */
        ShiftFrame stack[SHIFT_UID_DEPTH_MAX];
        /* Room for any ACL the kernel can hold, so reading one never needs a second try. */
        uint8_t acl[SHIFT_XATTR_SIZE_MAX];
} ShiftWalk;

static void shift_walk_free(ShiftWalk *w) {
        while (w->depth > 0)
                closedir(w->stack[--w->depth].dir);
        free(w);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ShiftWalk *, shift_walk_free);

static bool walk_needs_shift(const ShiftWalk *w, uid_t uid, gid_t gid) {
        return id_in_range(uid, w->from, w->count) || id_in_range(gid, w->from, w->count);
}

static bool walk_same_mount(const ShiftWalk *w, const struct statx *stx) {
        /* The mount id is what "another mount" means: a bind mount of the same file system has our st_dev,
         * and a btrfs subvolume inside the tree has its own st_dev yet is part of the tree. st_dev is the
         * fallback for kernels before 5.8, which do not report the mount id. */
        if (w->have_mnt_id && (stx->stx_mask & STATX_MNT_ID))
                return stx->stx_mnt_id == w->mnt_id;
        return stx->stx_dev_major == w->dev_major && stx->stx_dev_minor == w->dev_minor;
}

static int walk_statx(int dir_fd, const char *name, int flags, struct statx *ret) {
        if (statx(dir_fd, name, flags | AT_NO_AUTOMOUNT, SHIFT_STATX_NEEDED | STATX_MNT_ID, ret) < 0)
                return negative_errno();
        if ((ret->stx_mask & SHIFT_STATX_NEEDED) != SHIFT_STATX_NEEDED)
                return -EOPNOTSUPP;
        return 0;
}

static int shift_acl(ShiftWalk *w, const InodeRef *r, const char *name) {
        ssize_t k;
        int q;

        k = ref_getxattr(r, name, w->acl, sizeof(w->acl));
        if (k < 0)
                return xattr_absent(errno) ? 0 : negative_errno();
        q = acl_xattr_shift(w->acl, (size_t) k, w->from, w->to, w->count);
        if (q <= 0)
                return q;
        return ref_setxattr(r, name, w->acl, (size_t) k);
}

/* Changes one inode whose uid or gid is in the source range:
 *   1. see which of the xattrs that matter it has, and read security.capability, which chown() removes;
 *   2. chown;
 *   3. rewrite the ACLs with their ids shifted (chown leaves them, but they name ids of the old range);
 *   4. write security.capability back, a v3 rootid shifted;
 *   5. re-apply setuid/setgid, which chown() clears. The ACL and capability writes leave the mode alone
 *      for root, but this comes last all the same. */
static int shift_inode(ShiftWalk *w, InodeRef *r) {
        uint8_t caps[FSCAPS_SIZE_3 + 8];
        char list[1024];
        bool has_caps = true, has_acl = true, has_default = S_ISDIR(r->mode);
        ssize_t caps_size = 0, k;
        uid_t uid = id_shift(r->uid, w->from, w->to, w->count);
        gid_t gid = id_shift(r->gid, w->from, w->to, w->count);
        char p[FD_PATH_MAX];
        int q;

        /* A symlink has no mode bits, cannot carry an ACL, and is never executed for its capabilities. */
        if (S_ISLNK(r->mode)) {
                q = ref_chown(r, uid, gid);
                if (q < 0)
                        return q;
                w->n_changed++;
                return 0;
        }

        if (r->fd < 0)
                snprintf(r->path, sizeof(r->path), "%s/%s", fd_path(r->dir_fd, p), r->name);

        /* One listxattr instead of a getxattr per name: most inodes have none of them. */
        k = ref_listxattr(r, list, sizeof(list));
        if (k >= 0) {
                has_caps = xattr_list_has(list, (size_t) k, FSCAPS_XATTR);
                has_acl = xattr_list_has(list, (size_t) k, ACL_XATTR_ACCESS);
                has_default = has_default && xattr_list_has(list, (size_t) k, ACL_XATTR_DEFAULT);
        } else if (errno == EOPNOTSUPP)
                has_caps = has_acl = has_default = false;
        else if (errno != ERANGE) /* ERANGE: a long list; the names are probed one by one below */
                return negative_errno();

        if (has_caps) {
                caps_size = ref_getxattr(r, FSCAPS_XATTR, caps, sizeof(caps));
                if (caps_size < 0) {
                        if (!xattr_absent(errno))
                                return negative_errno();
                        has_caps = false;
                } else {
                        q = fscaps_xattr_shift(caps, (size_t) caps_size, w->from, w->to, w->count);
                        if (q < 0)
                                return q;
                }
        }

        q = ref_chown(r, uid, gid);
        if (q < 0)
                return q;

        if (has_acl) {
                q = shift_acl(w, r, ACL_XATTR_ACCESS);
                if (q < 0)
                        return q;
        }
        if (has_default) {
                q = shift_acl(w, r, ACL_XATTR_DEFAULT);
                if (q < 0)
                        return q;
        }
        if (has_caps) {
                q = ref_setxattr(r, FSCAPS_XATTR, caps, (size_t) caps_size);
                if (q < 0)
                        return q;
        }
        if (r->mode & (S_ISUID | S_ISGID)) {
                q = ref_chmod(r, r->mode & 07777);
                if (q < 0)
                        return q;
        }

        w->n_changed++;
        return 0;
}

/* Takes fd (open O_RDONLY|O_DIRECTORY) in all cases. */
static int walk_push(ShiftWalk *w, int fd, const struct statx *stx) {
        DIR *d;

        if (w->depth >= SHIFT_UID_DEPTH_MAX) {
                safe_close(fd);
                return -ELOOP;
        }
        d = fdopendir(fd);
        if (!d) {
                int q = negative_errno();
                safe_close(fd);
                return q;
        }
        w->stack[w->depth++] = (ShiftFrame){
                .dir = d,
                .mode = stx->stx_mode,
                .uid = stx->stx_uid,
                .gid = stx->stx_gid,
        };
        return 0;
}

/* A directory is changed after everything in it, which makes the root the last inode changed. */
static int walk_pop(ShiftWalk *w) {
        ShiftFrame *f = &w->stack[w->depth - 1];
        int q;

        if (walk_needs_shift(w, f->uid, f->gid)) {
                InodeRef r = {
                        .fd = dirfd(f->dir),
                        .dir_fd = -EBADF,
                        .mode = f->mode,
                        .uid = f->uid,
                        .gid = f->gid,
                };

                q = shift_inode(w, &r);
                if (q < 0)
                        return q;
        }
        closedir(f->dir);
        w->depth--;
        return 0;
}

static int walk_step(ShiftWalk *w) {
        ShiftFrame *f = &w->stack[w->depth - 1];
        struct dirent *de;
        struct statx stx;
        int fd, q;

        errno = 0;
        de = readdir(f->dir);
        if (!de)
                return errno != 0 ? negative_errno() : walk_pop(w);
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                return 0;

        q = walk_statx(dirfd(f->dir), de->d_name, AT_SYMLINK_NOFOLLOW, &stx);
        if (q == -ENOENT)
                return 0; /* gone since readdir(): nothing left to shift */
        if (q < 0)
                return q;
        if (!walk_same_mount(w, &stx))
                return 0;

        if (S_ISDIR(stx.stx_mode)) {
                /* Descended even when its own ids are out of range: what is inside may not be. */
                fd = openat(dirfd(f->dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                return walk_push(w, fd, &stx);
        }

        if (!walk_needs_shift(w, stx.stx_uid, stx.stx_gid))
                return 0;
        return shift_inode(w, &(InodeRef){
                                      .fd = -EBADF,
                                      .dir_fd = dirfd(f->dir),
                                      .name = de->d_name,
                                      .mode = stx.stx_mode,
                                      .uid = stx.stx_uid,
                                      .gid = stx.stx_gid,
                              });
}

int shift_uid_tree(int dir_fd, uid_t from, uid_t to, uint32_t count) {
        _cleanup_(shift_walk_freep) ShiftWalk *w = NULL;
        struct statx stx;
        int fd, q;

        if (dir_fd < 0 || !range_valid(from, to, count))
                return -EINVAL;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->from = from;
        w->to = to;
        w->count = count;

        /* Our own fd to read the root with: dir_fd may be O_PATH, and closedir() closes what it is given. */
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        q = walk_statx(fd, "", AT_EMPTY_PATH, &stx);
        if (q < 0) {
                safe_close(fd);
                return q;
        }
        w->dev_major = stx.stx_dev_major;
        w->dev_minor = stx.stx_dev_minor;
        w->have_mnt_id = stx.stx_mask & STATX_MNT_ID;
        w->mnt_id = stx.stx_mnt_id;

        q = walk_push(w, fd, &stx);
        if (q < 0)
                return q;
        while (w->depth > 0) {
                q = walk_step(w);
                if (q < 0)
                        return q;
        }
        return w->n_changed;
}
