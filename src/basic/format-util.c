#include <inttypes.h>
#include <stdio.h>

#include "format-util.h"
#include "macro.h"

char *format_bytes(uint64_t bytes, char *buf, size_t size) {
        static const char units[] = "KMGTPE";
        uint64_t factor = 1024;
        size_t i = 0;

        if (bytes < 1024) {
                snprintf(buf, size, "%" PRIu64 "B", bytes);
                return buf;
        }
        /* The largest unit the value reaches; the remainder stays below factor, so "* 10" cannot
         * overflow even for exbibytes. */
        while (i + 1 < sizeof(units) - 1 && bytes / factor >= 1024) {
                factor *= 1024;
                i++;
        }
        snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%c", bytes / factor, (bytes % factor) * 10 / factor,
                 units[i]);
        return buf;
}

char *format_timespan_usec(uint64_t usec, char *buf, size_t size) {
        const uint64_t ms = 1000, s = 1000 * ms, min = 60 * s, h = 60 * min, d = 24 * h;

        if (usec < ms)
                snprintf(buf, size, "%" PRIu64 "us", usec);
        else if (usec < s)
                snprintf(buf, size, "%" PRIu64 "ms", usec / ms);
        else if (usec < min)
                snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "s", usec / s, usec % s / (100 * ms));
        else if (usec < h)
                snprintf(buf, size, "%" PRIu64 "min %" PRIu64 "s", usec / min, usec % min / s);
        else if (usec < d)
                snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "min", usec / h, usec % h / min);
        else
                snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h", usec / d, usec % d / h);
        return buf;
}
