#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "macro.h"
#include "parse-util.h"

int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int safe_atou64(const char *s, uint64_t *ret) {
        unsigned long long l;
        char *end;

        if (isempty(s) || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        l = strtoull(s, &end, 10);
        if (errno != 0)
                return -errno;
        if (*end)
                return -EINVAL;
        *ret = l;
        return 0;
}

int safe_atou32(const char *s, uint32_t *ret) {
        uint64_t u;
        int r = safe_atou64(s, &u);

        if (r < 0)
                return r;
        if (u > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) u;
        return 0;
}

int safe_atoi64(const char *s, int64_t *ret) {
        uint64_t u;
        bool neg = false;
        int r;

        if (!isempty(s) && (s[0] == '-' || s[0] == '+')) {
                neg = s[0] == '-';
                s++;
        }
        r = safe_atou64(s, &u);
        if (r < 0)
                return r;
        if (u > (uint64_t) INT64_MAX + (neg ? 1 : 0))
                return -ERANGE;
        *ret = neg ? (int64_t) (0 - u) : (int64_t) u;
        return 0;
}

int parse_sec_signed_ns(const char *s, int64_t *ret_ns) {
        const int64_t max_sec = INT64_MAX / 1000000000LL - 1;
        bool neg = false;
        uint64_t sec = 0, frac = 0, scale = 100000000ULL;
        const char *p = s;

        if (isempty(s))
                return -EINVAL;
        if (*p == '-' || *p == '+')
                neg = *p++ == '-';
        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                sec = sec * 10 + (uint64_t) (*p - '0');
                if (sec > (uint64_t) max_sec)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                for (; isdigit((unsigned char) *p); p++) {
                        frac += (uint64_t) (*p - '0') * scale;
                        scale /= 10;
                }
        }
        if (*p == 's')
                p++;
        if (*p)
                return -EINVAL;
        *ret_ns = (neg ? -1 : 1) * (int64_t) (sec * 1000000000ULL + frac);
        return 0;
}

bool uuid_is_valid(const char *s) {
        /* 8-4-4-4-12 hex digits, or 32 hex digits without dashes. */
        size_t n = strlen(s);

        if (n == 32) {
                for (size_t i = 0; i < n; i++)
                        if (!isxdigit((unsigned char) s[i]))
                                return false;
                return true;
        }
        if (n != 36)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                } else if (!isxdigit((unsigned char) s[i]))
                        return false;
        }
        return true;
}

char *format_timestamp_usec(uint64_t usec, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, size, "-");
        return buf;
}
