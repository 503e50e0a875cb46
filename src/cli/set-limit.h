#pragma once

/* berth set-limit NAME [--persist] LIMIT-OPTIONS...: a running machine's limits, changed live. */
int verb_set_limit(int argc, char *argv[]);
