/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* os_release_get(), for the host's and a tree's os-release (a tree's is untrusted). */

#include <string.h>

#include "fuzz.h"
#include "os-release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const keys[] = { "ID", "PRETTY_NAME", "NAME", "VERSION_ID", "X" };
        char *s = fuzz_string(data, size);

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                char *v = NULL;
                int r = os_release_get(s, keys[i], &v);

                FUZZ_ASSERT(r == 0 || r == -ENOENT);
                if (r == 0) {
                        FUZZ_ASSERT(v && strlen(v) <= strlen(s));
                        FUZZ_ASSERT(!strchr(v, '\n'));
                }
                free(v);
        }
        free(s);
        return 0;
}
