/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "copy.h"
#include "fd-util.h"
#include "fs-util.h"
#include "log.h"
#include "time-util.h"
#include "tree-remove.h"

#define PROGRESS_INTERVAL_USEC (250 * 1000ULL)
/* Data is moved in pieces of this size, so progress moves during a large file too. */
#define COPY_CHUNK (8ULL * 1024 * 1024)
/* The kernel's own limits for the list of names and for one value (XATTR_LIST_MAX, XATTR_SIZE_MAX). */
#define XATTR_LIST_BYTES_MAX  65536
#define XATTR_VALUE_BYTES_MAX 65536
#define SYMLINK_TARGET_MAX    4096

/* A file with more than one link, by its source (dev, ino), and where its first copy is: the path
 * relative to the destination's top, made of names we created ourselves. */
typedef struct HardLink {
        dev_t dev;
        ino_t ino;
        char *path;
} HardLink;

typedef struct CopyContext {
        CopyFlags flags;
        CopyProgress progress;
        void *userdata;
        uint64_t bytes_done, bytes_total, items, last_progress;

        struct statx src_top; /* the source's top directory: its mount is the one copied */

        bool dst_created;
        int dst_root_fd; /* borrowed, valid while the copy runs */
        dev_t dst_root_dev;
        ino_t dst_root_ino;
        bool dst_btrfs;
        bool no_copy_file_range;

        void *hardlinks; /* tsearch() tree of HardLink */
        char *path;      /* of the entry being copied, relative to the destination's top */
        size_t path_len, path_alloc;
} CopyContext;

static dev_t statx_dev(const struct statx *sx) {
        return makedev(sx->stx_dev_major, sx->stx_dev_minor);
}

static bool same_mount(const CopyContext *c, const struct statx *sx) {
        return !statx_on_other_mount(sx, &c->src_top);
}

static void progress_maybe(CopyContext *c, bool force) {
        uint64_t now;

        if (!c->progress)
                return;
        now = now_usec(CLOCK_MONOTONIC);
        if (!force && now - c->last_progress < PROGRESS_INTERVAL_USEC)
                return;
        c->last_progress = now;
        c->progress(c->bytes_done, c->bytes_total ? MAX(c->bytes_total, c->bytes_done) : 0, c->items,
                    c->userdata);
}

/* ---- the path of the current entry, for hard links ---- */

static int path_push(CopyContext *c, const char *name, size_t *ret_old_len) {
        size_t n = strlen(name), need = c->path_len + 1 + n + 1;

        if (need > c->path_alloc) {
                size_t a = MAX(need, c->path_alloc * 2);
                char *p = realloc(c->path, a);

                if (!p)
                        return -ENOMEM;
                c->path = p;
                c->path_alloc = a;
        }
        *ret_old_len = c->path_len;
        if (c->path_len > 0)
                c->path[c->path_len++] = '/';
        memcpy(c->path + c->path_len, name, n + 1);
        c->path_len += n;
        return 0;
}

static void path_pop(CopyContext *c, size_t old_len) {
        c->path_len = old_len;
        c->path[old_len] = '\0';
}

static int hardlink_compare(const void *a, const void *b) {
        const HardLink *x = a, *y = b;

        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        if (x->ino != y->ino)
                return x->ino < y->ino ? -1 : 1;
        return 0;
}

static void hardlink_free(void *p) {
        HardLink *h = p;

        free(h->path);
        free(h);
}

static const HardLink *hardlink_find(CopyContext *c, const struct statx *sx) {
        HardLink key = { .dev = statx_dev(sx), .ino = sx->stx_ino };
        HardLink **found = tfind(&key, &c->hardlinks, hardlink_compare);

        return found ? *found : NULL;
}

static int hardlink_remember(CopyContext *c, const struct statx *sx) {
        HardLink *h = malloc(sizeof(HardLink));
        void *slot;

        if (!h)
                return -ENOMEM;
        *h = (HardLink){ .dev = statx_dev(sx), .ino = sx->stx_ino, .path = strdup(c->path) };
        if (!h->path) {
                free(h);
                return -ENOMEM;
        }
        slot = tsearch(h, &c->hardlinks, hardlink_compare);
        if (!slot) {
                hardlink_free(h);
                return -ENOMEM;
        }
        if (*(HardLink **) slot != h) /* known already */
                hardlink_free(h);
        return 0;
}

static int hardlink_make(CopyContext *c, const HardLink *h, int dst_dir_fd, const char *name) {
        _cleanup_free_ char *dir = strdup(h->path);
        _cleanup_close_ int fd = -EBADF;
        const char *base;
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash) {
                *slash = '\0';
                base = slash + 1;
        } else {
                base = h->path;
                dir[0] = '\0';
        }
        fd = open_beneath_nofollow(c->dst_root_fd, dir, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return fd;
        return RET_NERRNO(linkat(fd, base, dst_dir_fd, name, 0));
}

/* ---- metadata ---- */

/* An inode is reached either through a real fd (f*xattr), or, for symlinks and device nodes, which we
 * never open, through an O_PATH fd and its /proc/self/fd magic link, which lands on the inode itself. */
typedef struct Inode {
        int fd;
        bool opath;
        char proc[FD_PATH_MAX];
} Inode;

static Inode inode_of(int fd, bool opath) {
        Inode i = { .fd = fd, .opath = opath };

        if (opath)
                fd_path(fd, i.proc);
        return i;
}

static ssize_t inode_listxattr(const Inode *i, char *buf, size_t n) {
        return i->opath ? listxattr(i->proc, buf, n) : flistxattr(i->fd, buf, n);
}

static ssize_t inode_getxattr(const Inode *i, const char *name, void *buf, size_t n) {
        return i->opath ? getxattr(i->proc, name, buf, n) : fgetxattr(i->fd, name, buf, n);
}

static int inode_setxattr(const Inode *i, const char *name, const void *buf, size_t n) {
        return RET_NERRNO(i->opath ? setxattr(i->proc, name, buf, n, 0) : fsetxattr(i->fd, name, buf, n, 0));
}

static int inode_removexattr(const Inode *i, const char *name) {
        return RET_NERRNO(i->opath ? removexattr(i->proc, name) : fremovexattr(i->fd, name));
}

/* The NUL-separated list of xattr names; *ret_n is 0 when there are none (or no support for any). */
static int xattr_names(const Inode *i, char **ret, size_t *ret_n) {
        _cleanup_free_ char *buf = NULL;
        ssize_t k;

        k = inode_listxattr(i, NULL, 0);
        if (k < 0 && (errno == EOPNOTSUPP || errno == ENOTSUP))
                k = 0;
        if (k < 0)
                return -errno;
        if (k == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        /* The list may grow between the two calls: ask for the kernel's maximum then. */
        buf = malloc(XATTR_LIST_BYTES_MAX);
        if (!buf)
                return -ENOMEM;
        k = inode_listxattr(i, buf, XATTR_LIST_BYTES_MAX);
        if (k < 0)
                return -errno;
        if (k > 0 && buf[k - 1] != '\0')
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        *ret_n = (size_t) k;
        return 0;
}

static bool name_in_list(const char *list, size_t n, const char *name) {
        for (const char *p = list; p && p < list + n; p += strlen(p) + 1)
                if (streq(p, name))
                        return true;
        return false;
}

/* Sets every xattr of src on dst (ACLs and file capabilities are xattrs too), and removes what dst has
 * that src has not: an ACL inherited from a default ACL above the destination, for one. */
static int copy_xattrs(const Inode *src, const Inode *dst) {
        _cleanup_free_ char *names = NULL, *dst_names = NULL, *value = NULL;
        size_t n = 0, dst_n = 0;
        int r;

        r = xattr_names(src, &names, &n);
        if (r < 0)
                return r;
        if (n > 0) {
                value = malloc(XATTR_VALUE_BYTES_MAX);
                if (!value)
                        return -ENOMEM;
        }
        for (const char *p = names; p && p < names + n; p += strlen(p) + 1) {
                ssize_t k = inode_getxattr(src, p, value, XATTR_VALUE_BYTES_MAX);

                if (k < 0 && errno == ENODATA) /* gone meanwhile */
                        continue;
                if (k < 0)
                        return -errno;
                r = inode_setxattr(dst, p, value, (size_t) k);
                if (r < 0)
                        return log_debug_errno(r, "Failed to set xattr %s: %m", p);
        }

        r = xattr_names(dst, &dst_names, &dst_n);
        if (r < 0)
                return r;
        for (const char *p = dst_names; p && p < dst_names + dst_n; p += strlen(p) + 1) {
                if (name_in_list(names, n, p))
                        continue;
                r = inode_removexattr(dst, p);
                /* A security label the LSM put there by itself may not be removable: keep it. */
                if (r < 0 && r != -ENODATA && !strneq(p, "security.", 9))
                        return r;
        }
        return 0;
}

static struct timespec ts_of(const struct statx_timestamp *t) {
        return (struct timespec){ .tv_sec = t->tv_sec, .tv_nsec = t->tv_nsec };
}

/* Owner, xattrs, mode, times, in that order: chown drops setuid bits and file capabilities, so both come
 * after it; times come last since everything before touches ctime (and mtime, for a directory being
 * filled). For a symlink or device node dst_fd is an O_PATH fd and owner/mode/times go by name. */
static int copy_metadata(const struct statx *sx, const Inode *src, int dst_dir_fd, const char *name,
                         const Inode *dst) {
        struct timespec ts[2] = { ts_of(&sx->stx_atime), ts_of(&sx->stx_mtime) };
        bool is_link = S_ISLNK(sx->stx_mode);
        int r;

        if (dst->opath)
                r = RET_NERRNO(fchownat(dst_dir_fd, name, sx->stx_uid, sx->stx_gid, AT_SYMLINK_NOFOLLOW));
        else
                r = RET_NERRNO(fchown(dst->fd, sx->stx_uid, sx->stx_gid));
        if (r < 0)
                return r;

        r = copy_xattrs(src, dst);
        if (r < 0)
                return r;

        if (!is_link) {
                if (dst->opath)
                        r = RET_NERRNO(chmod(dst->proc, sx->stx_mode & 07777));
                else
                        r = RET_NERRNO(fchmod(dst->fd, sx->stx_mode & 07777));
                if (r < 0)
                        return r;
        }

        if (dst->opath)
                return RET_NERRNO(utimensat(dst_dir_fd, name, ts, AT_SYMLINK_NOFOLLOW));
        return RET_NERRNO(futimens(dst->fd, ts));
}

/* ---- file data ---- */

static int copy_bytes(CopyContext *c, int src_fd, int dst_fd, uint64_t from, uint64_t to) {
        while (from < to) {
                uint64_t n = MIN(to - from, COPY_CHUNK);
                ssize_t k = -1;

                if (!c->no_copy_file_range) {
                        loff_t in = (loff_t) from, out = (loff_t) from;

                        k = copy_file_range(src_fd, &in, dst_fd, &out, (size_t) n, 0);
                        if (k < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP ||
                                      errno == ENOSYS || errno == EBADF)) {
                                c->no_copy_file_range = true;
                                continue;
                        }
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return -errno;
                } else {
                        off_t before;
                        int r;

                        if (lseek(dst_fd, (off_t) from, SEEK_SET) < 0)
                                return -errno;
                        r = file_copy_range(src_fd, from, from + n, dst_fd);
                        if (r < 0)
                                return r;
                        before = lseek(dst_fd, 0, SEEK_CUR);
                        if (before < 0)
                                return -errno;
                        k = (ssize_t) ((uint64_t) before - from);
                }
                if (k == 0) /* the file got shorter meanwhile */
                        break;
                from += (uint64_t) k;
                c->bytes_done += (uint64_t) k;
                progress_maybe(c, false);
        }
        return 0;
}

/* Data only where the source has data: holes stay holes, and the size is set at the end. */
static int copy_sparse(CopyContext *c, int src_fd, int dst_fd, uint64_t size) {
        uint64_t off = 0;
        int r;

        while (off < size) {
                off_t data, hole;

                data = lseek(src_fd, (off_t) off, SEEK_DATA);
                if (data < 0 && errno == ENXIO) /* only a hole from here on */
                        break;
                if (data < 0 && (errno == EINVAL || errno == EOPNOTSUPP))
                        data = (off_t) off; /* no SEEK_DATA here: all of it is data */
                else if (data < 0)
                        return -errno;
                hole = lseek(src_fd, data, SEEK_HOLE);
                if (hole < 0 && (errno == EINVAL || errno == EOPNOTSUPP))
                        hole = (off_t) size;
                else if (hole < 0)
                        return -errno;
                hole = MIN(hole, (off_t) size);
                if (hole <= data)
                        break;

                r = copy_bytes(c, src_fd, dst_fd, (uint64_t) data, (uint64_t) hole);
                if (r < 0)
                        return r;
                off = (uint64_t) hole;
        }
        return RET_NERRNO(ftruncate(dst_fd, (off_t) size));
}

static int copy_data(CopyContext *c, int src_fd, int dst_fd, const struct statx *sx) {
        if (ioctl(dst_fd, FICLONE, src_fd) >= 0) {
                c->bytes_done += MIN(sx->stx_size, sx->stx_blocks * 512);
                progress_maybe(c, false);
                return 0;
        }
        /* Not on this file system, not between these two, or not for this file: copy instead. */
        if (errno != EOPNOTSUPP && errno != ENOTTY && errno != EXDEV && errno != EINVAL &&
            errno != ETXTBSY && errno != EPERM)
                return -errno;
        if (c->flags & COPY_REFLINK_ALWAYS)
                return errno == EXDEV ? -EXDEV : -EOPNOTSUPP;
        return copy_sparse(c, src_fd, dst_fd, sx->stx_size);
}

/* ---- entries ---- */

static int copy_entry(CopyContext *c, int src_dir_fd, int dst_dir_fd, const char *name, unsigned depth);

static int open_source_file(int dir_fd, const char *name, const struct statx *sx) {
        /* O_NONBLOCK: should a fifo have been swapped in since the statx, the open does not hang. */
        int flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, fd;
        struct stat st;

        fd = openat(dir_fd, name, flags | O_NOATIME);
        if (fd < 0 && errno == EPERM)
                fd = openat(dir_fd, name, flags);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != sx->stx_ino) {
                safe_close(fd);
                return -ESTALE;
        }
        return fd;
}

static int copy_regular(CopyContext *c, int src_dir_fd, int dst_dir_fd, const char *name,
                        const struct statx *sx) {
        _cleanup_close_ int src_fd = -EBADF, dst_fd = -EBADF;
        Inode src, dst;
        int r;

        src_fd = open_source_file(src_dir_fd, name, sx);
        if (src_fd < 0)
                return src_fd;
        dst_fd = openat(dst_dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (dst_fd < 0)
                return -errno;
        r = copy_data(c, src_fd, dst_fd, sx);
        if (r < 0)
                return r;
        src = inode_of(src_fd, false);
        dst = inode_of(dst_fd, false);
        return copy_metadata(sx, &src, dst_dir_fd, name, &dst);
}

static int copy_special(CopyContext *c, int src_dir_fd, int dst_dir_fd, const char *name,
                        const struct statx *sx) {
        _cleanup_close_ int src_fd = -EBADF, dst_fd = -EBADF;
        Inode src, dst;
        struct stat st;

        src_fd = openat(src_dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (src_fd < 0)
                return -errno;
        if (fstat(src_fd, &st) < 0)
                return -errno;
        if (st.st_ino != sx->stx_ino || (st.st_mode & S_IFMT) != (sx->stx_mode & S_IFMT))
                return -ESTALE;

        if (S_ISLNK(sx->stx_mode)) {
                char target[SYMLINK_TARGET_MAX];
                ssize_t k = readlinkat(src_fd, "", target, sizeof(target));

                if (k < 0)
                        return -errno;
                if ((size_t) k >= sizeof(target))
                        return -ENAMETOOLONG;
                target[k] = '\0';
                if (symlinkat(target, dst_dir_fd, name) < 0)
                        return -errno;
        } else if (mknodat(dst_dir_fd, name, (sx->stx_mode & S_IFMT) | 0600,
                           makedev(sx->stx_rdev_major, sx->stx_rdev_minor)) < 0)
                return -errno;

        dst_fd = openat(dst_dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (dst_fd < 0)
                return -errno;
        src = inode_of(src_fd, true);
        dst = inode_of(dst_fd, true);
        return copy_metadata(sx, &src, dst_dir_fd, name, &dst);
}

/* Makes dst_name a directory (or a subvolume) and, when descend, copies src_fd's entries into it; its
 * own metadata comes last. */
static int copy_directory(CopyContext *c, int src_fd, int dst_dir_fd, const char *name,
                          const struct statx *sx, bool descend, unsigned depth, int *ret_dst_fd) {
        _cleanup_close_ int dst_fd = -EBADF;
        Inode src, dst;
        struct stat st;
        bool subvol = false;
        int r;

        if (depth > COPY_DEPTH_MAX)
                return -ELOOP;

        if ((c->flags & COPY_SUBVOLUME) && c->dst_btrfs)
                subvol = depth == 0 || btrfs_is_subvolume_fd(src_fd) > 0;
        if (subvol)
                r = btrfs_subvolume_create_at(dst_dir_fd, name);
        else
                r = RET_NERRNO(mkdirat(dst_dir_fd, name, 0700));
        if (r < 0)
                return r;
        c->dst_created = c->dst_created || depth == 0;
        dst_fd = openat(dst_dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dst_fd < 0)
                return -errno;
        if (depth == 0) {
                /* Whatever fails from here on, the caller removes this again. */
                if (fstat(dst_fd, &st) < 0)
                        return -errno;
                c->dst_root_fd = dst_fd;
                c->dst_root_dev = st.st_dev;
                c->dst_root_ino = st.st_ino;
        }

        if (descend) {
                _cleanup_(closedirp) DIR *d = NULL;

                r = opendir_at(src_fd, ".", 0, &d);
                if (r < 0)
                        return r;
                for (;;) {
                        struct dirent *de;

                        errno = 0;
                        de = readdir(d);
                        if (!de) {
                                if (errno != 0)
                                        return -errno;
                                break;
                        }
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        r = copy_entry(c, dirfd(d), dst_fd, de->d_name, depth + 1);
                        if (r < 0)
                                return r;
                }
        }

        src = inode_of(src_fd, false);
        dst = inode_of(dst_fd, false);
        r = copy_metadata(sx, &src, dst_dir_fd, name, &dst);
        if (r < 0)
                return r;
        if (ret_dst_fd)
                *ret_dst_fd = TAKE_FD(dst_fd);
        return 0;
}

static int copy_entry(CopyContext *c, int src_dir_fd, int dst_dir_fd, const char *name, unsigned depth) {
        struct statx sx;
        size_t old_len;
        int r;

        r = statx_nofollow_at(src_dir_fd, name, &sx);
        if (r == -ENOENT) /* removed meanwhile: nothing to copy */
                return 0;
        if (r < 0)
                return r;
        /* A copy inside its own source is not copied into itself. */
        if (S_ISDIR(sx.stx_mode) && statx_dev(&sx) == c->dst_root_dev && sx.stx_ino == c->dst_root_ino)
                return 0;
        /* Of another mount only a directory's place is kept, as an empty directory. */
        if (!same_mount(c, &sx) && !S_ISDIR(sx.stx_mode))
                return 0;

        r = path_push(c, name, &old_len);
        if (r < 0)
                return r;
        c->items++;

        if (!S_ISDIR(sx.stx_mode) && sx.stx_nlink > 1) {
                const HardLink *h = hardlink_find(c, &sx);

                if (h) {
                        r = hardlink_make(c, h, dst_dir_fd, name);
                        goto finish;
                }
        }

        switch (sx.stx_mode & S_IFMT) {
        case S_IFDIR: {
                _cleanup_close_ int src_fd =
                        openat(src_dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;

                if (src_fd < 0) {
                        r = -errno;
                        break;
                }
                if (fstat(src_fd, &st) < 0 || st.st_ino != sx.stx_ino) {
                        r = -ESTALE;
                        break;
                }
                r = copy_directory(c, src_fd, dst_dir_fd, name, &sx, same_mount(c, &sx), depth, NULL);
                break;
        }
        case S_IFREG:
                r = copy_regular(c, src_dir_fd, dst_dir_fd, name, &sx);
                break;
        case S_IFLNK:
        case S_IFCHR:
        case S_IFBLK:
        case S_IFIFO:
        case S_IFSOCK:
                r = copy_special(c, src_dir_fd, dst_dir_fd, name, &sx);
                break;
        default:
                r = -EBADFD;
        }
        if (r >= 0 && !S_ISDIR(sx.stx_mode) && sx.stx_nlink > 1)
                r = hardlink_remember(c, &sx);

finish:
        if (r < 0)
                log_debug_errno(r, "Failed to copy '%s': %m", c->path);
        path_pop(c, old_len);
        progress_maybe(c, false);
        return r;
}

/* ---- the sum of data for progress ---- */

static uint64_t count_tree(CopyContext *c, int dir_fd, unsigned depth) {
        _cleanup_(closedirp) DIR *d = NULL;
        uint64_t sum = 0;

        if (depth > COPY_DEPTH_MAX || opendir_at(dir_fd, ".", 0, &d) < 0)
                return 0;
        for (struct dirent *de; (de = readdir(d));) {
                struct statx sx;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (statx_nofollow_at(dirfd(d), de->d_name, &sx) < 0 || !same_mount(c, &sx))
                        continue;
                if (S_ISREG(sx.stx_mode))
                        /* Hard links counted once per link would overshoot: share the size out. */
                        sum += MIN(sx.stx_size, sx.stx_blocks * 512) / MAX(sx.stx_nlink, 1U);
                else if (S_ISDIR(sx.stx_mode)) {
                        _cleanup_close_ int sub = openat(dirfd(d), de->d_name,
                                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                sum += count_tree(c, sub, depth + 1);
                }
        }
        return sum;
}

int copy_tree(int src_dir_fd, int dst_parent_fd, const char *dst_name, CopyFlags flags,
              CopyProgress progress, void *userdata) {
        CopyContext c = {
                .flags = flags,
                .progress = progress,
                .userdata = userdata,
                .dst_root_fd = -EBADF,
        };
        _cleanup_close_ int src_fd = -EBADF, dst_fd = -EBADF;
        struct statx sx;
        int r;

        /* 1. look at the source: a directory, and which mount it is on
         * 2. optionally sum up its data for progress
         * 3. create the destination and copy into it, depth first, metadata of each directory last
         * 4. on failure, remove what was made */
        if (isempty(dst_name) || streq(dst_name, ".") || streq(dst_name, "..") || strchr(dst_name, '/'))
                return -EINVAL;
        src_fd = openat(src_dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src_fd < 0)
                return -errno;
        r = statx_nofollow_at(src_fd, "", &sx);
        if (r < 0)
                return r;
        c.src_top = sx;
        c.dst_btrfs = btrfs_fd_is_on_btrfs(dst_parent_fd) > 0;

        if (flags & COPY_COUNT_TOTAL)
                c.bytes_total = count_tree(&c, src_fd, 0);
        progress_maybe(&c, true);

        r = path_push(&c, "", &(size_t){ 0 });
        if (r < 0)
                return r;
        r = copy_directory(&c, src_fd, dst_parent_fd, dst_name, &sx, true, 0, &dst_fd);
        tdestroy(c.hardlinks, hardlink_free);
        free(c.path);
        if (r < 0) {
                int k;

                /* Only what we made: copy_directory() notes when it has created the top. */
                if (c.dst_created) {
                        k = tree_remove_at(dst_parent_fd, dst_name);
                        if (k < 0)
                                log_debug_errno(k, "Failed to remove the partial copy '%s': %m", dst_name);
                }
                return r;
        }

        c.bytes_total = c.bytes_total ? c.bytes_done : 0;
        progress_maybe(&c, true);
        return 0;
}
