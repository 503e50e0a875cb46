/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* machine_name_is_valid() and hostname_is_valid(). */

#include "fuzz.h"
#include "machine-name.h"

static bool in_set(char c, const char *extra) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               strchr(extra, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size);
        size_t n = strlen(s);

        if (machine_name_is_valid(s)) {
                FUZZ_ASSERT(n >= 1 && n <= MACHINE_NAME_MAX);
                FUZZ_ASSERT(s[0] != '.' && s[0] != '-');
                for (size_t i = 0; i < n; i++)
                        FUZZ_ASSERT(s[i] != '\0' && in_set(s[i], "._-"));
                /* The machine name is the default hostname. */
                FUZZ_ASSERT(hostname_is_valid(s));
        }
        if (hostname_is_valid(s)) {
                FUZZ_ASSERT(n >= 1 && n <= 64);
                FUZZ_ASSERT(s[0] != '.' && s[n - 1] != '.' && !strstr(s, ".."));
                for (size_t i = 0; i < n; i++)
                        FUZZ_ASSERT(s[i] != '\0' && in_set(s[i], "._-"));
        }
        free(s);
        return 0;
}
