/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* machine_state_parse(): whatever it accepts must serialize, and parse again to the same state. */

#include "fuzz.h"
#include "state.h"
#include "strv.h"

static bool str_eq(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size), *text = NULL;
        MachineState a = {}, b = {};
        int r;

        if (machine_state_parse(s, &a) >= 0) {
                FUZZ_ASSERT(a.name);
                r = machine_state_serialize(&a, &text);
                if (r == -E2BIG) {
                        /* Accepted input near the size cap may serialize larger (defaults are written
                         * out): refusing it is right, writing what cannot be read back is not. */
                        machine_state_done(&a);
                        free(s);
                        return 0;
                }
                if (r < 0)
                        fprintf(stderr, "serialize failed: %d\n", r);
                FUZZ_ASSERT(r >= 0);
                FUZZ_ASSERT(strlen(text) <= MACHINE_STATE_SIZE_MAX);
                r = machine_state_parse(text, &b);
                if (r < 0)
                        fprintf(stderr, "re-parse failed: %d; serialized text (%zu bytes):\n%.512s\n", r,
                                strlen(text), text);
                FUZZ_ASSERT(r >= 0);
                FUZZ_ASSERT(str_eq(a.name, b.name) && str_eq(a.root, b.root) && str_eq(a.uuid, b.uuid) &&
                            str_eq(a.cgroup, b.cgroup));
                FUZZ_ASSERT(str_eq(a.class ?: "container", b.class));
                FUZZ_ASSERT(a.leader == b.leader && a.monitor == b.monitor && a.since_usec == b.since_usec);
                /* A start time only means something with its pid; serialize drops it otherwise. */
                FUZZ_ASSERT(a.monitor <= 0 || a.monitor_starttime == b.monitor_starttime);
                FUZZ_ASSERT(a.leader <= 0 || a.leader_starttime == b.leader_starttime);
                FUZZ_ASSERT(strv_length(a.cleanup_paths) == strv_length(b.cleanup_paths));
                FUZZ_ASSERT(a.no_new_privileges == b.no_new_privileges &&
                            a.allow_nesting == b.allow_nesting);
                /* The user namespace lines only mean something with a range; serialize drops them
                 * otherwise and writes the defaults for missing names. */
                FUZZ_ASSERT(a.uid_count == b.uid_count);
                if (a.uid_count > 0) {
                        FUZZ_ASSERT(a.uid_base == b.uid_base);
                        FUZZ_ASSERT(str_eq(a.private_users ?: "pick", b.private_users));
                        FUZZ_ASSERT(str_eq(a.ownership ?: "off", b.ownership));
                } else
                        FUZZ_ASSERT(!b.private_users && !b.ownership && b.uid_base == 0);
                machine_state_done(&b);
                free(text);
                machine_state_done(&a);
        }
        free(s);
        return 0;
}
