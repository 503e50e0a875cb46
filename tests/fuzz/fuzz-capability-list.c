/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* capability_list_parse(), for --capability= and --drop-capability=, and printing the result. */

#include "capability-util.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size);
        uint64_t set = 0;

        if (capability_list_parse(s, &set) >= 0) {
                char *t = capability_set_to_string(set);

                FUZZ_ASSERT(t);
                FUZZ_ASSERT((set == 0) == (t[0] == '\0'));
                free(t);
        }
        free(s);
        return 0;
}
