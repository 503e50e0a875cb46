/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* settings_file_apply(), for .nspawn files (one beside an image is untrusted). */

#include "fuzz.h"
#include "settings-file.h"
#include "strv.h"

/* Fixed, so percentages stay reproducible. */
static const CgroupHostFacts host = { .physical_memory = UINT64_C(16) << 30, .pid_max = 4194304 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size);

        for (int trusted = 0; trusted < 2; trusted++) {
                Settings *st = settings_new();
                char **ignored = NULL, *error = NULL;
                unsigned line = 0;
                int r;

                FUZZ_ASSERT(st);
                r = settings_file_apply_full(st, s, trusted, &host, &ignored, &line, &error);

                FUZZ_ASSERT(r != -EINVAL || !error || !strchr(error, '\n'));
                if (r >= 0 && !trusted) {
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
                        /* Limits only restrict: no slice of its choosing, no share above the default. */
                        FUZZ_ASSERT(!st->slice);
                        FUZZ_ASSERT(st->limits.cpu_weight == CGROUP_LIMIT_UNSET ||
                                    st->limits.cpu_weight <= 100);
                        FUZZ_ASSERT(st->limits.io_weight == CGROUP_LIMIT_UNSET ||
                                    st->limits.io_weight <= 100);
                }
                free(error);
                strv_free(ignored);
                settings_free(st);
        }
        free(s);
        return 0;
}
