/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* settings_file_apply(), for .nspawn files (one beside an image is untrusted), and settings_file_set_keys()
 * writing a file's limits back into it. */

#include "fuzz.h"
#include "settings-file.h"
#include "strv.h"

/* Fixed, so percentages stay reproducible. */
static const CgroupHostFacts host = { .physical_memory = UINT64_C(16) << 30, .pid_max = 4194304 };

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The same lines, in any order. */
static bool same_lines(char **a, char **b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        if (n > 0) {
                qsort(a, n, sizeof(char *), cmp_str);
                qsort(b, n, sizeof(char *), cmp_str);
        }
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

/* The file's limits written into its own [Resources] (as set-limit --persist does) give the same
 * limits. */
static void check_set_keys(const char *text, const Settings *st) {
        char **lines = NULL, **again = NULL, **ignored = NULL, *out = NULL;
        Settings *st2 = settings_new();
        unsigned line = 0;

        FUZZ_ASSERT(st2);
        FUZZ_ASSERT(cgroup_limits_to_strv(&st->limits, &lines) == 0);
        if (settings_file_set_keys(text, "Resources", lines, &out) == 0) {
                FUZZ_ASSERT(settings_file_apply_full(st2, out, true, &host, &ignored, &line, NULL) == 0);
                FUZZ_ASSERT(cgroup_limits_to_strv(&st2->limits, &again) == 0);
                FUZZ_ASSERT(same_lines(lines, again));
                FUZZ_ASSERT(streq_ptr(st->slice, st2->slice));
        }
        strv_free(lines);
        strv_free(again);
        strv_free(ignored);
        free(out);
        settings_free(st2);
}

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
                if (r >= 0 && trusted)
                        check_set_keys(s, st);
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
