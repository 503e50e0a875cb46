/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The pure parts of tar import/export and the progress line: compression from file names, the member
 * name check, and the progress text. */

#include <limits.h>
#include <string.h>

#include "progress.h"
#include "tap.h"
#include "tar-import.h"
#include "tar-util.h"

static void test_compression(void) {
        CHECK_INT(tar_compression_from_filename("a.tar"), ==, TAR_COMPRESSION_NONE);
        CHECK_INT(tar_compression_from_filename("-"), ==, TAR_COMPRESSION_NONE);
        CHECK_INT(tar_compression_from_filename("/x/a.tar.gz"), ==, TAR_COMPRESSION_GZIP);
        CHECK_INT(tar_compression_from_filename("a.tgz"), ==, TAR_COMPRESSION_GZIP);
        CHECK_INT(tar_compression_from_filename("a.tar.xz"), ==, TAR_COMPRESSION_XZ);
        CHECK_INT(tar_compression_from_filename("a.txz"), ==, TAR_COMPRESSION_XZ);
        CHECK_INT(tar_compression_from_filename("a.tar.zst"), ==, TAR_COMPRESSION_ZSTD);
        CHECK_INT(tar_compression_from_filename("a.tzst"), ==, TAR_COMPRESSION_ZSTD);
        CHECK_INT(tar_compression_from_filename("a.tar.bz2"), ==, TAR_COMPRESSION_BZIP2);
        CHECK_INT(tar_compression_from_filename("a.tbz2"), ==, TAR_COMPRESSION_BZIP2);
        CHECK_INT(tar_compression_from_filename("a.zip"), ==, -EINVAL);
        CHECK_INT(tar_compression_from_filename("a.gz"), ==, -EINVAL);
        CHECK_INT(tar_compression_from_filename(".tar"), ==, -EINVAL); /* a suffix alone is no name */
        CHECK_INT(tar_compression_from_filename(""), ==, -EINVAL);
        CHECK_INT(tar_compression_from_filename(NULL), ==, -EINVAL);

        for (int c = 0; c < _TAR_COMPRESSION_MAX; c++)
                CHECK_INT(tar_compression_from_string(tar_compression_to_string(c)), ==, c);
        CHECK(!tar_compression_to_string(_TAR_COMPRESSION_MAX));
        CHECK(!tar_compression_to_string(-1));
        CHECK_INT(tar_compression_from_string("lz4"), ==, -EINVAL);
}

static void test_member_name(void) {
        char long_name[TAR_PATH_MAX + 2], long_component[NAME_MAX + 3];
        const char *reason;

        CHECK_INT(tar_member_name_check("usr/bin/sh", &reason), ==, 0);
        CHECK_INT(tar_member_name_check("./usr/bin/", &reason), ==, 0);
        CHECK_INT(tar_member_name_check(".", &reason), ==, 0);
        CHECK_INT(tar_member_name_check("a..b/..c/d..", &reason), ==, 0);
        CHECK_INT(tar_member_name_check("...", &reason), ==, 0);
        CHECK_INT(tar_member_name_check("/etc/passwd", &reason), ==, -EPERM);
        CHECK(reason && strstr(reason, "absolute"));
        CHECK_INT(tar_member_name_check("..", &reason), ==, -EPERM);
        CHECK_INT(tar_member_name_check("../x", &reason), ==, -EPERM);
        CHECK_INT(tar_member_name_check("a/../../x", &reason), ==, -EPERM);
        CHECK_INT(tar_member_name_check("a//..//x", &reason), ==, -EPERM);
        CHECK_INT(tar_member_name_check("a/..", &reason), ==, -EPERM);
        CHECK_INT(tar_member_name_check("", &reason), ==, -EBADMSG);
        CHECK_INT(tar_member_name_check(NULL, &reason), ==, -EBADMSG);

        memset(long_name, 'a', sizeof(long_name) - 1);
        for (size_t i = 100; i < sizeof(long_name) - 1; i += 100)
                long_name[i] = '/';
        long_name[TAR_PATH_MAX] = '\0';
        CHECK_INT(tar_member_name_check(long_name, &reason), ==, 0);
        long_name[TAR_PATH_MAX] = 'a';
        long_name[TAR_PATH_MAX + 1] = '\0';
        CHECK_INT(tar_member_name_check(long_name, &reason), ==, -ENAMETOOLONG);

        memset(long_component, 'c', sizeof(long_component) - 1);
        long_component[NAME_MAX] = '\0';
        CHECK_INT(tar_member_name_check(long_component, &reason), ==, 0);
        long_component[NAME_MAX] = 'c';
        long_component[NAME_MAX + 1] = '\0';
        CHECK_INT(tar_member_name_check(long_component, &reason), ==, -ENAMETOOLONG);
}

static void test_progress_format(void) {
        char buf[PROGRESS_LINE_MAX];

        CHECK_STR(progress_format(buf, sizeof(buf), "import", "entries", 0, 0, 0, 0), "import 0B");
        CHECK_STR(progress_format(buf, sizeof(buf), "import", "entries", 512, 0, 3, 500000),
                  "import 512B 3 entries");
        /* 10 MiB of 40 MiB in 2 s: 5 MiB/s, 30 MiB to go, 6 s. */
        CHECK_STR(progress_format(buf, sizeof(buf), "export", "files", 10 << 20, 40 << 20, 7, 2000000),
                  "export 10.0M/40.0M 25% 7 files 5.0M/s ETA 6.0s");
        /* Past an estimate: 100%, no ETA. */
        CHECK_STR(progress_format(buf, sizeof(buf), "copy", NULL, 300, 200, 0, 3000000),
                  "copy 300B/200B 100% 100B/s");
        /* Huge totals do not overflow the percentage. */
        CHECK_STR(progress_format(buf, sizeof(buf), "x", "items", UINT64_MAX / 2, UINT64_MAX, 0, 0),
                  "x 7.9E/15.9E 50%");
        /* A buffer too small is cut, never overrun. */
        CHECK_STR(progress_format(buf, 8, "import", "entries", 10 << 20, 40 << 20, 7, 2000000), "import ");
}

static void test_progress_not_a_tty(void) {
        Progress p;

        /* The tests' stderr is a file or a pipe: nothing is drawn, and ending is harmless. */
        progress_init(&p, "import", "entries", false);
        CHECK(!p.enabled || isatty(STDERR_FILENO));
        progress_init(&p, "import", "entries", true);
        CHECK(!p.enabled);
        progress_update(&p, 1, 2, 3);
        CHECK(!p.drawn);
        progress_end(&p);
        progress_end(NULL);
}

int main(void) {
        test_compression();
        test_member_name();
        test_progress_format();
        test_progress_not_a_tty();
        return tap_finish();
}
