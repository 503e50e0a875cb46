#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        STRV_FOREACH (s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -EINVAL;
        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c)
                return -ENOMEM;
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        char *v = strdup(value);
        int r;

        if (!v)
                return -ENOMEM;
        r = strv_push(l, v);
        if (r < 0)
                free(v);
        return r;
}

char **strv_copy(char *const *l) {
        char **c = calloc(strv_length(l) + 1, sizeof(char *));
        size_t i = 0;

        if (!c)
                return NULL;
        for (; l && l[i]; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

bool strv_contains(char *const *l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

int split_escaped(const char *s, char sep, size_t max_fields, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *field = NULL;
        size_t len = strlen(s), n = 0;
        int r;

        field = malloc(len + 1);
        if (!field)
                return -ENOMEM;
        for (const char *p = s;; p++) {
                if (*p == '\\' && (p[1] == sep || p[1] == '\\')) {
                        field[n++] = *++p;
                        continue;
                }
                if (*p == sep || *p == '\0') {
                        if (strv_length(l) >= max_fields)
                                return -E2BIG;
                        field[n] = '\0';
                        r = strv_extend(&l, field);
                        if (r < 0)
                                return r;
                        n = 0;
                        if (*p == '\0')
                                break;
                        continue;
                }
                field[n++] = *p;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

char *strjoin3(const char *a, const char *b, const char *c) {
        size_t la = strlen(a), lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
        char *s = malloc(la + lb + lc + 1);

        if (!s)
                return NULL;
        memcpy(s, a, la);
        if (b)
                memcpy(s + la, b, lb);
        if (c)
                memcpy(s + la + lb, c, lc);
        s[la + lb + lc] = '\0';
        return s;
}

bool string_has_cc(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return true;
        return false;
}
