/* The argument filter: ioctl(TIOCSTI/TIOCLINUX) and personality() refused by argument, on every ABI of
 * the machine filter, everything else left alone. Evaluated with the BPF interpreter, then loaded for
 * real in a child. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/personality.h>
#include <seccomp.h>
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
#define DENY (SECCOMP_RET_ERRNO | EPERM)

static uint32_t eval(const SeccompProgram *p, uint32_t arch, int nr, uint64_t a0, uint64_t a1) {
        struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1 } };
        return bpf_eval(p->insns, p->n_insns, &d);
}

int main(void) {
        SeccompProgram p = {};
        uint32_t arches[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n;
        int r;

        r = seccomp_program_build_args(&p);
        CHECK_INT(r, ==, 0);
        CHECK_INT(bpf_check(p.insns, p.n_insns), ==, 0);
        CHECK_UINT(p.n_insns, <, 64);

        n = seccomp_machine_arches(arches);
        for (size_t i = 0; i < n; i++) {
                uint32_t token = seccomp_compact_arch_token(arches[i]);
                int ioctl_nr = seccomp_syscall_resolve_name_arch(arches[i], "ioctl");
                int pers_nr = seccomp_syscall_resolve_name_arch(arches[i], "personality");
                int read_nr = seccomp_syscall_resolve_name_arch(arches[i], "read");

                tap_diag("arch 0x%x: ioctl=%d personality=%d", arches[i], ioctl_nr, pers_nr);
                CHECK(ioctl_nr >= 0 && pers_nr >= 0 && read_nr >= 0);
                CHECK_UINT(eval(&p, token, ioctl_nr, 0, TIOCSTI), ==, DENY);
                CHECK_UINT(eval(&p, token, ioctl_nr, 0, TIOCLINUX), ==, DENY);
                /* The kernel reads the request as 32 bits: garbage above must not hide it. */
                CHECK_UINT(eval(&p, token, ioctl_nr, 0, 0xdead000000000000ULL | TIOCSTI), ==, DENY);
                CHECK_UINT(eval(&p, token, ioctl_nr, 0, TCGETS), ==, ALLOW);
                CHECK_UINT(eval(&p, token, ioctl_nr, 0, TIOCGWINSZ), ==, ALLOW);
                CHECK_UINT(eval(&p, token, pers_nr, PER_LINUX, 0), ==, ALLOW);
                CHECK_UINT(eval(&p, token, pers_nr, PER_LINUX32, 0), ==, ALLOW);
                CHECK_UINT(eval(&p, token, pers_nr, 0xffffffffULL, 0), ==, ALLOW);
                CHECK_UINT(eval(&p, token, pers_nr, ADDR_NO_RANDOMIZE, 0), ==, DENY);
                CHECK_UINT(eval(&p, token, pers_nr, READ_IMPLIES_EXEC, 0), ==, DENY);
                CHECK_UINT(eval(&p, token, pers_nr, PER_LINUX | ADDR_NO_RANDOMIZE, 0), ==, DENY);
                CHECK_UINT(eval(&p, token, pers_nr, PER_SVR4, 0), ==, DENY);
                CHECK_UINT(eval(&p, token, read_nr, TIOCSTI, TIOCSTI), ==, ALLOW);
        }
        /* An architecture the machine filter does not know is its business (it kills). */
        CHECK_UINT(eval(&p, AUDIT_ARCH_AARCH64 ^ 0x1000, 16, 0, TIOCSTI), ==, ALLOW);

        /* For real: in a child with no_new_privs, personality(ADDR_NO_RANDOMIZE) fails with EPERM, the
         * query works. */
        {
                pid_t pid = fork();
                int status = 0;

                if (pid == 0) {
                        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_program_load(&p) < 0)
                                _exit(10);
                        if (syscall(SYS_personality, 0xffffffffUL) < 0)
                                _exit(11);
                        if (syscall(SYS_personality, ADDR_NO_RANDOMIZE) >= 0 || errno != EPERM)
                                _exit(12);
                        if (syscall(SYS_ioctl, 0, TIOCSTI, "x") >= 0 || errno != EPERM)
                                _exit(13);
                        _exit(0);
                }
                CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
                CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                          "loaded: query allowed, ADDR_NO_RANDOMIZE and TIOCSTI refused (child status %d)",
                          WEXITSTATUS(status));
        }
        seccomp_program_done(&p);
        return tap_finish();
}
