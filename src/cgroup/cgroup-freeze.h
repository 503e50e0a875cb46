#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The cgroup v2 freezer: cgroup.freeze asks, cgroup.events' "frozen" says when every process below has
 * stopped. A frozen process keeps its pending signals (SIGKILL, and so cgroup.kill, still ends it). */

#define CGROUP_FREEZE_TIMEOUT_USEC (5U * 1000U * 1000U)

/* Asks the cgroup at cgroup_fd to freeze (or thaw) and waits, at most timeout_usec, until cgroup.events
 * says it is frozen (thawed): woken by the kernel's notification on cgroup.events, re-read every 100ms
 * as well. Asking for what already is, is fine. A freeze that does not complete in time (a process in an
 * uninterruptible sleep) is undone and returns -ETIMEDOUT; so is a thaw that cannot complete (an
 * ancestor is frozen). -EOPNOTSUPP when the kernel has no freezer (cgroup.freeze came with Linux 5.2). */
int cgroup_freeze(int cgroup_fd, bool freeze, uint64_t timeout_usec);

/* cgroup.freeze of the cgroup: 1 when it is asked to freeze, 0 when not; -EOPNOTSUPP without a
 * freezer. */
int cgroup_freeze_requested(int cgroup_fd);
