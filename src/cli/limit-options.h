#pragma once

#include <getopt.h>
#include <stdbool.h>

#include "cgroup-limits.h"

/* The resource limit options of run, boot and set-limit, made from cgroup_limit_options[]: long options
 * only (--memory-max=, --cpu-quota=, …), each standing for its [Resources] key and taking its syntax.
 * getopt_long() returns LIMIT_OPTION_FIRST plus the option's index in the table for them. */

#define LIMIT_OPTION_FIRST 0x1000

/* A copy of options (ended by an all-zero entry) with the limit options added before its end. NULL
 * when out of memory; free() it. */
struct option *limit_options_append(const struct option *options);

/* Whether getopt_long()'s return value c is one of them. */
bool limit_option_is(int c);

/* Sets the limit of option c (limit_option_is(c)) from its argument into l. An empty argument unsets
 * it, as an empty value in a settings file does. Returns 0, or an exit code after printing the reason
 * as "berth: --memory-max=12Q: expected ...". A percentage of memory or of pid_max reads the host's. */
int limit_option_parse(int c, const char *arg, CgroupLimits *l);

/* The options' --help lines. */
void limit_options_help(void);
