#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "macro.h"
#include "slice.h"

#define SLICE_SUFFIX       ".slice"
#define SLICE_SHORT_PREFIX "machine-"

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The part before ".slice" (or a short name): unit name characters, every dash between two words. */
static bool prefix_is_valid(const char *s, size_t n) {
        if (n == 0 || s[0] == '.' || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == ':' || c == '_' || c == '.' || c == '-'))
                        return false;
                if (c == '-' && s[i + 1] == '-')
                        return false;
        }
        return true;
}

bool slice_name_is_valid(const char *s) {
        size_t n;

        if (isempty(s))
                return false;
        n = strlen(s);
        if (ends_with(s, SLICE_SUFFIX))
                return n <= SLICE_NAME_MAX && prefix_is_valid(s, n - strlen(SLICE_SUFFIX));
        return strlen(SLICE_SHORT_PREFIX) + n + strlen(SLICE_SUFFIX) <= SLICE_NAME_MAX &&
               prefix_is_valid(s, n);
}

int slice_name_normalize(const char *s, char **ret) {
        char *c;

        if (!slice_name_is_valid(s))
                return -EINVAL;
        if (ends_with(s, SLICE_SUFFIX))
                c = strdup(s);
        else {
                size_t n = strlen(s);

                c = malloc(strlen(SLICE_SHORT_PREFIX) + n + strlen(SLICE_SUFFIX) + 1);
                if (c)
                        strcpy(stpcpy(stpcpy(c, SLICE_SHORT_PREFIX), s), SLICE_SUFFIX);
        }
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

int slice_to_path(const char *slice, char **ret) {
        _cleanup_free_ char *unit = NULL;
        size_t n_prefix, n_dashes = 0, size;
        char *path, *p;
        int r;

        if (!slice) {
                path = strdup(CGROUP_MACHINE_SLICE);
                if (!path)
                        return -ENOMEM;
                *ret = path;
                return 0;
        }
        r = slice_name_normalize(slice, &unit);
        if (r < 0)
                return r;

        /* One directory per dash: "a-b-c.slice" is a.slice/a-b.slice/a-b-c.slice. */
        n_prefix = strlen(unit) - strlen(SLICE_SUFFIX);
        for (size_t i = 0; i < n_prefix; i++)
                n_dashes += unit[i] == '-';
        size = (n_dashes + 1) * (strlen(unit) + 1);
        path = p = malloc(size);
        if (!path)
                return -ENOMEM;
        for (size_t i = 0; i < n_prefix; i++)
                if (unit[i] == '-') {
                        p = mempcpy(p, unit, i);
                        p = stpcpy(p, SLICE_SUFFIX "/");
                }
        strcpy(p, unit);
        *ret = path;
        return 0;
}
