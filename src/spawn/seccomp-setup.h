#pragma once

#include <linux/filter.h>
#include <stddef.h>

/* A compiled seccomp program. Built by the monitor (so a bad --system-call-filter= fails before
 * anything starts, and the payload inherits it ready to load), loaded by the payload. */
typedef struct SeccompProgram {
        struct sock_filter *insns;
        size_t n_insns;
} SeccompProgram;

void seccomp_program_done(SeccompProgram *p);

/* The machine's filter: berth's allow-list (ENOSYS for anything else), its deny-list (EPERM), with the
 * user's additions. Names that are neither a group nor a syscall on any architecture fail with -EINVAL
 * and *ret_bad_name set. */
int seccomp_program_build_machine(char **extra_allow, char **extra_deny, SeccompProgram *ret,
                                  const char **ret_bad_name);
/* The same, always compiled with libseccomp (the build-time generator and the tests use it). */
int seccomp_program_compile_machine(char **extra_allow, char **extra_deny, SeccompProgram *ret,
                                    const char **ret_bad_name);
/* The terminal filter: TIOCSTI and TIOCLINUX refused. A separate filter, because the kernel lets the most
 * restrictive answer of all loaded filters win, while within one libseccomp filter an unconditional
 * allow of ioctl() would absorb the argument rule. */
int seccomp_program_build_tty(SeccompProgram *ret);
int seccomp_program_compile_tty(SeccompProgram *ret);

/* Installs a program in the calling thread (does not set no_new_privs; needs CAP_SYS_ADMIN then). */
int seccomp_program_load(const SeccompProgram *p);

/* Expands groups into syscall names; for tests and for error messages. */
int seccomp_expand(const char *const *names, char ***ret);
