/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* loop-util against the kernel (root): attach with autoclear, read-only, offset and size, opening
 * devices without /dev, and the device going away by itself once its last fd is closed. */

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "dissect.h"
#include "fd-util.h"
#include "loop-util.h"
#include "tap.h"

#define MIB (1024 * 1024)

static char path[] = "/var/tmp/berth-test-loop.XXXXXX";

/* Whether loop device nr is still attached to our file (its backing_file names it). */
static bool attached_to_us(int nr) {
        _cleanup_free_ char *text = NULL;
        char p[96];

        snprintf(p, sizeof(p), "/sys/devices/virtual/block/loop%d/loop/backing_file", nr);
        if (read_small_file_at(AT_FDCWD, p, 4096, &text, NULL) < 0)
                return false;
        return strncmp(text, path, strlen(path)) == 0;
}

static bool gone_eventually(int nr) {
        /* The kernel detaches on the last close; allow it a moment, polling. */
        for (int i = 0; i < 500; i++) {
                struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
                if (!attached_to_us(nr))
                        return true;
                nanosleep(&ts, NULL);
        }
        return false;
}

static void check_start(int fd, const char *want, const char *what) {
        char buf[16] = {};
        CHECK_MSG(pread(fd, buf, 8, 0) == 8 && memcmp(buf, want, 8) == 0, "%s: reads the file's bytes",
                  what);
}

int main(void) {
        _cleanup_close_ int file = -EBADF, ro_file = -EBADF;
        LoopDevice *d = NULL;
        struct loop_info64 info = {};
        struct stat st;
        uint64_t size = 0;
        int ro = 0, nr, fd, r;

        if (geteuid() != 0) {
                printf("1..0 # SKIP not root\n");
                return 0;
        }
        if (access("/dev/loop-control", F_OK) < 0 && access("/sys/module/loop", F_OK) < 0) {
                printf("1..0 # SKIP no loop device support\n");
                return 0;
        }
        file = mkostemp(path, O_CLOEXEC);
        if (file < 0 || ftruncate(file, 4 * MIB) < 0 || pwrite(file, "AAAAAAAA", 8, 0) != 8 ||
            pwrite(file, "BBBBBBBB", 8, MIB) != 8) {
                if (file >= 0)
                        unlink(path);
                printf("Bail out! cannot make a file in /var/tmp\n");
                return 1;
        }

        /* A whole file, read-write. */
        r = loop_device_attach(file, false, 0, 0, &d);
        CHECK_INT(r, ==, 0);
        if (r < 0) {
                unlink(path);
                return tap_finish();
        }
        nr = d->nr;
        CHECK(!d->read_only);
        CHECK(fstat(d->fd, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == d->devno);
        CHECK(ioctl(d->fd, LOOP_GET_STATUS64, &info) == 0);
        CHECK_MSG(info.lo_flags & LO_FLAGS_AUTOCLEAR, "attached with autoclear");
        CHECK_MSG(info.lo_flags & LO_FLAGS_PARTSCAN, "attached with partition scanning");
        CHECK(ioctl(d->fd, BLKGETSIZE64, &size) == 0 && size == 4 * MIB);
        check_start(d->fd, "AAAAAAAA", "the loop device");
        CHECK(attached_to_us(nr));

        /* The same device, opened without /dev. */
        fd = device_open_by_devno(S_IFBLK, d->devno, O_RDONLY);
        CHECK_MSG(fd >= 0, "device_open_by_devno() of the loop device: %s", strerror(fd < 0 ? -fd : 0));
        if (fd >= 0) {
                CHECK(fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == d->devno);
                check_start(fd, "AAAAAAAA", "the loop device through a private node");
                safe_close(fd);
        }
        fd = device_open_by_devno(S_IFCHR, makedev(1, 3), O_WRONLY);
        CHECK_MSG(fd >= 0 && write(fd, "x", 1) == 1, "device_open_by_devno() of /dev/null writes");
        safe_close(fd);
        CHECK_INT(device_open_by_devno(S_IFREG, makedev(1, 3), O_RDONLY), ==, -EINVAL);

        /* No partition table: no partitions. */
        CHECK_INT(loop_device_open_partition(d, 1, O_RDONLY), ==, -ENXIO);
        CHECK_INT(loop_device_open_partition(d, 0, O_RDONLY), ==, -EINVAL);
        {
                _cleanup_free_ char *reason = NULL;
                DissectedImage di;
                CHECK_INT(dissect_image_fd(d->fd, &di, &reason), ==, -ENOMEDIUM);
                CHECK_MSG(reason != NULL, "a reason: %s", reason ?: "(none)");
        }

        /* Autoclear: closing the last fd detaches it. */
        d = loop_device_free(d);
        CHECK_MSG(gone_eventually(nr), "loop%d is detached once its last fd is closed", nr);

        /* A part of the file, read-only because the file is open read-only. */
        ro_file = open(path, O_RDONLY | O_CLOEXEC);
        r = loop_device_attach(ro_file, false, MIB, MIB, &d);
        CHECK_INT(r, ==, 0);
        if (r == 0) {
                nr = d->nr;
                CHECK_MSG(d->read_only, "a file open read-only makes a read-only device");
                CHECK(ioctl(d->fd, BLKROGET, &ro) == 0 && ro == 1);
                CHECK(ioctl(d->fd, BLKGETSIZE64, &size) == 0 && size == MIB);
                check_start(d->fd, "BBBBBBBB", "offset 1 MiB");
                d = loop_device_free(d);
                CHECK_MSG(gone_eventually(nr), "loop%d (read-only) is detached", nr);
        }
        /* Read-only when asked, on a writable file. */
        r = loop_device_attach(file, true, 0, 0, &d);
        CHECK_INT(r, ==, 0);
        if (r == 0) {
                nr = d->nr;
                CHECK(d->read_only);
                CHECK(ioctl(d->fd, BLKROGET, &ro) == 0 && ro == 1);
                d = loop_device_free(d);
                CHECK(gone_eventually(nr));
        }

        /* Not a regular file. */
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        CHECK_INT(loop_device_attach(fd, false, 0, 0, &d), ==, -EBADFD);
        safe_close(fd);

        unlink(path);
        return tap_finish();
}
