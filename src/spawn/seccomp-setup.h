#pragma once

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* A compiled seccomp program. Built by the monitor (so a bad --system-call-filter= fails before
 * anything starts, and the payload inherits it ready to load), loaded by the payload. */
typedef struct SeccompProgram {
        struct sock_filter *insns;
        size_t n_insns;
} SeccompProgram;

void seccomp_program_done(SeccompProgram *p);

/* The machine filter's answers, as SECCOMP_RET_* values (libseccomp's SCMP_ACT_* are the same numbers).
 * A call on neither list gets ENOSYS, as if the kernel did not have it; the deny-list gets EPERM. A
 * seccomp_data.arch the filter does not know is killed, which is libseccomp's default (SCMP_ACT_KILL,
 * i.e. the thread); both compilers use these, so they cannot drift apart. */
#define SECCOMP_MACHINE_ACT_DEFAULT (SECCOMP_RET_ERRNO | ENOSYS)
#define SECCOMP_MACHINE_ACT_ALLOW   SECCOMP_RET_ALLOW
#define SECCOMP_MACHINE_ACT_DENY    (SECCOMP_RET_ERRNO | EPERM)
#define SECCOMP_MACHINE_ACT_BADARCH SECCOMP_RET_KILL_THREAD

/* The libseccomp architectures (SCMP_ARCH_*) the machine filter covers: the native one first, then the
 * compat ABIs the kernel can also run (i386 and x32 on x86-64). Returns how many. */
#define SECCOMP_MACHINE_ARCHES_MAX 4
size_t seccomp_machine_arches(uint32_t ret[static SECCOMP_MACHINE_ARCHES_MAX]);

/* Calls f(name, action) for every rule of the machine filter, in the order they take effect: a later
 * rule for a call that already has one changes nothing (that is how libseccomp merges unconditional
 * rules). Names come from the expanded tables and may not exist on every architecture. Validates the
 * user's names first: -EINVAL and *ret_bad_name for one that is neither a group nor a syscall on any
 * architecture. A negative return of f stops the walk and is returned. */
typedef int (*SeccompRuleFunc)(const char *name, uint32_t action, void *userdata);
int seccomp_machine_rules_foreach(char **extra_allow, char **extra_deny, SeccompRuleFunc f, void *userdata,
                                  const char **ret_bad_name);

/* The machine's filter: berth's allow-list (ENOSYS for anything else), its deny-list (EPERM), with the
 * user's additions. Names that are neither a group nor a syscall on any architecture fail with -EINVAL
 * and *ret_bad_name set. */
int seccomp_program_build_machine(char **extra_allow, char **extra_deny, SeccompProgram *ret,
                                  const char **ret_bad_name);
/* The same, always compiled with libseccomp: the reference that seccomp_compact_build() (which the
 * other paths use, see seccomp-compact.h) is checked against, by the build-time generator and the tests,
 * and the fallback for a policy the compact generator cannot express. */
int seccomp_program_compile_machine(char **extra_allow, char **extra_deny, SeccompProgram *ret,
                                    const char **ret_bad_name);

/* Installs a program in the calling thread (does not set no_new_privs; needs CAP_SYS_ADMIN then). */
int seccomp_program_load(const SeccompProgram *p);

/* Expands groups into syscall names; for tests and for error messages. */
int seccomp_expand(const char *const *names, char ***ret);
