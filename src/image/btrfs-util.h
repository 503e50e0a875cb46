/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* btrfs through its ioctls (linux/btrfs.h); the btrfs tool is never run. Everything acts beneath dir fds.
 * Nested subvolumes are found with BTRFS_IOC_TREE_SEARCH on the ROOT_REF items of the root tree: that
 * names exactly the subvolumes directly below one, with the directory they sit in, without walking a
 * tree of a million files looking for inode 256 (which a copy or a snapshot would otherwise pay for on
 * every image). The search needs CAP_SYS_ADMIN, as do snapshot and destroy themselves. */

typedef enum BtrfsSnapshotFlags {
        BTRFS_SNAPSHOT_READ_ONLY = 1 << 0, /* the snapshot and every nested one are made read-only */
        BTRFS_SNAPSHOT_RECURSIVE = 1 << 1, /* nested subvolumes are snapshotted into place too */
} BtrfsSnapshotFlags;

typedef struct BtrfsUsage {
        uint64_t referenced; /* bytes the subvolume refers to */
        uint64_t exclusive;  /* bytes only it refers to: what removing it would free */
} BtrfsUsage;

/* > 0 when fd is on btrfs (statfs magic), 0 when not, < 0 on error. */
int btrfs_fd_is_on_btrfs(int fd);
/* > 0 when fd is the top directory of a btrfs subvolume (btrfs and inode 256), 0 when not. */
int btrfs_is_subvolume_fd(int fd);
/* The same for name beneath dir_fd, never following a symlink (a symlink is not a subvolume). */
int btrfs_is_subvolume_at(int dir_fd, const char *name);
/* The subvolume (tree) id of the subvolume that holds fd. */
int btrfs_subvolume_get_id_fd(int fd, uint64_t *ret);

/* Creates an empty subvolume name beneath dir_fd (BTRFS_IOC_SUBVOL_CREATE). */
int btrfs_subvolume_create_at(int dir_fd, const char *name);
/* Snapshots the subvolume whose top directory src_fd is (opened, not O_PATH) as dst_name beneath dst_dir_fd,
 * on the same file system (BTRFS_IOC_SNAP_CREATE_V2); -EMEDIUMTYPE when src_fd is not a subvolume. With
 * BTRFS_SNAPSHOT_RECURSIVE, nested subvolumes (which a plain snapshot shows as empty directories) are
 * snapshotted into their places, as machinectl clone does. On failure nothing is left behind. */
int btrfs_subvolume_snapshot_at(int src_fd, int dst_dir_fd, const char *dst_name, BtrfsSnapshotFlags flags);
/* Removes the subvolume name beneath dir_fd with all it contains, nested subvolumes first
 * (BTRFS_IOC_SNAP_DESTROY_V2 by id, or BTRFS_IOC_SNAP_DESTROY by name before Linux 5.7); read-only ones
 * that hold nested subvolumes are made writable for that. -EMEDIUMTYPE when name is not a subvolume. */
int btrfs_subvolume_remove_at(int dir_fd, const char *name);

/* > 0 when the subvolume fd refers to is read-only, 0 when writable (BTRFS_IOC_SUBVOL_GETFLAGS). */
int btrfs_subvolume_get_read_only_fd(int fd);
int btrfs_subvolume_set_read_only_fd(int fd, bool read_only);

/* Referenced and exclusive bytes of the subvolume fd refers to, from its level-0 qgroup in the quota tree
 * (BTRFS_IOC_TREE_SEARCH). -ENODATA when quotas are off (or the subvolume has no qgroup). The numbers are
 * what the kernel last accounted: right after a change they may lag until the next commit or rescan. */
int btrfs_subvolume_get_usage_fd(int fd, BtrfsUsage *ret);
