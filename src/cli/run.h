#pragma once

#include "settings.h"

/* Parses `berth run` arguments (argv[0] is the verb) into base (taken over), or new Settings when base is
 * NULL. Returns 0, or an exit code > 0 after printing the reason (or the help, with 0 and NULL). */
int run_parse_args(int argc, char *argv[], bool boot, Settings *base, Settings **ret);
int verb_run(int argc, char *argv[]);
int verb_boot(int argc, char *argv[]);
