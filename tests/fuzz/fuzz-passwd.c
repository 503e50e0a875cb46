/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* user_record_find() and user_groups_find() on arbitrary passwd/group text, and the environment built
 * from what was found. */

#include "fuzz.h"
#include "strv.h"
#include "user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const specs[] = { "root",  "0",          "1000", "nobody",
                                             "alice", "4294967294", "a:b",  NULL };
        char *s = fuzz_string(data, size);
        gid_t groups[USER_GROUPS_MAX];

        for (const char *const *spec = specs; *spec; spec++) {
                UserRecord u = {};
                char **env = NULL;
                size_t n = 0;
                int r;

                r = user_record_find(s, *spec, &u);
                FUZZ_ASSERT(r == 0 || r == -ESRCH);
                if (r == 0) {
                        FUZZ_ASSERT(u.name && u.home && u.shell && u.home[0] && u.shell[0]);
                        FUZZ_ASSERT(!strchr(u.name, ':') && !strchr(u.name, '\n'));
                        FUZZ_ASSERT(environment_build(&u, "xterm", NULL, NULL, &env) == 0);
                        FUZZ_ASSERT(strv_length(env) == 7);
                        strv_free(env);
                        user_record_done(&u);
                }

                r = user_groups_find(s, *spec, groups, USER_GROUPS_MAX, &n);
                FUZZ_ASSERT(r == 0 || r == -E2BIG);
                if (r == 0)
                        FUZZ_ASSERT(n <= USER_GROUPS_MAX);
        }
        free(s);
        return 0;
}
