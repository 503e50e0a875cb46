#pragma once

#include <errno.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup-limits.h"

/* cgroup v2 for machines. On a pure v2 host the tree is /sys/fs/cgroup; on a hybrid host the v2 tree at
 * /sys/fs/cgroup/unified is used (it has no controllers there, but it gives every machine a cgroup of its
 * own, cgroup.kill, cgroup.freeze and CLONE_INTO_CGROUP). The v1 hierarchies are never touched.
 *
 * A machine's cgroup is a scope, <slice>/berth-NAME.scope, with two children: "supervisor", where the
 * monitor lives, and "payload", where the machine's processes are created (CLONE_INTO_CGROUP), which is
 * delegated to the guest and is the root of its cgroup namespace. Limits are the scope's, so they
 * cover the machine as a whole. With systemd as PID 1 the scope is a transient unit of systemd's;
 * otherwise berth makes the directories itself and enables the controllers along the path. */

#define CGROUP_MACHINE_SLICE "machine.slice"

/* Who makes a machine's scope: systemd when it is the host's init and its bus answers (auto), systemd
 * or nothing, or berth itself (--cgroup-manager=, as crun and podman call it). */
typedef enum CgroupManager {
        CGROUP_MANAGER_AUTO,
        CGROUP_MANAGER_SYSTEMD,
        CGROUP_MANAGER_BERTH,
        _CGROUP_MANAGER_MAX,
        _CGROUP_MANAGER_INVALID = -EINVAL,
} CgroupManager;

const char *cgroup_manager_to_string(CgroupManager m);
CgroupManager cgroup_manager_from_string(const char *s);

/* The cgroup2 mount point. -EOPNOTSUPP when the host has none. */
int cgroup2_mount_point(const char **ret);

/* The cgroup2 cgroup of a process (0: the caller), as an absolute path below the mount point. */
int cgroup_of_pid(pid_t pid, char **ret);

/* The controllers the cgroup2 tree offers at its root (cgroup.controllers). */
int cgroup_available_controllers(CgroupController *ret);

/* Checks, before anything is made, that every controller the limits need can be had. On failure,
 * returns -EOPNOTSUPP with one line in ret_error naming the limit, the controller and why ("the memory
 * controller is bound to a cgroup v1 hierarchy on this host", "…is not in this kernel", …). */
int cgroup_check_limits_supported(const CgroupLimits *l, char **ret_error);

/* The scope of a machine, as the monitor holds it. */
typedef struct CgroupScope {
        char *path; /* absolute path of the scope in the cgroup2 file system */
        char *unit; /* the systemd unit when systemd manages it, else NULL */
        char *home; /* the cgroup the monitor came from (berth-managed), to return to at the end */
        int fd;     /* the scope's directory */
        CgroupController enabled; /* controllers enabled for the scope's children */
        bool monitor_moved;       /* the monitor is in the supervisor child */
} CgroupScope;

#define CGROUP_SCOPE_NULL \
        { .fd = -EBADF }

/* Makes <slice_path>/berth-NAME.scope with its supervisor child, enables controllers for the children (those
 * the limits need, and the accounting ones the host offers) and writes the limits. slice_path is relative to
 * the cgroup2 mount, as slice_to_path() gives it. With systemd as the manager, the scope is a transient unit
 * created by systemd over D-Bus (the limits become unit properties); with auto, berth makes it itself when
 * systemd is not the host's init or cannot be reached. -EEXIST when the scope is there already. On failure
 * nothing is left; ret_error gets one line.
 *
 * keep_unit (--keep-unit, for berth@.service) is the third way: the cgroup berth runs in, a service or scope
 * its manager made and delegated to it, is the scope, and unit is that unit's name. slice_path and manager
 * do not apply; limits are written only when there are any (the unit's own properties govern it). */
int cgroup_scope_create(const char *name, const char *slice_path, const CgroupLimits *limits,
                        CgroupManager manager, bool keep_unit, CgroupScope *ret, char **ret_error);

/* Moves the calling process (the monitor) into the scope's supervisor child. A systemd scope has it
 * there from the start. A scope of berth's own gets it only once the machine has run for a moment
 * (CGROUP_MONITOR_MOVE_DELAY_USEC): moving a running process between cgroups waits for an RCU grace
 * period, milliseconds that a short `berth run` would otherwise spend twice (in, and out at the end). */
#define CGROUP_MONITOR_MOVE_DELAY_USEC (200ULL * 1000ULL)
int cgroup_scope_move_monitor(CgroupScope *s);

/* Makes the scope's "payload" child for one boot of the machine and returns an fd for it (for
 * CLONE_INTO_CGROUP): memory.oom.group as the limits ask. */
int cgroup_scope_make_payload(CgroupScope *s, const CgroupLimits *limits, int *ret_fd);

/* Kills what is left of the payload and removes it. */
int cgroup_scope_remove_payload(CgroupScope *s);

/* Removes the scope: the payload (killing what is left), then, when berth manages the scope, the
 * monitor goes back where it came from and the scope goes. A systemd scope goes by itself once the
 * monitor has exited. Also frees s. */
int cgroup_scope_destroy(CgroupScope *s);

/* Frees s without touching the cgroups. */
void cgroup_scope_done(CgroupScope *s);

/* Hands the cgroup at cgroup_fd to uid/gid (a machine's root with a user namespace): the directory and
 * the files a delegate needs to manage its own subtree. */
int cgroup_delegate(int cgroup_fd, uid_t uid, gid_t gid);

/* Kills whatever is left in the tree (cgroup.kill), waits for it to empty and removes it, children
 * first. A missing cgroup is fine. */
int cgroup_remove_tree(const char *path);

/* Enables the controllers in each cgroup from the root of the cgroup2 tree down to the scope at
 * scope_path (for its children too), so limits that need them can be written: set-limit on a scope
 * berth made without them. */
int cgroup_enable_along(const char *scope_path, CgroupController needed);

/* Removes the scope a dead monitor left (cgroup_remove_tree()) and, unless systemd manages the host's
 * cgroups, the slices above it that it leaves empty. */
int cgroup_remove_stale_scope(const char *path);

/* Writes "1" to PATH/cgroup.kill; -ENOENT when the cgroup is gone. */
int cgroup_kill(const char *path);
