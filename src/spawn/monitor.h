#pragma once

#include "settings.h"

/* Runs a machine in the foreground and returns when its PID 1 is gone: *ret_status is the command's
 * exit status (128+N for a signal). Negative errno when berth itself failed; the reason is logged. */
int machine_run(const Settings *s, int *ret_status);
