/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A resource hog for the VM bed's limit tests, built static by tests/vm/vm-test.sh (busybox machines
 * have no libc) and copied into the machines' tree:
 *
 *   hog mem MIB     allocates MIB MiB a MiB at a time and touches every page; prints "allocated MIB"
 *                   and exits 0 if it got them all (under a smaller memory.max it is OOM-killed first)
 *   hog procs N     forks up to N children that sleep; prints how many forks succeeded, kills the
 *                   children and exits 0
 *   hog bomb        a fork bomb: every process forks for ever (after a failed fork it waits a
 *                   millisecond, so that a guest on emulated CPUs stays usable); never exits */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

static int mem(long mib) {
        const size_t chunk = 1024 * 1024;
        long page = sysconf(_SC_PAGESIZE);

        for (long i = 0; i < mib; i++) {
                char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED) {
                        fprintf(stderr, "hog: mmap after %ld MiB: %s\n", i, strerror(errno));
                        return 1;
                }
                for (size_t o = 0; o < chunk; o += (size_t) page)
                        p[o] = (char) (i + 1);
        }
        printf("allocated %ld\n", mib);
        return 0;
}

static int procs(long n) {
        pid_t *kids = calloc((size_t) n, sizeof(pid_t));
        long ok = 0;

        if (!kids)
                return 1;
        for (long i = 0; i < n; i++) {
                pid_t p = fork();
                if (p < 0)
                        continue;
                if (p == 0) {
                        for (;;)
                                pause();
                }
                kids[ok++] = p;
        }
        printf("%ld\n", ok);
        fflush(stdout);
        for (long i = 0; i < ok; i++)
                kill(kids[i], SIGKILL);
        for (long i = 0; i < ok; i++)
                waitpid(kids[i], NULL, 0);
        return 0;
}

static int bomb(void) {
        signal(SIGCHLD, SIG_IGN);
        for (;;) {
                if (fork() < 0)
                        nap_ms(1);
        }
}

int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[1], "mem") == 0)
                return mem(atol(argv[2]));
        if (argc == 3 && strcmp(argv[1], "procs") == 0)
                return procs(atol(argv[2]));
        if (argc == 2 && strcmp(argv[1], "bomb") == 0)
                return bomb();
        fprintf(stderr, "usage: hog mem MIB | hog procs N | hog bomb\n");
        return 2;
}
