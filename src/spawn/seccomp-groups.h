/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Named groups of system calls ("@basic-io", "@mount", …) and berth's default seccomp policy for
 * containers.
 *
 * Names are the ones libseccomp uses. A group may list names that only exist on some architectures
 * (e.g. "mmap2", "socketcall", "getuid32" on i386, "arch_prctl" on x86-64); whoever loads a filter
 * resolves each name per architecture and skips names an architecture lacks. */

#include <stdbool.h>
#include <stddef.h>

typedef struct SyscallGroup {
        const char *name;            /* "@basic-io" */
        const char *help;            /* one-line description */
        const char *const *syscalls; /* NULL-terminated; entries are syscall names or "@group" references */
} SyscallGroup;

extern const SyscallGroup syscall_groups[];
extern const size_t syscall_groups_count;

/* Returns the group called name ("@foo"), or NULL. */
const SyscallGroup *syscall_group_find(const char *name);

/* What berth allows in a container by default: NULL-terminated list of group refs and names.
 * Anything not in it (including syscalls newer than the list) gets ENOSYS. */
extern const char *const syscall_default_allow[];

/* Syscalls berth blocks explicitly with EPERM by default (they are also absent from the allow list).
 * NULL-terminated; plain syscall names only, no "@group" references. */
extern const char *const syscall_default_deny[];
