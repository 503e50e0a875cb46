#pragma once

#include "seccomp-setup.h"

/* The argument filter, loaded beside the machine filter: the kernel lets the most restrictive answer of
 * all loaded filters win, so it can refuse calls the machine filter allows.
 *   ioctl(TIOCSTI), ioctl(TIOCLINUX)   EPERM: no typing into a terminal the machine shares
 *   personality(x)                      EPERM unless x is PER_LINUX, PER_LINUX32 or the 0xffffffff query:
 *                                       no READ_IMPLIES_EXEC, no ADDR_NO_RANDOMIZE and friends
 * Everything else, and any architecture the machine filter does not know, is left to the machine
 * filter (ALLOW here). Built at run time from libseccomp's syscall tables for every ABI of
 * seccomp_machine_arches(); ~30 instructions. */
int seccomp_program_build_args(SeccompProgram *ret);
