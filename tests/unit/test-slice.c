/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/cgroup/slice.c: --slice= and Slice= names, and the cgroup path of a slice. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "slice.h"
#include "tap.h"

static void path_ok(const char *slice, const char *expected) {
        char *p = NULL;
        int r = slice_to_path(slice, &p);

        if (!CHECK_MSG(r == 0 && p && streq(p, expected), "slice %s is at %s", slice ?: "(default)", expected))
                tap_diag("r = %d, got '%s'", r, p ?: "(null)");
        free(p);
}

static void name_ok(const char *slice, const char *expected) {
        char *n = NULL;
        int r = slice_name_normalize(slice, &n);

        CHECK_MSG(slice_name_is_valid(slice), "'%s' is a valid slice name", slice);
        if (!CHECK_MSG(r == 0 && n && streq(n, expected), "'%s' stands for %s", slice, expected))
                tap_diag("r = %d, got '%s'", r, n ?: "(null)");
        free(n);
}

static void invalid(const char *slice, const char *why) {
        char *p = NULL;

        CHECK_MSG(!slice_name_is_valid(slice), "refused: %s", why);
        CHECK_MSG(slice_to_path(slice, &p) == -EINVAL && !p, "no path for %s", why);
        CHECK_MSG(slice_name_normalize(slice, &p) == -EINVAL && !p, "no name for %s", why);
        free(p);
}

int main(void) {
        char *p, *n;

        path_ok(NULL, "machine.slice");
        path_ok("tenants", "machine.slice/machine-tenants.slice");
        path_ok("a-b.slice", "a.slice/a-b.slice");
        path_ok("a-b-c.slice", "a.slice/a-b.slice/a-b-c.slice");
        path_ok("machine.slice", "machine.slice");
        path_ok("machine-tenants.slice", "machine.slice/machine-tenants.slice");
        path_ok("web-prod", "machine.slice/machine-web.slice/machine-web-prod.slice");
        path_ok("x.slice", "x.slice");
        path_ok("a:b_c.d", "machine.slice/machine-a:b_c.d.slice");

        name_ok("tenants", "machine-tenants.slice");
        name_ok("A9", "machine-A9.slice");
        name_ok("a-b.slice", "a-b.slice");
        name_ok("system.slice", "system.slice");

        invalid("", "an empty name");
        invalid(".slice", "an empty prefix");
        invalid("-.slice", "the root slice");
        invalid("-a", "a leading dash");
        invalid("a-", "a trailing dash");
        invalid("a--b", "a double dash");
        invalid("a-.slice", "a trailing dash before .slice");
        invalid(".hidden", "a leading dot");
        invalid("a/b", "a slash");
        invalid("..", "dot-dot");
        invalid("a b", "a blank");
        invalid("a\nb", "a newline");
        invalid("ä", "a non-ASCII letter");
        invalid("a\\x2d", "a backslash");

        /* The length bound counts the name a short one stands for. */
        n = malloc(300);
        memset(n, 'a', 299);
        n[299] = '\0';
        n[255 - strlen("machine-") - strlen(".slice")] = '\0';
        CHECK(slice_name_is_valid(n));
        CHECK_INT(slice_to_path(n, &p), ==, 0);
        free(p);
        n[strlen(n) + 1] = '\0';
        n[strlen(n)] = 'a'; /* one more */
        CHECK(!slice_name_is_valid(n));
        memset(n, 'a', 299);
        strcpy(n + 249, ".slice");
        CHECK(slice_name_is_valid(n)); /* 255 */
        strcpy(n + 250, ".slice");
        CHECK(!slice_name_is_valid(n)); /* 256 */
        free(n);
        return tap_finish();
}
