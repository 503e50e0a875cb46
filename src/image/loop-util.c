#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "loop-util.h"

#ifndef LOOP_CONFIGURE
#define LOOP_CONFIGURE 0x4C0A
struct loop_config {
        __u32 fd;
        __u32 block_size;
        struct loop_info64 info;
        __u64 __reserved[8];
};
#endif

#define LOOP_CONTROL_MAJOR 10
#define LOOP_CONTROL_MINOR 237

int device_open_by_devno(mode_t type, dev_t devno, int flags) {
        _cleanup_close_ int fs = -EBADF, mnt = -EBADF;
        int fd;

        if (type != S_IFBLK && type != S_IFCHR)
                return -EINVAL;
        /* A tmpfs that is mounted nowhere: nobody else can see or swap the node between mknod and open. */
        fs = (int) syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "64k", 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mnt = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID);
        if (mnt < 0)
                return -errno;
        if (mknodat(mnt, "dev", type | 0600, devno) < 0)
                return -errno;
        fd = openat(mnt, "dev", flags | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        (void) unlinkat(mnt, "dev", 0);
        return fd;
}

/* "MAJ:MIN\n" of a sysfs dev file. */
static int read_sysfs_devno(const char *path, dev_t *ret) {
        _cleanup_free_ char *text = NULL;
        unsigned maj, min;
        char nl;
        int r;

        r = read_small_file_at(AT_FDCWD, path, 64, &text, NULL);
        if (r < 0)
                return r;
        if (sscanf(text, "%u:%u%c", &maj, &min, &nl) != 3 || nl != '\n')
                return -EBADMSG;
        *ret = makedev(maj, min);
        return 0;
}

/* Opens node when it is the device devno, else the device through a private node. */
static int open_device_checked(const char *node, mode_t type, dev_t devno, int flags) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = open(node, flags | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd >= 0 && fstat(fd, &st) >= 0 && (st.st_mode & S_IFMT) == type && st.st_rdev == devno)
                return TAKE_FD(fd);
        if (fd < 0 && errno != ENOENT)
                return -errno;
        log_debug("%s is missing or is not device %u:%u: opening it through a private node.", node,
                  major(devno), minor(devno));
        return device_open_by_devno(type, devno, flags);
}

static int open_loop_control(void) {
        int fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC | O_NOCTTY);

        if (fd >= 0 || errno != ENOENT)
                return fd >= 0 ? fd : -errno;
        return device_open_by_devno(S_IFCHR, makedev(LOOP_CONTROL_MAJOR, LOOP_CONTROL_MINOR), O_RDWR);
}

static int open_loop_nr(int nr, int flags, dev_t *ret_devno) {
        char node[32], sys[64];
        dev_t devno;
        int r;

        snprintf(sys, sizeof(sys), "/sys/devices/virtual/block/loop%d/dev", nr);
        r = read_sysfs_devno(sys, &devno);
        if (r < 0)
                return r == -ENOENT ? -ENXIO : r;
        snprintf(node, sizeof(node), "/dev/loop%d", nr);
        r = open_device_checked(node, S_IFBLK, devno, flags);
        if (r >= 0)
                *ret_devno = devno;
        return r;
}

int loop_device_attach(int backing_fd, bool read_only, uint64_t offset, uint64_t size, LoopDevice **ret) {
        _cleanup_close_ int control = -EBADF;
        struct loop_config config = {
                .fd = (__u32) backing_fd,
                .info = {
                        .lo_offset = offset,
                        .lo_sizelimit = size,
                        .lo_flags = LO_FLAGS_PARTSCAN | LO_FLAGS_AUTOCLEAR,
                },
        };
        struct loop_info64 info = {};
        struct stat st;
        int fl, nr = -1;

        if (backing_fd < 0 || !ret)
                return -EINVAL;
        if (fstat(backing_fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        fl = fcntl(backing_fd, F_GETFL);
        if (fl < 0)
                return -errno;
        if ((fl & O_ACCMODE) == O_RDONLY)
                read_only = true;
        if (read_only)
                config.info.lo_flags |= LO_FLAGS_READ_ONLY;

        control = open_loop_control();
        if (control < 0)
                return control;

        /* Another process may take the device we were offered before we configure it: then it is busy
         * (or gone), and we ask again. */
        for (unsigned attempt = 0; attempt < LOOP_ATTACH_ATTEMPTS_MAX; attempt++) {
                _cleanup_close_ int fd = -EBADF;
                LoopDevice *d;
                dev_t devno;

                nr = ioctl(control, LOOP_CTL_GET_FREE);
                if (nr < 0)
                        return -errno;
                fd = open_loop_nr(nr, read_only ? O_RDONLY : O_RDWR, &devno);
                if (fd == -ENXIO || fd == -ENOENT)
                        continue; /* removed in between */
                if (fd < 0)
                        return fd;
                if (ioctl(fd, LOOP_CONFIGURE, &config) < 0) {
                        if (errno == EBUSY)
                                continue;
                        if (errno == ENOTTY || errno == EINVAL)
                                return -EOPNOTSUPP;
                        return -errno;
                }
                if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
                        return -errno; /* the fd closes and the device detaches itself */

                d = calloc(1, sizeof(*d));
                if (!d)
                        return -ENOMEM;
                d->fd = TAKE_FD(fd);
                d->nr = nr;
                d->devno = devno;
                d->read_only = info.lo_flags & LO_FLAGS_READ_ONLY;
                snprintf(d->node, sizeof(d->node), "/dev/loop%d", nr);
                log_debug("Attached %s%s.", d->node, d->read_only ? " read-only" : "");
                *ret = d;
                return 0;
        }
        return -EBUSY;
}

LoopDevice *loop_device_free(LoopDevice *d) {
        if (!d)
                return NULL;
        safe_close(d->fd);
        free(d);
        return NULL;
}

int loop_device_open_partition(const LoopDevice *d, unsigned partno, int flags) {
        char node[48], sys[96];
        dev_t devno;
        int r;

        if (!d || partno == 0 || partno > 0xffff)
                return -EINVAL;
        snprintf(sys, sizeof(sys), "/sys/devices/virtual/block/loop%d/loop%dp%u/dev", d->nr, d->nr, partno);
        r = read_sysfs_devno(sys, &devno);
        if (r < 0)
                return r == -ENOENT ? -ENXIO : r;
        snprintf(node, sizeof(node), "/dev/loop%dp%u", d->nr, partno);
        return open_device_checked(node, S_IFBLK, devno, flags);
}
