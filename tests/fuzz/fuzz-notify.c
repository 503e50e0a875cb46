/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* notify_parse(), for what a guest's init sends on /run/host/notify (untrusted bytes, not a string). */

#include <string.h>

#include "fuzz.h"
#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NotifyUpdate u = {};

        if (notify_parse((const char *) data, size, &u) >= 0) {
                FUZZ_ASSERT(size <= NOTIFY_MESSAGE_MAX);
                if (u.status) {
                        FUZZ_ASSERT(strlen(u.status) <= NOTIFY_STATUS_MAX);
                        for (const char *c = u.status; *c; c++)
                                FUZZ_ASSERT((unsigned char) *c >= ' ' && *c != 0x7f);
                }
                notify_update_done(&u);
        } else
                FUZZ_ASSERT(size > NOTIFY_MESSAGE_MAX);
        return 0;
}
