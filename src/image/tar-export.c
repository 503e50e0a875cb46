#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "tar-export.h"

/* The walk is ours, on fds: every entry is looked at with statx() relative to its parent's fd and
 * opened with O_NOFOLLOW, so a tree that changes under us can neither redirect the walk out of itself
 * nor make us follow a symlink. libarchive's archive_read_disk only turns what we found into entries
 * (ACLs, xattrs, sparse map); where it wants a path rather than an fd it gets one through /proc/self/fd
 * that names the same object. */

#define EXPORT_DEPTH_MAX      512 /* one fd per level is held open */
#define COPY_BUFFER_SIZE      (128U * 1024U)
#define PROGRESS_BYTES_STEP   (256U * 1024U)
#define PROGRESS_ENTRIES_STEP 256U
#define PROC_FD_PATH_MAX      (sizeof("/proc/self/fd/") + 12 + NAME_MAX + 1)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_write_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive_entry *, archive_entry_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive_entry_linkresolver *, archive_entry_linkresolver_free);

typedef struct Exporter {
        struct archive *writer;
        struct archive *disk;
        struct archive_entry_linkresolver *resolver;
        const TarExportOptions *opts;
        TarError *error;
        bool have_mnt_id;
        uint64_t root_mnt_id;
        dev_t root_dev;
        char *buf;
        char *zeros;
        uint64_t bytes, entries;
        uint64_t reported_bytes, reported_entries;
} Exporter;

static int export_fail(Exporter *x, int error, const char *path, const char *reason) {
        return tar_error_set(x->error, error, path, reason);
}

static int export_fail_archive(Exporter *x, struct archive *a, const char *path, const char *what) {
        char reason[512];
        int e = archive_errno(a);

        snprintf(reason, sizeof(reason), "%s: %s", what, archive_error_string(a) ?: "unknown error");
        return export_fail(x, e > 0 ? e : EIO, path, reason);
}

static void export_progress(Exporter *x, bool force) {
        if (!x->opts->progress)
                return;
        if (!force && x->bytes - x->reported_bytes < PROGRESS_BYTES_STEP &&
            x->entries - x->reported_entries < PROGRESS_ENTRIES_STEP)
                return;
        x->opts->progress(x->bytes, 0, x->entries, x->opts->userdata);
        x->reported_bytes = x->bytes;
        x->reported_entries = x->entries;
}

/* The mount id, where the kernel reports one (5.8 and later). */
static bool statx_mnt_id(const struct statx *sx, uint64_t *ret) {
        if (!(sx->stx_mask & STATX_MNT_ID))
                return false;
        *ret = sx->stx_mnt_id;
        return true;
}

static void stat_from_statx(const struct statx *sx, struct stat *st) {
        *st = (struct stat){
                .st_dev = makedev(sx->stx_dev_major, sx->stx_dev_minor),
                .st_ino = sx->stx_ino,
                .st_mode = sx->stx_mode,
                .st_nlink = sx->stx_nlink,
                .st_uid = sx->stx_uid,
                .st_gid = sx->stx_gid,
                .st_rdev = makedev(sx->stx_rdev_major, sx->stx_rdev_minor),
                .st_size = (off_t) sx->stx_size,
                .st_blksize = sx->stx_blksize,
                .st_blocks = (blkcnt_t) sx->stx_blocks,
                .st_atim = { .tv_sec = sx->stx_atime.tv_sec, .tv_nsec = sx->stx_atime.tv_nsec },
                .st_mtim = { .tv_sec = sx->stx_mtime.tv_sec, .tv_nsec = sx->stx_mtime.tv_nsec },
                .st_ctim = { .tv_sec = sx->stx_ctime.tv_sec, .tv_nsec = sx->stx_ctime.tv_nsec },
        };
}

/* Whether what statx() saw lives in another mount than the root. */
static bool other_mount(Exporter *x, const struct statx *sx) {
        uint64_t id;

        if (x->have_mnt_id && statx_mnt_id(sx, &id))
                return id != x->root_mnt_id;
        /* Without mount ids: another device is another file system (this also stops at btrfs
         * subvolumes, which is the safe side). */
        return makedev(sx->stx_dev_major, sx->stx_dev_minor) != x->root_dev;
}

static int write_zeros(Exporter *x, uint64_t n, const char *path) {
        while (n > 0) {
                size_t k = (size_t) MIN(n, (uint64_t) COPY_BUFFER_SIZE);

                if (archive_write_data(x->writer, x->zeros, k) < 0)
                        return export_fail_archive(x, x->writer, path, "cannot write the data");
                n -= k;
                x->bytes += k;
        }
        return 0;
}

static int copy_region(Exporter *x, int fd, uint64_t offset, uint64_t length, const char *path) {
        while (length > 0) {
                size_t want = (size_t) MIN(length, (uint64_t) COPY_BUFFER_SIZE);
                ssize_t k = pread(fd, x->buf, want, (off_t) offset);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return export_fail(x, errno, path, "cannot read the file");
                if (k == 0)
                        return export_fail(x, EIO, path, "the file shrank while it was archived");
                if (archive_write_data(x->writer, x->buf, (size_t) k) < 0)
                        return export_fail_archive(x, x->writer, path, "cannot write the data");
                offset += (uint64_t) k;
                length -= (uint64_t) k;
                x->bytes += (uint64_t) k;
                export_progress(x, false);
        }
        return 0;
}

/* Feeds the writer the file's whole logical content: the data regions read from the file, zeros for
 * the holes, which the pax writer leaves out again as it knows the sparse map. */
static int copy_file(Exporter *x, int fd, struct archive_entry *entry, const char *path) {
        uint64_t size = (uint64_t) archive_entry_size(entry), pos = 0;
        la_int64_t offset, length;
        int n, r;

        n = archive_entry_sparse_reset(entry);
        if (n <= 0)
                return copy_region(x, fd, 0, size, path);
        while (archive_entry_sparse_next(entry, &offset, &length) == ARCHIVE_OK) {
                if (offset < 0 || length < 0 || (uint64_t) offset < pos || (uint64_t) offset > size)
                        return export_fail(x, EIO, path, "the file's sparse map makes no sense");
                length = (la_int64_t) MIN((uint64_t) length, size - (uint64_t) offset);
                r = write_zeros(x, (uint64_t) offset - pos, path);
                if (r < 0)
                        return r;
                r = copy_region(x, fd, (uint64_t) offset, (uint64_t) length, path);
                if (r < 0)
                        return r;
                pos = (uint64_t) offset + (uint64_t) length;
        }
        return write_zeros(x, size - pos, path);
}

/* One member: fd is open on regular files and directories (-1 otherwise), source names the object for
 * the lookups libarchive does by path. */
static int write_entry(Exporter *x, const char *path, int fd, const struct stat *st, const char *source) {
        _cleanup_(archive_entry_freep) struct archive_entry *entry = NULL;
        struct archive_entry *spare = NULL;
        int r;

        entry = archive_entry_new();
        if (!entry)
                return -ENOMEM;
        archive_entry_copy_pathname(entry, path);
        archive_entry_copy_sourcepath(entry, source);
        if (archive_read_disk_entry_from_file(x->disk, entry, fd, st) != ARCHIVE_OK)
                return export_fail_archive(x, x->disk, path, "cannot read the metadata");
        /* Only what a tree needs, so the same tree gives the same archive: no atime, ctime, birth time,
         * and no size for what has no data. */
        archive_entry_unset_atime(entry);
        archive_entry_unset_ctime(entry);
        archive_entry_unset_birthtime(entry);
        if (!S_ISREG(st->st_mode))
                archive_entry_set_size(entry, 0);

        /* For tar, the resolver hands back the same entry: the first name of an inode keeps the data,
         * later names become hard links to it with size 0. Nothing is deferred (spare stays NULL). */
        archive_entry_linkify(x->resolver, &entry, &spare);
        archive_entry_free(spare);
        if (!entry)
                return 0;

        /* A warning here is a name that is not UTF-8: it is stored as the bytes it is (with
         * hdrcharset=BINARY), which is what a tree of such names needs. */
        r = archive_write_header(x->writer, entry);
        if (r < ARCHIVE_WARN)
                return export_fail_archive(x, x->writer, path, "cannot write the member");
        if (r == ARCHIVE_WARN)
                log_debug("tar export: %s", archive_error_string(x->writer) ?: "warning");
        if (S_ISREG(st->st_mode) && !archive_entry_hardlink(entry) && archive_entry_size(entry) > 0) {
                r = copy_file(x, fd, entry, path);
                if (r < 0)
                        return r;
        }
        if (archive_write_finish_entry(x->writer) != ARCHIVE_OK)
                return export_fail_archive(x, x->writer, path, "cannot finish the member");
        x->entries++;
        export_progress(x, false);
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void free_names(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* The names in a directory, sorted, so the same tree gives the same archive. */
static int list_dir(int dir_fd, char ***ret, size_t *ret_n) {
        _cleanup_(closedirp) DIR *d = NULL;
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        int r;

        r = opendir_at(dir_fd, ".", 0, &d);
        if (r < 0)
                return r;
        for (;;) {
                char **nn;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0) {
                                r = negative_errno();
                                free_names(names, n);
                                return r;
                        }
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                nn = realloc(names, sizeof(char *) * (n + 1));
                if (!nn) {
                        free_names(names, n);
                        return -ENOMEM;
                }
                names = nn;
                names[n] = strdup(de->d_name);
                if (!names[n]) {
                        free_names(names, n);
                        return -ENOMEM;
                }
                n++;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

static int export_dir(Exporter *x, int dir_fd, char *path, size_t len, unsigned depth);

/* One name in a directory: path holds its archive name. */
static int export_child(Exporter *x, int dir_fd, const char *name, char *path, size_t len, unsigned depth) {
        _cleanup_close_ int fd = -EBADF;
        char source[PROC_FD_PATH_MAX];
        struct statx sx;
        struct stat st, check;
        bool foreign;

        if (statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_MNT_ID,
                  &sx) < 0)
                return export_fail(x, errno, path, "cannot stat");
        stat_from_statx(&sx, &st);
        foreign = other_mount(x, &sx);

        if (S_ISSOCK(st.st_mode)) {
                log_debug("tar export: leaving out the socket %s", path);
                return 0;
        }
        if (foreign && !S_ISDIR(st.st_mode)) {
                log_debug("tar export: leaving out %s, mounted from another file system", path);
                return 0;
        }

        if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
                fd = openat(dir_fd, name,
                            O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC |
                                    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
                if (fd < 0)
                        return export_fail(x, errno, path, "cannot open");
                if (fstat(fd, &check) < 0)
                        return export_fail(x, errno, path, "cannot stat");
                if (check.st_dev != st.st_dev || check.st_ino != st.st_ino)
                        return export_fail(x, EBUSY, path, "changed while it was archived");
                snprintf(source, sizeof(source), "/proc/self/fd/%d", fd);
        } else
                /* The parent through its fd, then the name, which the l* calls do not follow. */
                snprintf(source, sizeof(source), "/proc/self/fd/%d/%s", dir_fd, name);

        if (S_ISDIR(st.st_mode)) {
                int r = write_entry(x, path, fd, &st, source);

                if (r < 0 || foreign)
                        return r;
                return export_dir(x, fd, path, len, depth + 1);
        }
        return write_entry(x, path, fd, &st, source);
}

static int export_dir(Exporter *x, int dir_fd, char *path, size_t len, unsigned depth) {
        char **names = NULL;
        size_t n = 0;
        int r;

        if (depth > EXPORT_DEPTH_MAX)
                return export_fail(x, ELOOP, path, "directories nested deeper than 512 levels");
        r = list_dir(dir_fd, &names, &n);
        if (r < 0)
                return export_fail(x, r, path, "cannot read the directory");

        for (size_t i = 0; i < n; i++) {
                size_t k = strlen(names[i]);

                if (len + 1 + k > TAR_PATH_MAX) {
                        path[len] = '\0';
                        r = export_fail(x, ENAMETOOLONG, path, "a name below is longer than 4095 bytes");
                        break;
                }
                path[len] = '/';
                memcpy(path + len + 1, names[i], k + 1);
                r = export_child(x, dir_fd, names[i], path, len + 1 + k, depth);
                if (r < 0)
                        break;
        }
        path[len] = '\0';
        free_names(names, n);
        return r;
}

static int add_filter(struct archive *a, TarCompression c) {
        switch (c) {
        case TAR_COMPRESSION_NONE:
                return archive_write_add_filter_none(a);
        case TAR_COMPRESSION_GZIP:
                return archive_write_add_filter_gzip(a);
        case TAR_COMPRESSION_XZ:
                return archive_write_add_filter_xz(a);
        case TAR_COMPRESSION_ZSTD:
                return archive_write_add_filter_zstd(a);
        case TAR_COMPRESSION_BZIP2:
                return archive_write_add_filter_bzip2(a);
        default:
                return ARCHIVE_FATAL;
        }
}

/* Steps: set up the writer (pax, the compression), the disk reader (no name lookups, symlinks not followed)
 * and the hard link resolver; the root as "./"; the walk below it; close the writer. */
static int export_tree(int root_dir_fd, int out_fd, TarCompression compression, const TarExportOptions *opts,
                       TarError *ret_error) {
        _cleanup_(archive_write_freep) struct archive *writer = NULL;
        _cleanup_(archive_read_freep) struct archive *disk = NULL;
        _cleanup_(archive_entry_linkresolver_freep) struct archive_entry_linkresolver *resolver = NULL;
        _cleanup_free_ char *buf = NULL, *zeros = NULL, *path = NULL;
        _cleanup_close_ int root = -EBADF;
        const TarExportOptions defaults = {};
        char source[PROC_FD_PATH_MAX];
        struct statx sx;
        struct stat st;
        Exporter x;
        int r;

        if (root_dir_fd < 0 || out_fd < 0)
                return -EBADF;
        if (compression < 0 || compression >= _TAR_COMPRESSION_MAX)
                return -EINVAL;
        if (!opts)
                opts = &defaults;

        root = openat(root_dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return tar_error_set(ret_error, errno, NULL, "cannot open the tree");
        if (statx(root, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_MNT_ID, &sx) < 0)
                return tar_error_set(ret_error, errno, NULL, "cannot stat the tree");
        stat_from_statx(&sx, &st);

        buf = malloc(COPY_BUFFER_SIZE);
        zeros = calloc(1, COPY_BUFFER_SIZE);
        path = malloc(TAR_PATH_MAX + 1);
        writer = archive_write_new();
        disk = archive_read_disk_new();
        resolver = archive_entry_linkresolver_new();
        if (!buf || !zeros || !path || !writer || !disk || !resolver)
                return -ENOMEM;

        /* xattrs as SCHILY.xattr.* records only: GNU tar reads those (with --xattrs) and warns about
         * libarchive's own LIBARCHIVE.xattr.* ones, which libarchive would add by default. */
        if (archive_write_set_format_pax(writer) != ARCHIVE_OK ||
            add_filter(writer, compression) != ARCHIVE_OK ||
            archive_write_set_format_option(writer, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK)
                return tar_error_set(ret_error, EOPNOTSUPP, NULL, archive_error_string(writer));
        if (archive_write_open_fd(writer, out_fd) != ARCHIVE_OK)
                return tar_error_set(ret_error, archive_errno(writer) > 0 ? archive_errno(writer) : EIO,
                                     NULL, archive_error_string(writer));
        if (archive_read_disk_set_symlink_physical(disk) != ARCHIVE_OK)
                return tar_error_set(ret_error, EIO, NULL, archive_error_string(disk));
        archive_entry_linkresolver_set_strategy(resolver, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);

        x = (Exporter){
                .writer = writer,
                .disk = disk,
                .resolver = resolver,
                .opts = opts,
                .error = ret_error,
                .root_dev = st.st_dev,
                .buf = buf,
                .zeros = zeros,
        };
        x.have_mnt_id = statx_mnt_id(&sx, &x.root_mnt_id);

        strcpy(path, ".");
        snprintf(source, sizeof(source), "/proc/self/fd/%d", root);
        r = write_entry(&x, path, root, &st, source);
        if (r < 0)
                return r;
        r = export_dir(&x, root, path, 1, 0);
        if (r < 0)
                return r;

        if (archive_write_close(writer) != ARCHIVE_OK)
                return export_fail_archive(&x, writer, NULL, "cannot finish the archive");
        export_progress(&x, true);
        return 0;
}

int tar_export(int root_dir_fd, int out_fd, TarCompression compression, const TarExportOptions *opts,
               TarError *ret_error) {
        TarLocale l;
        int r;

        if (root_dir_fd < 0 || out_fd < 0)
                return -EBADF;
        if (compression < 0 || compression >= _TAR_COMPRESSION_MAX)
                return -EINVAL;
        tar_locale_push(&l);
        r = export_tree(root_dir_fd, out_fd, compression, opts, ret_error);
        tar_locale_pop(&l);
        return r;
}
