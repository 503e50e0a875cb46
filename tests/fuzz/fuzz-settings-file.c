/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* settings_file_apply(), for .nspawn files (one beside an image is untrusted). */

#include "fuzz.h"
#include "settings-file.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size);

        for (int trusted = 0; trusted < 2; trusted++) {
                Settings *st = settings_new();
                char **ignored = NULL;
                unsigned line = 0;

                FUZZ_ASSERT(st);
                if (settings_file_apply(st, s, trusted, &ignored, &line) >= 0 && !trusted) {
                        /* Nothing in an untrusted file may grant privileges. */
                        FUZZ_ASSERT(st->capability_add == 0 && !st->syscall_allow);
                        FUZZ_ASSERT(st->network == NETWORK_PRIVATE);
                        /* A block of its own is all it may ask for: no host IDs, no nesting, and
                         * no_new_privs stays on or at its default. */
                        FUZZ_ASSERT(st->private_users == PRIVATE_USERS_PICK);
                        FUZZ_ASSERT(st->uid_shift == 0 && st->uid_range == 0);
                        FUZZ_ASSERT(!st->allow_nesting);
                        FUZZ_ASSERT(st->no_new_privileges != 0);
                        for (size_t i = 0; i < st->n_mounts; i++)
                                FUZZ_ASSERT(st->mounts[i].type == CUSTOM_MOUNT_TMPFS);
                }
                strv_free(ignored);
                settings_free(st);
        }
        free(s);
        return 0;
}
