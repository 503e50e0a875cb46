#pragma once

#include <signal.h>
#include <stdbool.h>

/* Host-side pieces of booting a tree (the container interface and the guest's exit). */

/* container_host_* from the host's os-release (and NOTIFY_SOCKET=/run/host/notify when booting), as
 * NAME=VALUE strings for the guest's PID 1. */
int boot_environment(bool boot, char ***ret);

/* The tree's PRETTY_NAME (or NAME, or ID) from its own os-release, found beneath root_fd; NULL if none. */
char *tree_pretty_name(int root_fd);

/* The exit status of a booted machine from its PID 1's end: the kernel ends the init of a PID namespace
 * that calls reboot(2) with SIGINT for power-off and halt (0) and SIGHUP for a reboot (133, as
 * systemd-nspawn). Anything else as for run. */
#define BOOT_EXIT_REBOOT 133
int boot_exit_status(const siginfo_t *si);
