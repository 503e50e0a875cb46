#include <endian.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/personality.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "macro.h"
#include "seccomp-args.h"
#include "seccomp-compact.h"

#define ARGS_MAX_INSNS 128

/* A forward-only program under construction: jumps name their target by label and are resolved once
 * every label is placed. */
typedef struct Builder {
        struct sock_filter insns[ARGS_MAX_INSNS];
        size_t n;
        int jt_label[ARGS_MAX_INSNS], jf_label[ARGS_MAX_INSNS];
        size_t label_at[8];
        bool overflow;
} Builder;

enum { L_NEXT = -1, L_IOCTL = 0, L_PERSONALITY, L_ALLOW, L_DENY, L_BLOCK0 };

static void emit(Builder *b, uint16_t code, uint32_t k, int jt, int jf) {
        if (b->n >= ARGS_MAX_INSNS) {
                b->overflow = true;
                return;
        }
        b->insns[b->n] = (struct sock_filter){ .code = code, .k = k };
        b->jt_label[b->n] = jt;
        b->jf_label[b->n] = jf;
        b->n++;
}

static void place(Builder *b, int label) {
        b->label_at[label] = b->n;
}

static uint32_t arg_low_offset(unsigned i) {
        /* The kernel reads these arguments as 32-bit ints: compare the low half only, so garbage in the
         * upper half cannot slip past. */
        return (uint32_t) (offsetof(struct seccomp_data, args) + 8 * i +
                           (__BYTE_ORDER == __BIG_ENDIAN ? 4 : 0));
}

int seccomp_program_build_args(SeccompProgram *ret) {
        uint32_t arches[SECCOMP_MACHINE_ARCHES_MAX], tokens[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n_arches, n_tokens;
        Builder b = {};
        struct sock_filter *out;

        n_arches = seccomp_machine_arches(arches);
        n_tokens = seccomp_machine_arch_tokens(tokens);
        if (n_tokens + L_BLOCK0 > ELEMENTSOF(b.label_at))
                return -E2BIG;

        /* Dispatch on the arch token. */
        emit(&b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), L_NEXT, L_NEXT);
        for (size_t t = 0; t < n_tokens; t++)
                emit(&b, BPF_JMP | BPF_JEQ | BPF_K, tokens[t], L_BLOCK0 + (int) t, L_NEXT);
        emit(&b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, L_NEXT, L_NEXT);

        /* Per token: the numbers of ioctl() and personality() in every ABI that uses the token. */
        for (size_t t = 0; t < n_tokens; t++) {
                place(&b, L_BLOCK0 + (int) t);
                emit(&b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), L_NEXT, L_NEXT);
                for (size_t a = 0; a < n_arches; a++) {
                        int nr;

                        if (seccomp_compact_arch_token(arches[a]) != tokens[t])
                                continue;
                        nr = seccomp_syscall_resolve_name_arch(arches[a], "ioctl");
                        if (nr >= 0)
                                emit(&b, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) nr, L_IOCTL, L_NEXT);
                        nr = seccomp_syscall_resolve_name_arch(arches[a], "personality");
                        if (nr >= 0)
                                emit(&b, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) nr, L_PERSONALITY, L_NEXT);
                }
                emit(&b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, L_NEXT, L_NEXT);
        }

        place(&b, L_IOCTL);
        emit(&b, BPF_LD | BPF_W | BPF_ABS, arg_low_offset(1), L_NEXT, L_NEXT);
        emit(&b, BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, L_DENY, L_NEXT);
        emit(&b, BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, L_DENY, L_ALLOW);

        place(&b, L_PERSONALITY);
        emit(&b, BPF_LD | BPF_W | BPF_ABS, arg_low_offset(0), L_NEXT, L_NEXT);
        emit(&b, BPF_JMP | BPF_JEQ | BPF_K, PER_LINUX, L_ALLOW, L_NEXT);
        emit(&b, BPF_JMP | BPF_JEQ | BPF_K, PER_LINUX32, L_ALLOW, L_NEXT);
        emit(&b, BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffU, L_ALLOW, L_DENY);

        place(&b, L_ALLOW);
        emit(&b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, L_NEXT, L_NEXT);
        place(&b, L_DENY);
        emit(&b, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, L_NEXT, L_NEXT);
        if (b.overflow)
                return -E2BIG;

        /* Resolve the labels: offsets count from the next instruction. */
        for (size_t i = 0; i < b.n; i++) {
                if (BPF_CLASS(b.insns[i].code) != BPF_JMP)
                        continue;
                for (int which = 0; which < 2; which++) {
                        int label = which == 0 ? b.jt_label[i] : b.jf_label[i];
                        size_t target = label == L_NEXT ? i + 1 : b.label_at[label];

                        if (target <= i || target - i - 1 > 255)
                                return -ERANGE;
                        if (which == 0)
                                b.insns[i].jt = (uint8_t) (target - i - 1);
                        else
                                b.insns[i].jf = (uint8_t) (target - i - 1);
                }
        }

        out = malloc(b.n * sizeof(struct sock_filter));
        if (!out)
                return -ENOMEM;
        memcpy(out, b.insns, b.n * sizeof(struct sock_filter));
        ret->insns = out;
        ret->n_insns = b.n;
        return 0;
}
