#pragma once

#include "state.h"

/* Finds a running machine for a client verb (state entry, live monitor, leader pidfd checked against its
 * start time). Returns 0, or an exit code after saying why. */
int machine_open(const char *verb, const char *name, MachineState *ret, int *ret_pidfd);

/* Whether the machine's cgroup on record is its own by name (…/berth-NAME.scope under /sys/fs/cgroup), or
 * the unit its monitor ran in with --keep-unit (UNIT=), so a client may act on it. */
bool machine_cgroup_is_own(const MachineState *st);
/* Whether the machine's payload is asked to be frozen (berth freeze): 1, 0, or a negative errno. */
int machine_is_frozen(const MachineState *st);

/* What berth poweroff and reboot do to one machine (thawing it first): ask its monitor to power it off,
 * or its init to reboot. Return 0, or an exit code after saying why. */
int machine_ask_poweroff(const char *verb, const MachineState *st);
int machine_ask_reboot(const char *verb, const MachineState *st, int leader_pidfd);

int verb_poweroff(int argc, char *argv[]);
int verb_reboot(int argc, char *argv[]);
int verb_terminate(int argc, char *argv[]);
int verb_kill(int argc, char *argv[]);
int verb_freeze(int argc, char *argv[]);
int verb_thaw(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_enter(int argc, char *argv[]);
int verb_shell(int argc, char *argv[]);
