#pragma once

#include <stdbool.h>

#include "seccomp-setup.h"

/* The argument filter, loaded beside the machine filter: the kernel lets the most restrictive answer of
 * all loaded filters win, so it can refuse calls the machine filter allows.
 *   ioctl(TIOCSTI), ioctl(TIOCLINUX)   EPERM: no typing into a terminal the machine shares
 *   personality(x)                      EPERM unless x is PER_LINUX, PER_LINUX32 or the 0xffffffff query:
 *                                       no READ_IMPLIES_EXEC, no ADDR_NO_RANDOMIZE and friends
 * Unless allow_nesting (--allow-nesting), no new user namespaces inside the machine: they open kernel code
 * to unprivileged users that few machines need (the other two such surfaces, io_uring and userfaultfd,
 * are instead left off the machine filter's default allow-list):
 *   unshare(f), clone(f, ...)           EPERM if f has CLONE_NEWUSER in its low 32 bits, all the kernel
 *                                       reads of clone()'s flags (s390 passes them as clone()'s second
 *                                       argument, and the filter looks there)
 *   clone3()                            ENOSYS: its flags sit in memory seccomp cannot read; glibc falls
 *                                       back to clone() on ENOSYS
 * With allow_nesting the program is exactly the one without these three checks.
 * Everything else, and any architecture the machine filter does not know, is left to the machine
 * filter (ALLOW here). Built at run time from libseccomp's syscall tables for every ABI of
 * seccomp_machine_arches(); on x86-64 (with i386 and x32) 23 instructions, 35 with the nesting checks. */
int seccomp_program_build_args(bool allow_nesting, SeccompProgram *ret);

/* Both programs of a machine: the machine filter with the user's additions (and, with allow_nesting,
 * @io-uring and @uffd, which the default allow-list leaves out) and the argument filter. For the
 * monitor and for processes entering the machine alike. -EINVAL and *ret_bad_name (one of the
 * caller's strings) for an addition that is neither a system call nor a group. */
int seccomp_programs_build(char **extra_allow, char **extra_deny, bool allow_nesting,
                           SeccompProgram *ret_machine, SeccompProgram *ret_args, const char **ret_bad_name);
