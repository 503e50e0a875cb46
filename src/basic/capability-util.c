#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "capability-util.h"
#include "macro.h"
#include "strv.h"

unsigned capability_last_cap(void) {
        /* The running kernel's, where it tells; libcap's compiled-in table otherwise. */
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        unsigned last = CAP_LAST_CAP;

        if (f) {
                if (fscanf(f, "%u", &last) != 1 || last > 63)
                        last = CAP_LAST_CAP;
                fclose(f);
        }
        return last;
}

int capability_list_parse(const char *s, uint64_t *ret) {
        _cleanup_strv_free_ char **names = NULL;
        uint64_t set = 0;
        int r;

        if (isempty(s) || strlen(s) > 2048)
                return -EINVAL;
        r = split_escaped(s, ',', 64, &names);
        if (r < 0)
                return -EINVAL;
        STRV_FOREACH (n, names) {
                char buf[64];
                cap_value_t v;
                size_t i;

                if (isempty(*n))
                        continue;
                if (streq(*n, "all")) {
                        unsigned last = capability_last_cap();
                        set = last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
                        continue;
                }
                if (strlen(*n) + 5 > sizeof(buf))
                        return -EINVAL;
                /* libcap wants lower case "cap_x"; accept "CAP_X", "cap_x" and "x". */
                snprintf(buf, sizeof(buf), "%s%s", strncasecmp(*n, "cap_", 4) == 0 ? "" : "cap_", *n);
                for (i = 0; buf[i]; i++)
                        buf[i] = (char) tolower((unsigned char) buf[i]);
                if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
                        return -EINVAL;
                /* libcap is lenient about what follows a name: insist on the exact name. */
                {
                        char *canonical = cap_to_name(v);
                        bool same = canonical && streq(canonical, buf);
                        cap_free(canonical);
                        if (!same)
                                return -EINVAL;
                }
                /* cap_from_name() also takes plain numbers: names only here. */
                if (isdigit((unsigned char) buf[4]))
                        return -EINVAL;
                set |= UINT64_C(1) << v;
        }
        *ret = set;
        return 0;
}

char *capability_set_to_string(uint64_t set) {
        char *s = strdup("");

        for (unsigned c = 0; s && c <= 63; c++) {
                char *name, *n;

                if (!(set & (UINT64_C(1) << c)))
                        continue;
                name = cap_to_name((cap_value_t) c);
                if (!name) {
                        free(s);
                        return NULL;
                }
                for (char *p = name; *p; p++)
                        *p = (char) toupper((unsigned char) *p);
                n = strjoin3(s, *s ? " " : "", name);
                cap_free(name);
                free(s);
                s = n;
        }
        return s;
}
