/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The partition type table and the rules that choose what an image's machine mounts. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dissect.h"
#include "macro.h"
#include "tap.h"

#define HOME    "933ac7e1-2eb4-4f13-b844-0e14e2aef915"
#define SRV     "3b8f8425-20e0-4f3b-907f-1a25a76f98e8"
#define VAR     "4d21b016-b534-45c2-a9fb-5c16e091fd2d"
#define TMP     "7ec6f557-3bc5-4aca-b293-16ef5df639d1"
#define ESP     "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define SWAP    "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"
#define GENERIC "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define OTHER   "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7" /* Microsoft basic data */

static const char *native_root(void) {
        return gpt_partition_type_to_string(PARTITION_ROOT, NULL);
}

/* A root type of an architecture that is not this build's. */
static const char *foreign_root(void) {
        const char *native = dissect_native_architecture();
        return gpt_partition_type_to_string(PARTITION_ROOT, streq_ptr(native, "arm64") ? "x86-64" : "arm64");
}

static void test_designators(void) {
        for (int d = 0; d < _PARTITION_DESIGNATOR_MAX; d++) {
                const char *s = partition_designator_to_string((PartitionDesignator) d);
                CHECK_MSG(s != NULL, "designator %d has a name", d);
                CHECK_INT(partition_designator_from_string(s), ==, d);
        }
        CHECK_INT(partition_designator_from_string("nope"), ==, _PARTITION_DESIGNATOR_INVALID);
        CHECK_INT(partition_designator_from_string(NULL), ==, _PARTITION_DESIGNATOR_INVALID);
        CHECK(partition_designator_to_string(_PARTITION_DESIGNATOR_MAX) == NULL);
        CHECK(partition_designator_to_string(_PARTITION_DESIGNATOR_INVALID) == NULL);
        CHECK_STR(partition_designator_mount_point(PARTITION_ROOT), "/");
        CHECK_STR(partition_designator_mount_point(PARTITION_TMP), "/var/tmp");
        CHECK(partition_designator_mount_point(PARTITION_ESP) == NULL);
        CHECK(partition_designator_mount_point(PARTITION_LINUX_GENERIC) == NULL);
        /* The mount order starts with the root and mounts /var before /var/tmp. */
        CHECK_INT(dissect_mount_order[0], ==, PARTITION_ROOT);
        for (size_t i = 0, var = 99; dissect_mount_order[i] >= 0; i++) {
                if (dissect_mount_order[i] == PARTITION_VAR)
                        var = i;
                if (dissect_mount_order[i] == PARTITION_TMP)
                        CHECK_MSG(var < i, "/var is mounted before /var/tmp");
        }
}

static void test_gpt_types(void) {
        PartitionDesignator d;
        const char *arch;

        CHECK_INT(gpt_partition_type_from_string("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", &d, &arch), ==, 0);
        CHECK_INT(d, ==, PARTITION_ROOT);
        CHECK_STR(arch, "x86-64");
        CHECK_INT(gpt_partition_type_from_string("b921b045-1df0-41c3-af44-4c6f280d3fae", &d, &arch), ==, 0);
        CHECK_INT(d, ==, PARTITION_ROOT);
        CHECK_STR(arch, "arm64");
        CHECK_INT(gpt_partition_type_from_string("b0e01050-ee5f-4390-949a-9101b17104e9", &d, &arch), ==, 0);
        CHECK_INT(d, ==, PARTITION_USR);
        CHECK_STR(arch, "arm64");
        CHECK_INT(gpt_partition_type_from_string(HOME, &d, &arch), ==, 0);
        CHECK_INT(d, ==, PARTITION_HOME);
        CHECK(arch == NULL);
        CHECK_INT(gpt_partition_type_from_string(ESP, &d, NULL), ==, 0);
        CHECK_INT(d, ==, PARTITION_ESP);
        CHECK_INT(gpt_partition_type_from_string(GENERIC, &d, NULL), ==, 0);
        CHECK_INT(d, ==, PARTITION_LINUX_GENERIC);
        CHECK_INT(gpt_partition_type_from_string(OTHER, &d, NULL), ==, -ENXIO);
        CHECK_INT(gpt_partition_type_from_string("", &d, NULL), ==, -EINVAL);
        CHECK_INT(gpt_partition_type_from_string("4f68bce3e8cd4db196e7fbcaf984b709", &d, NULL), ==, -EINVAL);
        CHECK_INT(gpt_partition_type_from_string("4f68bce3-e8cd-4db1-96e7-fbcaf984b70g", &d, NULL), ==,
                  -EINVAL);
        CHECK_INT(gpt_partition_type_from_string(NULL, &d, NULL), ==, -EINVAL);

        CHECK_STR(gpt_partition_type_to_string(PARTITION_ROOT, "x86-64"),
                  "4f68bce3-e8cd-4db1-96e7-fbcaf984b709");
        CHECK_STR(gpt_partition_type_to_string(PARTITION_USR, "arm64"),
                  "b0e01050-ee5f-4390-949a-9101b17104e9");
        CHECK_STR(gpt_partition_type_to_string(PARTITION_VAR, "arm64"), VAR);
        CHECK(gpt_partition_type_to_string(PARTITION_ROOT, "vax") == NULL);
#if defined(__x86_64__) || defined(__aarch64__)
        CHECK_MSG(native_root() != NULL, "this build has a root type (%s)", dissect_native_architecture());
#endif
        /* Every type maps back to itself. */
        for (int i = 0; i < _PARTITION_DESIGNATOR_MAX; i++) {
                const char *g = gpt_partition_type_to_string((PartitionDesignator) i, "x86-64");
                CHECK_MSG(g && gpt_partition_type_from_string(g, &d, NULL) == 0 && (int) d == i,
                          "the type of %s maps back",
                          partition_designator_to_string((PartitionDesignator) i));
        }
}

#define P(n, type, fl, fs)                                                                              \
        {                                                                                               \
                .partno = (n), .type_guid = (type), .flags = (fl), .fstype = (fs), .offset = (n) *1024, \
                .size = 1024                                                                            \
        }

static int select_n(const PartitionCandidate *c, size_t n, DissectedImage *d, char **reason) {
        free(*reason);
        *reason = NULL;
        memset(d, 0, sizeof(*d));
        return dissect_select(c, n, d, reason);
}

static void test_select(void) {
        _cleanup_free_ char *reason = NULL;
        DissectedImage d;

        if (!native_root()) {
                tap_diag("no root type for this architecture: skipping the selection tests");
                return;
        }
        {
                /* root, home, an ESP: the ESP is not mounted. */
                const PartitionCandidate c[] = { P(1, ESP, 0, "vfat"), P(2, native_root(), 0, "ext4"),
                                                 P(3, HOME, 0, "ext4") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, 0);
                CHECK(d.partition_table);
                CHECK(d.partitions[PARTITION_ROOT].found);
                CHECK_INT(d.partitions[PARTITION_ROOT].partno, ==, 2);
                CHECK_STR(d.partitions[PARTITION_ROOT].fstype, "ext4");
                CHECK_UINT(d.partitions[PARTITION_ROOT].offset, ==, 2048);
                CHECK(!d.partitions[PARTITION_ROOT].read_only);
                CHECK(d.partitions[PARTITION_HOME].found);
                CHECK_INT(d.partitions[PARTITION_HOME].partno, ==, 3);
                CHECK(!d.partitions[PARTITION_ESP].found);
                CHECK(!d.partitions[PARTITION_USR].found);
        }
        {
                /* Attributes: no-auto skips /home, read-only marks the root; squashfs is read-only. */
                const PartitionCandidate c[] = { P(1, native_root(), GPT_FLAG_READ_ONLY, "ext4"),
                                                 P(2, HOME, GPT_FLAG_NO_AUTO, "ext4"),
                                                 P(3, SRV, 0, "squashfs"),
                                                 P(4, VAR, 0, "xfs"),
                                                 P(5, TMP, 0, "btrfs"),
                                                 P(6, SWAP, 0, "swap") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, 0);
                CHECK(d.partitions[PARTITION_ROOT].read_only);
                CHECK(!d.partitions[PARTITION_HOME].found);
                CHECK(d.partitions[PARTITION_SRV].found && d.partitions[PARTITION_SRV].read_only);
                CHECK(d.partitions[PARTITION_VAR].found && !d.partitions[PARTITION_VAR].read_only);
                CHECK(d.partitions[PARTITION_TMP].found);
                CHECK(!d.partitions[PARTITION_SWAP].found);
        }
        {
                /* No DPS root: the single generic Linux partition is the root. */
                const PartitionCandidate c[] = { P(1, ESP, 0, "vfat"), P(2, GENERIC, 0, "ext4"),
                                                 P(3, OTHER, 0, "ntfs") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, 0);
                CHECK_INT(d.partitions[PARTITION_ROOT].partno, ==, 2);
        }
        {
                /* A DPS root wins over generic partitions, however many. */
                const PartitionCandidate c[] = { P(1, GENERIC, 0, "ext4"), P(2, GENERIC, 0, "ext4"),
                                                 P(3, native_root(), 0, "ext4") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, 0);
                CHECK_INT(d.partitions[PARTITION_ROOT].partno, ==, 3);
        }
        {
                const PartitionCandidate c[] = { P(1, GENERIC, 0, "ext4"), P(2, GENERIC, 0, "ext4") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, -ENOTUNIQ);
                CHECK_MSG(reason && strstr(reason, "2 \"Linux filesystem data\""), "reason: %s", reason);
        }
        {
                /* A generic partition with no-auto is no candidate. */
                const PartitionCandidate c[] = { P(1, GENERIC, GPT_FLAG_NO_AUTO, "ext4"),
                                                 P(2, HOME, 0, "ext4") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, -ENXIO);
                CHECK_MSG(reason && strstr(reason, "no root partition"), "reason: %s", reason);
        }
        {
                const PartitionCandidate c[] = { P(1, native_root(), 0, "ext4"),
                                                 P(2, native_root(), 0, "ext4") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, -ENOTUNIQ);
                CHECK_MSG(reason && strstr(reason, "partitions 1 and 2"), "reason: %s", reason);
        }
        {
                const PartitionCandidate c[] = { P(1, native_root(), 0, "ext4"), P(2, HOME, 0, "ext4"),
                                                 P(3, HOME, 0, "ext4") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, -ENOTUNIQ);
        }
        {
                /* Only another architecture's root: said so. */
                const PartitionCandidate c[] = { P(1, foreign_root(), 0, "ext4") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, -ENXIO);
                CHECK_MSG(reason && strstr(reason, "only"), "reason: %s", reason);
        }
        {
                const PartitionCandidate c[] = { P(1, ESP, 0, "vfat") };
                CHECK_INT(select_n(c, ELEMENTSOF(c), &d, &reason), ==, -ENXIO);
                CHECK_INT(select_n(c, 0, &d, &reason), ==, -ENXIO);
        }
        {
                /* What the chosen partitions hold. */
                const PartitionCandidate c1[] = { P(1, native_root(), 0, NULL) };
                const PartitionCandidate c2[] = { P(1, native_root(), 0, "crypto_LUKS") };
                const PartitionCandidate c3[] = { P(1, native_root(), 0, "ext4"), P(2, HOME, 0, "swap") };
                const PartitionCandidate c4[] = { P(1, native_root(), 0, "ext4"), P(2, OTHER, 0, NULL),
                                                  P(3, ESP, 0, NULL) };
                CHECK_INT(select_n(c1, 1, &d, &reason), ==, -EBADMSG);
                CHECK_MSG(reason && strstr(reason, "partition 1 (root)"), "reason: %s", reason);
                CHECK_INT(select_n(c2, 1, &d, &reason), ==, -EPROTONOSUPPORT);
                CHECK_MSG(reason && strstr(reason, "encrypted"), "reason: %s", reason);
                CHECK_INT(select_n(c3, 2, &d, &reason), ==, -EPROTONOSUPPORT);
                CHECK_MSG(reason && strstr(reason, "partition 2 (home)"), "reason: %s", reason);
                /* Partitions that are not mounted may hold anything. */
                CHECK_INT(select_n(c4, 3, &d, &reason), ==, 0);
        }
        {
                PartitionCandidate *many = calloc(DISSECT_PARTITIONS_MAX + 1, sizeof(PartitionCandidate));
                CHECK_INT(select_n(many, DISSECT_PARTITIONS_MAX + 1, &d, &reason), ==, -E2BIG);
                free(many);
        }
}

static void test_select_whole(void) {
        _cleanup_free_ char *reason = NULL;
        DissectedImage d = {};

        CHECK_INT(dissect_select_whole("ext4", 4096, &d, &reason), ==, 0);
        CHECK(!d.partition_table);
        CHECK(d.partitions[PARTITION_ROOT].found);
        CHECK_INT(d.partitions[PARTITION_ROOT].partno, ==, 0);
        CHECK(!d.partitions[PARTITION_ROOT].read_only);
        CHECK_INT(dissect_select_whole("squashfs", 4096, &d, &reason), ==, 0);
        CHECK(d.partitions[PARTITION_ROOT].read_only);
        CHECK_INT(dissect_select_whole("swap", 4096, &d, &reason), ==, -EPROTONOSUPPORT);
        CHECK_MSG(reason && strstr(reason, "the image holds 'swap'"), "reason: %s", reason);
        CHECK_INT(dissect_select_whole(NULL, 4096, &d, &reason), ==, -EBADMSG);
        CHECK_INT(dissect_select_whole("a-file-system-type-name-that-is-far-too-long", 4096, &d, &reason),
                  ==, -EPROTONOSUPPORT);
}

int main(void) {
        test_designators();
        test_gpt_types();
        test_select();
        test_select_whole();
        return tap_finish();
}
