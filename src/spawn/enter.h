#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "settings.h"
#include "state.h"

typedef struct EnterRequest {
        const MachineState *machine;
        int leader_pidfd;              /* checked against the recorded start time by the caller */
        char **argv;                   /* NULL: the user's login shell */
        const char *user;              /* NULL: root */
        const char *working_directory; /* NULL: the user's home for a shell, / for a command */
        char **environment;            /* extra NAME=VALUE */
        char **host_environment;       /* set by machine_enter(): container_host_* of the host */
        bool login;                    /* a login shell (argv[0] "-sh"), as berth shell */
        bool join_cgroup;              /* into the machine's payload cgroup (not with --no-cgroup) */
        ConsoleMode console;           /* interactive (a pty in the machine) or pipe */
} EnterRequest;

/* Runs a process inside a running machine: its namespaces (through the leader's pidfd), its cgroup, its
 * capability bounding set and seccomp policy, a user and environment from the machine's own passwd, a
 * pty from the machine's devpts when interactive. No fd of the host but stdio goes in, the process is
 * not dumpable until it execs. *ret_status is the process's exit status (128+N for signal N). */
int machine_enter(const EnterRequest *req, int *ret_status);
