#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One progress line on stderr for long work (create, clone by copy, import, export): bytes done, and
 * when the total is known the percentage, rate and ETA; items (files, entries) as they are counted. It
 * prints nothing when stderr is not a tty or when asked to be quiet, redraws at most a few times a
 * second, and clears its line at the end, so whatever is printed next starts on a clean line.
 *
 *   Progress p;
 *   progress_init(&p, "import", "entries", arg_quiet);
 *   ... progress_update(&p, bytes_done, bytes_total_or_0, entries); ...
 *   progress_end(&p);
 */

#define PROGRESS_LINE_MAX 160

typedef struct Progress {
        const char *label;      /* "import": what is being done */
        const char *items_name; /* "entries", "files" */
        bool enabled;
        bool drawn; /* a line is on the screen and must be cleared */
        uint64_t start_usec;
        uint64_t last_draw_usec;
} Progress;

/* Enabled when !quiet and stderr is a tty. label and items_name must outlive the Progress. */
void progress_init(Progress *p, const char *label, const char *items_name, bool quiet);
/* total = 0: unknown (no percentage and no ETA). Redraws at most every 200 ms. */
void progress_update(Progress *p, uint64_t done, uint64_t total, uint64_t items);
/* Clears the line (when one was drawn). Safe to call twice. */
void progress_end(Progress *p);

/* The text of one line, without terminal control: "import 12.3M/100.0M 12% 1234 entries 4.5M/s ETA 20s".
 * elapsed_usec gives the rate; the rate is left out below 1 s, where it would be noise. Returns buf. */
char *progress_format(char *buf, size_t size, const char *label, const char *items_name, uint64_t done,
                      uint64_t total, uint64_t items, uint64_t elapsed_usec);
