#pragma once

#include "payload.h"

/* Mount steps. Each takes the tree's fd (the bind mount of the root) and reports its failure over the
 * sync socket with the reason, returning a negative errno. Paths inside the tree are resolved beneath
 * root_fd and mounted onto fds, so a symlink in the tree can never redirect a mount. */

/* In the outer child (new mount namespace, host user namespace). */
int mount_make_private(int sync_fd);
/* With a user namespace, what berth creates for the machine belongs to uid (the guest's root). */
void mount_setup_set_owner(uid_t uid);
/* idmap_userns_fd >= 0: the root is an idmapped mount through it. */
int mount_bind_root(const char *root, int idmap_userns_fd, int sync_fd, int *ret_root_fd);
int mount_setup_dev(int root_fd, bool console, int sync_fd, int *ret_console_master);
int mount_setup_run(int root_fd, const char *uuid, bool boot, int sync_fd, int *ret_notify_fd);
int mount_setup_tmp(int root_fd, int sync_fd);
/* machinectl bind: a clone of the host's propagation directory, taken before the tree is made private so
 * it stays in the host's peer group, then attached read-only as the machine's /run/host/incoming, a
 * slave: the host's mounts there appear inside, nothing goes back. */
int mount_open_incoming(const char *host_dir, int sync_fd, int *ret_fd);
int mount_setup_incoming(int root_fd, int incoming_fd, int sync_fd);
/* Binds are idmapped through idmap_userns_fd (when >= 0) if they ask (:idmap) or, without either
 * option, if idmap_default. */
int mount_setup_custom(int root_fd, const Settings *s, const OverlayDirs *overlays, int idmap_userns_fd,
                       bool idmap_default, int sync_fd);
int mount_prepare_api_dirs(int root_fd, int sync_fd);
/* --link-journal=host: the host's journal directory of the machine bound over the tree's (idmapped as
 * the root is). */
int mount_setup_journal(int root_fd, const char *host_dir, const char *dest, int idmap_userns_fd,
                        bool idmap_default, int sync_fd);
/* /etc/resolv.conf and /etc/localtime per --resolv-conf= and --timezone=. */
int mount_setup_etc(int root_fd, const Settings *s, int sync_fd);
int mount_root_read_only(int root_fd, int sync_fd);
/* --volatile=: each replaces *root_fd with the new root's mount when it makes one. overlay: an overlayfs
 * over the tree, its upper layer on a tmpfs over scratch_dir (made by the monitor); yes: a tmpfs root
 * holding the tree's /usr read-only (and links to it for a merged-/usr OS); state: a tmpfs on /var (the
 * caller makes the root read-only at the end). */
int mount_overlay_root(int *root_fd, const char *scratch_dir, int idmap_userns_fd, int sync_fd);
int mount_volatile_yes(int *root_fd, int sync_fd);
int mount_volatile_state(int root_fd, int sync_fd);

/* In the mounter: a process of the host's user namespace that joined the machine's PID, network, IPC
 * and cgroup namespaces, since procfs, sysfs, mqueue and cgroup2 take their view from the mounting
 * process. Mounted from the host's user namespace, they are locked for the guest. */
int mount_setup_proc(int root_fd, bool private_network, int sync_fd);
int mount_setup_sys(int root_fd, bool cgroup_writable, int sync_fd);
int mount_setup_mqueue(int root_fd, int sync_fd);
int mount_pivot_root(int root_fd, int sync_fd);

/* The tables, for the tests and the man page. NULL-terminated. */
extern const char *const proc_masked_files[];
extern const char *const proc_masked_dirs[];
extern const char *const proc_read_only[];
extern const char *const sys_masked_dirs[];
