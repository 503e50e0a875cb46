/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The cgroup v2 file parsers of cgroup-stats.c. The kernel writes these files, but a machine's payload
 * cgroup belongs to its guest, and berth must not trust a format it did not write: whatever the text,
 * no crash, and the answers agree with each other. */

#include "cgroup-stats.h"
#include "fuzz.h"

static uint64_t doubled(uint64_t v) {
        return v > UINT64_MAX / 2 ? UINT64_MAX : 2 * v;
}

/* Whether key starts a line of text, followed by a space. */
static bool has_key_line(const char *text, const char *key) {
        size_t k = strlen(key);

        for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
                if (strncmp(l, key, k) == 0 && l[k] == ' ')
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const keys[] = { "usage_usec", "user_usec", "oom", "oom_kill", "max", "frozen",
                                            "anon", "a" };
        char *s = fuzz_string(data, size), *twice;
        CgroupIOStat io, io2;
        uint64_t v;
        int r;

        r = cgroup_parse_single_value(s, &v);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0)
                FUZZ_ASSERT(s[0] >= '0' && s[0] <= '9');

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                r = cgroup_parse_flat_keyed(s, keys[i], &v);
                FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -EINVAL || r == -ERANGE);
                /* Found means a line starts with the key; not there means none does. */
                FUZZ_ASSERT((r != -ENOENT) == has_key_line(s, keys[i]));
        }

        r = cgroup_parse_io_stat(s, &io);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0) {
                /* The same devices twice: every sum doubles, saturating. */
                size_t n = strlen(s);

                twice = malloc(2 * n + 2);
                if (!twice)
                        abort();
                memcpy(twice, s, n);
                twice[n] = '\n';
                memcpy(twice + n + 1, s, n + 1);
                FUZZ_ASSERT(cgroup_parse_io_stat(twice, &io2) == 0);
                FUZZ_ASSERT(io2.rbytes == doubled(io.rbytes) && io2.wbytes == doubled(io.wbytes));
                FUZZ_ASSERT(io2.rios == doubled(io.rios) && io2.wios == doubled(io.wios));
                free(twice);
        }
        free(s);
        return 0;
}
