/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* machine_name_is_valid() and hostname_is_valid(). */

#include <stdlib.h>
#include <string.h>

#include "machine-name.h"
#include "macro.h"
#include "tap.h"

static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        if (!s)
                abort();
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

#define NAME_OK(s)       CHECK_MSG(machine_name_is_valid(s), "machine name '%s' is valid", s)
#define NAME_BAD(s, why) CHECK_MSG(!machine_name_is_valid(s), "machine name refuses %s", why)
#define HOST_OK(s)       CHECK_MSG(hostname_is_valid(s), "hostname '%s' is valid", s)
#define HOST_BAD(s, why) CHECK_MSG(!hostname_is_valid(s), "hostname refuses %s", why)

static void test_machine_name(void) {
        _cleanup_free_ char *n64 = repeat('a', 64), *n65 = repeat('a', 65);

        NAME_OK("a");
        NAME_OK("Z");
        NAME_OK("7");
        NAME_OK("_");
        NAME_OK("foo");
        NAME_OK("foo-bar_baz.1");
        NAME_OK("Debian12");
        NAME_OK(n64);
        CHECK_INT(strlen(n64), ==, MACHINE_NAME_MAX);

        NAME_BAD(NULL, "NULL");
        NAME_BAD("", "the empty string");
        NAME_BAD(n65, "65 characters");
        NAME_BAD(".", "'.'");
        NAME_BAD("..", "'..'");
        NAME_BAD(".hidden", "a leading '.'");
        NAME_BAD("-rf", "a leading '-'");
        NAME_BAD("a/b", "a slash");
        NAME_BAD("/", "a lone slash");
        NAME_BAD("a b", "a space");
        NAME_BAD("a\tb", "a tab");
        NAME_BAD("a\nb", "a newline");
        NAME_BAD("caf\xc3\xa9", "UTF-8 'é'");
        NAME_BAD("\xe2\x98\x83", "UTF-8 snowman");
        NAME_BAD("a:b", "a colon");
        NAME_BAD("a@b", "an '@'");
        NAME_BAD("a\\b", "a backslash");
        NAME_BAD("a*", "a glob character");
        NAME_BAD("a\x7f", "DEL");
        /* A machine name is the default hostname (see below). */
        NAME_OK("foo.bar");
        NAME_BAD("foo.", "a trailing '.'");
        NAME_BAD("a..b", "an empty hostname label");
}

static void test_hostname(void) {
        _cleanup_free_ char *h64 = repeat('a', 64), *h65 = repeat('a', 65);

        HOST_OK("a");
        HOST_OK("localhost");
        HOST_OK("foo.example.com");
        HOST_OK("foo-bar");
        HOST_OK("a1.b2");
        HOST_OK("under_score");
        HOST_OK(h64);

        HOST_BAD(NULL, "NULL");
        HOST_BAD("", "the empty string");
        HOST_BAD(h65, "65 characters");
        HOST_BAD(".", "'.'");
        HOST_BAD("..", "'..'");
        HOST_BAD(".foo", "a leading '.'");
        HOST_BAD("foo.", "a trailing '.'");
        HOST_BAD("foo..bar", "an empty label");
        HOST_BAD("-foo", "a leading '-'");
        HOST_BAD("foo bar", "a space");
        HOST_BAD("foo/bar", "a slash");
        HOST_BAD("foo\n", "a newline");
        HOST_BAD("h\xc3\xb6st", "UTF-8");
        HOST_BAD("foo:bar", "a colon");
}

/* The machine name is the default hostname (src/spawn/monitor.c uses it when --hostname is not given), and
 * machine-name.h promises names are "usable as a hostname label": every valid machine name must pass
 * hostname_is_valid(), or `berth run -M NAME` sets a hostname that --hostname=NAME would refuse. */
static void test_machine_name_is_hostname(void) {
        static const char *const names[] = {
                "a", "foo", "foo-bar", "foo_bar", "a1", "foo.bar", "foo.", "a..b", "foo-", NULL,
        };
        _cleanup_free_ char *n64 = repeat('x', 64);

        for (const char *const *n = names; *n; n++)
                if (machine_name_is_valid(*n))
                        CHECK_MSG(hostname_is_valid(*n), "valid machine name '%s' is a valid hostname", *n);
        CHECK_MSG(hostname_is_valid(n64), "a 64-character machine name is a valid hostname");
}

int main(void) {
        test_machine_name();
        test_hostname();
        test_machine_name_is_hostname();
        return tap_finish();
}
