/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/spawn/seccomp-setup.c: group expansion and program compilation (nothing is loaded). */

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-eval.h"
#include "seccomp-groups.h"
#include "seccomp-compact.h"
#include "seccomp-setup.h"
#include "strv.h"
#include "tap.h"

static bool same_program(const SeccompProgram *a, const SeccompProgram *b) {
        return a->n_insns == b->n_insns && a->n_insns > 0 &&
               memcmp(a->insns, b->insns, a->n_insns * sizeof(struct sock_filter)) == 0;
}

static bool has_duplicates(char **l) {
        for (size_t i = 0; l && l[i]; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(l[i], l[j]) == 0)
                                return true;
        return false;
}

static void test_expand(void) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = seccomp_expand((const char *const[]){ "@swap", NULL }, &l);
        CHECK_INT(r, ==, 0);
        CHECK_INT(strv_length(l), ==, 2);
        CHECK(strv_contains(l, "swapon") && strv_contains(l, "swapoff"));
        strv_free(l);
        l = NULL;

        r = seccomp_expand((const char *const[]){ "@basic-io", NULL }, &l);
        CHECK_INT(r, ==, 0);
        CHECK(strv_contains(l, "read") && strv_contains(l, "write") && strv_contains(l, "ioctl"));
        CHECK(!strv_contains(l, "mount"));
        CHECK(!has_duplicates(l));
        strv_free(l);
        l = NULL;

        r = seccomp_expand((const char *const[]){ "@mount", "read", "mount", "read", NULL }, &l);
        CHECK_INT(r, ==, 0);
        CHECK(strv_contains(l, "pivot_root") && strv_contains(l, "umount2") && strv_contains(l, "read"));
        CHECK_MSG(!has_duplicates(l), "expansion does not repeat names");
        CHECK_INT(strv_length(l), ==, 13); /* 12 in @mount plus read */
        strv_free(l);
        l = NULL;

        /* @known references every group: all names, once. */
        r = seccomp_expand((const char *const[]){ "@known", NULL }, &l);
        CHECK_INT(r, ==, 0);
        CHECK_INT(strv_length(l), >, 300);
        CHECK(strv_contains(l, "execve") && strv_contains(l, "userfaultfd") &&
              strv_contains(l, "kexec_load"));
        CHECK(!has_duplicates(l));
        strv_free(l);
        l = NULL;

        r = seccomp_expand(syscall_default_allow, &l);
        CHECK_INT(r, ==, 0);
        CHECK(strv_contains(l, "execve") && !strv_contains(l, "kexec_load"));
        CHECK(!strv_contains(l, "io_uring_setup") && !strv_contains(l, "userfaultfd"));
        strv_free(l);
        l = NULL;

        r = seccomp_expand(NULL, &l);
        CHECK_INT(r, ==, 0);
        CHECK_INT(strv_length(l), ==, 0);

        r = seccomp_expand((const char *const[]){ "read", "@no-such-group", NULL }, &l);
        CHECK_INT(r, <, 0);
        CHECK_INT(r, ==, -ENOENT);
        strv_free(l);
        l = NULL;

        /* Plain names are not checked here; that is the compiler's job. */
        r = seccomp_expand((const char *const[]){ "not_a_syscall", NULL }, &l);
        CHECK_INT(r, ==, 0);
        CHECK(strv_contains(l, "not_a_syscall"));
}

static void test_programs(void) {
        SeccompProgram built = {}, compiled = {}, other = {};
        const char *bad = NULL;
        char *allow[] = { (char *) "keyctl", NULL };
        char *deny[] = { (char *) "@mount", (char *) "read", NULL };
        char *bad_allow[] = { (char *) "read", (char *) "no_such_syscall", NULL };
        char *bad_group[] = { (char *) "@no-such-group", NULL };
        char *bad_deny[] = { (char *) "@swap", (char *) "frobnicate", NULL };
        int r;

        r = seccomp_program_build_machine(NULL, NULL, &built, &bad);
        CHECK_INT(r, ==, 0);
        CHECK_UINT(built.n_insns, >, 10);
        CHECK_UINT(built.n_insns, <=, 4096); /* BPF_MAXINSNS */
        /* berth ships the compact program (libseccomp's is the reference it is checked against, in
         * test-seccomp-compact): the precompiled copy must equal a fresh compact build. */
        r = seccomp_compact_build(NULL, NULL, &compiled, &bad);
        CHECK_INT(r, ==, 0);
        if (!CHECK_MSG(same_program(&built, &compiled),
                       "the precompiled machine program equals a fresh compilation (length and bytes)"))
                tap_diag("precompiled %zu instructions, compiled %zu", built.n_insns, compiled.n_insns);
        CHECK_MSG(built.insns != compiled.insns, "each call returns its own copy");
        seccomp_program_done(&compiled);
        CHECK(!compiled.insns && compiled.n_insns == 0);

        /* Additions change the program. */
        r = seccomp_program_build_machine(allow, NULL, &other, &bad);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(r == 0 && !same_program(&built, &other), "allowing keyctl changes the program");
        seccomp_program_done(&other);
        r = seccomp_program_compile_machine(NULL, deny, &other, &bad);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(r == 0 && !same_program(&built, &other), "denying @mount and read changes the program");
        seccomp_program_done(&other);
        r = seccomp_compact_build(allow, deny, &compiled, &bad);
        CHECK_INT(r, ==, 0);
        r = seccomp_program_build_machine(allow, deny, &other, &bad);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(same_program(&compiled, &other), "build and compile agree when there are additions");
        seccomp_program_done(&compiled);
        seccomp_program_done(&other);

        bad = NULL;
        r = seccomp_program_compile_machine(bad_allow, NULL, &other, &bad);
        CHECK_INT(r, ==, -EINVAL);
        CHECK_STR(bad, "no_such_syscall");
        CHECK(!other.insns);
        bad = NULL;
        r = seccomp_program_build_machine(bad_allow, NULL, &other, &bad);
        CHECK_INT(r, ==, -EINVAL);
        CHECK_STR(bad, "no_such_syscall");
        bad = NULL;
        r = seccomp_program_compile_machine(bad_group, NULL, &other, &bad);
        CHECK_INT(r, ==, -EINVAL);
        CHECK_STR(bad, "@no-such-group");
        bad = NULL;
        r = seccomp_program_compile_machine(NULL, bad_deny, &other, &bad);
        CHECK_INT(r, ==, -EINVAL);
        CHECK_STR(bad, "frobnicate");
        CHECK(!other.insns);

        seccomp_program_done(&built);

        /* Not loaded: loading an empty program is refused before any syscall. */
        CHECK_INT(seccomp_program_load(&(SeccompProgram){}), ==, -E2BIG);
}

/* What the machine filter answers for name on every ABI it covers; 0 if all agree with want. */
static size_t wrong_answers(const SeccompProgram *p, const char *name, uint32_t want) {
        uint32_t arches[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n = seccomp_machine_arches(arches), wrong = 0;

        for (size_t i = 0; i < n; i++) {
                int nr = seccomp_syscall_resolve_name_arch(arches[i], name);
                struct seccomp_data d = { .nr = nr, .arch = seccomp_compact_arch_token(arches[i]) };
                uint32_t got;

                if (nr < 0) {
                        tap_diag("%s is no call of arch 0x%x", name, arches[i]);
                        wrong++;
                        continue;
                }
                got = bpf_eval(p->insns, p->n_insns, &d);
                if (got != want) {
                        tap_diag("%s on arch 0x%x: 0x%08x instead of 0x%08x", name, arches[i], got, want);
                        wrong++;
                }
        }
        return wrong;
}

/* io_uring and userfaultfd are off the default policy: ENOSYS, as if the kernel lacked them, so that
 * liburing and glibc take their fallbacks. Naming them in --system-call-filter= turns them back on. */
static void test_default_off(void) {
        static const char *const off[] = { "io_uring_setup", "io_uring_enter", "io_uring_register",
                                           "userfaultfd" };
        static const struct {
                const char *what;
                char *allow[3];
                const char *const on[4];
        } additions[] = {
                { "@io-uring",
                  { (char *) "@io-uring" },
                  { "io_uring_setup", "io_uring_enter", "io_uring_register" } },
                { "@uffd", { (char *) "@uffd" }, { "userfaultfd" } },
                { "userfaultfd", { (char *) "userfaultfd" }, { "userfaultfd" } },
                { "@io-uring @uffd",
                  { (char *) "@io-uring", (char *) "@uffd" },
                  { "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd" } },
        };
        SeccompProgram built = {}, compiled = {};
        const char *bad = NULL;
        int r;

        /* Both what berth loads (precompiled, compact) and libseccomp's reference. */
        r = seccomp_program_build_machine(NULL, NULL, &built, &bad);
        CHECK_INT(r, ==, 0);
        r = seccomp_program_compile_machine(NULL, NULL, &compiled, &bad);
        CHECK_INT(r, ==, 0);
        for (size_t i = 0; i < ELEMENTSOF(off); i++) {
                CHECK_MSG(wrong_answers(&built, off[i], SECCOMP_MACHINE_ACT_DEFAULT) == 0,
                          "default policy: %s gets ENOSYS on every arch", off[i]);
                CHECK_MSG(wrong_answers(&compiled, off[i], SECCOMP_MACHINE_ACT_DEFAULT) == 0,
                          "default policy, libseccomp: %s gets ENOSYS on every arch", off[i]);
        }
        /* The neighbours they used to share the policy with stay allowed. */
        CHECK_MSG(wrong_answers(&built, "io_setup", SECCOMP_MACHINE_ACT_ALLOW) == 0, "@aio stays allowed");
        CHECK_MSG(wrong_answers(&built, "clone3", SECCOMP_MACHINE_ACT_ALLOW) == 0,
                  "clone3 is the argument filter's business, the machine filter allows it");
        seccomp_program_done(&built);
        seccomp_program_done(&compiled);

        for (size_t i = 0; i < ELEMENTSOF(additions); i++) {
                r = seccomp_program_build_machine((char **) additions[i].allow, NULL, &built, &bad);
                CHECK_MSG(r == 0, "allowing %s builds", additions[i].what);
                for (size_t j = 0; j < ELEMENTSOF(off); j++) {
                        bool on = false;

                        for (size_t k = 0; k < ELEMENTSOF(additions[i].on) && additions[i].on[k]; k++)
                                on = on || strcmp(additions[i].on[k], off[j]) == 0;
                        CHECK_MSG(wrong_answers(&built, off[j],
                                                on ? SECCOMP_MACHINE_ACT_ALLOW
                                                   : SECCOMP_MACHINE_ACT_DEFAULT) == 0,
                                  "allowing %s: %s %s", additions[i].what, off[j],
                                  on ? "is allowed" : "still gets ENOSYS");
                }
                seccomp_program_done(&built);
        }
}

int main(void) {
        test_expand();
        test_programs();
        test_default_off();
        return tap_finish();
}
