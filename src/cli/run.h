#pragma once

#include "settings.h"

/* Parses `berth run` arguments (argv[0] is the verb) into a new Settings. Returns 0, or an exit code
 * > 0 after printing the reason (or the help, with 0 in *ret_exit and NULL settings). */
int run_parse_args(int argc, char *argv[], bool boot, Settings **ret);
int verb_run(int argc, char *argv[]);
int verb_boot(int argc, char *argv[]);
