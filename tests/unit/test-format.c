/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/basic/format-util.c: sizes and durations for tables. */

#include <stdint.h>

#include "format-util.h"
#include "tap.h"

static void test_bytes(void) {
        static const struct {
                uint64_t in;
                const char *out;
        } cases[] = {
                { 0, "0B" },
                { 1, "1B" },
                { 1023, "1023B" },
                { 1024, "1.0K" },
                { 1536, "1.5K" },
                { 1024 * 1024 - 1, "1023.9K" },
                { 1024 * 1024, "1.0M" },
                { 12 * 1024 * 1024 + 512 * 1024, "12.5M" },
                { 30ULL * 1024 * 1024 * 1024, "30.0G" },
                { 5ULL << 40, "5.0T" },
                { 3ULL << 50, "3.0P" },
                { UINT64_MAX, "15.9E" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char buf[FORMAT_BYTES_MAX];
                CHECK_STR(format_bytes(cases[i].in, buf, sizeof(buf)), cases[i].out);
        }
}

static void test_timespan(void) {
        static const struct {
                uint64_t in;
                const char *out;
        } cases[] = {
                { 0, "0us" },
                { 999, "999us" },
                { 1000, "1ms" },
                { 850 * 1000, "850ms" },
                { 1000 * 1000, "1.0s" },
                { 1234567, "1.2s" },
                { 59999999, "59.9s" },
                { 123 * 1000 * 1000, "2min 3s" },
                { 3720ULL * 1000 * 1000, "1h 2min" },
                { 100000ULL * 1000 * 1000, "1d 3h" },
                { UINT64_MAX, "213503982d 8h" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char buf[FORMAT_TIMESPAN_MAX];
                CHECK_STR(format_timespan_usec(cases[i].in, buf, sizeof(buf)), cases[i].out);
        }
}

int main(void) {
        test_bytes();
        test_timespan();
        return tap_finish();
}
