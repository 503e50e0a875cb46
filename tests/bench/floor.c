/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * floor: the cheapest container start the start-latency benchmark compares against.
 *
 *   floor [--netns] TREE COMMAND [ARG...]
 *
 * clone()s a child into new mount, PID, UTS, IPC and cgroup namespaces (plus a network namespace with
 * --netns). The child makes the mount tree private, bind-mounts TREE onto itself, mounts a fresh proc at
 * TREE/proc, pivots into TREE and execs COMMAND (a path inside TREE). The parent waits and exits with the
 * child's status (128 + signal number if it was killed). No cgroups, no devices, no user namespace, no
 * capability dropping: this is the floor, not a container manager.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

struct child_args {
        const char *tree;
        char **argv;
};

static int fail(const char *what) {
        fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
        return 127;
}

static int child_main(void *userdata) {
        const struct child_args *a = userdata;
        char proc[PATH_MAX];

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return fail("making / private");
        if (mount(a->tree, a->tree, NULL, MS_BIND | MS_REC, NULL) < 0)
                return fail("bind-mounting the tree onto itself");
        if (snprintf(proc, sizeof(proc), "%s/proc", a->tree) >= (int) sizeof(proc)) {
                errno = ENAMETOOLONG;
                return fail("tree path");
        }
        if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return fail("mounting proc");
        if (chdir(a->tree) < 0)
                return fail("entering the tree");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return fail("pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                return fail("detaching the old root");
        if (chdir("/") < 0)
                return fail("chdir /");

        execv(a->argv[0], a->argv);
        return fail(a->argv[0]);
}

int main(int argc, char *argv[]) {
        int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | SIGCHLD;
        struct child_args a;
        char *stack;
        pid_t pid;
        int i = 1, status;

        if (i < argc && strcmp(argv[i], "--netns") == 0) {
                flags |= CLONE_NEWNET;
                i++;
        }
        if (argc - i < 2) {
                fprintf(stderr, "usage: floor [--netns] TREE COMMAND [ARG...]\n");
                return 2;
        }
        a.tree = argv[i];
        a.argv = argv + i + 1;

        stack = malloc(STACK_SIZE);
        if (!stack)
                return fail("allocating the child stack");

        pid = clone(child_main, stack + STACK_SIZE, flags, &a);
        if (pid < 0)
                return fail("clone");

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return fail("waitpid");

        free(stack);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 127;
}
