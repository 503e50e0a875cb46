/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A replay driver for builds without libFuzzer: runs LLVMFuzzerTestOneInput() once for every file named
 * on the command line and every regular file in the directories named there. A crash or a failed
 * FUZZ_ASSERT() aborts; running no input at all is a failure too, so a lost corpus does not pass. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define INPUT_MAX (16U * 1024U * 1024U)

static int run_file(int dir_fd, const char *name, const char *shown) {
        struct stat st;
        uint8_t *buf;
        size_t done = 0;
        int fd;

        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "fuzz-main: %s: %s\n", shown, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if (!S_ISREG(st.st_mode) || (size_t) st.st_size > INPUT_MAX) {
                fprintf(stderr, "fuzz-main: %s: not a regular file of at most %u bytes\n", shown, INPUT_MAX);
                close(fd);
                return -1;
        }
        /* malloc exactly the size, so ASan sees reads past the end of the input. */
        buf = malloc((size_t) st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!buf) {
                close(fd);
                return -1;
        }
        while (done < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + done, (size_t) st.st_size - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        fprintf(stderr, "fuzz-main: %s: short read\n", shown);
                        free(buf);
                        close(fd);
                        return -1;
                }
                done += (size_t) k;
        }
        close(fd);

        printf("fuzz-main: running %s (%zu bytes)\n", shown, done);
        fflush(stdout);
        (void) LLVMFuzzerTestOneInput(buf, done);
        free(buf);
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Returns the number of inputs run, or -1. */
static int run_dir(const char *path) {
        char **names = NULL;
        size_t n = 0;
        int ran = 0, failed = 0;
        struct dirent *de;
        DIR *d = opendir(path);

        if (!d) {
                fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(errno));
                return -1;
        }
        while ((de = readdir(d))) {
                char **nn;

                if (de->d_name[0] == '.')
                        continue;
                nn = realloc(names, sizeof(char *) * (n + 1));
                if (!nn)
                        abort();
                names = nn;
                names[n] = strdup(de->d_name);
                if (!names[n])
                        abort();
                n++;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_names);
        for (size_t i = 0; i < n; i++) {
                char shown[4096];

                snprintf(shown, sizeof(shown), "%s/%s", path, names[i]);
                if (run_file(dirfd(d), names[i], shown) < 0)
                        failed = 1;
                else
                        ran++;
                free(names[i]);
        }
        free(names);
        closedir(d);
        return failed ? -1 : ran;
}

int main(int argc, char *argv[]) {
        int total = 0, failed = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "fuzz-main: %s: %s\n", argv[i], strerror(errno));
                        failed = 1;
                        continue;
                }
                if (S_ISDIR(st.st_mode))
                        r = run_dir(argv[i]);
                else
                        r = run_file(AT_FDCWD, argv[i], argv[i]) < 0 ? -1 : 1;
                if (r < 0)
                        failed = 1;
                else
                        total += r;
        }
        printf("fuzz-main: %d inputs run\n", total);
        if (total == 0) {
                fprintf(stderr, "fuzz-main: no inputs found\n");
                return 1;
        }
        return failed ? 1 : 0;
}
