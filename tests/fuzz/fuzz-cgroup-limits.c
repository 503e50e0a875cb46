/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* cgroup_limit_set() and cgroup_limits_to_strv(), for [Resources] keys and the limit options: KEY=VALUE
 * lines in; whatever was accepted must format as lines that parse back to the same lines. */

#include "cgroup-limits.h"
#include "fuzz.h"
#include "strv.h"

/* Fixed, so percentages stay reproducible. */
static const CgroupHostFacts host = { .physical_memory = UINT64_C(16) << 30, .pid_max = 4194304 };

static void apply_line(CgroupLimits *l, char *line, bool must_pass) {
        char *eq = strchr(line, '='), *error = NULL;
        int r;

        if (!eq)
                return;
        *eq = '\0';
        r = cgroup_limit_set(l, line, eq + 1, &host, &error);
        *eq = '=';
        FUZZ_ASSERT(!must_pass || r == 0);
        FUZZ_ASSERT(r != -EINVAL || (error && !strchr(error, '\n') && strlen(error) < 1024));
        FUZZ_ASSERT(r == -EINVAL || r == -ENOENT || !error);
        free(error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_string(data, size), **first = NULL, **second = NULL;
        CgroupLimits l, again, merged;
        unsigned n = 0;

        cgroup_limits_init(&l);
        for (char *p = s, *nl; p && *p && n < 4096; p = nl ? nl + 1 : NULL, n++) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl = '\0';
                apply_line(&l, p, false);
        }

        FUZZ_ASSERT(cgroup_limits_to_strv(&l, &first) == 0);
        FUZZ_ASSERT(cgroup_limits_is_empty(&l) == (strv_length(first) == 0));
        FUZZ_ASSERT(cgroup_limits_is_empty(&l) == (cgroup_limits_controllers(&l) == 0));

        cgroup_limits_init(&again);
        STRV_FOREACH (i, first)
                apply_line(&again, *i, true);
        FUZZ_ASSERT(cgroup_limits_to_strv(&again, &second) == 0);
        FUZZ_ASSERT(strv_length(first) == strv_length(second));
        for (size_t i = 0; first[i]; i++)
                FUZZ_ASSERT(streq(first[i], second[i]));
        FUZZ_ASSERT(cgroup_limits_controllers(&again) == cgroup_limits_controllers(&l));

        /* Merged over nothing, the limits are the same again. */
        cgroup_limits_init(&merged);
        FUZZ_ASSERT(cgroup_limits_merge(&merged, &l) == 0);
        strv_free(second);
        FUZZ_ASSERT(cgroup_limits_to_strv(&merged, &second) == 0);
        FUZZ_ASSERT(strv_length(first) == strv_length(second));

        strv_free(first);
        strv_free(second);
        cgroup_limits_done(&merged);
        cgroup_limits_done(&again);
        cgroup_limits_done(&l);
        free(s);
        return 0;
}
