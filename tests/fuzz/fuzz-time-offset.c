/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* time_offset_parse(), for --time-offset=. */

#include "fuzz.h"
#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* The parser's own limit: ten years of 366 days. */
        const int64_t limit = 10LL * 366 * 24 * 3600 * 1000000000LL;
        char *s = fuzz_string(data, size);
        int64_t mono = INT64_MIN, boot = INT64_MIN;

        if (time_offset_parse(s, &mono, &boot) >= 0) {
                FUZZ_ASSERT(mono >= -limit && mono <= limit);
                FUZZ_ASSERT(boot >= -limit && boot <= limit);
        }
        free(s);
        return 0;
}
