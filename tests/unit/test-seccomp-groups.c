/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Consistency checks for the system call group table in src/spawn/seccomp-groups.c. */

#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp-groups.h"

#define MAX_NAMES 2048

typedef struct NameSet {
        const char *names[MAX_NAMES];
        size_t n;
} NameSet;

static int failures = 0;
static int test_number = 0;

static void check(int ok, const char *what) {
        test_number++;
        printf("%s %d - %s\n", ok ? "ok" : "not ok", test_number, what);
        if (!ok)
                failures++;
}

static int set_contains(const NameSet *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->names[i], name) == 0)
                        return 1;
        return 0;
}

static void set_add(NameSet *s, const char *name) {
        if (set_contains(s, name))
                return;
        if (s->n >= MAX_NAMES) {
                fprintf(stderr, "name set overflow\n");
                exit(2);
        }
        s->names[s->n++] = name;
}

static int is_ref(const char *name) {
        return name[0] == '@';
}

static size_t group_index(const SyscallGroup *g) {
        return (size_t) (g - syscall_groups);
}

/* Adds all plain names reachable from list to out. Groups already expanded are skipped, so this terminates
 * even if the table has cycles (those are reported by a separate check). Unknown refs are ignored here. */
static void expand_list(const char *const *list, NameSet *out, unsigned char *seen) {
        for (const char *const *p = list; *p; p++) {
                if (!is_ref(*p)) {
                        set_add(out, *p);
                        continue;
                }

                const SyscallGroup *g = syscall_group_find(*p);
                if (!g || seen[group_index(g)])
                        continue;
                seen[group_index(g)] = 1;
                expand_list(g->syscalls, out, seen);
        }
}

static void expand(const char *const *list, NameSet *out) {
        unsigned char *seen = calloc(syscall_groups_count, 1);
        if (!seen)
                exit(2);
        out->n = 0;
        expand_list(list, out, seen);
        free(seen);
}

/* 0 = unvisited, 1 = on the current path, 2 = done */
static int has_cycle_from(size_t i, unsigned char *state, const char **culprit) {
        if (state[i] == 1) {
                *culprit = syscall_groups[i].name;
                return 1;
        }
        if (state[i] == 2)
                return 0;

        state[i] = 1;
        for (const char *const *p = syscall_groups[i].syscalls; *p; p++) {
                if (!is_ref(*p))
                        continue;
                const SyscallGroup *g = syscall_group_find(*p);
                if (g && has_cycle_from(group_index(g), state, culprit))
                        return 1;
        }
        state[i] = 2;
        return 0;
}

static int resolves_on(uint32_t arch, const char *name) {
        return seccomp_syscall_resolve_name_arch(arch, name) >= 0;
}

static int resolves_on_x86(const char *name) {
        return resolves_on(SCMP_ARCH_X86_64, name) || resolves_on(SCMP_ARCH_X86, name) ||
               resolves_on(SCMP_ARCH_X32, name);
}

static void test_group_names(void) {
        int ok_prefix = 1, ok_unique = 1, ok_help = 1;

        for (size_t i = 0; i < syscall_groups_count; i++) {
                const SyscallGroup *g = &syscall_groups[i];

                if (!g->name || g->name[0] != '@' || g->name[1] == '\0') {
                        printf("# bad group name: %s\n", g->name ? g->name : "(null)");
                        ok_prefix = 0;
                        continue;
                }
                if (!g->help || !g->help[0] || !g->syscalls) {
                        printf("# group %s lacks help text or syscall list\n", g->name);
                        ok_help = 0;
                }
                for (size_t j = 0; j < i; j++)
                        if (syscall_groups[j].name && strcmp(syscall_groups[j].name, g->name) == 0) {
                                printf("# duplicate group: %s\n", g->name);
                                ok_unique = 0;
                        }
        }

        check(ok_prefix, "every group name starts with '@'");
        check(ok_unique, "group names are unique");
        check(ok_help, "every group has help text and a syscall list");
}

static void test_find(void) {
        const SyscallGroup *g = syscall_group_find("@basic-io");

        check(g && strcmp(g->name, "@basic-io") == 0, "syscall_group_find() finds @basic-io");
        check(!syscall_group_find("@no-such-group"), "syscall_group_find() returns NULL for unknown groups");
        check(!syscall_group_find("basic-io"), "syscall_group_find() wants the '@'");
        check(!syscall_group_find(NULL), "syscall_group_find(NULL) returns NULL");
}

static int refs_exist(const char *where, const char *const *list) {
        int ok = 1;

        for (const char *const *p = list; *p; p++)
                if (is_ref(*p) && !syscall_group_find(*p)) {
                        printf("# %s references unknown group %s\n", where, *p);
                        ok = 0;
                }
        return ok;
}

static void test_refs(void) {
        int ok = 1;

        for (size_t i = 0; i < syscall_groups_count; i++)
                if (!refs_exist(syscall_groups[i].name, syscall_groups[i].syscalls))
                        ok = 0;
        check(ok, "every @ref inside a group exists");
        check(refs_exist("syscall_default_allow", syscall_default_allow),
              "every @ref in the allow list exists");
        check(refs_exist("syscall_default_deny", syscall_default_deny),
              "every @ref in the deny list exists");
}

static void test_cycles(void) {
        unsigned char *state = calloc(syscall_groups_count, 1);
        const char *culprit = NULL;
        int ok = 1;

        if (!state)
                exit(2);
        for (size_t i = 0; i < syscall_groups_count && ok; i++)
                if (has_cycle_from(i, state, &culprit)) {
                        printf("# cycle through %s\n", culprit);
                        ok = 0;
                }
        free(state);

        check(ok, "no cycles between groups");
}

static int names_resolve(const char *where, const char *const *list) {
        int ok = 1;

        for (const char *const *p = list; *p; p++)
                if (!is_ref(*p) && !resolves_on_x86(*p)) {
                        printf("# %s: '%s' is unknown on x86-64, i386 and x32\n", where, *p);
                        ok = 0;
                }
        return ok;
}

static void test_resolve(void) {
        int ok = 1;

        for (size_t i = 0; i < syscall_groups_count; i++)
                if (!names_resolve(syscall_groups[i].name, syscall_groups[i].syscalls))
                        ok = 0;
        if (!names_resolve("syscall_default_allow", syscall_default_allow))
                ok = 0;
        if (!names_resolve("syscall_default_deny", syscall_default_deny))
                ok = 0;

        check(ok, "every plain name resolves on x86-64, i386 or x32");
}

static void test_membership(void) {
        const SyscallGroup *known = syscall_group_find("@known");
        NameSet *seen = calloc(1, sizeof(NameSet));
        const char **owner = calloc(MAX_NAMES, sizeof(char *));
        int ok_once = 1, ok_known = 1;

        if (!seen || !owner)
                exit(2);

        /* Each syscall belongs to one group only, so that expanding a policy never yields duplicates and
         * "where does X live" has one answer. @known only holds references. */
        for (size_t i = 0; i < syscall_groups_count; i++) {
                const SyscallGroup *g = &syscall_groups[i];

                for (const char *const *p = g->syscalls; *p; p++) {
                        if (is_ref(*p))
                                continue;
                        for (size_t j = 0; j < seen->n; j++)
                                if (strcmp(seen->names[j], *p) == 0) {
                                        printf("# %s is in both %s and %s\n", *p, owner[j], g->name);
                                        ok_once = 0;
                                }
                        if (!set_contains(seen, *p)) {
                                owner[seen->n] = g->name;
                                set_add(seen, *p);
                        }
                }
        }
        check(ok_once, "every syscall is in exactly one group");

        if (!known)
                ok_known = 0;
        else
                for (size_t i = 0; i < syscall_groups_count; i++) {
                        const char *name = syscall_groups[i].name;
                        int found = 0;

                        if (strcmp(name, "@known") == 0)
                                continue;
                        for (const char *const *p = known->syscalls; *p; p++)
                                if (strcmp(*p, name) == 0)
                                        found = 1;
                        if (!found) {
                                printf("# @known does not reference %s\n", name);
                                ok_known = 0;
                        }
                }
        check(ok_known, "@known references every other group");

        free(owner);
        free(seen);
}

/* Every syscall libseccomp knows for the architecture must be in some group. */
static void test_coverage(uint32_t arch, const char *arch_name, int base) {
        const SyscallGroup *known = syscall_group_find("@known");
        NameSet *all = calloc(1, sizeof(NameSet));
        char what[128];
        int ok = 1;

        if (!all)
                exit(2);
        if (known)
                expand(known->syscalls, all);

        for (int nr = base; nr < base + 1024; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(arch, nr);

                if (!name)
                        continue;
                if (!set_contains(all, name)) {
                        printf("# %s syscall %s (%d) is in no group\n", arch_name, name, nr - base);
                        ok = 0;
                }
                free(name);
        }
        free(all);

        snprintf(what, sizeof(what), "every %s syscall known to libseccomp is in @known", arch_name);
        check(known && ok, what);
}

static void test_policy(void) {
        static const char *const must_deny[] = {
                "keyctl",          "add_key",
                "request_key",     "bpf",
                "perf_event_open", "kexec_load",
                "init_module",     "finit_module",
                "delete_module",   "open_by_handle_at",
                "swapon",          "swapoff",
                "quotactl",        NULL,
        };
        static const char *const must_allow[] = {
                "execve", "read",       "write",       "openat", "clone", "clone3",
                "mount",  "pivot_root", "sethostname", "socket", NULL,
        };
        /* Kernel attack surface programs fall back from: ENOSYS unless the user asks for it, so on neither
         * list. */
        static const char *const must_be_off[] = {
                "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd", NULL,
        };
        NameSet *allow = calloc(1, sizeof(NameSet)), *deny = calloc(1, sizeof(NameSet));
        size_t n_x86_64 = 0, n_x86 = 0;
        int ok;

        if (!allow || !deny)
                exit(2);

        expand(syscall_default_allow, allow);
        expand(syscall_default_deny, deny);

        ok = 1;
        for (const char *const *p = syscall_default_deny; *p; p++)
                if (is_ref(*p)) {
                        printf("# deny list contains group reference %s\n", *p);
                        ok = 0;
                }
        check(ok, "deny list contains plain names only");

        ok = 1;
        for (size_t i = 0; i < allow->n; i++)
                if (set_contains(deny, allow->names[i])) {
                        printf("# %s is both allowed and denied\n", allow->names[i]);
                        ok = 0;
                }
        check(ok, "allow and deny lists are disjoint after expansion");

        ok = 1;
        for (const char *const *p = must_deny; *p; p++)
                if (!set_contains(deny, *p)) {
                        printf("# %s is not denied\n", *p);
                        ok = 0;
                }
        check(ok, "deny list contains the dangerous calls");

        ok = 1;
        for (const char *const *p = must_allow; *p; p++)
                if (!set_contains(allow, *p)) {
                        printf("# %s is not allowed\n", *p);
                        ok = 0;
                }
        check(ok, "allow list contains the essential calls");

        ok = 1;
        for (const char *const *p = must_be_off; *p; p++)
                if (set_contains(allow, *p) || set_contains(deny, *p)) {
                        printf("# %s is on the %s list\n", *p, set_contains(allow, *p) ? "allow" : "deny");
                        ok = 0;
                }
        check(ok, "io_uring and userfaultfd are on neither list (ENOSYS by default)");
        ok = syscall_group_find("@io-uring") && syscall_group_find("@uffd");
        check(ok, "@io-uring and @uffd remain groups a user can allow");

        for (size_t i = 0; i < allow->n; i++) {
                if (resolves_on(SCMP_ARCH_X86_64, allow->names[i]))
                        n_x86_64++;
                if (resolves_on(SCMP_ARCH_X86, allow->names[i]))
                        n_x86++;
        }
        printf("# default allow list: %zu names, %zu on x86-64, %zu on i386; deny list: %zu names\n",
               allow->n, n_x86_64, n_x86, deny->n);

        free(allow);
        free(deny);
}

int main(void) {
        test_group_names();
        test_find();
        test_refs();
        test_cycles();
        test_resolve();
        test_membership();
        test_coverage(SCMP_ARCH_X86_64, "x86-64", 0);
        test_coverage(SCMP_ARCH_X86, "i386", 0);
        test_policy();

        printf("1..%d\n", test_number);
        return failures > 0 ? 1 : 0;
}
