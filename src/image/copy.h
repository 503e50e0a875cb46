/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* A faithful copy of a directory tree that belongs to someone else: owners, modes, timestamps, every
 * xattr (ACLs and file capabilities among them), hard links, device nodes, fifos, sockets, symlinks
 * (copied, never followed) and holes, with file data shared by reflink where the file system can.
 * Everything is done beneath dir fds; the copy stays on the source's mount. */

typedef enum CopyFlags {
        /* File data is reflinked (FICLONE) where the file systems allow it, else copied
         * (copy_file_range, then read/write). The default. */
        COPY_REFLINK_AUTO = 0,
        /* Every file's data must be reflinked; the copy fails with -EOPNOTSUPP (or -EXDEV between file
         * systems) where that cannot be. For callers that promise a cheap copy. */
        COPY_REFLINK_ALWAYS = 1 << 0,
        /* Where the destination is on btrfs, the top directory and the copies of nested subvolumes are
         * made btrfs subvolumes, so they can be snapshotted and removed as such later. */
        COPY_SUBVOLUME = 1 << 1,
        /* Walk the source once first to sum up the bytes to copy, so progress has a total. */
        COPY_COUNT_TOTAL = 1 << 2,
} CopyFlags;

/* Called now and then (at most about four times a second, plus once at the end) with the bytes of file
 * data done so far, the total when known (COPY_COUNT_TOTAL) or 0, and the entries copied so far. */
typedef void (*CopyProgress)(uint64_t bytes_done, uint64_t bytes_total, uint64_t items, void *userdata);

/* Trees deeper than this are refused (-ELOOP): every level holds two fds. */
#define COPY_DEPTH_MAX 256U

/* Creates dst_name beneath dst_parent_fd (-EEXIST if something is there) and copies the tree of
 * src_dir_fd into it. A directory another file system is mounted on becomes an empty directory (with the
 * mounted root's owner, mode and times); a file mounted over another is left out. Sockets are copied as
 * inodes, without anyone listening; inode flags (chattr) are not copied. On failure the half-made
 * destination is removed again. */
int copy_tree(int src_dir_fd, int dst_parent_fd, const char *dst_name, CopyFlags flags,
              CopyProgress progress, void *userdata);

/* tree_remove_at(), the rm -rf that also cleans up after a failed copy, lives in tree-remove.h. */
#include "tree-remove.h"
