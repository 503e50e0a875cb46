/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A driver for the tar import/export library, for the tests:
 *
 *   tar-tool import ARCHIVE DIR    extract ARCHIVE ("-": stdin) into DIR (created if missing, must be empty)
 *   tar-tool export DIR FILE       archive DIR into FILE ("-": stdout), compressed as FILE's suffix says
 *
 * On failure: one line "tar-tool: <member>: <reason>" on stderr (member "-" when there is none) and
 * exit status 1; 2 for usage errors. A progress line is shown on a tty unless -q comes first. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "progress.h"
#include "tar-export.h"
#include "tar-import.h"

/* Member names come from the archive: shown with control characters escaped. */
static void print_escaped(FILE *f, const char *s) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c < 0x20 || c == 0x7f || c == '\\')
                        fprintf(f, "\\x%02x", c);
                else
                        fputc(c, f);
        }
}

static int report(int r, const TarError *e) {
        fputs("tar-tool: ", stderr);
        print_escaped(stderr, e->member ?: "-");
        fputs(": ", stderr);
        print_escaped(stderr, e->reason ?: "failed");
        fprintf(stderr, " (%s)\n", strerror(-r));
        return 1;
}

static void on_progress(uint64_t bytes, uint64_t total, uint64_t entries, void *userdata) {
        progress_update(userdata, bytes, total, entries);
}

static int do_import(const char *archive, const char *dir, bool quiet) {
        _cleanup_close_ int in = -EBADF, target = -EBADF;
        TarError e = {};
        Progress p;
        int r;

        in = streq(archive, "-") ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                                 : open(archive, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (in < 0) {
                fprintf(stderr, "tar-tool: %s: %s\n", archive, strerror(errno));
                return 1;
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "tar-tool: %s: %s\n", dir, strerror(errno));
                return 1;
        }
        target = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (target < 0) {
                fprintf(stderr, "tar-tool: %s: %s\n", dir, strerror(errno));
                return 1;
        }

        progress_init(&p, "import", "entries", quiet);
        r = tar_import(in, target, &(TarImportOptions){ .progress = on_progress, .userdata = &p }, &e);
        progress_end(&p);
        if (r < 0) {
                r = report(r, &e);
                tar_error_done(&e);
                return r;
        }
        return 0;
}

static int do_export(const char *dir, const char *file, bool quiet) {
        _cleanup_close_ int root = -EBADF, out = -EBADF;
        TarCompression c;
        TarError e = {};
        Progress p;
        int r;

        c = tar_compression_from_filename(file);
        if (c < 0) {
                fprintf(stderr,
                        "tar-tool: %s: unknown suffix (.tar, .tar.gz, .tar.xz, .tar.zst, .tar.bz2)\n", file);
                return 2;
        }
        root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0) {
                fprintf(stderr, "tar-tool: %s: %s\n", dir, strerror(errno));
                return 1;
        }
        out = streq(file, "-") ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
                               : open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (out < 0) {
                fprintf(stderr, "tar-tool: %s: %s\n", file, strerror(errno));
                return 1;
        }

        progress_init(&p, "export", "entries", quiet);
        r = tar_export(root, out, c, &(TarExportOptions){ .progress = on_progress, .userdata = &p }, &e);
        progress_end(&p);
        if (r < 0) {
                r = report(r, &e);
                tar_error_done(&e);
                return r;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        bool quiet = false;

        if (argc > 1 && streq(argv[1], "-q")) {
                quiet = true;
                argv++;
                argc--;
        }
        if (argc == 4 && streq(argv[1], "import"))
                return do_import(argv[2], argv[3], quiet);
        if (argc == 4 && streq(argv[1], "export"))
                return do_export(argv[2], argv[3], quiet);
        fprintf(stderr, "usage: tar-tool [-q] import ARCHIVE DIR | export DIR FILE\n");
        return 2;
}
