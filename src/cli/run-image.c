#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dissect.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "log.h"
#include "run-image.h"

static int open_image(Settings *s, bool *ret_read_only) {
        _cleanup_close_ int fd = -EBADF;
        bool read_only = s->read_only;
        struct stat st;

        /* Read-only when asked, when we may not write the file (a read-only file system, the immutable
         * attribute), or when it has no write bits at all: that is how a raw image is marked read-only
         * (machinectl read-only does so too), and root would otherwise write it regardless. */
        if (!read_only) {
                fd = open(s->image, O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (fd < 0 && errno != EACCES && errno != EPERM && errno != EROFS && errno != ETXTBSY &&
                    errno != EISDIR)
                        return -errno;
        }
        if (fd < 0) {
                read_only = true;
                fd = open(s->image, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((st.st_mode & 0222) == 0)
                read_only = true;
        *ret_read_only = read_only;
        return TAKE_FD(fd);
}

/* The device of one chosen partition: the kernel's partition of the loop device, or, where the kernel
 * did not scan the table, a loop device of its own over just that part of the file. */
static int open_partition(const LoopDevice *loop, int image_fd, const ImagePartition *p, bool read_only) {
        _cleanup_(loop_device_freep) LoopDevice *part = NULL;
        int fd, r;

        if (p->partno == 0)
                return RET_NERRNO(fcntl(loop->fd, F_DUPFD_CLOEXEC, 3));
        fd = loop_device_open_partition(loop, p->partno, O_RDONLY);
        if (fd != -ENXIO)
                return fd;
        log_debug("%s has no partition %u: attaching it on its own.", loop->node, p->partno);
        r = loop_device_attach(image_fd, read_only, p->offset, p->size, &part);
        if (r < 0)
                return r;
        return RET_NERRNO(fcntl(part->fd, F_DUPFD_CLOEXEC, 3));
}

static int attach_error(const char *image, int r) {
        switch (r) {
        case -ENOENT:
                log_error(
                        "image '%s': this host has no loop devices (/dev/loop-control is missing: load the "
                        "loop module)",
                        image);
                break;
        case -EOPNOTSUPP:
                log_error("image '%s': this kernel cannot configure loop devices in one step (Linux 5.8 or "
                          "newer needed)",
                          image);
                break;
        case -EBUSY:
                log_error("image '%s': no free loop device after %u tries (too many in use)", image,
                          LOOP_ATTACH_ATTEMPTS_MAX);
                break;
        default:
                log_error_errno(r, "image '%s': cannot attach it to a loop device: %m", image);
        }
        return exit_code_from_errno(r);
}

int run_image_prepare(Settings *s, LoopDevice **ret_loop) {
        _cleanup_(loop_device_freep) LoopDevice *loop = NULL;
        _cleanup_close_ int image_fd = -EBADF;
        _cleanup_free_ char *reason = NULL;
        char real[PATH_MAX];
        DissectedImage d;
        bool read_only = false;
        int r;

        /* The steps: the file, read-only or not; a loop device over it; its partitions chosen; their
         * devices opened, in mount order, for the monitor. */
        if (!realpath(s->image, real)) {
                r = -errno;
                if (r == -ENOENT)
                        log_error("image '%s' does not exist", s->image);
                else
                        log_error_errno(r, "cannot resolve image '%s': %m", s->image);
                return exit_code_from_errno(r);
        }
        free(s->image);
        s->image = strdup(real);
        if (!s->image)
                return log_oom(), EXIT_BERTH_INTERNAL;

        image_fd = open_image(s, &read_only);
        if (image_fd == -EBADFD) {
                log_error("image '%s' is not a regular file (give a raw disk image, or -D for a directory)",
                          s->image);
                return EXIT_BERTH_USAGE;
        }
        if (image_fd < 0) {
                log_error_errno(image_fd, "cannot open image '%s': %m", s->image);
                return exit_code_from_errno(image_fd);
        }

        r = loop_device_attach(image_fd, read_only, 0, 0, &loop);
        if (r < 0)
                return attach_error(s->image, r);
        log_debug("Image '%s' is on %s%s.", s->image, loop->node, loop->read_only ? " (read-only)" : "");

        r = dissect_image_fd(loop->fd, &d, &reason);
        if (r == -ENOMEM)
                return log_oom(), EXIT_BERTH_INTERNAL;
        if (r < 0) {
                log_error("image '%s': %s", s->image, reason ?: "cannot be read");
                return exit_code_from_errno(r);
        }

        for (size_t i = 0; dissect_mount_order[i] >= 0; i++) {
                PartitionDesignator des = dissect_mount_order[i];
                const ImagePartition *p = &d.partitions[des];
                const char *where = partition_designator_mount_point(des);
                bool ro = loop->read_only || p->read_only;
                int fd;

                if (!p->found)
                        continue;
                fd = open_partition(loop, image_fd, p, ro);
                if (fd < 0) {
                        log_error_errno(fd, "image '%s': cannot open partition %u (%s): %m", s->image,
                                        p->partno, partition_designator_to_string(des));
                        return exit_code_from_errno(fd);
                }
                r = settings_add_image_mount(s, fd, where, p->fstype, ro);
                if (r < 0) {
                        safe_close(fd);
                        return log_oom(), EXIT_BERTH_INTERNAL;
                }
                if (p->partno > 0)
                        log_debug("Image '%s': partition %u (%s, %s%s) on %s.", s->image, p->partno,
                                  partition_designator_to_string(des), p->fstype, ro ? ", read-only" : "",
                                  where);
                else
                        log_debug("Image '%s': a bare %s file system%s, the root.", s->image, p->fstype,
                                  ro ? " (read-only)" : "");
        }
        /* The root is read-only when the whole image is: say so, as for --read-only. */
        if (loop->read_only)
                s->read_only = true;
        *ret_loop = TAKE_PTR(loop);
        return 0;
}
