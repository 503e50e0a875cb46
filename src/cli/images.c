/* The image verbs: images, image-status, clone, rename, read-only, remove, import-tar, import-fs,
 * export-tar. Every image is found through the store (image-store.h); a new image is made under a
 * temporary name in the store (".#berth-tmp.NAME.PID") and renamed into place at the end, so a failure
 * or a kill never leaves a half-made image under its name (the next image verb removes the leftover). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "cleanup.h"
#include "copy.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "format-util.h"
#include "images.h"
#include "image-store.h"
#include "json.h"
#include "log.h"
#include "machine-name.h"
#include "parse-util.h"
#include "progress.h"
#include "state.h"
#include "strv.h"
#include "tar-export.h"
#include "tar-import.h"

#define TMP_PREFIX ".#berth-tmp."

bool images_quiet(void) {
        return log_get_max_level() < LOG_NOTICE;
}

int images_check_args(const char *verb, int argc, char *argv[], int min, int max, const char *usage) {
        int n = argc - optind;

        if (n < min || (max >= 0 && n > max)) {
                log_error("%s: %s (usage: %s)", verb, n < min ? "missing argument" : "too many arguments",
                          usage);
                return EXIT_BERTH_USAGE;
        }
        return 0;
}

static int check_name(const char *verb, const char *name) {
        if (machine_name_is_valid(name))
                return 0;
        log_error("%s: '%s' is not a valid image name (1-64 characters of A-Z a-z 0-9 . _ -, not starting "
                  "with . or -)",
                  verb, name);
        return EXIT_BERTH_USAGE;
}

int images_find(const char *verb, const char *name, Image **ret) {
        int r = check_name(verb, name);

        if (r != 0)
                return r;
        r = image_find(name, ret);
        if (r == -ENOENT) {
                log_error("%s: no image '%s' in %s (berth images lists them)", verb, name,
                          image_store_dir());
                return EXIT_BERTH_NOT_FOUND;
        }
        if (r < 0) {
                log_error_errno(r, "%s: cannot look up image '%s': %m", verb, name);
                return exit_code_from_errno(r);
        }
        return 0;
}

/* The image must be the store's own and not marked read-only, to be changed. */
static int check_writable(const char *verb, const Image *i) {
        if (!i->in_store) {
                log_error("%s: image '%s' is in %s, outside the store %s: it cannot be changed (berth clone "
                          "makes a copy in the store)",
                          verb, i->name, i->path, image_store_dir());
                return EXIT_BERTH_PERMISSION;
        }
        if (i->read_only) {
                log_error("%s: image '%s' is read-only (berth read-only %s false makes it writable)", verb,
                          i->name, i->name);
                return EXIT_BERTH_PERMISSION;
        }
        return 0;
}

/* Takes the image's lock: exclusive to change it, shared to read it. */
int images_lock(const char *verb, const Image *i, bool exclusive, int *ret_fd) {
        _cleanup_free_ char *holder = NULL;
        int r;

        r = image_lock(BERTH_STATE_DIR, i->path, exclusive, NULL, ret_fd, &holder);
        if (r == -EBUSY) {
                if (holder)
                        log_error("%s: image '%s' is in use by machine '%s': stop it first (berth stop %s)",
                                  verb, i->name, holder, holder);
                else
                        log_error(
                                "%s: image '%s' is in use by a running machine (berth list shows it): stop "
                                "it first",
                                verb, i->name);
                return EXIT_BERTH_BUSY;
        }
        if (r < 0) {
                log_error_errno(r, "%s: cannot lock image '%s': %m", verb, i->name);
                return exit_code_from_errno(r);
        }
        return 0;
}

int images_open_store(const char *verb, int *ret_fd) {
        const char *dir = image_store_dir();
        int fd;

        (void) mkdir(dir, 0700);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                log_error_errno(errno, "%s: cannot open the image store %s: %m", verb, dir);
                return exit_code_from_errno(-errno);
        }
        *ret_fd = fd;
        return 0;
}

/* A new image's name must be free in the whole search path, so it does not hide or get hidden. */
int images_check_free(const char *verb, const char *name) {
        _cleanup_(image_freep) Image *i = NULL;
        int r = check_name(verb, name);

        if (r != 0)
                return r;
        r = image_find(name, &i);
        if (r >= 0) {
                log_error("%s: an image '%s' exists already (%s): choose another name or berth remove it",
                          verb, name, i->path);
                return EXIT_BERTH_BUSY;
        }
        if (r != -ENOENT) {
                log_error_errno(r, "%s: cannot look up image '%s': %m", verb, name);
                return exit_code_from_errno(r);
        }
        return 0;
}

char *images_tmp_name(const char *name) {
        char pid[32];

        snprintf(pid, sizeof(pid), ".%d", (int) getpid());
        return strjoin3(TMP_PREFIX, name, pid);
}

void images_gc(bool machines) {
        _cleanup_close_ int fd = open(image_store_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;

        /* Leftovers of berth processes that were killed: machines whose monitor is gone (their scratch
         * dirs, cgroups, state), and temporary images whose PID is gone. */
        if (machines)
                (void) machines_gc(BERTH_STATE_DIR);
        if (fd < 0 || opendir_at(fd, ".", 0, &d) < 0)
                return;
        while ((de = readdir(d))) {
                const char *dot;
                uint32_t pid;

                if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
                        continue;
                dot = strrchr(de->d_name, '.');
                if (!dot || safe_atou32(dot + 1, &pid) < 0 || pid == 0)
                        continue;
                if (kill((pid_t) pid, 0) == 0 || errno != ESRCH)
                        continue;
                log_debug("Removing '%s' left behind by a berth process that is gone.", de->d_name);
                if (tree_remove_at(fd, de->d_name) == -ENOTDIR)
                        (void) unlinkat(fd, de->d_name, 0);
        }
        closedir(d);
}

/* Gives the finished temporary image its name; it is removed again when that fails. */
int images_commit(const char *verb, int store_fd, const char *tmp, const char *name, ImageType type) {
        _cleanup_free_ char *final = type == IMAGE_RAW ? strjoin3(name, ".raw", NULL) : strdup(name);

        if (!final)
                return log_oom(), EXIT_BERTH_INTERNAL;
        if (renameat2(store_fd, tmp, store_fd, final, RENAME_NOREPLACE) < 0) {
                int r = -errno;
                if (tree_remove_at(store_fd, tmp) == -ENOTDIR)
                        (void) unlinkat(store_fd, tmp, 0);
                log_error_errno(r, "%s: cannot name the new image '%s': %m", verb, name);
                return r == -EEXIST ? EXIT_BERTH_BUSY : exit_code_from_errno(r);
        }
        return 0;
}

void images_progress_cb(uint64_t done, uint64_t total, uint64_t items, void *userdata) {
        progress_update(userdata, done, total, items);
}

/* --- images, image-status ---------------------------------------------------------------------------- */

static char *fmt_bytes(uint64_t b, char *buf, size_t n) {
        if (b == UINT64_MAX)
                return strcpy(buf, "-");
        return format_bytes(b, buf, n);
}

static char *fmt_time(uint64_t usec, char *buf, size_t n) {
        if (usec == 0)
                return strcpy(buf, "-");
        return format_timestamp_usec(usec, buf, n);
}

static void usage_of(Image *i) {
        BtrfsUsage u;
        int fd, r = -ENODATA;

        if (i->type == IMAGE_SUBVOLUME) {
                fd = open(i->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        r = btrfs_subvolume_get_usage_fd(fd, &u);
                        close(fd);
                }
                if (r >= 0) {
                        i->usage = u.exclusive;
                        return;
                }
        }
        (void) image_compute_usage(i);
}

static void json_image(const Image *i, bool first) {
        printf("%s{\"name\":", first ? "" : ",");
        json_write_string(stdout, i->name);
        printf(",\"type\":");
        json_write_string(stdout, image_type_to_string(i->type));
        printf(",\"read_only\":%s,\"path\":", i->read_only ? "true" : "false");
        json_write_string(stdout, i->path);
        if (i->usage == UINT64_MAX)
                printf(",\"usage\":null");
        else
                printf(",\"usage\":%llu", (unsigned long long) i->usage);
        if (i->crtime_usec == 0)
                printf(",\"crtime_usec\":null");
        else
                printf(",\"crtime_usec\":%llu", (unsigned long long) i->crtime_usec);
        printf(",\"mtime_usec\":%llu}", (unsigned long long) i->mtime_usec);
}

int verb_images(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "no-legend", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *verb = "images", *usage =
                                                    "berth images [--json] [--no-legend]\n\nList the images "
                                                    "in the store and the search paths.";
        Image **l = NULL;
        size_t n = 0, w = 4;
        bool json = false, legend = true;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'n':
                        legend = false;
                        break;
                        IMAGE_OPTIONS_END
                }
        r = images_check_args(verb, argc, argv, 0, 0, "berth images [--json] [--no-legend]");
        if (r != 0)
                return r;
        images_gc(true);
        r = image_list(&l, &n);
        if (r < 0) {
                log_error_errno(r, "images: cannot list the images in %s: %m", image_store_dir());
                return exit_code_from_errno(r);
        }
        for (size_t i = 0; i < n; i++) {
                usage_of(l[i]);
                w = MAX(w, strlen(l[i]->name));
        }
        if (json) {
                printf("[");
                for (size_t i = 0; i < n; i++)
                        json_image(l[i], i == 0);
                printf("]\n");
        } else {
                if (legend)
                        printf("%-*s %-9s %-3s %8s %-24s %s\n", (int) w, "NAME", "TYPE", "RO", "USAGE",
                               "CREATED", "MODIFIED");
                for (size_t i = 0; i < n; i++) {
                        char u[32], cr[64], mt[64];
                        printf("%-*s %-9s %-3s %8s %-24s %s\n", (int) w, l[i]->name,
                               image_type_to_string(l[i]->type), l[i]->read_only ? "yes" : "no",
                               fmt_bytes(l[i]->usage, u, sizeof(u)),
                               fmt_time(l[i]->crtime_usec, cr, sizeof(cr)),
                               fmt_time(l[i]->mtime_usec, mt, sizeof(mt)));
                }
                if (legend)
                        printf("\n%zu image%s listed.\n", n, n == 1 ? "" : "s");
        }
        image_list_free(l, n);
        return 0;
}

int verb_image_status(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char
                *verb = "image-status",
                *usage = "berth image-status [--json] NAME...\n\nShow an image's type, place, size, "
                         "times and whether a machine uses it.";
        bool json = false;
        int c, r, ret = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                        IMAGE_OPTIONS_END
                }
        r = images_check_args(verb, argc, argv, 1, -1, "berth image-status [--json] NAME...");
        if (r != 0)
                return r;
        if (json)
                printf("[");
        for (int k = optind; k < argc; k++) {
                _cleanup_(image_freep) Image *i = NULL;
                _cleanup_free_ char *holder = NULL;
                _cleanup_close_ int probe = -EBADF;
                char u[32], cr[64], mt[64];
                bool in_use;

                r = images_find(verb, argv[k], &i);
                if (r != 0) {
                        ret = ret ?: r;
                        continue;
                }
                usage_of(i);
                /* In use when a writable boot holds it; a shared probe does not disturb readers. */
                in_use = image_lock(BERTH_STATE_DIR, i->path, false, NULL, &probe, &holder) == -EBUSY;
                if (json) {
                        json_image(i, k == optind);
                        continue;
                }
                printf("%s%s\n", k == optind ? "" : "\n", i->name);
                printf("      Path: %s\n", i->path);
                printf("      Type: %s\n", image_type_to_string(i->type));
                printf(" Read-only: %s%s\n", i->read_only ? "yes" : "no",
                       i->in_store ? "" : " (outside the store)");
                printf("     Usage: %s\n", fmt_bytes(i->usage, u, sizeof(u)));
                printf("   Created: %s\n", fmt_time(i->crtime_usec, cr, sizeof(cr)));
                printf("  Modified: %s\n", fmt_time(i->mtime_usec, mt, sizeof(mt)));
                if (in_use)
                        printf("    In use: by machine %s\n", holder ?: "(a running machine)");
        }
        if (json)
                printf("]\n");
        return ret;
}

/* --- clone --------------------------------------------------------------------------------------------- */

/* A raw image's copy: a reflink where the file system can, else the data ranges only (holes stay
 * holes). */
static int copy_raw(int src, int dst_dir, const char *dst_name, Progress *p) {
        _cleanup_close_ int dst = -EBADF;
        struct stat st;
        off_t data = 0, hole;
        uint64_t done = 0;

        if (fstat(src, &st) < 0)
                return -errno;
        dst = openat(dst_dir, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                     st.st_mode & 07777);
        if (dst < 0)
                return -errno;
        if (ioctl(dst, FICLONE, src) >= 0)
                return 0;
        for (;;) {
                data = lseek(src, data, SEEK_DATA);
                if (data < 0) {
                        if (errno == ENXIO)
                                break; /* no data after here */
                        return -errno;
                }
                hole = lseek(src, data, SEEK_HOLE);
                if (hole < 0)
                        return -errno;
                while (data < hole) {
                        off_t in = data, out = data;
                        ssize_t n = copy_file_range(src, &in, dst, &out, (size_t) (hole - data), 0);
                        if (n < 0)
                                return -errno;
                        if (n == 0)
                                return -EIO;
                        data += n;
                        done += (uint64_t) n;
                        progress_update(p, done, (uint64_t) st.st_size, 1);
                }
        }
        if (ftruncate(dst, st.st_size) < 0)
                return -errno;
        return 0;
}

int images_clone(const char *verb, const Image *src, int store_fd, const char *tmp, Progress *p) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = open(src->path, O_RDONLY | O_CLOEXEC | (src->type == IMAGE_RAW ? 0 : O_DIRECTORY));
        if (fd < 0)
                return -errno;
        if (src->type == IMAGE_RAW) {
                r = copy_raw(fd, store_fd, tmp, p);
                if (r < 0)
                        (void) unlinkat(store_fd, tmp, 0);
                return r;
        }
        /* A subvolume in a btrfs store: a snapshot, instant and sharing every extent. */
        if (src->type == IMAGE_SUBVOLUME && btrfs_fd_is_on_btrfs(store_fd) > 0) {
                r = btrfs_subvolume_snapshot_at(fd, store_fd, tmp, BTRFS_SNAPSHOT_RECURSIVE);
                if (r >= 0)
                        return 0;
                if (r != -EXDEV)
                        return r;
                /* another btrfs file system: copy */
        }
        return copy_tree(fd, store_fd, tmp, COPY_SUBVOLUME | (p && p->enabled ? COPY_COUNT_TOTAL : 0),
                         images_progress_cb, p);
}

int verb_clone(int argc, char *argv[]) {
        static const struct option options[] = {
                { "read-only", no_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char
                *verb = "clone",
                *usage = "berth clone [--read-only] NAME NEW\n\nCopy an image: a snapshot when it is a "
                         "btrfs subvolume in a btrfs store, else a copy sharing data by reflink where "
                         "the file system can.";
        _cleanup_(image_freep) Image *src = NULL;
        _cleanup_close_ int store = -EBADF, held = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        bool read_only = false;
        Progress p;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'r':
                        read_only = true;
                        break;
                        IMAGE_OPTIONS_END
                }
        r = images_check_args(verb, argc, argv, 2, 2, "berth clone [--read-only] NAME NEW");
        if (r != 0)
                return r;
        images_gc(true);
        r = images_find(verb, argv[optind], &src);
        if (r == 0)
                r = images_check_free(verb, argv[optind + 1]);
        if (r == 0)
                r = images_lock(verb, src, false, &held);
        if (r == 0)
                r = images_open_store(verb, &store);
        if (r != 0)
                return r;
        tmp = images_tmp_name(argv[optind + 1]);
        if (!tmp)
                return log_oom(), EXIT_BERTH_INTERNAL;
        progress_init(&p, "clone", "files", images_quiet());
        r = images_clone(verb, src, store, tmp, &p);
        progress_end(&p);
        if (r < 0) {
                log_error_errno(r, "clone: cannot copy image '%s' to '%s': %m", src->name, argv[optind + 1]);
                return exit_code_from_errno(r);
        }
        return images_finish(verb, store, tmp, argv[optind + 1], src->type, read_only);
}

/* --- rename, read-only, remove --------------------------------------------------------------------------
 */

/* The settings file beside an image (STORE/NAME.nspawn) goes with it. */
static void rename_settings(int store_fd, const char *from, const char *to) {
        _cleanup_free_ char *a = strjoin3(from, ".nspawn", NULL), *b = strjoin3(to, ".nspawn", NULL);

        if (a && b && renameat2(store_fd, a, store_fd, b, RENAME_NOREPLACE) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Cannot rename the settings file %s to %s, ignoring: %m", a, b);
}

int verb_rename(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *verb = "rename",
                          *usage = "berth rename NAME NEW\n\nRename an image in the store.";
        _cleanup_(image_freep) Image *i = NULL;
        _cleanup_close_ int store = -EBADF, held = -EBADF;
        _cleanup_free_ char *to = NULL;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) { IMAGE_OPTIONS_END }
        r = images_check_args(verb, argc, argv, 2, 2, "berth rename NAME NEW");
        if (r == 0)
                r = images_find(verb, argv[optind], &i);
        if (r == 0)
                r = check_writable(verb, i);
        if (r == 0)
                r = images_check_free(verb, argv[optind + 1]);
        if (r == 0)
                r = images_lock(verb, i, true, &held);
        if (r == 0)
                r = images_open_store(verb, &store);
        if (r != 0)
                return r;
        to = i->type == IMAGE_RAW ? strjoin3(argv[optind + 1], ".raw", NULL) : strdup(argv[optind + 1]);
        if (!to)
                return log_oom(), EXIT_BERTH_INTERNAL;
        if (renameat2(AT_FDCWD, i->path, store, to, RENAME_NOREPLACE) < 0) {
                r = -errno;
                log_error_errno(r, "rename: cannot rename image '%s' to '%s': %m", i->name,
                                argv[optind + 1]);
                return r == -EEXIST ? EXIT_BERTH_BUSY : exit_code_from_errno(r);
        }
        rename_settings(store, i->name, argv[optind + 1]);
        return 0;
}

int verb_read_only(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *verb = "read-only",
                          *usage =
                                  "berth read-only NAME [BOOL]\n\nMark an image read-only (the default) or, "
                                  "with false, writable again.";
        _cleanup_(image_freep) Image *i = NULL;
        _cleanup_close_ int held = -EBADF;
        int c, r, b = 1;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) { IMAGE_OPTIONS_END }
        r = images_check_args(verb, argc, argv, 1, 2, "berth read-only NAME [BOOL]");
        if (r != 0)
                return r;
        if (argc - optind == 2) {
                b = parse_boolean(argv[optind + 1]);
                if (b < 0) {
                        log_error("read-only: '%s' is not a boolean (yes/no, true/false, 1/0)",
                                  argv[optind + 1]);
                        return EXIT_BERTH_USAGE;
                }
        }
        r = images_find(verb, argv[optind], &i);
        if (r != 0)
                return r;
        if (!i->in_store) {
                log_error("read-only: image '%s' is in %s, outside the store: it is read-only as it is",
                          i->name, i->path);
                return EXIT_BERTH_PERMISSION;
        }
        if (i->read_only == (b > 0))
                return 0;
        r = images_lock(verb, i, true, &held);
        if (r != 0)
                return r;
        r = image_set_read_only(i, b > 0);
        if (r < 0) {
                log_error_errno(r, "read-only: cannot mark image '%s' %s: %m", i->name,
                                b > 0 ? "read-only" : "writable");
                return exit_code_from_errno(r);
        }
        return 0;
}

int images_remove(const Image *i, int store_fd) {
        _cleanup_free_ char *tmp = images_tmp_name(i->name), *settings = strjoin3(i->name, ".nspawn", NULL);
        const char *entry = strrchr(i->path, '/') + 1;
        int r;

        if (!tmp || !settings)
                return -ENOMEM;
        /* Out of its name at once, then removed: a kill halfway leaves a temporary the next call removes. */
        if (renameat2(store_fd, entry, store_fd, tmp, RENAME_NOREPLACE) < 0)
                return -errno;
        if (i->type == IMAGE_RAW)
                r = unlinkat(store_fd, tmp, 0) < 0 ? -errno : 0;
        else
                r = tree_remove_at(store_fd, tmp);
        if (r < 0)
                return r;
        if (unlinkat(store_fd, settings, 0) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Cannot remove the settings file %s beside the image, ignoring: %m",
                                  settings);
        return 0;
}

int verb_remove(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *verb = "remove", *usage = "berth remove NAME...\n\nRemove images from the store.";
        _cleanup_close_ int store = -EBADF;
        int c, r, ret = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) { IMAGE_OPTIONS_END }
        r = images_check_args(verb, argc, argv, 1, -1, "berth remove NAME...");
        if (r == 0)
                r = images_open_store(verb, &store);
        if (r != 0)
                return r;
        images_gc(true);
        for (int k = optind; k < argc; k++) {
                _cleanup_(image_freep) Image *i = NULL;
                _cleanup_close_ int held = -EBADF;

                r = images_find(verb, argv[k], &i);
                if (r == 0)
                        r = check_writable(verb, i);
                if (r == 0)
                        r = images_lock(verb, i, true, &held);
                if (r == 0) {
                        int q = images_remove(i, store);
                        if (q < 0) {
                                log_error_errno(q, "remove: cannot remove image '%s': %m", i->name);
                                r = exit_code_from_errno(q);
                        }
                }
                ret = ret ?: r;
        }
        return ret;
}
