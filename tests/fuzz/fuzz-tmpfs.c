/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* custom_mount_parse_tmpfs(), for --tmpfs=. */

#include "fuzz.h"
#include "path-util.h"
#include "settings.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size);
        CustomMount m = {};

        if (custom_mount_parse_tmpfs(s, &m) >= 0) {
                FUZZ_ASSERT(m.type == CUSTOM_MOUNT_TMPFS);
                FUZZ_ASSERT(m.destination && path_is_normalized_absolute(m.destination));
                FUZZ_ASSERT(!string_has_cc(m.destination));
                FUZZ_ASSERT(m.options && m.options[0] && !string_has_cc(m.options));
                FUZZ_ASSERT(!m.source && !m.lower && !m.upper);
                custom_mount_done(&m);
        }
        free(s);
        return 0;
}
