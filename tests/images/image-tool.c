/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A small driver for the image tests: each verb calls one function of src/image and reports its result.
 *
 *   image-tool copy SRC DSTPARENT NAME [--reflink=always|auto] [--subvolume] [--progress]
 *   image-tool snapshot SRC DSTPARENT NAME [--read-only] [--no-recursive]
 *   image-tool subvol-create PARENT NAME
 *   image-tool subvol-remove PARENT NAME
 *   image-tool remove PARENT NAME
 *   image-tool is-subvolume PATH          prints yes or no
 *   image-tool on-btrfs PATH              prints yes or no
 *   image-tool ro get PATH                prints yes or no
 *   image-tool ro set PATH yes|no
 *   image-tool usage PATH                 prints "referenced=N exclusive=N"
 *
 * Exit status: 0 on success, 1 on failure (with "image-tool: VERB: ERRNO-NAME: message" on stderr),
 * 2 on a usage error, 3 for -ENODATA (usage without quotas). */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "copy.h"
#include "fd-util.h"

static int open_dir(const char *path) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0) {
                fprintf(stderr, "image-tool: open %s: %m\n", path);
                return -errno;
        }
        return fd;
}

static void progress_print(uint64_t done, uint64_t total, uint64_t items, void *userdata) {
        unsigned *calls = userdata;

        (*calls)++;
        fprintf(stderr, "progress bytes=%" PRIu64 " total=%" PRIu64 " items=%" PRIu64 "\n", done, total,
                items);
}

static int verb_copy(int argc, char **argv) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        CopyFlags flags = COPY_REFLINK_AUTO;
        bool show = false;
        unsigned calls = 0;
        int r;

        if (argc < 5)
                return -EINVAL;
        for (int i = 5; i < argc; i++) {
                if (streq(argv[i], "--reflink=always"))
                        flags |= COPY_REFLINK_ALWAYS;
                else if (streq(argv[i], "--reflink=auto"))
                        flags &= ~COPY_REFLINK_ALWAYS;
                else if (streq(argv[i], "--subvolume"))
                        flags |= COPY_SUBVOLUME;
                else if (streq(argv[i], "--progress")) {
                        flags |= COPY_COUNT_TOTAL;
                        show = true;
                } else
                        return -EINVAL;
        }
        src = open_dir(argv[2]);
        dst = open_dir(argv[3]);
        if (src < 0 || dst < 0)
                return src < 0 ? src : dst;
        r = copy_tree(src, dst, argv[4], flags, show ? progress_print : NULL, &calls);
        if (r >= 0 && show)
                printf("progress-calls=%u\n", calls);
        return r;
}

static int verb_snapshot(int argc, char **argv) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        BtrfsSnapshotFlags flags = BTRFS_SNAPSHOT_RECURSIVE;

        if (argc < 5)
                return -EINVAL;
        for (int i = 5; i < argc; i++) {
                if (streq(argv[i], "--read-only"))
                        flags |= BTRFS_SNAPSHOT_READ_ONLY;
                else if (streq(argv[i], "--no-recursive"))
                        flags &= ~BTRFS_SNAPSHOT_RECURSIVE;
                else
                        return -EINVAL;
        }
        src = open_dir(argv[2]);
        dst = open_dir(argv[3]);
        if (src < 0 || dst < 0)
                return src < 0 ? src : dst;
        return btrfs_subvolume_snapshot_at(src, dst, argv[4], flags);
}

static int verb_parent_name(int argc, char **argv, int (*f)(int, const char *)) {
        _cleanup_close_ int dir = -EBADF;

        if (argc != 4)
                return -EINVAL;
        dir = open_dir(argv[2]);
        if (dir < 0)
                return dir;
        return f(dir, argv[3]);
}

static int print_bool(int r) {
        if (r >= 0)
                puts(r > 0 ? "yes" : "no");
        return r;
}

static int verb_path(int argc, char **argv) {
        _cleanup_close_ int fd = -EBADF;
        BtrfsUsage u;
        int r;

        if (argc != 3)
                return -EINVAL;
        fd = open_dir(argv[2]);
        if (fd < 0)
                return fd;
        if (streq(argv[1], "is-subvolume"))
                return print_bool(btrfs_is_subvolume_fd(fd));
        if (streq(argv[1], "on-btrfs"))
                return print_bool(btrfs_fd_is_on_btrfs(fd));
        r = btrfs_subvolume_get_usage_fd(fd, &u);
        if (r >= 0)
                printf("referenced=%" PRIu64 " exclusive=%" PRIu64 "\n", u.referenced, u.exclusive);
        return r;
}

static int verb_ro(int argc, char **argv) {
        _cleanup_close_ int fd = -EBADF;

        if (argc < 4)
                return -EINVAL;
        fd = open_dir(argv[3]);
        if (fd < 0)
                return fd;
        if (streq(argv[2], "get") && argc == 4)
                return print_bool(btrfs_subvolume_get_read_only_fd(fd));
        if (streq(argv[2], "set") && argc == 5 && (streq(argv[4], "yes") || streq(argv[4], "no")))
                return btrfs_subvolume_set_read_only_fd(fd, streq(argv[4], "yes"));
        return -EINVAL;
}

int main(int argc, char **argv) {
        const char *verb = argc > 1 ? argv[1] : "";
        int r;

        if (streq(verb, "copy"))
                r = verb_copy(argc, argv);
        else if (streq(verb, "snapshot"))
                r = verb_snapshot(argc, argv);
        else if (streq(verb, "subvol-create"))
                r = verb_parent_name(argc, argv, btrfs_subvolume_create_at);
        else if (streq(verb, "subvol-remove"))
                r = verb_parent_name(argc, argv, btrfs_subvolume_remove_at);
        else if (streq(verb, "remove"))
                r = verb_parent_name(argc, argv, tree_remove_at);
        else if (streq(verb, "is-subvolume") || streq(verb, "on-btrfs") || streq(verb, "usage"))
                r = verb_path(argc, argv);
        else if (streq(verb, "ro"))
                r = verb_ro(argc, argv);
        else {
                fprintf(stderr, "usage: image-tool copy|snapshot|subvol-create|subvol-remove|remove|"
                                "is-subvolume|on-btrfs|ro|usage ARGS...\n");
                return 2;
        }
        if (r == -EINVAL && argc < 3) {
                fprintf(stderr, "image-tool: %s: wrong arguments\n", verb);
                return 2;
        }
        if (r < 0) {
                fprintf(stderr, "image-tool: %s: %s: %s\n", verb, strerrorname_np(-r) ?: "?", strerror(-r));
                return r == -ENODATA ? 3 : 1;
        }
        return 0;
}
