/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bpf-eval.h"

/* Checks one instruction at pc of a program of n; the same rules as bpf_check(), minus the final RET. */
static bool insn_ok(const struct sock_filter *p, size_t n, size_t pc) {
        const struct sock_filter *f = &p[pc];
        size_t left = n - pc - 1; /* instructions after this one */

        switch (f->code) {
        case BPF_LD | BPF_W | BPF_ABS:
                /* seccomp_data is read in aligned 32-bit words only. */
                return f->k % 4 == 0 && f->k < sizeof(struct seccomp_data);
        case BPF_LD | BPF_IMM:
        case BPF_ALU | BPF_ADD | BPF_K:
        case BPF_ALU | BPF_SUB | BPF_K:
        case BPF_ALU | BPF_AND | BPF_K:
        case BPF_ALU | BPF_OR | BPF_K:
        case BPF_ALU | BPF_XOR | BPF_K:
        case BPF_ALU | BPF_NEG:
        case BPF_RET | BPF_K:
        case BPF_RET | BPF_A:
                return true;
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_K:
                return f->k < 32;
        case BPF_JMP | BPF_JA:
                return f->k < left;
        case BPF_JMP | BPF_JEQ | BPF_K:
        case BPF_JMP | BPF_JGT | BPF_K:
        case BPF_JMP | BPF_JGE | BPF_K:
        case BPF_JMP | BPF_JSET | BPF_K:
                return f->jt < left && f->jf < left;
        default:
                return false;
        }
}

int bpf_check(const struct sock_filter *p, size_t n) {
        if (!p || n == 0 || n > BPF_MAXINSNS)
                return -EINVAL;
        for (size_t pc = 0; pc < n; pc++)
                if (!insn_ok(p, n, pc))
                        return -EINVAL;
        /* Jumps only go forward, so a program that ends in RET always returns. */
        if (p[n - 1].code != (BPF_RET | BPF_K) && p[n - 1].code != (BPF_RET | BPF_A))
                return -EINVAL;
        return 0;
}

uint32_t bpf_eval(const struct sock_filter *p, size_t n, const struct seccomp_data *d) {
        uint32_t a = 0;

        if (!p || n == 0 || n > BPF_MAXINSNS)
                return BPF_EVAL_INVALID;
        /* Every instruction moves pc forward, so this ends after at most n steps. */
        for (size_t pc = 0; pc < n; pc++) {
                const struct sock_filter *f = &p[pc];
                bool cond;

                if (!insn_ok(p, n, pc))
                        return BPF_EVAL_INVALID;
                switch (f->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        /* The kernel hands the filter seccomp_data in native byte order. */
                        memcpy(&a, (const uint8_t *) d + f->k, sizeof(a));
                        continue;
                case BPF_LD | BPF_IMM:
                        a = f->k;
                        continue;
                case BPF_ALU | BPF_ADD | BPF_K:
                        a += f->k;
                        continue;
                case BPF_ALU | BPF_SUB | BPF_K:
                        a -= f->k;
                        continue;
                case BPF_ALU | BPF_AND | BPF_K:
                        a &= f->k;
                        continue;
                case BPF_ALU | BPF_OR | BPF_K:
                        a |= f->k;
                        continue;
                case BPF_ALU | BPF_XOR | BPF_K:
                        a ^= f->k;
                        continue;
                case BPF_ALU | BPF_LSH | BPF_K:
                        a <<= f->k;
                        continue;
                case BPF_ALU | BPF_RSH | BPF_K:
                        a >>= f->k;
                        continue;
                case BPF_ALU | BPF_NEG:
                        a = -a;
                        continue;
                case BPF_JMP | BPF_JA:
                        pc += f->k;
                        continue;
                case BPF_RET | BPF_K:
                        return f->k;
                case BPF_RET | BPF_A:
                        return a;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        cond = a == f->k;
                        break;
                case BPF_JMP | BPF_JGT | BPF_K:
                        cond = a > f->k;
                        break;
                case BPF_JMP | BPF_JGE | BPF_K:
                        cond = a >= f->k;
                        break;
                case BPF_JMP | BPF_JSET | BPF_K:
                        cond = (a & f->k) != 0;
                        break;
                default:
                        return BPF_EVAL_INVALID;
                }
                pc += cond ? f->jt : f->jf;
        }
        return BPF_EVAL_INVALID; /* fell off the end */
}
