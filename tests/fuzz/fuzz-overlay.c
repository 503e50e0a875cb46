/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* custom_mount_parse_overlay(), for --overlay= and --overlay-ro=. */

#include "fuzz.h"
#include "path-util.h"
#include "settings.h"
#include "strv.h"

static void check(const char *s, bool ro) {
        CustomMount m = {};

        if (custom_mount_parse_overlay(s, ro, &m) < 0)
                return;
        FUZZ_ASSERT(m.type == CUSTOM_MOUNT_OVERLAY);
        FUZZ_ASSERT(m.read_only == ro);
        FUZZ_ASSERT(strv_length(m.lower) >= 1);
        STRV_FOREACH (l, m.lower) {
                const char *p = (*l)[0] == '+' ? *l + 1 : *l;
                FUZZ_ASSERT(path_is_normalized_absolute(p) && !string_has_cc(p));
        }
        if (ro)
                FUZZ_ASSERT(!m.upper);
        else
                FUZZ_ASSERT(m.upper && (m.upper[0] == '\0' || path_is_normalized_absolute(m.upper)));
        FUZZ_ASSERT(m.destination && path_is_normalized_absolute(m.destination) &&
                    !string_has_cc(m.destination));
        custom_mount_done(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size);

        check(s, false);
        check(s, true);
        free(s);
        return 0;
}
