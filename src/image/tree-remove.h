/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

/* rm -rf of name beneath parent_fd: never follows a symlink, never descends into another mount (a mount
 * point below makes it fail with -EBUSY), removes btrfs subvolumes it meets with their own ioctl, and
 * refuses trees deeper than COPY_DEPTH_MAX (-ELOOP). -ENOENT when name does not exist; entries that
 * vanish while it runs are fine. Everything else it can remove is removed even after an error. */
int tree_remove_at(int parent_fd, const char *name);

/* statx() of name beneath dir_fd ("" for dir_fd itself) without following a symlink or automounting,
 * with the mount id where the kernel has it. */
int statx_nofollow_at(int dir_fd, const char *name, struct statx *ret);
/* Whether sx is on another mount than top: by mount id, or by st_dev before Linux 5.8 (where a btrfs
 * subvolume, inode 256, counts as the same mount). */
bool statx_on_other_mount(const struct statx *sx, const struct statx *top);
