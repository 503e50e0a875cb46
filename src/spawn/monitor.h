#pragma once

#include "settings.h"

/* Runs a machine in the foreground and returns when its PID 1 is gone: *ret_status is the command's
 * exit status (128+N for a signal). Negative errno when berth itself failed; the reason is logged. */
int machine_run(const Settings *s, int *ret_status);

/* What the monitor logs when it had to kill a guest that did not power off within --kill-timeout=; berth
 * stop finds it in the log of a machine berth start ran, to tell a clean power-off from a kill. */
#define MONITOR_KILLED_MESSAGE "did not power off within"
