#pragma once

#include <sys/types.h>

#include "user.h"

/* The last steps shared by everything that starts a process in a machine (run, boot, enter). */

/* Looks spec (a name or UID) up in /etc/passwd and /etc/group as the calling process sees them (inside
 * the machine's mount namespace). -ESRCH when there is no such user. */
int user_lookup(const char *spec, UserRecord *ret, gid_t *groups, size_t max_groups, size_t *ret_n_groups);

/* Like execvpe() with the PATH of env. Returns only on failure: -ENOENT when nothing by that name is
 * there (127), -ENOEXEC when a file is there but will not run, e.g. its interpreter is missing (126),
 * or the errno of the last attempt. */
int exec_search(char *const *argv, char *const *env);
