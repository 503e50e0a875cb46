#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format-util.h"
#include "macro.h"
#include "progress.h"
#include "time-util.h"

#define PROGRESS_INTERVAL_USEC (200 * 1000ULL)

void progress_init(Progress *p, const char *label, const char *items_name, bool quiet) {
        *p = (Progress){
                .label = label,
                .items_name = items_name ?: "items",
                .enabled = !quiet && isatty(STDERR_FILENO),
                .start_usec = now_usec(CLOCK_MONOTONIC),
        };
}

/* Appends to buf at *pos, never past size (a line that does not fit is cut, never overflowed). */
static void append(char *buf, size_t size, size_t *pos, const char *fmt, ...) _printf_(4, 5);
static void append(char *buf, size_t size, size_t *pos, const char *fmt, ...) {
        va_list ap;
        int k;

        if (*pos >= size)
                return;
        va_start(ap, fmt);
        k = vsnprintf(buf + *pos, size - *pos, fmt, ap);
        va_end(ap);
        if (k > 0)
                *pos = MIN(size - 1, *pos + (size_t) k);
}

char *progress_format(char *buf, size_t size, const char *label, const char *items_name, uint64_t done,
                      uint64_t total, uint64_t items, uint64_t elapsed_usec) {
        char a[FORMAT_BYTES_MAX], b[FORMAT_BYTES_MAX], t[FORMAT_TIMESPAN_MAX];
        size_t pos = 0;
        uint64_t rate = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        append(buf, size, &pos, "%s %s", label ?: "", format_bytes(done, a, sizeof(a)));
        if (total > 0) {
                /* Progress past an estimate is shown as 100%, not as 117%; huge totals are divided first
                 * so "* 100" cannot overflow. */
                uint64_t percent = done >= total              ? 100
                                   : total > UINT64_MAX / 100 ? done / (total / 100)
                                                              : done * 100 / total;

                append(buf, size, &pos, "/%s %" PRIu64 "%%", format_bytes(total, b, sizeof(b)), percent);
        }
        if (items > 0)
                append(buf, size, &pos, " %" PRIu64 " %s", items, items_name ?: "items");
        if (elapsed_usec >= 1000000ULL) {
                /* bytes per second without overflowing for large values: whole seconds are enough. */
                rate = done / (elapsed_usec / 1000000ULL);
                append(buf, size, &pos, " %s/s", format_bytes(rate, a, sizeof(a)));
        }
        if (total > 0 && rate > 0 && done < total)
                append(buf, size, &pos, " ETA %s",
                       format_timespan_usec((total - done) / rate * 1000000ULL, t, sizeof(t)));
        return buf;
}

void progress_update(Progress *p, uint64_t done, uint64_t total, uint64_t items) {
        char line[PROGRESS_LINE_MAX];
        uint64_t now;

        if (!p || !p->enabled)
                return;
        now = now_usec(CLOCK_MONOTONIC);
        if (p->drawn && now - p->last_draw_usec < PROGRESS_INTERVAL_USEC)
                return;
        p->last_draw_usec = now;
        progress_format(line, sizeof(line), p->label, p->items_name, done, total, items,
                        now - p->start_usec);
        /* \r to the start of the line, the text, then erase what a longer earlier line left. */
        fprintf(stderr, "\r%s\033[K", line);
        fflush(stderr);
        p->drawn = true;
}

void progress_end(Progress *p) {
        if (!p || !p->enabled || !p->drawn)
                return;
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = false;
}
