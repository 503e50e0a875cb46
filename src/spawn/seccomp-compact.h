/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A compact seccomp program generator for filters that decide on the system call number alone.
 *
 * libseccomp emits one comparison per rule (binary tree or not), ~1,400 instructions for berth's policy
 * over three ABIs, and the kernel's load time grows with the length. Here consecutive numbers with the
 * same answer (including the gaps, which get the default) collapse into one range, and each ABI gets a
 * binary search over its ranges: about one comparison per range, a few hundred instructions in all. */

#include <stddef.h>
#include <stdint.h>

#include "seccomp-setup.h"

typedef struct SeccompCompactRule {
        uint32_t nr;     /* seccomp_data.nr, compared as unsigned 32 bits */
        uint32_t action; /* SECCOMP_RET_* */
} SeccompCompactRule;

typedef struct SeccompCompactArch {
        uint32_t token;                  /* seccomp_data.arch (AUDIT_ARCH_*) */
        uint32_t default_action;         /* for every number without a rule */
        const SeccompCompactRule *rules; /* sorted by nr, each nr at most once */
        size_t n_rules;
} SeccompCompactArch;

/* Emits: arch check (in the given order, tokens distinct), then per arch a binary search over the ranges
 * of nr. Any other arch gets bad_arch_action. -EINVAL for unsorted rules or repeated tokens, -E2BIG if
 * the result would exceed BPF_MAXINSNS. */
int seccomp_compact_generate(const SeccompCompactArch *arches, size_t n_arches, uint32_t bad_arch_action,
                             SeccompProgram *ret);

/* The seccomp_data.arch value of a libseccomp architecture (SCMP_ARCH_*). The same except for x32, which
 * the kernel reports as x86-64 and tells apart by bit 30 of the number. */
uint32_t seccomp_compact_arch_token(uint32_t arch);
/* The distinct arch tokens of seccomp_machine_arches(), in its order (x86-64 and x32 give one). */
size_t seccomp_machine_arch_tokens(uint32_t ret[static SECCOMP_MACHINE_ARCHES_MAX]);

/* The machine filter: the same policy, answer for answer, as seccomp_program_compile_machine(), and the
 * same errors for bad names. System calls are resolved with libseccomp's tables for every ABI of
 * seccomp_machine_arches(), the way libseccomp resolves them (x32 shares x86-64's arch token, with
 * numbers that have bit 30 set). Returns -EOPNOTSUPP if the policy would need an argument check, which
 * only happens when a socketcall()/ipc() multiplexer (i386, s390, ppc) gets rules for some of the calls
 * it multiplexes but none for itself; compile with libseccomp then. */
int seccomp_compact_build(char **extra_allow, char **extra_deny, SeccompProgram *ret,
                          const char **ret_bad_name);
