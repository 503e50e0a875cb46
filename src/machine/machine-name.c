#include <string.h>

#include "machine-name.h"
#include "macro.h"

bool machine_name_is_valid(const char *s) {
        size_t n;

        if (isempty(s))
                return false;
        n = strlen(s);
        if (n > MACHINE_NAME_MAX || s[0] == '.' || s[0] == '-')
                return false;
        if (streq(s, "..") || streq(s, "."))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        /* A machine name becomes the default hostname: no empty labels ("a..b") or trailing dot. */
        return hostname_is_valid(s);
}

bool hostname_is_valid(const char *s) {
        /* Labels of [A-Za-z0-9-_], separated by single dots, at most 64 characters in all (the kernel's
         * limit). */
        size_t n, label = 0;

        if (isempty(s))
                return false;
        n = strlen(s);
        if (n > 64 || s[0] == '.' || s[n - 1] == '.' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '.') {
                        if (label == 0)
                                return false;
                        label = 0;
                        continue;
                }
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_'))
                        return false;
                label++;
        }
        return true;
}
