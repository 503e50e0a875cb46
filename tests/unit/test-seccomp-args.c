/* The argument filter: ioctl(TIOCSTI/TIOCLINUX) and personality() refused by argument, and unless nesting
 * is allowed new user namespaces (unshare/clone with CLONE_NEWUSER, clone3), on every ABI of the machine
 * filter, everything else left alone. Evaluated with the BPF interpreter, then loaded for real in a
 * child. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/personality.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-eval.h"
#include "seccomp-args.h"
#include "seccomp-compact.h"
#include "tap.h"

#define ALLOW SECCOMP_RET_ALLOW
#define DENY  (SECCOMP_RET_ERRNO | EPERM)
#define NOSYS (SECCOMP_RET_ERRNO | ENOSYS)

/* Upper halves the kernel never reads (clone) or refuses (unshare): they must not change the answer. */
#define GARBAGE 0xdead000000000000ULL

static uint32_t eval(const SeccompProgram *p, uint32_t arch, int nr, uint64_t a0, uint64_t a1) {
        struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1 } };
        return bpf_eval(p->insns, p->n_insns, &d);
}

/* Written down here rather than asked of the code under test: the kernel's CLONE_BACKWARDS2 puts clone()'s
 * flags second on s390; every other ABI berth filters has them first. */
static uint32_t eval_clone(const SeccompProgram *p, uint32_t arch, int nr, uint64_t flags) {
        bool second = arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X;

        /* The other argument is the new stack: an address that has CLONE_NEWUSER set. */
        return eval(p, seccomp_compact_arch_token(arch), nr, second ? 0x7fff10000000ULL : flags,
                    second ? flags : 0x7fff10000000ULL);
}

static void test_terminal_personality(const SeccompProgram *p, const char *what) {
        uint32_t arches[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n = seccomp_machine_arches(arches);

        for (size_t i = 0; i < n; i++) {
                uint32_t token = seccomp_compact_arch_token(arches[i]);
                int ioctl_nr = seccomp_syscall_resolve_name_arch(arches[i], "ioctl");
                int pers_nr = seccomp_syscall_resolve_name_arch(arches[i], "personality");
                int read_nr = seccomp_syscall_resolve_name_arch(arches[i], "read");

                tap_diag("%s, arch 0x%x: ioctl=%d personality=%d", what, arches[i], ioctl_nr, pers_nr);
                CHECK(ioctl_nr >= 0 && pers_nr >= 0 && read_nr >= 0);
                CHECK_UINT(eval(p, token, ioctl_nr, 0, TIOCSTI), ==, DENY);
                CHECK_UINT(eval(p, token, ioctl_nr, 0, TIOCLINUX), ==, DENY);
                /* The kernel reads the request as 32 bits: garbage above must not hide it. */
                CHECK_UINT(eval(p, token, ioctl_nr, 0, GARBAGE | TIOCSTI), ==, DENY);
                CHECK_UINT(eval(p, token, ioctl_nr, 0, TCGETS), ==, ALLOW);
                CHECK_UINT(eval(p, token, ioctl_nr, 0, TIOCGWINSZ), ==, ALLOW);
                CHECK_UINT(eval(p, token, pers_nr, PER_LINUX, 0), ==, ALLOW);
                CHECK_UINT(eval(p, token, pers_nr, PER_LINUX32, 0), ==, ALLOW);
                CHECK_UINT(eval(p, token, pers_nr, 0xffffffffULL, 0), ==, ALLOW);
                CHECK_UINT(eval(p, token, pers_nr, ADDR_NO_RANDOMIZE, 0), ==, DENY);
                CHECK_UINT(eval(p, token, pers_nr, READ_IMPLIES_EXEC, 0), ==, DENY);
                CHECK_UINT(eval(p, token, pers_nr, PER_LINUX | ADDR_NO_RANDOMIZE, 0), ==, DENY);
                CHECK_UINT(eval(p, token, pers_nr, PER_SVR4, 0), ==, DENY);
                CHECK_UINT(eval(p, token, read_nr, TIOCSTI, TIOCSTI), ==, ALLOW);
        }
        /* An architecture the machine filter does not know is its business (it kills). */
        CHECK_UINT(eval(p, AUDIT_ARCH_AARCH64 ^ 0x1000, 16, 0, TIOCSTI), ==, ALLOW);
}

/* Without nesting every answer below is the one given; with it, all are ALLOW. */
static void test_nesting(const SeccompProgram *p, bool allow_nesting) {
        uint32_t arches[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n = seccomp_machine_arches(arches);
        const char *what = allow_nesting ? "nesting allowed" : "no nesting";

#define EXPECT(x) (allow_nesting ? ALLOW : (x))
        for (size_t i = 0; i < n; i++) {
                uint32_t token = seccomp_compact_arch_token(arches[i]);
                int unshare_nr = seccomp_syscall_resolve_name_arch(arches[i], "unshare");
                int clone_nr = seccomp_syscall_resolve_name_arch(arches[i], "clone");
                int clone3_nr = seccomp_syscall_resolve_name_arch(arches[i], "clone3");
                int setns_nr = seccomp_syscall_resolve_name_arch(arches[i], "setns");

                tap_diag("%s, arch 0x%x: unshare=%d clone=%d clone3=%d", what, arches[i], unshare_nr,
                         clone_nr, clone3_nr);
                CHECK(unshare_nr >= 0 && clone_nr >= 0 && setns_nr >= 0);

                CHECK_UINT(eval(p, token, unshare_nr, CLONE_NEWUSER, 0), ==, EXPECT(DENY));
                CHECK_UINT(eval(p, token, unshare_nr, CLONE_NEWUSER | CLONE_NEWNS, 0), ==, EXPECT(DENY));
                CHECK_UINT(eval(p, token, unshare_nr, GARBAGE | CLONE_NEWUSER, 0), ==, EXPECT(DENY));
                CHECK_UINT(eval(p, token, unshare_nr, CLONE_NEWNS, 0), ==, ALLOW);
                CHECK_UINT(eval(p, token, unshare_nr, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET, 0), ==,
                           ALLOW);
                CHECK_UINT(eval(p, token, unshare_nr, GARBAGE | CLONE_NEWNS, 0), ==, ALLOW);
                /* CLONE_NEWUSER in the second argument means nothing to unshare(). */
                CHECK_UINT(eval(p, token, unshare_nr, CLONE_NEWNS, CLONE_NEWUSER), ==, ALLOW);

                CHECK_UINT(eval_clone(p, arches[i], clone_nr, SIGCHLD), ==, ALLOW);
                CHECK_UINT(eval_clone(p, arches[i], clone_nr, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND), ==,
                           ALLOW);
                CHECK_UINT(eval_clone(p, arches[i], clone_nr, CLONE_NEWUSER | SIGCHLD), ==, EXPECT(DENY));
                CHECK_UINT(eval_clone(p, arches[i], clone_nr, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD), ==,
                           EXPECT(DENY));
                CHECK_UINT(eval_clone(p, arches[i], clone_nr, GARBAGE | CLONE_NEWUSER | SIGCHLD), ==,
                           EXPECT(DENY));
                CHECK_UINT(eval_clone(p, arches[i], clone_nr, GARBAGE | SIGCHLD), ==, ALLOW);
                CHECK_UINT(eval_clone(p, arches[i], clone_nr, (uint64_t) CLONE_NEWUSER << 32 | SIGCHLD), ==,
                           ALLOW);

                if (clone3_nr >= 0) {
                        CHECK_UINT(eval(p, token, clone3_nr, 0, 0), ==, EXPECT(NOSYS));
                        CHECK_UINT(eval(p, token, clone3_nr, 0x7fff10000000ULL, 88), ==, EXPECT(NOSYS));
                } else
                        tap_diag("libseccomp does not know clone3 for arch 0x%x: the machine filter "
                                 "answers ENOSYS for it",
                                 arches[i]);

                /* Joining a namespace and other calls are not this filter's business. */
                CHECK_UINT(eval(p, token, setns_nr, 3, CLONE_NEWUSER), ==, ALLOW);
        }
#undef EXPECT
}

/* For real: in a child with no_new_privs, personality(ADDR_NO_RANDOMIZE) fails with EPERM, the query
 * works; without nesting a new user namespace is refused, clone3() is ENOSYS and fork() still works. */
static void test_load(const SeccompProgram *p, bool allow_nesting) {
        pid_t pid = fork();
        int status = 0;

        if (pid == 0) {
                pid_t c;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_program_load(p) < 0)
                        _exit(10);
                if (syscall(SYS_personality, 0xffffffffUL) < 0)
                        _exit(11);
                if (syscall(SYS_personality, ADDR_NO_RANDOMIZE) >= 0 || errno != EPERM)
                        _exit(12);
                if (syscall(SYS_ioctl, 0, TIOCSTI, "x") >= 0 || errno != EPERM)
                        _exit(13);
                c = fork();
                if (c == 0)
                        _exit(0);
                if (c < 0 || waitpid(c, NULL, 0) != c)
                        _exit(14);
                if (allow_nesting)
                        _exit(0);
                if (unshare(CLONE_NEWUSER) >= 0 || errno != EPERM)
                        _exit(15);
                if (syscall(SYS_clone3, NULL, 0) >= 0 || errno != ENOSYS)
                        _exit(16);
#ifdef __s390__
                c = syscall(SYS_clone, 0, CLONE_NEWUSER | SIGCHLD, NULL, NULL, 0);
#else
                c = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0);
#endif
                if (c == 0)
                        _exit(0);
                if (c > 0) {
                        (void) waitpid(c, NULL, 0);
                        _exit(17);
                }
                if (errno != EPERM)
                        _exit(17);
                _exit(0);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "loaded (%s): query allowed, ADDR_NO_RANDOMIZE and TIOCSTI refused, fork() works%s "
                  "(child status %d)",
                  allow_nesting ? "nesting allowed" : "no nesting",
                  allow_nesting ? "" : ", CLONE_NEWUSER refused, clone3() ENOSYS", WEXITSTATUS(status));
}

int main(void) {
        SeccompProgram strict = {}, nesting = {};
        int r;

        r = seccomp_program_build_args(false, &strict);
        CHECK_INT(r, ==, 0);
        CHECK_INT(bpf_check(strict.insns, strict.n_insns), ==, 0);
        CHECK_UINT(strict.n_insns, <, 64);
        r = seccomp_program_build_args(true, &nesting);
        CHECK_INT(r, ==, 0);
        CHECK_INT(bpf_check(nesting.insns, nesting.n_insns), ==, 0);
        CHECK_UINT(nesting.n_insns, <, strict.n_insns);
        tap_diag("%zu instructions, %zu with nesting allowed", strict.n_insns, nesting.n_insns);

        test_terminal_personality(&strict, "no nesting");
        test_terminal_personality(&nesting, "nesting allowed");
        test_nesting(&strict, false);
        test_nesting(&nesting, true);

        fflush(stdout);
        test_load(&strict, false);
        test_load(&nesting, true);

        seccomp_program_done(&strict);
        seccomp_program_done(&nesting);
        return tap_finish();
}
