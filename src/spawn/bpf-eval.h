/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small classic-BPF interpreter for seccomp programs, so that tests and the build-time generator can
 * ask a program what it answers for a system call without loading it. It knows the instructions berth's
 * two generators (libseccomp and seccomp-compact.c) emit: loads from seccomp_data, ALU with a constant,
 * conditional jumps against a constant, JA and RET. Anything else counts as an invalid program. */

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* Returned for a program that is invalid or uses an instruction this interpreter does not know. No real
 * seccomp action has all bits set, and neither generator ever returns it. */
#define BPF_EVAL_INVALID UINT32_MAX

/* Checks the whole program the way the kernel does when it is loaded (size, known opcodes, jumps in
 * range, aligned loads inside seccomp_data, a RET at the end): 0 or -EINVAL. */
int bpf_check(const struct sock_filter *p, size_t n);

/* Runs the program on d and returns its RET value, or BPF_EVAL_INVALID. Only the path taken is checked;
 * use bpf_check() for the rest. */
uint32_t bpf_eval(const struct sock_filter *p, size_t n, const struct seccomp_data *d);
