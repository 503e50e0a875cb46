#pragma once

/* berth's own exit codes, as documented in berth(1); they follow sysexits.h. For run the command's
 * status comes first: berth only uses these when it failed itself. */
enum {
        EXIT_BERTH_FAILURE = 1,
        EXIT_BERTH_USAGE = 64,       /* EX_USAGE: bad option or argument */
        EXIT_BERTH_NOT_FOUND = 66,   /* EX_NOINPUT: tree or machine not found */
        EXIT_BERTH_UNSUPPORTED = 69, /* EX_UNAVAILABLE: the host lacks something needed */
        EXIT_BERTH_INTERNAL = 70,    /* EX_SOFTWARE */
        EXIT_BERTH_BUSY = 75,        /* EX_TEMPFAIL: name in use */
        EXIT_BERTH_PERMISSION = 77,  /* EX_NOPERM */
};

/* The exit code for a failure reported as a negative errno. */
int exit_code_from_errno(int r);
