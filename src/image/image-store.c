#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "fd-util.h"
#include "image-store.h"
#include "machine-name.h"
#include "macro.h"
#include "strv.h"

/* Walks deeper than this are refused: a tree nested this far is not an OS tree. */
#define USAGE_DEPTH_MAX 256

static const char *const image_type_table[_IMAGE_TYPE_MAX] = {
        [IMAGE_DIRECTORY] = "directory",
        [IMAGE_SUBVOLUME] = "subvolume",
        [IMAGE_RAW] = "raw",
};

const char *image_type_to_string(ImageType t) {
        return t >= 0 && t < _IMAGE_TYPE_MAX ? image_type_table[t] : NULL;
}

ImageType image_type_from_string(const char *s) {
        for (int i = 0; i < _IMAGE_TYPE_MAX; i++)
                if (streq_ptr(s, image_type_table[i]))
                        return (ImageType) i;
        return _IMAGE_TYPE_INVALID;
}

Image *image_free(Image *i) {
        if (!i)
                return NULL;
        free(i->name);
        free(i->path);
        free(i);
        return NULL;
}

void image_freep(Image **i) {
        image_free(*i);
}

void image_list_free(Image **l, size_t n) {
        for (size_t i = 0; l && i < n; i++)
                image_free(l[i]);
        free(l);
}

const char *image_store_dir(void) {
        const char *e = getenv("BERTH_IMAGE_PATH");
        return !isempty(e) ? e : BERTH_MACHINES_DIR;
}

const char *const *image_search_path(void) {
        /* machinectl's, the writable store first; nothing else when the store was pointed elsewhere. */
        static const char *path[] = {
                NULL, "/etc/machines", "/run/machines", "/usr/local/lib/machines", "/usr/lib/machines", NULL
        };
        static const char *one[] = { NULL, NULL };

        if (!isempty(getenv("BERTH_IMAGE_PATH"))) {
                one[0] = image_store_dir();
                return one;
        }
        path[0] = BERTH_MACHINES_DIR;
        return path;
}

char *image_store_path(const char *name, ImageType type) {
        _cleanup_free_ char *file = type == IMAGE_RAW ? strjoin3(name, ".raw", NULL) : strdup(name);
        return file ? strjoin3(image_store_dir(), "/", file) : NULL;
}

static uint64_t timespec_usec(uint64_t sec, uint32_t nsec) {
        return sec * 1000000ULL + nsec / 1000;
}

/* What is at dir_fd/entry, as an image, or -ENOENT when it is not one. */
static int image_make(int dir_fd, const char *dir, const char *entry, bool in_store, Image **ret) {
        _cleanup_(image_freep) Image *i = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct statx stx;
        size_t len = strlen(entry);
        unsigned flags = 0;
        ImageType type;

        if (entry[0] == '.')
                return -ENOENT;
        /* Symlinks in the store are followed, as machinectl follows them. */
        fd = openat(dir_fd, entry, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_MTIME | STATX_BTIME, &stx) < 0)
                return -errno;
        if (S_ISDIR(stx.stx_mode)) {
                if (!machine_name_is_valid(entry))
                        return -ENOENT;
                type = btrfs_is_subvolume_fd(fd) > 0 ? IMAGE_SUBVOLUME : IMAGE_DIRECTORY;
        } else if (S_ISREG(stx.stx_mode) && len > 4 && streq(entry + len - 4, ".raw")) {
                type = IMAGE_RAW;
        } else
                return -ENOENT;

        i = calloc(1, sizeof(*i));
        if (!i)
                return -ENOMEM;
        i->name = type == IMAGE_RAW ? strndup(entry, len - 4) : strdup(entry);
        i->path = strjoin3(dir, "/", entry);
        if (!i->name || !i->path)
                return -ENOMEM;
        if (!machine_name_is_valid(i->name))
                return -ENOENT;
        i->type = type;
        i->in_store = in_store;
        i->usage = UINT64_MAX;
        i->mtime_usec = timespec_usec((uint64_t) stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec);
        if (stx.stx_mask & STATX_BTIME)
                i->crtime_usec = timespec_usec((uint64_t) stx.stx_btime.tv_sec, stx.stx_btime.tv_nsec);

        if (!in_store)
                i->read_only = true;
        else if (type == IMAGE_SUBVOLUME)
                i->read_only = btrfs_subvolume_get_read_only_fd(fd) > 0;
        else if (type == IMAGE_RAW)
                i->read_only = (stx.stx_mode & 0222) == 0;
        if (!i->read_only && ioctl(fd, FS_IOC_GETFLAGS, &flags) >= 0 && (flags & FS_IMMUTABLE_FL))
                i->read_only = true;
        if (!i->read_only) {
                struct statvfs sv;
                if (fstatvfs(fd, &sv) >= 0 && (sv.f_flag & ST_RDONLY))
                        i->read_only = true;
        }
        *ret = TAKE_PTR(i);
        return 0;
}

int image_find(const char *name, Image **ret) {
        const char *const *path = image_search_path();

        if (!machine_name_is_valid(name))
                return -EINVAL;
        for (size_t k = 0; path[k]; k++) {
                _cleanup_close_ int dir = open(path[k], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_free_ char *raw = NULL;
                int r;

                if (dir < 0)
                        continue;
                r = image_make(dir, path[k], name, k == 0, ret);
                if (r != -ENOENT)
                        return r;
                raw = strjoin3(name, ".raw", NULL);
                if (!raw)
                        return -ENOMEM;
                r = image_make(dir, path[k], raw, k == 0, ret);
                if (r != -ENOENT)
                        return r;
        }
        return -ENOENT;
}

static int image_cmp(const void *a, const void *b) {
        return strcmp((*(Image *const *) a)->name, (*(Image *const *) b)->name);
}

int image_list(Image ***ret, size_t *ret_n) {
        const char *const *path = image_search_path();
        Image **l = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t k = 0; path[k] && r >= 0; k++) {
                _cleanup_close_ int dir = open(path[k], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *d;
                struct dirent *de;

                if (dir < 0)
                        continue;
                r = opendir_at(dir, ".", 0, &d);
                if (r < 0)
                        break;
                while ((de = readdir(d))) {
                        Image *i = NULL, **nl;
                        bool seen = false;
                        int q = image_make(dir, path[k], de->d_name, k == 0, &i);

                        if (q == -ENOENT || q == -EACCES || q == -ELOOP)
                                continue;
                        if (q < 0) {
                                r = q;
                                break;
                        }
                        for (size_t j = 0; j < n && !seen; j++)
                                seen = streq(l[j]->name, i->name);
                        if (seen) { /* an earlier directory of the search path has this name */
                                image_free(i);
                                continue;
                        }
                        nl = reallocarray(l, n + 1, sizeof(*l));
                        if (!nl) {
                                image_free(i);
                                r = -ENOMEM;
                                break;
                        }
                        l = nl;
                        l[n++] = i;
                }
                closedir(d);
        }
        if (r < 0) {
                image_list_free(l, n);
                return r;
        }
        if (n > 0)
                qsort(l, n, sizeof(*l), image_cmp);
        *ret = l;
        *ret_n = n;
        return 0;
}

typedef struct LinkedInode {
        ino_t ino;
        uint64_t bytes;
} LinkedInode;

typedef struct UsageWalk {
        dev_t dev;
        uint64_t bytes;
        LinkedInode *linked; /* inodes with more than one link, counted once at the end */
        size_t n_linked, n_alloc;
} UsageWalk;

static int usage_walk(UsageWalk *w, int dir_fd, unsigned depth) {
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > USAGE_DEPTH_MAX)
                return -ELOOP;
        d = fdopendir(dir_fd);
        if (!d) {
                safe_close(dir_fd);
                return -errno;
        }
        while ((de = readdir(d)) && r >= 0) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != w->dev)
                        continue; /* gone, or another file system mounted here */
                if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
                        if (w->n_linked == w->n_alloc) {
                                size_t a = w->n_alloc ? w->n_alloc * 2 : 256;
                                LinkedInode *nl = reallocarray(w->linked, a, sizeof(LinkedInode));
                                if (!nl) {
                                        r = -ENOMEM;
                                        break;
                                }
                                w->linked = nl;
                                w->n_alloc = a;
                        }
                        w->linked[w->n_linked++] = (LinkedInode){ st.st_ino, (uint64_t) st.st_blocks * 512 };
                        continue;
                }
                w->bytes += (uint64_t) st.st_blocks * 512;
                if (S_ISDIR(st.st_mode)) {
                        int sub = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
                        if (sub < 0 && errno == EPERM)
                                sub = openat(dirfd(d), de->d_name,
                                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                r = usage_walk(w, sub, depth + 1);
                }
        }
        closedir(d);
        return r;
}

static int linked_cmp(const void *a, const void *b) {
        ino_t x = ((const LinkedInode *) a)->ino, y = ((const LinkedInode *) b)->ino;
        return x < y ? -1 : x > y;
}

int image_compute_usage(Image *i) {
        _cleanup_close_ int fd = -EBADF;
        UsageWalk w = {};
        struct stat st;
        int r;

        fd = open(i->path, O_RDONLY | O_CLOEXEC | (i->type == IMAGE_RAW ? 0 : O_DIRECTORY));
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (i->type == IMAGE_RAW) {
                i->usage = (uint64_t) st.st_blocks * 512;
                return 0;
        }
        w.dev = st.st_dev;
        w.bytes = (uint64_t) st.st_blocks * 512;
        r = usage_walk(&w, TAKE_FD(fd), 0);
        if (r >= 0 && w.n_linked > 0) {
                qsort(w.linked, w.n_linked, sizeof(LinkedInode), linked_cmp);
                for (size_t k = 0; k < w.n_linked; k++)
                        if (k == 0 || w.linked[k].ino != w.linked[k - 1].ino)
                                w.bytes += w.linked[k].bytes;
        }
        free(w.linked);
        if (r < 0)
                return r;
        i->usage = w.bytes;
        return 0;
}

int image_set_read_only(Image *i, bool read_only) {
        _cleanup_close_ int fd = -EBADF;
        unsigned flags = 0;
        struct stat st;

        if (!i->in_store)
                return -EROFS;
        fd = open(i->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (i->type == IMAGE_SUBVOLUME) {
                int r = btrfs_subvolume_set_read_only_fd(fd, read_only);
                if (r < 0)
                        return r;
        } else if (i->type == IMAGE_RAW) {
                mode_t m = read_only ? (st.st_mode & ~0222) : (st.st_mode | 0200);
                if (fchmod(fd, m & 07777) < 0)
                        return -errno;
        } else {
                if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                        return -errno;
                flags = read_only ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
                if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                        return -errno;
        }
        i->read_only = read_only;
        return 0;
}
