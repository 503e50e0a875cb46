/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* syscall_filter_parse(), for --system-call-filter=, and expanding what it returns. */

#include "fuzz.h"
#include "seccomp-setup.h"
#include "settings.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size);
        char **names = NULL, **expanded = NULL;
        bool deny = false;

        if (syscall_filter_parse(s, &deny, &names) >= 0) {
                FUZZ_ASSERT(strv_length(names) >= 1);
                FUZZ_ASSERT(deny == (s[0] == '~'));
                STRV_FOREACH (n, names)
                        FUZZ_ASSERT((*n)[0] != '\0' && strlen(*n) <= 65 && !strchr(*n, ' '));
                if (seccomp_expand((const char *const *) names, &expanded) >= 0)
                        strv_free(expanded);
                strv_free(names);
        }
        free(s);
        return 0;
}
