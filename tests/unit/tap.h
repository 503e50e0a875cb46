/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A tiny TAP producer for the unit tests.
 *
 *   CHECK(expr)                    ok if expr is true; the expression is the description
 *   CHECK_MSG(expr, fmt, ...)      the same with a printf-style description
 *   CHECK_INT(a, op, b)            signed integer comparison, prints both values on failure
 *   CHECK_UINT(a, op, b)           the same for unsigned values (uint64_t masks, sizes)
 *   CHECK_STR(a, b)                string equality (NULL only equals NULL), prints both on failure
 *   tap_plan(n)                    optional leading plan; without it the plan is printed at the end
 *   return tap_finish();           trailing plan, summary; 1 if anything failed (or the plan was wrong)
 *
 * A failing check prints "not ok N - description" followed by a "# at FILE:LINE" diagnostic. */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned tap_count = 0, tap_failures = 0, tap_planned = 0;

static inline void tap_plan(unsigned n) {
        tap_planned = n;
        printf("1..%u\n", n);
        fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...) {
        char buf[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        /* Every line of a diagnostic must start with '#', or the TAP consumer takes it for a result. */
        fputs("# ", stdout);
        for (const char *c = buf; *c; c++) {
                fputc(*c, stdout);
                if (*c == '\n' && c[1])
                        fputs("#   ", stdout);
        }
        if (!*buf || buf[strlen(buf) - 1] != '\n')
                fputc('\n', stdout);
        fflush(stdout);
}

static inline bool tap_vresult(bool ok, const char *file, int line, const char *fmt, va_list ap)
        __attribute__((format(printf, 4, 0)));
static inline bool tap_vresult(bool ok, const char *file, int line, const char *fmt, va_list ap) {
        char desc[512];

        vsnprintf(desc, sizeof(desc), fmt, ap);
        /* A '#' would turn the rest of the description into a TAP directive. */
        for (char *c = desc; *c; c++)
                if (*c == '#' || *c == '\n')
                        *c = ' ';
        tap_count++;
        printf("%s %u - %s\n", ok ? "ok" : "not ok", tap_count, desc);
        if (!ok) {
                tap_failures++;
                printf("# at %s:%d\n", file, line);
        }
        fflush(stdout);
        return ok;
}

static inline bool tap_result(bool ok, const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static inline bool tap_result(bool ok, const char *file, int line, const char *fmt, ...) {
        va_list ap;
        bool r;

        va_start(ap, fmt);
        r = tap_vresult(ok, file, line, fmt, ap);
        va_end(ap);
        return r;
}

static inline bool tap_check_int(bool ok, intmax_t a, intmax_t b, const char *what, const char *file,
                                 int line) {
        if (!tap_result(ok, file, line, "%s", what))
                printf("#   left:  %jd\n#   right: %jd\n", a, b);
        return ok;
}

static inline bool tap_check_uint(bool ok, uintmax_t a, uintmax_t b, const char *what, const char *file,
                                  int line) {
        if (!tap_result(ok, file, line, "%s", what))
                printf("#   left:  %ju (0x%jx)\n#   right: %ju (0x%jx)\n", a, a, b, b);
        return ok;
}

static inline bool tap_check_str(const char *a, const char *b, const char *sa, const char *sb, const char *file,
                                 int line) {
        bool ok = (!a && !b) || (a && b && strcmp(a, b) == 0);

        if (!tap_result(ok, file, line, "%s == %s", sa, sb))
                printf("#   got:      %s%s%s\n#   expected: %s%s%s\n", a ? "\"" : "", a ?: "(null)", a ? "\"" : "",
                       b ? "\"" : "", b ?: "(null)", b ? "\"" : "");
        return ok;
}

static inline int tap_finish(void) {
        if (tap_planned == 0)
                printf("1..%u\n", tap_count);
        else if (tap_planned != tap_count) {
                printf("# planned %u tests but ran %u\n", tap_planned, tap_count);
                tap_failures++;
        }
        if (tap_failures > 0)
                printf("# %u of %u checks failed\n", tap_failures, tap_count);
        fflush(stdout);
        return tap_failures > 0 ? 1 : 0;
}

#define CHECK(expr) tap_result(!!(expr), __FILE__, __LINE__, "%s", #expr)
#define CHECK_MSG(expr, ...) tap_result(!!(expr), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_INT(a, op, b)                                                                                \
        ({                                                                                                 \
                intmax_t _tap_a = (intmax_t) (a), _tap_b = (intmax_t) (b);                                 \
                tap_check_int(_tap_a op _tap_b, _tap_a, _tap_b, #a " " #op " " #b, __FILE__, __LINE__);    \
        })
#define CHECK_UINT(a, op, b)                                                                               \
        ({                                                                                                 \
                uintmax_t _tap_a = (uintmax_t) (a), _tap_b = (uintmax_t) (b);                              \
                tap_check_uint(_tap_a op _tap_b, _tap_a, _tap_b, #a " " #op " " #b, __FILE__, __LINE__);   \
        })
#define CHECK_STR(a, b) tap_check_str((a), (b), #a, #b, __FILE__, __LINE__)
