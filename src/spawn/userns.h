#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* User namespace steps shared by the monitor and the payload. */

/* Writes "0 BASE COUNT" to /proc/PID/uid_map and gid_map (setgroups stays allowed: the writer is
 * privileged in the parent namespace, so the guest may manage its own supplementary groups). */
int userns_write_maps(pid_t pid, uid_t base, uint32_t count);

/* Whether the file system under dir_fd takes an idmapped mount with the user namespace userns_fd:
 * 1 yes, 0 no (the kernel or the file system cannot), negative errno on other failures. Makes a
 * throwaway detached mount to find out. */
/* Whether r, from making an idmapped mount, says the file system or the kernel cannot do it (rather than
 * that something else went wrong). */
bool userns_idmap_refused(int r);
int userns_idmap_supported(int dir_fd, int userns_fd);

/* Makes a detached clone of the mount at dir_fd (recursively when recursive), idmapped through
 * userns_fd when that is >= 0. Returns the mount's fd, for move_mount(). */
int userns_clone_mount(int dir_fd, bool recursive, int userns_fd);

/* Mounts an idmapped clone of the mount at dir_fd (recursively when recursive) over path, the same
 * directory: from then on, opening path shows it through the map. */
int userns_idmap_over(int dir_fd, const char *path, bool recursive, int userns_fd);

/* Files this process creates from now on belong to uid/gid (the guest's root, seen from the host),
 * while it keeps every capability it had: setfsuid() alone would drop CAP_DAC_OVERRIDE and CAP_MKNOD
 * from the effective set. */
int userns_become_file_owner(uid_t uid, gid_t gid);

/* In a user namespace whose maps are written: become its root (uid, gid 0, no supplementary groups). */
int userns_become_root(void);
