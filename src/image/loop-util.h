#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* Loop devices for raw disk images. Every device is attached with LO_FLAGS_AUTOCLEAR: the kernel
 * detaches it by itself once the last fd is closed and nothing is mounted from it, so a berth that is
 * killed leaves no loop device behind. */

typedef struct LoopDevice {
        int fd; /* the whole device; holding it keeps the device attached */
        int nr; /* N of /dev/loopN */
        dev_t devno;
        bool read_only; /* what the kernel made of it */
        char node[32];  /* "/dev/loopN" (which may not exist without devtmpfs) */
} LoopDevice;

/* How often a free device is asked for when others take it first. */
#define LOOP_ATTACH_ATTEMPTS_MAX 64U

/* Attaches the regular file backing_fd to a free loop device with LOOP_CONFIGURE (Linux 5.8), with
 * partition scanning and autoclear, read-only when asked (or when backing_fd is not open for writing).
 * offset and size (0: to the end) select a part of the file. -EBUSY after LOOP_ATTACH_ATTEMPTS_MAX
 * lost races, -EOPNOTSUPP on a kernel without LOOP_CONFIGURE, -EBADFD when backing_fd is not a
 * regular file. */
int loop_device_attach(int backing_fd, bool read_only, uint64_t offset, uint64_t size, LoopDevice **ret);

/* Closes the fd (the device goes away unless something else holds it) and frees d. NULL-safe. */
LoopDevice *loop_device_free(LoopDevice *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(LoopDevice *, loop_device_free);

/* Opens partition partno of d (O_CLOEXEC is added): its /dev/loopNpM, or, where that node is missing
 * or is not the partition sysfs names, a node made for the moment on a private, detached tmpfs.
 * -ENXIO when the kernel has no such partition. */
int loop_device_open_partition(const LoopDevice *d, unsigned partno, int flags);

/* Opens the device devno (type S_IFBLK or S_IFCHR) without relying on /dev: through a node made on a
 * detached tmpfs that no other process can reach, gone once the fd is open. */
int device_open_by_devno(mode_t type, dev_t devno, int flags);
