#include <endian.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/personality.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "macro.h"
#include "seccomp-args.h"
#include "seccomp-compact.h"
#include "strv.h"

#define ARGS_MAX_INSNS  128
#define ARGS_MAX_LABELS 16

/* A forward-only program under construction: jumps name their target by label and are resolved once
 * every label is placed. */
typedef struct Builder {
        struct sock_filter insns[ARGS_MAX_INSNS];
        size_t n;
        int jt_label[ARGS_MAX_INSNS], jf_label[ARGS_MAX_INSNS];
        size_t label_at[ARGS_MAX_LABELS];
        bool referenced[ARGS_MAX_LABELS];
        bool overflow;
} Builder;

enum {
        L_NEXT = -1,
        L_IOCTL = 0,
        L_PERSONALITY,
        L_FLAGS0, /* CLONE_NEWUSER in argument 0 */
        L_FLAGS1, /* CLONE_NEWUSER in argument 1 */
        L_ALLOW,
        L_DENY,
        L_NOSYS,
        L_BLOCK0,
};

static void emit(Builder *b, uint16_t code, uint32_t k, int jt, int jf) {
        if (b->n >= ARGS_MAX_INSNS) {
                b->overflow = true;
                return;
        }
        b->insns[b->n] = (struct sock_filter){ .code = code, .k = k };
        b->jt_label[b->n] = jt;
        b->jf_label[b->n] = jf;
        b->n++;
        if (jt >= 0)
                b->referenced[jt] = true;
        if (jf >= 0)
                b->referenced[jf] = true;
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

/* A jump to label if the number is name's in this ABI. A name the ABI lacks (libseccomp gives a negative
 * number, real or pseudo) needs no check: the machine filter answers for it. */
static void emit_call(Builder *b, uint32_t arch, const char *name, int label) {
        int nr = seccomp_syscall_resolve_name_arch(arch, name);

        if (nr >= 0)
                emit(b, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) nr, label, L_NEXT);
}

static int clone_flags_label(uint32_t arch) {
        /* The kernel's CLONE_BACKWARDS2: s390's clone() takes the stack first and the flags second. All
         * other ABIs of seccomp_machine_arches() take the flags first. */
        return arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X ? L_FLAGS1 : L_FLAGS0;
}

static void emit_flags_check(Builder *b, int label, unsigned arg) {
        /* Only what some ABI jumps to, so that allow_nesting gives the program it always had. JSET on the
         * low half: clone() reads only those 32 bits of its flags, and unshare() refuses the upper ones
         * (EINVAL), so nothing above can hide CLONE_NEWUSER. */
        if (!b->referenced[label])
                return;
        place(b, label);
        emit(b, BPF_LD | BPF_W | BPF_ABS, arg_low_offset(arg), L_NEXT, L_NEXT);
        emit(b, BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, L_DENY, L_ALLOW);
}

int seccomp_program_build_args(bool allow_nesting, SeccompProgram *ret) {
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

        /* Per token: the numbers of the filtered calls in every ABI that uses the token. */
        for (size_t t = 0; t < n_tokens; t++) {
                place(&b, L_BLOCK0 + (int) t);
                emit(&b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), L_NEXT, L_NEXT);
                for (size_t a = 0; a < n_arches; a++) {
                        if (seccomp_compact_arch_token(arches[a]) != tokens[t])
                                continue;
                        emit_call(&b, arches[a], "ioctl", L_IOCTL);
                        emit_call(&b, arches[a], "personality", L_PERSONALITY);
                        if (allow_nesting)
                                continue;
                        emit_call(&b, arches[a], "unshare", L_FLAGS0);
                        emit_call(&b, arches[a], "clone", clone_flags_label(arches[a]));
                        emit_call(&b, arches[a], "clone3", L_NOSYS);
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

        emit_flags_check(&b, L_FLAGS0, 0);
        emit_flags_check(&b, L_FLAGS1, 1);

        place(&b, L_ALLOW);
        emit(&b, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, L_NEXT, L_NEXT);
        place(&b, L_DENY);
        emit(&b, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, L_NEXT, L_NEXT);
        if (b.referenced[L_NOSYS]) {
                /* clone3(): as if the kernel lacked it, so glibc falls back to clone(), checked above. */
                place(&b, L_NOSYS);
                emit(&b, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, L_NEXT, L_NEXT);
        }
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

int seccomp_programs_build(char **extra_allow, char **extra_deny, bool allow_nesting,
                           SeccompProgram *ret_machine, SeccompProgram *ret_args,
                           const char **ret_bad_name) {
        _cleanup_strv_free_ char **allow = strv_copy(extra_allow);
        int r;

        if (extra_allow && !allow)
                return -ENOMEM;
        if (allow_nesting && (strv_extend(&allow, "@io-uring") < 0 || strv_extend(&allow, "@uffd") < 0))
                return -ENOMEM;
        r = seccomp_program_build_machine(allow, extra_deny, ret_machine, ret_bad_name);
        if (r == -EINVAL && ret_bad_name && *ret_bad_name) {
                /* The name points into our copy, which goes: point at the caller's own string. */
                const char *bad = *ret_bad_name;
                *ret_bad_name = NULL;
                STRV_FOREACH (n, extra_allow)
                        if (streq(*n, bad))
                                *ret_bad_name = *n;
                STRV_FOREACH (n, extra_deny)
                        if (!*ret_bad_name && streq(*n, bad))
                                *ret_bad_name = *n;
        }
        if (r < 0)
                return r;
        r = seccomp_program_build_args(allow_nesting, ret_args);
        if (r < 0)
                seccomp_program_done(ret_machine);
        return r;
}
