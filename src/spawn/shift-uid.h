#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Shifting a tree's owners on disk, for file systems that cannot do idmapped mounts
 * (--private-users-ownership=chown). A tree counts as shifted when its root directory is owned by the
 * target range, so the root is changed last: an interrupted shift is simply run again, and inodes it
 * already moved are passed over because their ids have left the source range. */

/* Deeper trees fail with -ELOOP: every level holds an open directory. */
#define SHIFT_UID_DEPTH_MAX 256U

/* Moves the owners of every inode beneath (and including) the directory dir_fd from [from, from+count)
 * to [to, to+count): uid and gid each, independently; ids outside the source range are left alone. The
 * two ranges must not overlap, be empty or reach (uid_t) -1 (-EINVAL). Does not cross into other mounts
 * (an entry on another mount is neither changed nor descended into). Never follows symlinks: a symlink's
 * own owner is changed. Keeps what chown(2) would lose: setuid/setgid bits, the security.capability
 * xattr (a v3 capability's rootid in the source range is shifted too), and the ids in the POSIX ACL
 * xattrs system.posix_acl_access and system.posix_acl_default. Xattrs are only looked at on inodes whose
 * owner moves. Hard links are handled by the same rule as an interrupted run. Returns the number of
 * inodes changed, or negative errno (the first failure stops the walk; running again resumes it). */
int shift_uid_tree(int dir_fd, uid_t from, uid_t to, uint32_t count);

/* Pure: shifts the ids of the ACL_USER and ACL_GROUP entries of a POSIX ACL xattr value in place
 * (le32 version 2, then entries of le16 tag, le16 perm, le32 id), and keeps the entries in canonical order
 * (by tag, then id). Returns the number of ids changed. -EINVAL on a bad range or a malformed value (left
 * untouched), or when the shift makes two entries name the same id (the value must then not be written). */
int acl_xattr_shift(void *value, size_t size, uid_t from, uid_t to, uint32_t count);

/* Pure: the same for a security.capability value. Only VFS_CAP_REVISION_3 carries an id (the le32 rootid
 * at its end); revisions 1 and 2 give 0 changes. -EINVAL on a bad range or a malformed value. */
int fscaps_xattr_shift(void *value, size_t size, uid_t from, uid_t to, uint32_t count);
