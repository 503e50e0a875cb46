#include <errno.h>
#include <string.h>

#include "ini.h"
#include "macro.h"

static char *strip(char *s) {
        char *e;

        s += strspn(s, " \t");
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

int ini_parse(const char *text, IniCallback cb, void *userdata, unsigned *ret_line) {
        char section[128] = "";
        unsigned line = 0;

        if (strlen(text) > INI_SIZE_MAX)
                return -EFBIG;
        for (const char *p = text; *p;) {
                const char *nl = strchrnul(p, '\n');
                size_t n = (size_t) (nl - p);
                char buf[INI_LINE_MAX + 1], *l, *eq;
                int r;

                line++;
                if (n > INI_LINE_MAX) {
                        if (ret_line)
                                *ret_line = line;
                        return -EBADMSG;
                }
                memcpy(buf, p, n);
                buf[n] = '\0';
                p = *nl ? nl + 1 : nl;

                l = strip(buf);
                if (*l == '\0' || *l == '#' || *l == ';')
                        continue;
                if (*l == '[') {
                        size_t len = strlen(l);
                        if (len < 3 || l[len - 1] != ']' || len - 2 >= sizeof(section) ||
                            memchr(l + 1, '[', len - 2) || memchr(l + 1, ']', len - 2)) {
                                if (ret_line)
                                        *ret_line = line;
                                return -EBADMSG;
                        }
                        memcpy(section, l + 1, len - 2);
                        section[len - 2] = '\0';
                        continue;
                }
                eq = strchr(l, '=');
                if (!eq || eq == l || section[0] == '\0') {
                        if (ret_line)
                                *ret_line = line;
                        return -EBADMSG;
                }
                *eq = '\0';
                r = cb(section, strip(l), strip(eq + 1), line, userdata);
                if (r < 0) {
                        if (ret_line)
                                *ret_line = line;
                        return r;
                }
        }
        return 0;
}
