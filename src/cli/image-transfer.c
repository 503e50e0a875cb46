/* The verbs that move images in and out of the store: import-tar, import-fs, export-tar. A new image is
 * made under a temporary name and renamed at the end (images.c), so nothing half-made keeps its name. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "copy.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "images.h"
#include "log.h"
#include "strv.h"
#include "tar-export.h"
#include "tar-import.h"

/* --- import-tar, import-fs, export-tar ---------------------------------------------------------------- */

/* An empty directory for a new image in the store: a subvolume where the store is on btrfs. */
int images_make_dir(int store_fd, const char *tmp, int *ret_fd) {
        int r, fd;

        r = btrfs_fd_is_on_btrfs(store_fd) > 0 ? btrfs_subvolume_create_at(store_fd, tmp) : -EOPNOTSUPP;
        if (r < 0 && mkdirat(store_fd, tmp, 0755) < 0)
                return -errno;
        fd = openat(store_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                (void) tree_remove_at(store_fd, tmp);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int images_new(const char *verb, const char *name, int *ret_store, char **ret_tmp, int *ret_dir) {
        _cleanup_close_ int store = -EBADF, dir = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        int r;

        r = images_open_store(verb, &store);
        if (r != 0)
                return r;
        tmp = images_tmp_name(name);
        if (!tmp)
                return log_oom(), EXIT_BERTH_INTERNAL;
        r = images_make_dir(store, tmp, &dir);
        if (r < 0) {
                log_error_errno(r, "%s: cannot make the image directory in %s: %m", verb, image_store_dir());
                return exit_code_from_errno(r);
        }
        *ret_store = TAKE_FD(store);
        *ret_tmp = TAKE_PTR(tmp);
        *ret_dir = TAKE_FD(dir);
        return 0;
}

static int parse_import_options(const char *verb, const char *usage, int argc, char *argv[],
                                bool *read_only) {
        static const struct option options[] = {
                { "read-only", no_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'r':
                        *read_only = true;
                        break;
                        IMAGE_OPTIONS_END
                }
        return -1; /* go on */
}

int images_finish(const char *verb, int store_fd, const char *tmp, const char *name, ImageType type,
                  bool read_only) {
        _cleanup_(image_freep) Image *i = NULL;
        int r;

        r = images_commit(verb, store_fd, tmp, name, type);
        if (r != 0 || !read_only)
                return r;
        r = image_find(name, &i);
        if (r >= 0)
                r = image_set_read_only(i, true);
        if (r < 0) {
                log_error_errno(r, "%s: image '%s' was made but cannot be marked read-only: %m", verb, name);
                return exit_code_from_errno(r);
        }
        return 0;
}

int verb_import_tar(int argc, char *argv[]) {
        static const char
                *verb = "import-tar",
                *usage = "berth import-tar [--read-only] FILE|- NAME\n\nMake an image from a tar archive "
                         "(any compression), refusing members that would land outside it.";
        _cleanup_close_ int store = -EBADF, in = -EBADF, dir = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        TarError err = {};
        TarImportOptions o = {};
        bool read_only = false;
        const char *file, *name;
        Progress p;
        int r;

        r = parse_import_options(verb, usage, argc, argv, &read_only);
        if (r >= 0)
                return r;
        r = images_check_args(verb, argc, argv, 2, 2, "berth import-tar [--read-only] FILE|- NAME");
        if (r != 0)
                return r;
        file = argv[optind];
        name = argv[optind + 1];
        images_gc(true);
        r = images_check_free(verb, name);
        if (r != 0)
                return r;
        in = streq(file, "-") ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                              : open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (in < 0) {
                r = -errno;
                log_error_errno(r, "import-tar: cannot open the archive '%s': %m", file);
                return r == -ENOENT ? EXIT_BERTH_NOT_FOUND : exit_code_from_errno(r);
        }
        r = images_new(verb, name, &store, &tmp, &dir);
        if (r != 0)
                return r;
        progress_init(&p, "import", "entries", images_quiet());
        o.progress = images_progress_cb;
        o.userdata = &p;
        r = tar_import(in, dir, &o, &err);
        progress_end(&p);
        dir = safe_close(dir);
        if (r < 0) {
                (void) tree_remove_at(store, tmp);
                if (err.member)
                        log_error("import-tar: '%s': member '%s': %s; nothing was imported", file,
                                  err.member, err.reason ?: strerror(-r));
                else
                        log_error("import-tar: '%s': %s; nothing was imported", file,
                                  err.reason ?: strerror(-r));
                tar_error_done(&err);
                return r == -ENOMEM ? EXIT_BERTH_INTERNAL : EXIT_BERTH_FAILURE;
        }
        return images_finish(verb, store, tmp, name, IMAGE_DIRECTORY, read_only);
}

int verb_import_fs(int argc, char *argv[]) {
        static const char
                *verb = "import-fs",
                *usage = "berth import-fs [--read-only] DIR NAME\n\nMake an image from a copy of a "
                         "directory tree (owners, modes, xattrs, ACLs, file capabilities, links and "
                         "holes kept).";
        _cleanup_close_ int store = -EBADF, src = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        bool read_only = false;
        Progress p;
        int r;

        r = parse_import_options(verb, usage, argc, argv, &read_only);
        if (r >= 0)
                return r;
        r = images_check_args(verb, argc, argv, 2, 2, "berth import-fs [--read-only] DIR NAME");
        if (r != 0)
                return r;
        images_gc(true);
        r = images_check_free(verb, argv[optind + 1]);
        if (r != 0)
                return r;
        src = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src < 0) {
                r = -errno;
                log_error_errno(r, "import-fs: cannot open directory '%s': %m", argv[optind]);
                return r == -ENOENT ? EXIT_BERTH_NOT_FOUND : exit_code_from_errno(r);
        }
        r = images_open_store(verb, &store);
        if (r != 0)
                return r;
        tmp = images_tmp_name(argv[optind + 1]);
        if (!tmp)
                return log_oom(), EXIT_BERTH_INTERNAL;
        progress_init(&p, "import", "files", images_quiet());
        r = copy_tree(src, store, tmp, COPY_SUBVOLUME | (p.enabled ? COPY_COUNT_TOTAL : 0),
                      images_progress_cb, &p);
        progress_end(&p);
        if (r < 0) {
                log_error_errno(r, "import-fs: cannot copy '%s' into the store: %m; nothing was imported",
                                argv[optind]);
                return exit_code_from_errno(r);
        }
        return images_finish(verb, store, tmp, argv[optind + 1], IMAGE_DIRECTORY, read_only);
}

int verb_export_tar(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char
                *verb = "export-tar",
                *usage = "berth export-tar NAME FILE|-\n\nWrite an image as a tar archive, compressed as "
                         "FILE's suffix says (.tar, .tar.gz, .tar.xz, .tar.zst, .tar.bz2).";
        _cleanup_(image_freep) Image *i = NULL;
        _cleanup_close_ int held = -EBADF, root = -EBADF, out = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        TarExportOptions o = {};
        TarError err = {};
        TarCompression comp;
        const char *file;
        Progress p;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) { IMAGE_OPTIONS_END }
        r = images_check_args(verb, argc, argv, 2, 2, "berth export-tar NAME FILE|-");
        if (r == 0)
                r = images_find(verb, argv[optind], &i);
        if (r != 0)
                return r;
        file = argv[optind + 1];
        if (i->type == IMAGE_RAW) {
                log_error("export-tar: image '%s' is a raw disk image: export-tar takes a directory or "
                          "subvolume (copy the .raw file itself)",
                          i->name);
                return EXIT_BERTH_USAGE;
        }
        comp = streq(file, "-") ? TAR_COMPRESSION_NONE : tar_compression_from_filename(file);
        if (comp < 0) {
                log_error("export-tar: cannot tell the compression from '%s' (use .tar, .tar.gz, .tgz, "
                          ".tar.xz, "
                          ".tar.zst or .tar.bz2)",
                          file);
                return EXIT_BERTH_USAGE;
        }
        r = images_lock(verb, i, false, &held);
        if (r != 0)
                return r;
        root = open(i->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0) {
                log_error_errno(errno, "export-tar: cannot open image '%s': %m", i->name);
                return exit_code_from_errno(-errno);
        }
        if (streq(file, "-"))
                out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        else {
                /* Beside the file, renamed over it at the end: no half archive under its name. */
                tmp = strjoin3(file, ".berth-tmp", NULL);
                if (!tmp)
                        return log_oom(), EXIT_BERTH_INTERNAL;
                out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        }
        if (out < 0) {
                log_error_errno(errno, "export-tar: cannot create '%s': %m", tmp ?: "stdout");
                return exit_code_from_errno(-errno);
        }
        progress_init(&p, "export", "entries", images_quiet());
        o.progress = images_progress_cb;
        o.userdata = &p;
        r = tar_export(root, out, comp, &o, &err);
        progress_end(&p);
        if (r >= 0 && tmp && (fsync(out) < 0 || rename(tmp, file) < 0))
                r = -errno;
        if (r < 0) {
                if (tmp)
                        (void) unlink(tmp);
                if (err.member)
                        log_error("export-tar: cannot export image '%s' to '%s': '%s': %s", i->name, file,
                                  err.member, err.reason ?: strerror(-r));
                else
                        log_error_errno(r, "export-tar: cannot export image '%s' to '%s': %m", i->name,
                                        file);
                tar_error_done(&err);
                return exit_code_from_errno(r);
        }
        return 0;
}
