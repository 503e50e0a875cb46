/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Drives src/image/image-create.c for the images tests, as `berth create` will:
 *
 *   create-tool busybox DIR NAME [--root-password=PW] [--busybox=PATH]
 *   create-tool debian SUITE DIR NAME [--mirror=URL] [--root-password=PW] [--log=PATH] [--debootstrap=PATH]
 *   create-tool debootstrap-argv SUITE DIR [--mirror=URL]   prints the argv, one element a line
 *   create-tool verify-password DIR PW                      exit 0 when root's /etc/shadow entry matches
 *                                                           PW, 1 when not
 *
 * DIR is made when missing (it must be empty or new, like the directory `berth create` makes). Progress
 * goes to stderr as "stage: ...", "step: N/M ...", "warning: ...", "error: ..." lines. Failures print
 * "create-tool: ...: <why> (<fix>)" and exit with berth's exit code for the error (exit-codes.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exit-codes.h"
#include "fd-util.h"
#include "image-create.h"
#include "image-setup.h"
#include "strv.h"

static void progress(const ImageProgress *p, void *userdata) {
        switch (p->kind) {
        case IMAGE_PROGRESS_STAGE:
                fprintf(stderr, "stage: %s\n", p->text);
                break;
        case IMAGE_PROGRESS_STEP:
                fprintf(stderr, "step: %llu/%llu %s\n", (unsigned long long) p->done,
                        (unsigned long long) p->total, p->text);
                break;
        case IMAGE_PROGRESS_WARNING:
                fprintf(stderr, "warning: %s\n", p->text);
                break;
        case IMAGE_PROGRESS_ERROR:
                fprintf(stderr, "error: %s\n", p->text);
                break;
        default:
                break;
        }
}

static int usage(void) {
        fprintf(stderr, "usage: create-tool busybox DIR NAME [--root-password=PW] [--busybox=PATH]\n"
                        "       create-tool debian SUITE DIR NAME [--mirror=URL] [--root-password=PW] "
                        "[--log=PATH] [--debootstrap=PATH]\n"
                        "       create-tool debootstrap-argv SUITE DIR [--mirror=URL]\n"
                        "       create-tool verify-password DIR PW\n");
        return EXIT_BERTH_USAGE;
}

static int fail(int r, const char *what, ImageSource source) {
        if (r == -ENOPKG)
                fprintf(stderr, "create-tool: %s: %s not found on this host (apt-get install %s)\n", what,
                        source == IMAGE_SOURCE_BUSYBOX ? "a static busybox" : "debootstrap",
                        image_source_package(source));
        else
                fprintf(stderr, "create-tool: %s: %s\n", what, strerror(-r));
        return exit_code_from_errno(r);
}

static int open_new_dir(const char *path) {
        int fd;

        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

static int verify_password(const char *dir, const char *pw) {
        _cleanup_close_ int root_fd = -EBADF;
        _cleanup_free_ char *shadow = NULL;
        int r;

        root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return fail(negative_errno(), dir, _IMAGE_SOURCE_INVALID);
        r = read_small_file_at(root_fd, "etc/shadow", SHADOW_SIZE_MAX, &shadow, NULL);
        if (r < 0)
                return fail(r, "etc/shadow", _IMAGE_SOURCE_INVALID);
        for (char *line = strtok(shadow, "\n"); line; line = strtok(NULL, "\n")) {
                char *hash, *end;

                if (!strneq(line, "root:", 5))
                        continue;
                hash = line + 5;
                end = strchr(hash, ':');
                if (end)
                        *end = '\0';
                r = password_verify(pw, hash);
                if (r < 0)
                        return fail(r, "verify", _IMAGE_SOURCE_INVALID);
                printf("%s\n", r ? "match" : "no match");
                return r ? 0 : 1;
        }
        fprintf(stderr, "create-tool: no root entry in etc/shadow\n");
        return 1;
}

int main(int argc, char *argv[]) {
        ImageCreateOptions opts = { .progress = progress };
        const char *verb, *dir, *suite = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int first_opt, r;

        if (argc < 2)
                return usage();
        verb = argv[1];

        if (streq(verb, "verify-password"))
                return argc == 4 ? verify_password(argv[2], argv[3]) : usage();

        if (streq(verb, "busybox")) {
                if (argc < 4)
                        return usage();
                dir = argv[2];
                opts.hostname = argv[3];
                first_opt = 4;
        } else if (streq(verb, "debian")) {
                if (argc < 5)
                        return usage();
                suite = argv[2];
                dir = argv[3];
                opts.hostname = argv[4];
                first_opt = 5;
        } else if (streq(verb, "debootstrap-argv")) {
                if (argc < 4)
                        return usage();
                suite = argv[2];
                dir = argv[3];
                first_opt = 4;
        } else
                return usage();

        for (int i = first_opt; i < argc; i++) {
                const char *a = argv[i];

                if (strneq(a, "--root-password=", 16))
                        opts.root_password = a + 16;
                else if (strneq(a, "--mirror=", 9))
                        opts.mirror = a + 9;
                else if (strneq(a, "--log=", 6))
                        opts.log_path = a + 6;
                else if (strneq(a, "--busybox=", 10))
                        opts.busybox = a + 10;
                else if (strneq(a, "--debootstrap=", 14))
                        opts.debootstrap = a + 14;
                else
                        return usage();
        }

        if (streq(verb, "debootstrap-argv")) {
                _cleanup_strv_free_ char **args = NULL;
                _cleanup_free_ char *program = NULL;

                r = image_find_debootstrap(&program);
                if (r < 0)
                        return fail(r, "debootstrap", IMAGE_SOURCE_DEBIAN);
                r = image_debootstrap_argv(program, suite, dir, opts.mirror, &args);
                if (r < 0)
                        return fail(r, "debootstrap arguments", IMAGE_SOURCE_DEBIAN);
                STRV_FOREACH (a, args)
                        printf("%s\n", *a);
                return 0;
        }

        dir_fd = open_new_dir(dir);
        if (dir_fd < 0)
                return fail(dir_fd, dir, _IMAGE_SOURCE_INVALID);
        if (streq(verb, "busybox")) {
                r = image_create_busybox(dir_fd, &opts);
                if (r < 0)
                        return fail(r, "create from busybox", IMAGE_SOURCE_BUSYBOX);
        } else {
                r = image_create_debian(dir_fd, suite, &opts);
                if (r < 0)
                        return fail(r, "create from debian", IMAGE_SOURCE_DEBIAN);
        }
        return 0;
}
