/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* custom_mount_parse_bind(), for --bind= and --bind-ro=. */

#include "fuzz.h"
#include "path-util.h"
#include "settings.h"
#include "strv.h"

static void check(const char *s, bool ro) {
        CustomMount m = {};

        if (custom_mount_parse_bind(s, ro, &m) < 0)
                return;
        FUZZ_ASSERT(m.type == CUSTOM_MOUNT_BIND);
        FUZZ_ASSERT(m.read_only == ro);
        FUZZ_ASSERT(m.source && path_is_normalized_absolute(m.source) && !string_has_cc(m.source));
        FUZZ_ASSERT(m.destination && path_is_normalized_absolute(m.destination) &&
                    !string_has_cc(m.destination));
        FUZZ_ASSERT(!m.options && !m.lower && !m.upper);
        FUZZ_ASSERT(m.idmap >= -1 && m.idmap <= 1);
        custom_mount_done(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size);

        check(s, false);
        check(s, true);
        free(s);
        return 0;
}
