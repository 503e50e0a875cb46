/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/basic: strv, parse-util, path-util, log levels; src/cli/exit-codes. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "exit-codes.h"
#include "log.h"
#include "parse-util.h"
#include "path-util.h"
#include "strv.h"
#include "tap.h"

static void split_ok(const char *in, char sep, size_t max, const char *const *want) {
        _cleanup_strv_free_ char **l = NULL;
        bool same;
        int r = split_escaped(in, sep, max, &l);

        if (!CHECK_MSG(r == 0, "split_escaped('%s', '%c', %zu) succeeds", in, sep, max)) {
                tap_diag("r = %d", r);
                return;
        }
        same = strv_length(l) == strv_length((char *const *) want);
        for (size_t i = 0; same && want[i]; i++)
                same = strcmp(l[i], want[i]) == 0;
        if (!CHECK_MSG(same, "split_escaped('%s', '%c') gives the expected fields", in, sep))
                STRV_FOREACH (f, l)
                        tap_diag("got field '%s'", *f);
}

static void test_split(void) {
        _cleanup_strv_free_ char **l = NULL;

        split_ok("a:b:c", ':', 8, (const char *const[]){ "a", "b", "c", NULL });
        split_ok("abc", ':', 1, (const char *const[]){ "abc", NULL });
        split_ok("", ':', 1, (const char *const[]){ "", NULL });
        split_ok(":", ':', 2, (const char *const[]){ "", "", NULL });
        split_ok("a::b:", ':', 4, (const char *const[]){ "a", "", "b", "", NULL });
        split_ok("a\\:b:c", ':', 2, (const char *const[]){ "a:b", "c", NULL });
        split_ok("a\\\\:b", ':', 2, (const char *const[]){ "a\\", "b", NULL });
        split_ok("a\\\\\\:b", ':', 1, (const char *const[]){ "a\\:b", NULL });
        split_ok("a\\b", ':', 1, (const char *const[]){ "a\\b", NULL }); /* other escapes stay */
        split_ok("trailing\\", ':', 1, (const char *const[]){ "trailing\\", NULL });
        split_ok("x,y z", ',', 2, (const char *const[]){ "x", "y z", NULL });
        split_ok("a b", ' ', 2, (const char *const[]){ "a", "b", NULL });

        CHECK_INT(split_escaped("a:b:c", ':', 2, &l), ==, -E2BIG);
        CHECK(!l);
        CHECK_INT(split_escaped("a:b", ':', 0, &l), ==, -E2BIG);
}

static void test_strv(void) {
        _cleanup_strv_free_ char **l = NULL, **c = NULL;
        char *s;

        CHECK_INT(strv_length(NULL), ==, 0);
        CHECK(!strv_contains(NULL, "a"));
        CHECK_INT(strv_extend(&l, "one"), ==, 0);
        CHECK_INT(strv_extend(&l, "two"), ==, 0);
        s = strdup("three");
        CHECK_INT(strv_push(&l, s), ==, 0);
        CHECK_INT(strv_push(&l, NULL), ==, -EINVAL);
        CHECK_INT(strv_length(l), ==, 3);
        CHECK_STR(l[0], "one");
        CHECK_STR(l[2], "three");
        CHECK(!l[3]);
        CHECK(strv_contains(l, "two"));
        CHECK(!strv_contains(l, "tw"));
        CHECK(!strv_contains(l, "four"));

        c = strv_copy(l);
        CHECK_INT(strv_length(c), ==, 3);
        CHECK(c && c[1] != l[1] && strcmp(c[1], l[1]) == 0);
        strv_free(c);
        c = strv_copy(NULL);
        CHECK_MSG(c && !c[0], "strv_copy(NULL) is an empty list");
        CHECK(strv_free(NULL) == NULL);

        {
                unsigned n = 0;
                STRV_FOREACH (i, l)
                        n++;
                CHECK_INT(n, ==, 3);
        }

        s = strjoin3("a", "b", "c");
        CHECK_STR(s, "abc");
        free(s);
        s = strjoin3("a", NULL, "c");
        CHECK_STR(s, "ac");
        free(s);
        s = strjoin3("", NULL, NULL);
        CHECK_STR(s, "");
        free(s);

        CHECK(!string_has_cc("plain text ~!@"));
        CHECK(!string_has_cc(""));
        CHECK(!string_has_cc("caf\xc3\xa9"));
        CHECK(string_has_cc("a\nb"));
        CHECK(string_has_cc("\t"));
        CHECK(string_has_cc("x\x1b[0m"));
        CHECK(string_has_cc("del\x7f"));
}

static void test_parse_boolean(void) {
        static const char *const yes[] = {
                "1", "yes", "YES", "y", "Y", "true", "True", "t", "on", "ON", NULL
        };
        static const char *const no[] = { "0", "no", "NO", "n", "false", "FALSE", "f", "off", "Off", NULL };
        static const char *const bad[] = { "", "2", "yess", "o", "tru", " yes", "yes ", "-1", NULL };

        for (const char *const *p = yes; *p; p++)
                CHECK_MSG(parse_boolean(*p) == 1, "parse_boolean('%s') is 1", *p);
        for (const char *const *p = no; *p; p++)
                CHECK_MSG(parse_boolean(*p) == 0, "parse_boolean('%s') is 0", *p);
        for (const char *const *p = bad; *p; p++)
                CHECK_MSG(parse_boolean(*p) == -EINVAL, "parse_boolean('%s') is -EINVAL", *p);
}

static void test_safe_ato(void) {
        uint32_t u32 = 7;
        uint64_t u64 = 7;
        int64_t i64 = 7;

        CHECK_INT(safe_atou32("0", &u32), ==, 0);
        CHECK_UINT(u32, ==, 0);
        CHECK_INT(safe_atou32("4294967295", &u32), ==, 0);
        CHECK_UINT(u32, ==, UINT32_MAX);
        CHECK_INT(safe_atou32("007", &u32), ==, 0);
        CHECK_UINT(u32, ==, 7);
        u32 = 5;
        CHECK_INT(safe_atou32("4294967296", &u32), ==, -ERANGE);
        CHECK_INT(safe_atou32("-1", &u32), ==, -EINVAL);
        CHECK_INT(safe_atou32("+1", &u32), ==, -EINVAL);
        CHECK_INT(safe_atou32(" 1", &u32), ==, -EINVAL);
        CHECK_INT(safe_atou32("1 ", &u32), ==, -EINVAL);
        CHECK_INT(safe_atou32("1a", &u32), ==, -EINVAL);
        CHECK_INT(safe_atou32("0x10", &u32), ==, -EINVAL);
        CHECK_INT(safe_atou32("", &u32), ==, -EINVAL);
        CHECK_INT(safe_atou32(NULL, &u32), ==, -EINVAL);
        CHECK_UINT(u32, ==, 5); /* untouched on failure */

        CHECK_INT(safe_atou64("18446744073709551615", &u64), ==, 0);
        CHECK_UINT(u64, ==, UINT64_MAX);
        CHECK_INT(safe_atou64("18446744073709551616", &u64), ==, -ERANGE);
        CHECK_INT(safe_atou64("99999999999999999999999", &u64), ==, -ERANGE);
        CHECK_INT(safe_atou64("-0", &u64), ==, -EINVAL);
        CHECK_INT(safe_atou64("12x", &u64), ==, -EINVAL);

        CHECK_INT(safe_atoi64("0", &i64), ==, 0);
        CHECK_INT(i64, ==, 0);
        CHECK_INT(safe_atoi64("-42", &i64), ==, 0);
        CHECK_INT(i64, ==, -42);
        CHECK_INT(safe_atoi64("+42", &i64), ==, 0);
        CHECK_INT(i64, ==, 42);
        CHECK_INT(safe_atoi64("9223372036854775807", &i64), ==, 0);
        CHECK_INT(i64, ==, INT64_MAX);
        CHECK_INT(safe_atoi64("-9223372036854775807", &i64), ==, 0);
        CHECK_INT(i64, ==, -INT64_MAX);
        CHECK_INT(safe_atoi64("9223372036854775808", &i64), ==, -ERANGE);
        CHECK_INT(safe_atoi64("-9223372036854775809", &i64), ==, -ERANGE);
        CHECK_INT(safe_atoi64("--1", &i64), ==, -EINVAL);
        CHECK_INT(safe_atoi64("-", &i64), ==, -EINVAL);
        CHECK_INT(safe_atoi64("", &i64), ==, -EINVAL);
        CHECK_INT(safe_atoi64("1.5", &i64), ==, -EINVAL);

        /* INT64_MIN is a valid int64_t and must parse. */
        i64 = 7;
        if (!CHECK_MSG(safe_atoi64("-9223372036854775808", &i64) == 0 && i64 == INT64_MIN,
                       "safe_atoi64('-9223372036854775808') gives INT64_MIN"))
                tap_diag("got r = %d, value %" PRId64, safe_atoi64("-9223372036854775808", &i64), i64);
}

static void sec_ok(const char *in, int64_t want) {
        int64_t v = 12345;
        int r = parse_sec_signed_ns(in, &v);

        if (!CHECK_MSG(r == 0 && v == want, "parse_sec_signed_ns('%s') is %" PRId64, in, want))
                tap_diag("r = %d, value %" PRId64, r, v);
}

static void sec_fails(const char *in, int want) {
        int64_t v = 12345;
        int r = parse_sec_signed_ns(in, &v);

        if (!CHECK_MSG(r == want && v == 12345, "parse_sec_signed_ns('%s') fails with %d", in, want))
                tap_diag("r = %d, value %" PRId64, r, v);
}

static void test_parse_sec(void) {
        sec_ok("0", 0);
        sec_ok("1", 1000000000LL);
        sec_ok("86400", 86400000000000LL);
        sec_ok("86400s", 86400000000000LL);
        sec_ok("-3.5", -3500000000LL);
        sec_ok("+2", 2000000000LL);
        sec_ok("1.5", 1500000000LL);
        sec_ok("0.000000001", 1);
        sec_ok("0.123456789", 123456789);
        sec_ok("0.1234567891", 123456789); /* beyond nanoseconds is cut off */
        sec_ok("-0", 0);
        sec_ok("9223372035", 9223372035000000000LL);
        sec_ok("9223372035.999999999", 9223372035999999999LL);
        sec_ok("-9223372035.999999999", -9223372035999999999LL);

        sec_fails("", -EINVAL);
        sec_fails("s", -EINVAL);
        sec_fails("-", -EINVAL);
        sec_fails("+", -EINVAL);
        sec_fails(".5", -EINVAL);
        sec_fails("1.", -EINVAL);
        sec_fails("1.s", -EINVAL);
        sec_fails("1ss", -EINVAL);
        sec_fails("1ms", -EINVAL);
        sec_fails("1 ", -EINVAL);
        sec_fails(" 1", -EINVAL);
        sec_fails("1e3", -EINVAL);
        sec_fails("--1", -EINVAL);
        sec_fails("0x10", -EINVAL);
        sec_fails("9223372036", -ERANGE);
        sec_fails("99999999999999999999999", -ERANGE);
}

static void test_uuid(void) {
        CHECK(uuid_is_valid("0123456789abcdef0123456789abcdef"));
        CHECK(uuid_is_valid("0123456789ABCDEF0123456789ABCDEF"));
        CHECK(uuid_is_valid("01234567-89ab-cdef-0123-456789abcdef"));
        CHECK(!uuid_is_valid(""));
        CHECK(!uuid_is_valid("0123456789abcdef0123456789abcde"));
        CHECK(!uuid_is_valid("0123456789abcdef0123456789abcdef0"));
        CHECK(!uuid_is_valid("0123456789abcdef0123456789abcdeg"));
        CHECK(!uuid_is_valid("01234567-89ab-cdef-0123-456789abcde"));
        CHECK(!uuid_is_valid("01234567-89ab-cdef-0123-456789abcdef0"));
        CHECK(!uuid_is_valid("0123456789-ab-cdef-0123-456789abcdef"));
        CHECK(!uuid_is_valid("01234567-89ab-cdef-0123-45678-abcdef"));
        CHECK(!uuid_is_valid("01234567-89ab-cdef-0123-456789abcdeZ"));
        CHECK(!uuid_is_valid("{1234567-89ab-cdef-0123-456789abcdef"));
}

static void simplify_is(const char *in, const char *want) {
        char buf[256];

        snprintf(buf, sizeof(buf), "%s", in);
        if (!CHECK_MSG(strcmp(path_simplify(buf), want) == 0, "path_simplify('%s') is '%s'", in, want))
                tap_diag("got '%s'", buf);
}

static void test_path(void) {
        char *max = malloc(PATH_MAX_BERTH + 1);

        CHECK(path_is_absolute("/"));
        CHECK(path_is_absolute("/a"));
        CHECK(!path_is_absolute("a/b"));
        CHECK(!path_is_absolute(""));
        CHECK(!path_is_absolute(NULL));

        CHECK(path_is_normalized_absolute("/"));
        CHECK(path_is_normalized_absolute("/a/b"));
        CHECK(path_is_normalized_absolute("//a//b//"));
        CHECK(path_is_normalized_absolute("/a/.b/..c/c../.../b."));
        CHECK(!path_is_normalized_absolute(NULL));
        CHECK(!path_is_normalized_absolute(""));
        CHECK(!path_is_normalized_absolute("a"));
        CHECK(!path_is_normalized_absolute("./a"));
        CHECK(!path_is_normalized_absolute("/."));
        CHECK(!path_is_normalized_absolute("/.."));
        CHECK(!path_is_normalized_absolute("/a/./b"));
        CHECK(!path_is_normalized_absolute("/a/../b"));
        CHECK(!path_is_normalized_absolute("/a/.."));
        CHECK(!path_is_normalized_absolute("/a/../"));
        CHECK(!path_is_normalized_absolute("/a//.//b"));
        if (max) {
                memset(max, 'a', PATH_MAX_BERTH);
                max[0] = '/';
                max[PATH_MAX_BERTH - 1] = '\0';
                CHECK_MSG(path_is_normalized_absolute(max), "a path of PATH_MAX_BERTH - 1 bytes is fine");
                max[PATH_MAX_BERTH - 1] = 'a';
                max[PATH_MAX_BERTH] = '\0';
                CHECK_MSG(!path_is_normalized_absolute(max), "a path of PATH_MAX_BERTH bytes is too long");
                free(max);
        }

        simplify_is("/", "/");
        simplify_is("//", "/");
        simplify_is("///", "/");
        simplify_is("/a//b///c/", "/a/b/c");
        simplify_is("a//b/", "a/b");
        simplify_is("a", "a");
        simplify_is("", "");
        simplify_is("/a/./b", "/a/./b"); /* only slashes are its business */

        CHECK_STR(path_basename("/a/b"), "b");
        CHECK_STR(path_basename("b"), "b");
        CHECK_STR(path_basename("/b"), "b");
        CHECK_STR(path_basename("/"), "");
        CHECK_STR(path_basename("a/b/"), "");
        CHECK_STR(path_basename(""), "");
}

static void test_log_level(void) {
        CHECK_INT(log_level_from_string("emerg"), ==, LOG_EMERG);
        CHECK_INT(log_level_from_string("alert"), ==, LOG_ALERT);
        CHECK_INT(log_level_from_string("crit"), ==, LOG_CRIT);
        CHECK_INT(log_level_from_string("err"), ==, LOG_ERR);
        CHECK_INT(log_level_from_string("error"), ==, LOG_ERR);
        CHECK_INT(log_level_from_string("warning"), ==, LOG_WARNING);
        CHECK_INT(log_level_from_string("warn"), ==, LOG_WARNING);
        CHECK_INT(log_level_from_string("notice"), ==, LOG_NOTICE);
        CHECK_INT(log_level_from_string("info"), ==, LOG_INFO);
        CHECK_INT(log_level_from_string("debug"), ==, LOG_DEBUG);
        CHECK_INT(log_level_from_string("DEBUG"), ==, LOG_DEBUG);
        CHECK_INT(log_level_from_string("0"), ==, 0);
        CHECK_INT(log_level_from_string("7"), ==, 7);
        CHECK_INT(log_level_from_string("8"), ==, -EINVAL);
        CHECK_INT(log_level_from_string("-1"), ==, -EINVAL);
        CHECK_INT(log_level_from_string(""), ==, -EINVAL);
        CHECK_INT(log_level_from_string(NULL), ==, -EINVAL);
        CHECK_INT(log_level_from_string("verbose"), ==, -EINVAL);
        CHECK_INT(log_level_from_string("3x"), ==, -EINVAL);
        CHECK_INT(log_level_from_string("99999999999999999999"), ==, -EINVAL);

        log_set_max_level(LOG_INFO);
        CHECK_INT(log_get_max_level(), ==, LOG_INFO);
        /* Below the max level nothing is printed, but the error still comes back negative. */
        log_set_max_level(LOG_ERR);
        CHECK_INT(log_debug_errno(ENOENT, "not shown"), ==, -ENOENT);
        CHECK_INT(log_debug_errno(-EPERM, "not shown"), ==, -EPERM);
        CHECK_INT(log_debug("not shown"), ==, 0);
}

static void test_exit_codes(void) {
        CHECK_INT(exit_code_from_errno(-ENOENT), ==, EXIT_BERTH_NOT_FOUND);
        CHECK_INT(exit_code_from_errno(ENOENT), ==, EXIT_BERTH_NOT_FOUND);
        CHECK_INT(exit_code_from_errno(-ENOTDIR), ==, 66);
        CHECK_INT(exit_code_from_errno(-ESRCH), ==, 66);
        CHECK_INT(exit_code_from_errno(-EBUSY), ==, EXIT_BERTH_BUSY);
        CHECK_INT(exit_code_from_errno(-EEXIST), ==, 75);
        CHECK_INT(exit_code_from_errno(-EPERM), ==, EXIT_BERTH_PERMISSION);
        CHECK_INT(exit_code_from_errno(-EACCES), ==, 77);
        CHECK_INT(exit_code_from_errno(-EOPNOTSUPP), ==, EXIT_BERTH_UNSUPPORTED);
        CHECK_INT(exit_code_from_errno(-ENOSYS), ==, 69);
        CHECK_INT(exit_code_from_errno(-EINVAL), ==, EXIT_BERTH_USAGE);
        CHECK_INT(exit_code_from_errno(-ENOTTY), ==, 64);
        CHECK_INT(exit_code_from_errno(-ENOMEM), ==, EXIT_BERTH_INTERNAL);
        CHECK_INT(exit_code_from_errno(-EPROTO), ==, 70);
        CHECK_INT(exit_code_from_errno(-EIO), ==, EXIT_BERTH_FAILURE);
        CHECK_INT(exit_code_from_errno(-ELOOP), ==, 1);
}

int main(void) {
        test_split();
        test_strv();
        test_parse_boolean();
        test_safe_ato();
        test_parse_sec();
        test_uuid();
        test_path();
        test_log_level();
        test_exit_codes();
        return tap_finish();
}
