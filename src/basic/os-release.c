#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "os-release.h"

int os_release_get(const char *text, const char *key, char **ret) {
        size_t kl = strlen(key);

        for (const char *p = text; p && *p;) {
                const char *nl = strchrnul(p, '\n'), *v;
                char *out, *o, quote = 0;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (strncmp(p, key, kl) != 0 || p[kl] != '=') {
                        p = *nl ? nl + 1 : nl;
                        continue;
                }
                v = p + kl + 1;
                out = o = malloc((size_t) (nl - v) + 1);
                if (!out)
                        return -ENOMEM;
                if (*v == '"' || *v == '\'')
                        quote = *v++;
                for (; v < nl; v++) {
                        if (quote && *v == quote)
                                break;
                        if (*v == '\\' && v + 1 < nl && quote != '\'') {
                                *o++ = *++v;
                                continue;
                        }
                        *o++ = *v;
                }
                *o = '\0';
                *ret = out;
                return 0;
        }
        return -ENOENT;
}
