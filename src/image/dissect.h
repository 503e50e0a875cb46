#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What is on a raw disk image: the partitions of the Discoverable Partitions Specification
 * (uapi-group.org/specifications/specs/discoverable_partitions_specification) that a machine mounts,
 * found by their GPT type GUIDs, or a bare file system that is the root itself. */

typedef enum PartitionDesignator {
        PARTITION_ROOT,
        PARTITION_USR,
        PARTITION_HOME,
        PARTITION_SRV,
        PARTITION_VAR,
        PARTITION_TMP, /* mounted at /var/tmp */
        PARTITION_ESP,
        PARTITION_XBOOTLDR,
        PARTITION_SWAP,
        PARTITION_LINUX_GENERIC, /* "Linux filesystem data": the root when it is the only candidate */
        _PARTITION_DESIGNATOR_MAX,
        _PARTITION_DESIGNATOR_INVALID = -EINVAL,
} PartitionDesignator;

/* GPT partition attribute bits the specification gives a meaning. */
#define GPT_FLAG_READ_ONLY (UINT64_C(1) << 60)
#define GPT_FLAG_NO_AUTO   (UINT64_C(1) << 63)

/* Caps on what an image may make us look at. */
#define DISSECT_PARTITIONS_MAX 256U
#define DISSECT_FSTYPE_MAX     32U

/* "root", "usr", "home", "srv", "var", "tmp", "esp", "xbootldr", "swap", "linux-generic". */
const char *partition_designator_to_string(PartitionDesignator d);
PartitionDesignator partition_designator_from_string(const char *s);
/* Where a designator is mounted in the machine ("/", "/usr", …, "/var/tmp"); NULL for those never
 * mounted (esp, xbootldr, swap, linux-generic). */
const char *partition_designator_mount_point(PartitionDesignator d);

/* The architecture berth was built for, in the specification's spelling ("x86-64", "arm64", …). */
const char *dissect_native_architecture(void);

/* A GPT type GUID (any case) to its designator; *ret_arch is the architecture of an
 * architecture-specific type (root, usr), NULL for the others. -ENXIO for a type the specification
 * does not name, -EINVAL for a string that is not a GUID. */
int gpt_partition_type_from_string(const char *guid, PartitionDesignator *ret_designator,
                                   const char **ret_arch);
/* The type GUID of designator for arch (NULL: this build's), lower case; NULL if there is none. */
const char *gpt_partition_type_to_string(PartitionDesignator d, const char *arch);

/* One partition as read from the table, before any choice is made. */
typedef struct PartitionCandidate {
        unsigned partno; /* 1-based, as in /dev/loopNpM */
        const char *type_guid;
        uint64_t flags;     /* GPT attributes */
        const char *fstype; /* what blkid found in it, NULL for nothing */
        uint64_t offset;    /* bytes */
        uint64_t size;
} PartitionCandidate;

/* One partition to mount. */
typedef struct ImagePartition {
        bool found;
        unsigned partno; /* 0: the whole device, which is a bare file system */
        char fstype[DISSECT_FSTYPE_MAX];
        bool read_only; /* GPT read-only attribute, or a file system that is always read-only */
        uint64_t offset;
        uint64_t size;
} ImagePartition;

typedef struct DissectedImage {
        bool partition_table; /* false: the whole image is the root file system */
        ImagePartition partitions[_PARTITION_DESIGNATOR_MAX]; /* only the mountable ones are found */
} DissectedImage;

/* The order in which partitions are mounted: root first, then /usr, /home, /srv, /var, /var/tmp.
 * _PARTITION_DESIGNATOR_INVALID-terminated. */
extern const PartitionDesignator dissect_mount_order[];

/* Chooses what to mount from a GPT's partitions, for this build's architecture:
 *   - partitions with the no-auto attribute, the ESP, XBOOTLDR, swap and other architectures' root
 *     and usr are ignored;
 *   - without a root of this architecture, the only "Linux filesystem data" partition is the root;
 *   - the read-only attribute (and squashfs, erofs) makes a partition read-only.
 * Errors, with *ret_reason (allocated; for the user) saying which partition and why:
 *   -ENXIO           no root partition
 *   -ENOTUNIQ        two partitions for one mount point (or several generic ones and no root)
 *   -EBADMSG         a partition to mount holds no file system blkid knows
 *   -EPROTONOSUPPORT a partition to mount holds something berth does not mount (LUKS, swap, …)
 *   -E2BIG           more partitions than DISSECT_PARTITIONS_MAX */
int dissect_select(const PartitionCandidate *c, size_t n, DissectedImage *ret, char **ret_reason);

/* A bare file system (no partition table): it is the root. Errors as above. */
int dissect_select_whole(const char *fstype, uint64_t size, DissectedImage *ret, char **ret_reason);

/* Probes the device or file at fd with libblkid and selects as above. Beyond the errors of
 * dissect_select(): -ENOMEDIUM when fd holds neither a partition table nor a file system,
 * -EPROTONOSUPPORT for a partition table that is not GPT, -EUCLEAN when blkid finds two
 * contradicting signatures. *ret_reason is set on every failure but -ENOMEM. */
int dissect_image_fd(int fd, DissectedImage *ret, char **ret_reason);
