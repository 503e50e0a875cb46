/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* tar_import() on arbitrary bytes, into a fresh directory per input that is removed afterwards. Whatever
 * the input, nothing may appear beside the target: the import runs in a scratch directory holding only
 * the target, and the scratch directory must hold only the target afterwards. Limits are small, so a
 * compression bomb costs little. */

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fuzz.h"
#include "tar-import.h"

/* rm -rf of what dir_fd holds (not dir_fd itself); directories are made accessible first, as an
 * archive may have made them 0000. Tests only: the tree code proper lives elsewhere. */
static void remove_contents(int dir_fd) {
        struct dirent *de;
        DIR *d;
        int fd;

        (void) fchmod(dir_fd, 0700);
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while ((de = readdir(d))) {
                int sub;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (unlinkat(dir_fd, de->d_name, 0) == 0)
                        continue;
                sub = openat(dir_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0) {
                        remove_contents(sub);
                        close(sub);
                }
                (void) unlinkat(dir_fd, de->d_name, AT_REMOVEDIR);
        }
        closedir(d);
}

static size_t count_entries(int dir_fd) {
        struct dirent *de;
        size_t n = 0;
        DIR *d;
        int fd;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        FUZZ_ASSERT(fd >= 0);
        d = fdopendir(fd);
        FUZZ_ASSERT(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char scratch[] = "/tmp/fuzz-tar-import.XXXXXX";
        TarImportOptions opts = { .max_entry_size = 16U << 20, .max_entries = 10000 };
        TarError e = {};
        int in, scratch_fd, target;

        in = memfd_create("fuzz-tar-import", MFD_CLOEXEC);
        FUZZ_ASSERT(in >= 0);
        FUZZ_ASSERT(loop_write(in, data, size) >= 0);
        FUZZ_ASSERT(lseek(in, 0, SEEK_SET) == 0);

        FUZZ_ASSERT(mkdtemp(scratch));
        scratch_fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        FUZZ_ASSERT(scratch_fd >= 0);
        FUZZ_ASSERT(mkdirat(scratch_fd, "target", 0755) == 0);
        target = openat(scratch_fd, "target", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        FUZZ_ASSERT(target >= 0);

        if (tar_import(in, target, &opts, &e) < 0)
                /* A refusal must say why. */
                FUZZ_ASSERT(e.reason);
        tar_error_done(&e);

        /* Only the target beside the target. */
        FUZZ_ASSERT(count_entries(scratch_fd) == 1);

        remove_contents(target);
        close(target);
        FUZZ_ASSERT(unlinkat(scratch_fd, "target", AT_REMOVEDIR) == 0);
        close(scratch_fd);
        FUZZ_ASSERT(rmdir(scratch) == 0);
        close(in);
        return 0;
}
