#include <string.h>

#include "macro.h"
#include "path-util.h"

bool path_is_absolute(const char *p) {
        return p && p[0] == '/';
}

bool path_is_normalized_absolute(const char *p) {
        if (!path_is_absolute(p) || strlen(p) >= PATH_MAX_BERTH)
                return false;
        for (const char *c = p; *c;) {
                size_t n;

                c += strspn(c, "/");
                n = strcspn(c, "/");
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
        }
        return true;
}

char *path_simplify(char *p) {
        char *w = p;

        for (const char *r = p; *r; r++) {
                if (*r == '/' && w > p && w[-1] == '/')
                        continue;
                *w++ = *r;
        }
        if (w > p + 1 && w[-1] == '/')
                w--;
        *w = '\0';
        return p;
}

const char *path_basename(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}
