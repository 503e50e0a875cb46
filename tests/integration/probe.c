/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A tiny static helper for the integration tests: it makes single system calls with harmless
 * arguments and prints what happened, one "NAME=RESULT" line per probe, RESULT being "ok" or the
 * errno name (EPERM, ENOSYS, ...). Built by lib.sh with `cc -static`, then bound into machines.
 *
 *   probe sys NAME...     e.g. probe sys keyctl bpf listmount
 *   probe clock           prints "monotonic=SEC boottime=SEC realtime=SEC"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static long call(const char *name) {
        if (!strcmp(name, "keyctl")) /* KEYCTL_GET_KEYRING_ID of the session keyring */
                return syscall(SYS_keyctl, 0, -3, 0);
        if (!strcmp(name, "add_key")) /* NULL type: EFAULT when the call gets through */
                return syscall(SYS_add_key, NULL, NULL, NULL, 0, -3);
        if (!strcmp(name, "request_key"))
                return syscall(SYS_request_key, NULL, NULL, NULL, 0);
        if (!strcmp(name, "bpf")) /* an invalid command: EINVAL when the call gets through */
                return syscall(SYS_bpf, -1, NULL, 0);
        if (!strcmp(name, "perf_event_open")) /* NULL attr: EFAULT */
                return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
        if (!strcmp(name, "open_by_handle_at")) /* bad fd / NULL handle */
                return syscall(SYS_open_by_handle_at, -1, NULL, 0);
        if (!strcmp(name, "syslog")) /* SYSLOG_ACTION_SIZE_BUFFER: read-only */
                return syscall(SYS_syslog, 10, NULL, 0);
        if (!strcmp(name, "kexec_load")) /* EINVAL for bad flags when it gets through */
                return syscall(SYS_kexec_load, 0, 0, NULL, 0xffff0000UL);
        if (!strcmp(name, "init_module"))
                return syscall(SYS_init_module, NULL, 0, "");
        if (!strcmp(name, "swapoff"))
                return syscall(SYS_swapoff, "/nonexistent-berth-probe");
        if (!strcmp(name, "iopl")) /* level 0 changes nothing */
                return syscall(SYS_iopl, 0);
        if (!strcmp(name, "uselib"))
                return syscall(SYS_uselib, "/nonexistent-berth-probe");
        if (!strcmp(name, "adjtimex_read")) { /* modes == 0 only reads */
                struct { unsigned int modes; char pad[252]; } tx = { 0 };
                return syscall(SYS_adjtimex, &tx);
        }
        if (!strcmp(name, "listmount")) /* newer than the allow-list: NULL request gives EFAULT */
                return syscall(458, NULL, NULL, 0, 0);
        if (!strcmp(name, "sysfs")) /* @obsolete, not allowed: number of file system types */
                return syscall(SYS_sysfs, 3);
        if (!strcmp(name, "uname")) {
                struct utsname u;
                return uname(&u);
        }
        if (!strcmp(name, "getpid"))
                return syscall(SYS_getpid);
        if (!strcmp(name, "unassigned")) /* no such system call at all */
                return syscall(1000);
#if defined(__x86_64__)
        if (!strcmp(name, "x32_keyctl")) /* the x32 ABI: native numbers with bit 30 set */
                return syscall(0x40000000L | SYS_keyctl, 0, -3, 0);
        if (!strcmp(name, "x32_getpid"))
                return syscall(0x40000000L | SYS_getpid);
        if (!strcmp(name, "i386_keyctl") || !strcmp(name, "i386_getpid")) {
                /* The compat entry point: i386 numbers through int $0x80. */
                long nr = !strcmp(name, "i386_keyctl") ? 288 : 20, ret;
                long a = 0, b = -3;
                __asm__ volatile("int $0x80" : "=a"(ret) : "0"(nr), "b"(a), "c"(b), "d"(0) : "memory");
                if (ret < 0 && ret > -4096) {
                        errno = (int) -ret;
                        return -1;
                }
                return ret;
        }
#endif
        if (!strcmp(name, "personality_query")) /* 0xffffffff only reads the persona */
                return syscall(SYS_personality, 0xffffffffUL);
        if (!strcmp(name, "personality_linux32"))
                return syscall(SYS_personality, 0x0008UL /* PER_LINUX32 */);
        if (!strcmp(name, "personality_norandom")) /* ADDR_NO_RANDOMIZE: weakens ASLR */
                return syscall(SYS_personality, 0x0040000UL);
        if (!strcmp(name, "personality_exec")) /* READ_IMPLIES_EXEC */
                return syscall(SYS_personality, 0x0400000UL);
        if (!strncmp(name, "tiocsti", 7) || !strcmp(name, "tioclinux")) {
                /* Push a byte into a pty of our own: allowed for root with CAP_SYS_ADMIN, unless a filter
                 * refuses the ioctl. */
                int m = open("/dev/ptmx", O_RDWR | O_NOCTTY), s, unlock = 0;
                char c = 'x', *name2;
                if (m < 0 || ioctl(m, TIOCSPTLCK, &unlock) < 0 || !(name2 = ptsname(m)))
                        return -1;
                s = open(name2, O_RDWR | O_NOCTTY);
                if (s < 0)
                        return -1;
                if (!strcmp(name, "tiocsti_high")) /* the kernel only looks at the low 32 bits */
                        return syscall(SYS_ioctl, s, (unsigned long) TIOCSTI | (1UL << 32), &c);
                if (!strcmp(name, "tioclinux")) { /* a pty is no VT: EINVAL when it gets through */
                        char sub = 0;
                        return ioctl(s, TIOCLINUX, &sub);
                }
                return ioctl(s, TIOCSTI, &c);
        }
        errno = EINVAL;
        fprintf(stderr, "probe: unknown probe '%s'\n", name);
        exit(2);
}

static double clock_sec(clockid_t id) {
        struct timespec ts;
        if (clock_gettime(id, &ts) < 0)
                return -1;
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[]) {
        if (argc >= 2 && !strcmp(argv[1], "clock")) {
                printf("monotonic=%.0f boottime=%.0f realtime=%.0f\n", clock_sec(CLOCK_MONOTONIC),
                       clock_sec(CLOCK_BOOTTIME), clock_sec(CLOCK_REALTIME));
                return 0;
        }
        if (argc >= 3 && !strcmp(argv[1], "sys")) {
                for (int i = 2; i < argc; i++) {
                        long r;
                        errno = 0;
                        r = call(argv[i]);
                        if (r < 0)
                                printf("%s=%s\n", argv[i], strerrorname_np(errno) ?: "E?");
                        else
                                printf("%s=ok\n", argv[i]);
                }
                fflush(stdout);
                return 0;
        }
        fprintf(stderr, "usage: probe sys NAME... | probe clock\n");
        return 2;
}
