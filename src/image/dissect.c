#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <blkid.h>

#include "dissect.h"
#include "log.h"
#include "macro.h"

static const char *const partition_designator_table[_PARTITION_DESIGNATOR_MAX] = {
        [PARTITION_ROOT] = "root", [PARTITION_USR] = "usr",
        [PARTITION_HOME] = "home", [PARTITION_SRV] = "srv",
        [PARTITION_VAR] = "var",   [PARTITION_TMP] = "tmp",
        [PARTITION_ESP] = "esp",   [PARTITION_XBOOTLDR] = "xbootldr",
        [PARTITION_SWAP] = "swap", [PARTITION_LINUX_GENERIC] = "linux-generic",
};

static const char *const partition_mount_point_table[_PARTITION_DESIGNATOR_MAX] = {
        [PARTITION_ROOT] = "/",   [PARTITION_USR] = "/usr", [PARTITION_HOME] = "/home",
        [PARTITION_SRV] = "/srv", [PARTITION_VAR] = "/var", [PARTITION_TMP] = "/var/tmp",
};

const PartitionDesignator dissect_mount_order[] = {
        PARTITION_ROOT,
        PARTITION_USR,
        PARTITION_HOME,
        PARTITION_SRV,
        PARTITION_VAR,
        PARTITION_TMP,
        _PARTITION_DESIGNATOR_INVALID,
};

/* The one table of type GUIDs. Root and usr exist per architecture; the rest are shared. */
static const struct {
        const char *guid;
        PartitionDesignator designator;
        const char *arch;
} gpt_type_table[] = {
        { "44479540-f297-41b2-9af7-d131d5f0458a", PARTITION_ROOT, "x86" },
        { "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", PARTITION_ROOT, "x86-64" },
        { "69dad710-2ce4-4e3c-b16c-21a1d49abed3", PARTITION_ROOT, "arm" },
        { "b921b045-1df0-41c3-af44-4c6f280d3fae", PARTITION_ROOT, "arm64" },
        { "72ec70a6-cf74-40e6-bd49-4bda08e8f224", PARTITION_ROOT, "riscv64" },
        { "75250d76-8cc6-458e-bd66-bd47cc81a812", PARTITION_USR, "x86" },
        { "8484680c-9521-48c6-9c11-b0720656f69e", PARTITION_USR, "x86-64" },
        { "7d0359a3-02b3-4f0a-865c-654403e70625", PARTITION_USR, "arm" },
        { "b0e01050-ee5f-4390-949a-9101b17104e9", PARTITION_USR, "arm64" },
        { "b6ed5582-440b-4209-b8da-5ff7c419ea3d", PARTITION_USR, "riscv64" },
        { "933ac7e1-2eb4-4f13-b844-0e14e2aef915", PARTITION_HOME, NULL },
        { "3b8f8425-20e0-4f3b-907f-1a25a76f98e8", PARTITION_SRV, NULL },
        { "4d21b016-b534-45c2-a9fb-5c16e091fd2d", PARTITION_VAR, NULL },
        { "7ec6f557-3bc5-4aca-b293-16ef5df639d1", PARTITION_TMP, NULL },
        { "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", PARTITION_ESP, NULL },
        { "bc13c2ff-59e6-4262-a352-b275fd6f7172", PARTITION_XBOOTLDR, NULL },
        { "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", PARTITION_SWAP, NULL },
        { "0fc63daf-8483-4772-8e79-3d69d8477de4", PARTITION_LINUX_GENERIC, NULL },
};

/* File systems a machine's partitions may hold; the ones after the marker are read-only by nature. */
static const char *const mountable_fstypes[] = {
        "ext4", "ext3", "ext2", "btrfs", "xfs", "f2fs", "vfat", NULL
};
static const char *const read_only_fstypes[] = { "squashfs", "erofs", NULL };

const char *partition_designator_to_string(PartitionDesignator d) {
        if (d < 0 || d >= _PARTITION_DESIGNATOR_MAX)
                return NULL;
        return partition_designator_table[d];
}

PartitionDesignator partition_designator_from_string(const char *s) {
        if (!s)
                return _PARTITION_DESIGNATOR_INVALID;
        for (int d = 0; d < _PARTITION_DESIGNATOR_MAX; d++)
                if (streq(partition_designator_table[d], s))
                        return (PartitionDesignator) d;
        return _PARTITION_DESIGNATOR_INVALID;
}

const char *partition_designator_mount_point(PartitionDesignator d) {
        if (d < 0 || d >= _PARTITION_DESIGNATOR_MAX)
                return NULL;
        return partition_mount_point_table[d];
}

const char *dissect_native_architecture(void) {
#if defined(__x86_64__)
        return "x86-64";
#elif defined(__i386__)
        return "x86";
#elif defined(__aarch64__)
        return "arm64";
#elif defined(__arm__)
        return "arm";
#elif defined(__riscv) && __riscv_xlen == 64
        return "riscv64";
#else
        return NULL; /* no architecture-specific types: only the generic fallback finds a root */
#endif
}

static bool guid_is_valid(const char *s) {
        static const int dashes[] = { 8, 13, 18, 23 };

        if (!s || strlen(s) != 36)
                return false;
        for (int i = 0, d = 0; i < 36; i++) {
                if (d < 4 && i == dashes[d]) {
                        if (s[i] != '-')
                                return false;
                        d++;
                } else if (!strchr("0123456789abcdefABCDEF", s[i]))
                        return false;
        }
        return true;
}

int gpt_partition_type_from_string(const char *guid, PartitionDesignator *ret_designator,
                                   const char **ret_arch) {
        if (!guid_is_valid(guid))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(gpt_type_table); i++)
                if (strcasecmp(gpt_type_table[i].guid, guid) == 0) {
                        if (ret_designator)
                                *ret_designator = gpt_type_table[i].designator;
                        if (ret_arch)
                                *ret_arch = gpt_type_table[i].arch;
                        return 0;
                }
        return -ENXIO;
}

const char *gpt_partition_type_to_string(PartitionDesignator d, const char *arch) {
        arch = arch ?: dissect_native_architecture();
        for (size_t i = 0; i < ELEMENTSOF(gpt_type_table); i++)
                if (gpt_type_table[i].designator == d &&
                    (!gpt_type_table[i].arch || streq_ptr(gpt_type_table[i].arch, arch)))
                        return gpt_type_table[i].guid;
        return NULL;
}

static bool fstype_in(const char *fstype, const char *const *list) {
        for (const char *const *t = list; *t; t++)
                if (streq(*t, fstype))
                        return true;
        return false;
}

static int dissect_fail(char **ret_reason, int error, const char *fmt, ...) _printf_(3, 4);
static int dissect_fail(char **ret_reason, int error, const char *fmt, ...) {
        va_list ap;

        if (ret_reason) {
                char *s = NULL;
                va_start(ap, fmt);
                if (vasprintf(&s, fmt, ap) < 0)
                        s = NULL;
                va_end(ap);
                free(*ret_reason);
                *ret_reason = s;
        }
        return -error;
}

/* Fills in one partition to mount, after checking what it holds. */
static int take_partition(ImagePartition *p, PartitionDesignator d, unsigned partno, const char *fstype,
                          bool read_only, uint64_t offset, uint64_t size, char **ret_reason) {
        char where[64];

        if (partno == 0)
                snprintf(where, sizeof(where), "the image");
        else
                snprintf(where, sizeof(where), "partition %u (%s)", partno,
                         partition_designator_to_string(d));
        if (isempty(fstype))
                return dissect_fail(ret_reason, EBADMSG, "%s holds no file system that blkid recognizes",
                                    where);
        if (strlen(fstype) >= DISSECT_FSTYPE_MAX)
                return dissect_fail(ret_reason, EPROTONOSUPPORT, "%s holds an unknown file system type",
                                    where);
        if (fstype_in(fstype, read_only_fstypes))
                read_only = true;
        else if (!fstype_in(fstype, mountable_fstypes))
                return dissect_fail(
                        ret_reason, EPROTONOSUPPORT, "%s holds '%s', which berth does not mount%s", where,
                        fstype,
                        streq(fstype, "crypto_LUKS") ? " (encrypted partitions are not supported)" : "");
        *p = (ImagePartition){
                .found = true,
                .partno = partno,
                .read_only = read_only,
                .offset = offset,
                .size = size,
        };
        snprintf(p->fstype, sizeof(p->fstype), "%s", fstype);
        return 0;
}

int dissect_select(const PartitionCandidate *c, size_t n, DissectedImage *ret, char **ret_reason) {
        const char *native = dissect_native_architecture(), *foreign_root = NULL;
        const PartitionCandidate *generic = NULL, *chosen[_PARTITION_DESIGNATOR_MAX] = {};
        DissectedImage d = { .partition_table = true };
        unsigned n_generic = 0;
        int r;

        if (n > DISSECT_PARTITIONS_MAX)
                return dissect_fail(ret_reason, E2BIG, "the partition table has %zu entries, more than %u",
                                    n, DISSECT_PARTITIONS_MAX);

        for (size_t i = 0; i < n; i++) {
                PartitionDesignator des;
                const char *arch = NULL;

                if (!c[i].type_guid || gpt_partition_type_from_string(c[i].type_guid, &des, &arch) < 0)
                        continue; /* a type the specification does not name: not ours to mount */
                if (c[i].flags & GPT_FLAG_NO_AUTO) {
                        log_debug("Partition %u (%s) has the no-auto attribute, ignoring.", c[i].partno,
                                  partition_designator_to_string(des));
                        continue;
                }
                if (arch && !streq_ptr(arch, native)) {
                        if (des == PARTITION_ROOT)
                                foreign_root = arch;
                        continue;
                }
                if (des == PARTITION_LINUX_GENERIC) {
                        n_generic++;
                        generic = &c[i];
                        continue;
                }
                if (!partition_designator_mount_point(des))
                        continue; /* ESP, XBOOTLDR, swap: nothing a machine mounts */
                if (chosen[des])
                        return dissect_fail(
                                ret_reason, ENOTUNIQ, "partitions %u and %u are both %s partitions",
                                chosen[des]->partno, c[i].partno, partition_designator_to_string(des));
                chosen[des] = &c[i];
        }

        /* Without a root of ours, the one "Linux filesystem data" partition is the root, as
         * systemd-dissect has it. */
        if (!chosen[PARTITION_ROOT]) {
                if (n_generic > 1)
                        return dissect_fail(
                                ret_reason, ENOTUNIQ,
                                "no root partition for %s, and %u \"Linux filesystem data\" partitions: "
                                "cannot tell which is the root (give the root partition the root type "
                                "%s)",
                                native ?: "this architecture", n_generic,
                                gpt_partition_type_to_string(PARTITION_ROOT, NULL) ?: "of the DPS");
                if (n_generic == 1)
                        chosen[PARTITION_ROOT] = generic;
        }
        if (!chosen[PARTITION_ROOT]) {
                if (foreign_root)
                        return dissect_fail(ret_reason, ENXIO,
                                            "the image has a root partition for %s only; this berth runs %s "
                                            "machines",
                                            foreign_root, native ?: "other");
                return dissect_fail(
                        ret_reason, ENXIO,
                        "no root partition (a GPT partition of the root type for %s, %s, or a single "
                        "\"Linux filesystem data\" partition, without the no-auto attribute)",
                        native ?: "this architecture",
                        gpt_partition_type_to_string(PARTITION_ROOT, NULL) ?: "?");
        }

        for (int des = 0; des < _PARTITION_DESIGNATOR_MAX; des++) {
                const PartitionCandidate *p = chosen[des];

                if (!p)
                        continue;
                r = take_partition(&d.partitions[des], (PartitionDesignator) des, p->partno, p->fstype,
                                   p->flags & GPT_FLAG_READ_ONLY, p->offset, p->size, ret_reason);
                if (r < 0)
                        return r;
        }
        *ret = d;
        return 0;
}

int dissect_select_whole(const char *fstype, uint64_t size, DissectedImage *ret, char **ret_reason) {
        DissectedImage d = {};
        int r;

        r = take_partition(&d.partitions[PARTITION_ROOT], PARTITION_ROOT, 0, fstype, false, 0, size,
                           ret_reason);
        if (r < 0)
                return r;
        *ret = d;
        return 0;
}

static void blkid_free_probep(blkid_probe *p) {
        if (*p)
                blkid_free_probe(*p);
}

/* What file system blkid sees in [offset, offset + size) of fd: 1 and *ret (static buffer of the
 * caller) when one, 0 when none. */
static int probe_fstype(int fd, uint64_t offset, uint64_t size, char ret[static DISSECT_FSTYPE_MAX]) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        const char *type = NULL;
        int r;

        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, (blkid_loff_t) offset, (blkid_loff_t) size) < 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        blkid_probe_enable_partitions(pr, 0);
        errno = 0;
        r = blkid_do_safeprobe(pr);
        if (r == 1 || r == -2)
                return 0; /* nothing, or two contradicting signatures: nothing we can trust */
        if (r != 0)
                return errno > 0 ? -errno : -EIO;
        if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0 || isempty(type))
                return 0;
        snprintf(ret, DISSECT_FSTYPE_MAX, "%s", type);
        return 1;
}

int dissect_image_fd(int fd, DissectedImage *ret, char **ret_reason) {
        _cleanup_(blkid_free_probep) blkid_probe pr = NULL;
        PartitionCandidate cand[DISSECT_PARTITIONS_MAX];
        char fstypes[DISSECT_PARTITIONS_MAX][DISSECT_FSTYPE_MAX];
        char guids[DISSECT_PARTITIONS_MAX][40];
        const char *pttype = NULL, *type = NULL;
        blkid_partlist pl;
        blkid_loff_t total;
        int n, r;

        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return dissect_fail(ret_reason, EIO, "libblkid cannot read it");
        total = blkid_probe_get_size(pr);
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        errno = 0;
        r = blkid_do_safeprobe(pr);
        if (r == -2)
                return dissect_fail(
                        ret_reason, EUCLEAN,
                        "it carries contradicting signatures (a partition table and a file system, or "
                        "two file systems)");
        if (r == 1)
                return dissect_fail(ret_reason, ENOMEDIUM,
                                    "neither a partition table nor a file system found in it");
        if (r != 0)
                return dissect_fail(ret_reason, errno > 0 ? errno : EIO, "libblkid cannot probe it");

        if (blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL) < 0 || isempty(pttype)) {
                /* No partition table: a bare file system is the root. */
                if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0 || isempty(type))
                        return dissect_fail(ret_reason, ENOMEDIUM,
                                            "neither a partition table nor a file system found in it");
                return dissect_select_whole(type, total > 0 ? (uint64_t) total : 0, ret, ret_reason);
        }
        if (!streq(pttype, "gpt"))
                return dissect_fail(
                        ret_reason, EPROTONOSUPPORT,
                        "its partition table is '%s': berth mounts GPT disks (with the partition types "
                        "of the Discoverable Partitions Specification) and bare file systems",
                        pttype);

        pl = blkid_probe_get_partitions(pr);
        if (!pl)
                return dissect_fail(ret_reason, EBADMSG, "libblkid cannot read its partition table");
        n = blkid_partlist_numof_partitions(pl);
        if (n < 0)
                return dissect_fail(ret_reason, EBADMSG, "libblkid cannot read its partition table");
        if ((unsigned) n > DISSECT_PARTITIONS_MAX)
                return dissect_fail(ret_reason, E2BIG, "the partition table has %d entries, more than %u", n,
                                    DISSECT_PARTITIONS_MAX);
        for (int i = 0; i < n; i++) {
                blkid_partition p = blkid_partlist_get_partition(pl, i);
                const char *t;
                blkid_loff_t start, size;
                int partno;

                if (!p)
                        return dissect_fail(ret_reason, EBADMSG, "libblkid cannot read its partition table");
                partno = blkid_partition_get_partno(p);
                start = blkid_partition_get_start(p);
                size = blkid_partition_get_size(p);
                t = blkid_partition_get_type_string(p);
                /* blkid counts in 512-byte sectors, whatever the device's. */
                if (partno <= 0 || start < 0 || size <= 0 || start > INT64_MAX / 512 ||
                    size > INT64_MAX / 512)
                        return dissect_fail(ret_reason, EBADMSG,
                                            "its partition table has an invalid entry %d", i + 1);
                snprintf(guids[i], sizeof(guids[i]), "%s", t ?: "");
                cand[i] = (PartitionCandidate){
                        .partno = (unsigned) partno,
                        .type_guid = guids[i],
                        .flags = blkid_partition_get_flags(p),
                        .offset = (uint64_t) start * 512,
                        .size = (uint64_t) size * 512,
                };
        }
        /* Only what could be mounted gets its file system probed. */
        for (int i = 0; i < n; i++) {
                PartitionDesignator des;

                if (gpt_partition_type_from_string(cand[i].type_guid, &des, NULL) < 0 ||
                    (!partition_designator_mount_point(des) && des != PARTITION_LINUX_GENERIC))
                        continue;
                r = probe_fstype(fd, cand[i].offset, cand[i].size, fstypes[i]);
                if (r < 0)
                        return dissect_fail(ret_reason, -r, "libblkid cannot probe partition %u",
                                            cand[i].partno);
                if (r > 0)
                        cand[i].fstype = fstypes[i];
        }
        return dissect_select(cand, (size_t) n, ret, ret_reason);
}
