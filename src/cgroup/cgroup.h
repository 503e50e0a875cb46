#pragma once

/* cgroup v2 for machines. On a pure v2 host the tree is /sys/fs/cgroup; on a hybrid host the v2 tree at
 * /sys/fs/cgroup/unified is used (it has no controllers there, but it gives every machine a cgroup of its
 * own, cgroup.kill and CLONE_INTO_CGROUP). The v1 hierarchies are never touched. */

#define CGROUP_MACHINE_SLICE "machine.slice"

/* The cgroup2 mount point. -EOPNOTSUPP when the host has none. */
int cgroup2_mount_point(const char **ret);

/* Creates <mount>/machine.slice/berth-NAME.scope and its "payload" child. Returns the scope's path and
 * an fd for the payload cgroup (for CLONE_INTO_CGROUP). -EEXIST when the scope is already there. */
int cgroup_machine_create(const char *name, char **ret_scope, int *ret_payload_fd);
/* Hands the cgroup at cgroup_fd to uid/gid (a machine's root with a user namespace): the directory and
 * the files a delegate needs to manage its own subtree. */
int cgroup_delegate(int cgroup_fd, uid_t uid, gid_t gid);

/* Kills whatever is left in the tree (cgroup.kill), waits for it to empty and removes it, children
 * first. A missing cgroup is fine. */
int cgroup_remove_tree(const char *path);
