/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/spawn/seccomp-compact.c and src/spawn/bpf-eval.c: the compact machine filter must answer exactly
 * like libseccomp's (seccomp_program_compile_machine(), the reference) for every ABI and number, be much
 * shorter, and load. */

#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-eval.h"
#include "seccomp-compact.h"
#include "seccomp-groups.h"
#include "seccomp-setup.h"
#include "strv.h"
#include "tap.h"

#define X32_BIT    0x40000000u
#define BOGUS_ARCH 0x12345678u /* no AUDIT_ARCH_* */

static bool same_program(const SeccompProgram *a, const SeccompProgram *b) {
        return a->n_insns == b->n_insns && a->n_insns > 0 &&
               memcmp(a->insns, b->insns, a->n_insns * sizeof(struct sock_filter)) == 0;
}

static uint32_t eval(const SeccompProgram *p, uint32_t arch, uint32_t nr) {
        struct seccomp_data d = { .nr = (int) nr, .arch = arch };

        return bpf_eval(p->insns, p->n_insns, &d);
}

static void test_bpf_eval(void) {
        static const struct sock_filter prog[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 100, 0, 3), /* nr < 100: to the JSET */
                BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 200, 0, 1), /* 100 <= nr <= 200: RET 2 */
                BPF_STMT(BPF_JMP | BPF_JA, 5),                  /* nr > 200: to the ALU part */
                BPF_STMT(BPF_RET | BPF_K, 2),
                BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1), /* odd: RET 3, even: RET 4 */
                BPF_STMT(BPF_RET | BPF_K, 3),
                BPF_STMT(BPF_RET | BPF_K, 4),
                BPF_STMT(BPF_RET | BPF_K, 5), /* never reached */
                BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 1000),
                BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),
                BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 0x100),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x1ff, 0, 1), /* 0x1ff: RET 6, otherwise RET A */
                BPF_STMT(BPF_RET | BPF_K, 6),
                BPF_STMT(BPF_RET | BPF_A, 0),
        };
        SeccompProgram p = { .insns = (struct sock_filter *) prog, .n_insns = ELEMENTSOF(prog) };
        struct sock_filter bad[4];
        struct seccomp_data d = { .nr = 3, .args = { 0x1122334455667788 } };

        CHECK_INT(bpf_check(prog, ELEMENTSOF(prog)), ==, 0);
        CHECK_UINT(eval(&p, 0, 7), ==, 3);
        CHECK_UINT(eval(&p, 0, 8), ==, 4);
        CHECK_UINT(eval(&p, 0, 100), ==, 2);
        CHECK_UINT(eval(&p, 0, 200), ==, 2);
        CHECK_MSG(eval(&p, 0, 1255) == 6, "ALU: (1255 - 1000) & 0xff | 0x100 == 0x1ff");
        CHECK_MSG(eval(&p, 0, 1001) == 0x101, "RET A returns the accumulator");
        CHECK_MSG(eval(&p, 0, 0xffffffff) == (((0xffffffffu - 1000) & 0xff) | 0x100),
                  "comparisons are unsigned");

        /* args[0] is read in native byte order, like the kernel hands it over. */
        bad[0] =
                (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args));
        bad[1] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_A, 0);
        CHECK_UINT(bpf_eval(bad, 2, &d), ==,
                   __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0x55667788u : 0x11223344u);

        /* Invalid programs: the kernel would refuse them, the interpreter answers BPF_EVAL_INVALID. */
        bad[0] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0); /* jt out of range */
        bad[1] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, 1);
        CHECK_INT(bpf_check(bad, 2), ==, -EINVAL);
        CHECK_UINT(bpf_eval(bad, 2, &d), ==, BPF_EVAL_INVALID);
        bad[0] = (struct sock_filter) BPF_STMT(BPF_JMP | BPF_JA, 1); /* JA past the end */
        CHECK_INT(bpf_check(bad, 2), ==, -EINVAL);
        CHECK_UINT(bpf_eval(bad, 2, &d), ==, BPF_EVAL_INVALID);
        bad[0] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2); /* unaligned */
        CHECK_INT(bpf_check(bad, 2), ==, -EINVAL);
        CHECK_UINT(bpf_eval(bad, 2, &d), ==, BPF_EVAL_INVALID);
        bad[0] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data));
        CHECK_INT(bpf_check(bad, 2), ==, -EINVAL);
        bad[0] = (struct sock_filter) BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 0); /* not supported */
        CHECK_INT(bpf_check(bad, 2), ==, -EINVAL);
        CHECK_UINT(bpf_eval(bad, 2, &d), ==, BPF_EVAL_INVALID);
        bad[0] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
        CHECK_MSG(bpf_check(bad, 1) == -EINVAL && bpf_eval(bad, 1, &d) == BPF_EVAL_INVALID,
                  "a program must end in RET");
        CHECK_INT(bpf_check(bad, 0), ==, -EINVAL);
        CHECK_UINT(bpf_eval(bad, 0, &d), ==, BPF_EVAL_INVALID);
}

static uint32_t expected(const SeccompCompactArch *a, uint32_t nr) {
        size_t lo = 0, hi = a->n_rules;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (a->rules[mid].nr == nr)
                        return a->rules[mid].action;
                if (a->rules[mid].nr < nr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return a->default_action;
}

/* Synthetic tables: enough ranges that jumps need JA and RETs need copies, rules at both ends of the
 * number space, an arch without rules, and the limits. */
static void test_generate(void) {
        static const uint32_t actions[] = { SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | 1, SECCOMP_RET_TRAP };
        SeccompCompactRule *many = calloc(2100, sizeof(SeccompCompactRule));
        SeccompCompactRule ends[] = {
                { 0, SECCOMP_RET_ALLOW },
                { 1, SECCOMP_RET_ALLOW },
                { 0x80000000, SECCOMP_RET_TRAP },
                { UINT32_MAX, SECCOMP_RET_ALLOW },
        };
        SeccompCompactArch arches[3] = {
                { .token = 1, .default_action = SECCOMP_RET_ERRNO | ENOSYS, .rules = many, .n_rules = 1400 },
                { .token = 2, .default_action = SECCOMP_RET_KILL_PROCESS, .rules = ends, .n_rules = 4 },
                { .token = 3, .default_action = SECCOMP_RET_LOG },
        };
        SeccompProgram p = {};
        size_t wrong = 0, n_ja = 0;
        int r;

        if (!CHECK(many))
                return;
        for (size_t i = 0; i < 2100; i++)
                many[i] = (SeccompCompactRule){ .nr = (uint32_t) (3 * i + i % 2), .action = actions[i % 3] };

        r = seccomp_compact_generate(arches, 3, SECCOMP_RET_KILL_THREAD, &p);
        CHECK_INT(r, ==, 0);
        CHECK_INT(bpf_check(p.insns, p.n_insns), ==, 0);
        tap_diag("%zu rules over 3 arches: %zu instructions", arches[0].n_rules + arches[1].n_rules,
                 p.n_insns);
        for (size_t i = 0; i < p.n_insns; i++)
                n_ja += p.insns[i].code == (BPF_JMP | BPF_JA);
        CHECK_MSG(n_ja > 0, "a search too big for 8-bit offsets uses long jumps (%zu)", n_ja);
        for (uint32_t nr = 0; nr < 3 * 1400 + 10; nr++)
                wrong += eval(&p, 1, nr) != expected(&arches[0], nr);
        for (size_t i = 0; i < 4; i++)
                for (int64_t nr = (int64_t) ends[i].nr - 2; nr <= (int64_t) ends[i].nr + 2; nr++)
                        if (nr >= 0 && nr <= UINT32_MAX)
                                wrong += eval(&p, 2, (uint32_t) nr) != expected(&arches[1], (uint32_t) nr);
        wrong += eval(&p, 3, 0) != SECCOMP_RET_LOG || eval(&p, 3, UINT32_MAX) != SECCOMP_RET_LOG;
        wrong += eval(&p, 4, 0) != SECCOMP_RET_KILL_THREAD;
        CHECK_MSG(wrong == 0, "the generated program answers like the tables (%zu wrong)", wrong);
        seccomp_program_done(&p);

        /* No arch at all: everything is a bad arch. */
        r = seccomp_compact_generate(NULL, 0, SECCOMP_RET_KILL_PROCESS, &p);
        CHECK_MSG(r == 0 && p.n_insns == 2 && eval(&p, 1, 1) == SECCOMP_RET_KILL_PROCESS,
                  "without arches the program kills");
        seccomp_program_done(&p);

        arches[0].n_rules = 2100; /* ~4,200 ranges */
        CHECK_INT(seccomp_compact_generate(arches, 1, 0, &p), ==, -E2BIG);
        arches[0].n_rules = 10;
        arches[1].token = 1;
        CHECK_INT(seccomp_compact_generate(arches, 2, 0, &p), ==, -EINVAL);
        arches[1].token = 2;
        ends[2].nr = 1;
        CHECK_INT(seccomp_compact_generate(arches, 2, 0, &p), ==, -EINVAL);
        CHECK(!p.insns);
        free(many);
}

typedef struct Policy {
        const char *what;
        char *allow[4];
        char *deny[4];
} Policy;

static const Policy policies[] = {
        { "the default policy", {}, {} },
        { "allow @keyring", { (char *) "@keyring" }, {} },
        { "deny @mount", {}, { (char *) "@mount" } },
        { "deny ptrace personality", {}, { (char *) "ptrace", (char *) "personality" } },
        { "allow bpf", { (char *) "bpf" }, {} },
        { "allow @keyring bpf, deny @mount ptrace",
          { (char *) "@keyring", (char *) "bpf" },
          { (char *) "@mount", (char *) "ptrace" } },
        /* The i386 multiplexers and the calls they multiplex. */
        { "deny socketcall", {}, { (char *) "socketcall" } },
        { "deny socket semop accept", {}, { (char *) "socket", (char *) "semop", (char *) "accept" } },
        { "deny ipc, allow shmat", { (char *) "shmat" }, { (char *) "ipc" } },
        { "deny @network-io @ipc", {}, { (char *) "@network-io", (char *) "@ipc" } },
        /* Both lists name the same call: the earlier rule wins, as in libseccomp. */
        { "allow and deny sysfs", { (char *) "sysfs" }, { (char *) "sysfs" } },
        { "allow and deny ptrace", { (char *) "ptrace" }, { (char *) "ptrace" } },
        /* Off by default, allowed by name or group. */
        { "allow @io-uring @uffd", { (char *) "@io-uring", (char *) "@uffd" }, {} },
        { "allow userfaultfd io_uring_setup", { (char *) "userfaultfd", (char *) "io_uring_setup" }, {} },
        { "deny @io-uring", {}, { (char *) "@io-uring" } },
        { "allow @obsolete", { (char *) "@obsolete" }, {} },
        { "deny @file-system", {}, { (char *) "@file-system" } },
        { "allow @known", { (char *) "@known" }, {} },
        { "deny @known", {}, { (char *) "@known" } },
};

/* The numbers to ask about: every number up to 1100 and the same with the x32 bit, some extremes, and
 * libseccomp's pseudo numbers (negative, i.e. huge as u32) of every known name on every ABI. */
static uint32_t *test_numbers(size_t *ret_n) {
        static const uint32_t extremes[] = { 0x3fffffff, 0x7fffffff, 0x80000000, 0xbfffffff, 0xffffffff };
        _cleanup_strv_free_ char **known = NULL;
        uint32_t arches[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n_arches = seccomp_machine_arches(arches), n = 0;
        uint32_t *nrs;

        if (seccomp_expand(STRV_MAKE("@known"), &known) < 0)
                return NULL;
        nrs = calloc(2 * 1101 + ELEMENTSOF(extremes) + strv_length(known) * n_arches, sizeof(uint32_t));
        if (!nrs)
                return NULL;
        for (uint32_t nr = 0; nr <= 1100; nr++) {
                nrs[n++] = nr;
                nrs[n++] = X32_BIT + nr;
        }
        for (size_t i = 0; i < ELEMENTSOF(extremes); i++)
                nrs[n++] = extremes[i];
        STRV_FOREACH (name, known)
                for (size_t i = 0; i < n_arches; i++) {
                        int nr = seccomp_syscall_resolve_name_arch(arches[i], *name);
                        if (nr < 0 && nr != __NR_SCMP_ERROR)
                                nrs[n++] = (uint32_t) nr;
                }
        *ret_n = n;
        return nrs;
}

static void test_equivalence(void) {
        uint32_t tokens[SECCOMP_MACHINE_ARCHES_MAX + 1];
        size_t n_tokens = 0, n_nrs = 0;
        _cleanup_free_ uint32_t *nrs = test_numbers(&n_nrs);

        if (!CHECK(nrs))
                return;
        /* x86-64 and x32 share a token: the x32 numbers are asked with it. */
        n_tokens = seccomp_machine_arch_tokens(tokens);
        tokens[n_tokens++] = BOGUS_ARCH;

        for (size_t i = 0; i < ELEMENTSOF(policies); i++) {
                const Policy *pol = &policies[i];
                char **allow = pol->allow[0] ? (char **) pol->allow : NULL;
                char **deny = pol->deny[0] ? (char **) pol->deny : NULL;
                SeccompProgram ref = {}, compact = {}, built = {};
                const char *bad = NULL;
                size_t wrong = 0, asked = 0;
                int r;

                r = seccomp_program_compile_machine(allow, deny, &ref, &bad);
                CHECK_MSG(r == 0, "%s: libseccomp compiles it", pol->what);
                r = seccomp_compact_build(allow, deny, &compact, &bad);
                if (!CHECK_MSG(r == 0, "%s: the compact generator builds it", pol->what))
                        tap_diag("error %d", r);
                CHECK_MSG(bpf_check(ref.insns, ref.n_insns) == 0 &&
                                  bpf_check(compact.insns, compact.n_insns) == 0,
                          "%s: both programs are valid for the kernel", pol->what);

                for (size_t t = 0; t < n_tokens; t++)
                        for (size_t k = 0; k < n_nrs; k++)
                                /* Arguments do not matter to either program; vary them anyway. */
                                for (uint64_t args = 0; args <= 1; args++) {
                                        struct seccomp_data d = {
                                                .nr = (int) nrs[k],
                                                .arch = tokens[t],
                                                .instruction_pointer = args ? 0x7fff12345678 : 0,
                                                .args = { args, args << 40, ~args, 5, args, 1 },
                                        };
                                        uint32_t x = bpf_eval(ref.insns, ref.n_insns, &d);
                                        uint32_t y = bpf_eval(compact.insns, compact.n_insns, &d);

                                        asked++;
                                        if (x == y && x != BPF_EVAL_INVALID)
                                                continue;
                                        if (wrong++ < 5)
                                                tap_diag("%s: arch 0x%08x nr 0x%08x: libseccomp 0x%08x, "
                                                         "compact 0x%08x",
                                                         pol->what, tokens[t], nrs[k], x, y);
                                }
                CHECK_MSG(wrong == 0, "%s: same answer for %zu questions (%zu differ)", pol->what, asked,
                          wrong);
                CHECK_MSG(compact.n_insns * 3 < ref.n_insns, "%s: %zu instructions instead of %zu",
                          pol->what, compact.n_insns, ref.n_insns);

                /* What berth loads is the compact program: precompiled for the default policy, built at run
                 * time for a customised one. */
                r = seccomp_program_build_machine(allow, deny, &built, &bad);
                CHECK_MSG(r == 0 && same_program(&built, &compact), "%s: berth uses the compact program",
                          pol->what);

                seccomp_program_done(&ref);
                seccomp_program_done(&compact);
                seccomp_program_done(&built);
        }
}

static void test_answers(void) {
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        SeccompProgram p = {};
        uint32_t badarch = 0;
        int keyctl_x32 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, "keyctl");
        int ioctl_x32 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, "ioctl");
        int socketcall_i386 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "socketcall");
        const char *bad = NULL;
        char *bad_allow[] = { (char *) "read", (char *) "no_such_syscall", NULL };
        char *bad_deny[] = { (char *) "@no-such-group", NULL };

        /* The compact program matches libseccomp's default for unknown arches (compile_machine() sets
         * SECCOMP_MACHINE_ACT_BADARCH explicitly; this is what it would get anyway). */
        CHECK(ctx && seccomp_attr_get(ctx, SCMP_FLTATR_ACT_BADARCH, &badarch) == 0);
        CHECK_UINT(badarch, ==, SECCOMP_MACHINE_ACT_BADARCH);
        seccomp_release(ctx);

        CHECK_INT(seccomp_compact_build(NULL, NULL, &p, &bad), ==, 0);
        CHECK_UINT(eval(&p, BOGUS_ARCH, 0), ==, SECCOMP_MACHINE_ACT_BADARCH);
        if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
                /* x32 numbers carry bit 30 in libseccomp's table already. */
                CHECK_UINT(keyctl_x32, ==, X32_BIT + 250);
                CHECK_UINT(eval(&p, AUDIT_ARCH_X86_64, SYS_keyctl), ==, SECCOMP_RET_ERRNO | EPERM);
                CHECK_UINT(eval(&p, AUDIT_ARCH_X86_64, (uint32_t) keyctl_x32), ==,
                           SECCOMP_RET_ERRNO | EPERM);
                CHECK_UINT(eval(&p, AUDIT_ARCH_X86_64, SYS_read), ==, SECCOMP_RET_ALLOW);
                CHECK_UINT(eval(&p, AUDIT_ARCH_X86_64, X32_BIT + SYS_read), ==, SECCOMP_RET_ALLOW);
                /* x32's ioctl is 514; 16 with the x32 bit is no call. */
                CHECK_UINT(eval(&p, AUDIT_ARCH_X86_64, (uint32_t) ioctl_x32), ==, SECCOMP_RET_ALLOW);
                CHECK_UINT(eval(&p, AUDIT_ARCH_X86_64, X32_BIT + SYS_ioctl), ==, SECCOMP_RET_ERRNO | ENOSYS);
                CHECK_UINT(eval(&p, AUDIT_ARCH_X86_64, 514), ==, SECCOMP_RET_ERRNO | ENOSYS);
                /* i386: the multiplexer and the direct socket() (359). */
                CHECK_UINT(eval(&p, AUDIT_ARCH_I386, (uint32_t) socketcall_i386), ==, SECCOMP_RET_ALLOW);
                CHECK_UINT(eval(&p, AUDIT_ARCH_I386, 359), ==, SECCOMP_RET_ALLOW);
                CHECK_UINT(eval(&p, AUDIT_ARCH_I386, 999), ==, SECCOMP_RET_ERRNO | ENOSYS);
        }
        seccomp_program_done(&p);

        /* Bad names fail like the reference does. */
        CHECK_INT(seccomp_compact_build(bad_allow, NULL, &p, &bad), ==, -EINVAL);
        CHECK_STR(bad, "no_such_syscall");
        CHECK_INT(seccomp_compact_build(NULL, bad_deny, &p, &bad), ==, -EINVAL);
        CHECK_STR(bad, "@no-such-group");
        CHECK(!p.insns);
}

/* Loads the compact program in a child (no_new_privs, so no privileges are needed) and tries a few
 * calls there. */
static void test_load(void) {
        SeccompProgram p = {};
        const char *bad = NULL;
        int result[5] = { -1, -1, -1, -1, -1 }, pipefd[2], status;
        pid_t pid;

        if (!CHECK_INT(seccomp_compact_build(NULL, NULL, &p, &bad), ==, 0) ||
            !CHECK_INT(pipe(pipefd), ==, 0))
                return;
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                int res[5];

                close(pipefd[0]);
                res[0] = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? errno : 0;
                res[1] = seccomp_program_load(&p) < 0 ? errno : 0;
                res[2] = syscall(SYS_keyctl, 0) < 0 ? errno : 0;
                res[3] = syscall(999) < 0 ? errno : 0;
                res[4] = syscall(SYS_getpid) == getpid() ? 0 : -1;
                _exit(write(pipefd[1], res, sizeof(res)) == sizeof(res) ? 0 : 1);
        }
        close(pipefd[1]);
        CHECK(pid > 0);
        CHECK_INT(read(pipefd[0], result, sizeof(result)), ==, (ssize_t) sizeof(result));
        close(pipefd[0]);
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK_MSG(result[0] == 0, "no_new_privs is set");
        CHECK_MSG(result[1] == 0, "the kernel accepts the compact program");
        CHECK_INT(result[2], ==, EPERM);
        CHECK_INT(result[3], ==, ENOSYS);
        CHECK_MSG(result[4] == 0, "getpid() works under the filter");
        seccomp_program_done(&p);
}

int main(void) {
        test_bpf_eval();
        test_generate();
        test_answers();
        test_equivalence();
        test_load();
        return tap_finish();
}
