#pragma once

#include "payload.h"

/* Mount steps. Each takes the tree's fd (the bind mount of the root) and reports its failure over the
 * sync socket with the reason, returning a negative errno. Paths inside the tree are resolved beneath
 * root_fd and mounted onto fds, so a symlink in the tree can never redirect a mount. */

/* In the outer child (new mount namespace, host user namespace). */
int mount_make_private(int sync_fd);
int mount_bind_root(const char *root, int sync_fd, int *ret_root_fd);
int mount_setup_dev(int root_fd, bool console, int sync_fd, int *ret_console_master);
int mount_setup_run(int root_fd, const char *uuid, bool boot, int sync_fd, int *ret_notify_fd);
int mount_setup_tmp(int root_fd, int sync_fd);
int mount_setup_custom(int root_fd, const Settings *s, const OverlayDirs *overlays, int sync_fd);
/* /etc/resolv.conf and /etc/localtime per --resolv-conf= and --timezone=. */
int mount_setup_etc(int root_fd, const Settings *s, int sync_fd);
int mount_root_read_only(int root_fd, int sync_fd);

/* In the inner child, which has the new PID, network, IPC and cgroup namespaces: procfs, sysfs, mqueue
 * and cgroup2 take their view from the mounting process. */
int mount_setup_proc(int root_fd, bool private_network, int sync_fd);
int mount_setup_sys(int root_fd, bool cgroup_writable, int sync_fd);
int mount_setup_mqueue(int root_fd, int sync_fd);
int mount_pivot_root(int root_fd, int sync_fd);

/* The tables, for the tests and the man page. NULL-terminated. */
extern const char *const proc_masked_files[];
extern const char *const proc_masked_dirs[];
extern const char *const proc_read_only[];
extern const char *const sys_masked_dirs[];
