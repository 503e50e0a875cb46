/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The option parsers of src/machine/settings.c and src/basic/capability-util.c. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capability-util.h"
#include "settings.h"
#include "strv.h"
#include "tap.h"

/* A string of n copies of c, the caller frees. */
static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        if (!s)
                abort();
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

/* "/" followed by enough "a" to make the whole string n bytes long. */
static char *long_path(size_t n) {
        char *s = repeat('a', n);

        s[0] = '/';
        return s;
}

/* ---- bind ---- */

static void bind_ok(const char *in, bool ro, const char *source, bool in_tree, const char *dest,
                    bool recursive) {
        CustomMount m = {};
        int r = custom_mount_parse_bind(in, ro, &m);

        if (!CHECK_MSG(r == 0, "bind%s '%s' parses", ro ? "-ro" : "", in)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        CHECK_MSG(m.type == CUSTOM_MOUNT_BIND, "bind '%s': type is bind", in);
        if (!CHECK_MSG(m.source && strcmp(m.source, source) == 0, "bind '%s': source is '%s'", in, source))
                tap_diag("got source '%s'", m.source ?: "(null)");
        CHECK_MSG(m.source_in_tree == in_tree, "bind '%s': source_in_tree is %d", in, in_tree);
        if (!CHECK_MSG(m.destination && strcmp(m.destination, dest) == 0, "bind '%s': destination is '%s'",
                       in, dest))
                tap_diag("got destination '%s'", m.destination ?: "(null)");
        CHECK_MSG(m.recursive == recursive, "bind '%s': recursive is %d", in, recursive);
        CHECK_MSG(m.read_only == ro, "bind '%s': read_only is %d", in, ro);
        custom_mount_done(&m);
}

/* idmap: 1 for "idmap", 0 for "noidmap", -1 when neither was given (the root's mapping decides). */
static void bind_idmap_ok(const char *in, bool ro, int idmap, bool recursive) {
        CustomMount m = {};
        int r = custom_mount_parse_bind(in, ro, &m);

        if (!CHECK_MSG(r == 0, "bind%s '%s' parses", ro ? "-ro" : "", in)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        if (!CHECK_MSG(m.idmap == idmap, "bind '%s': idmap is %d", in, idmap))
                tap_diag("got idmap %d", m.idmap);
        CHECK_MSG(m.recursive == recursive, "bind '%s': recursive is %d", in, recursive);
        CHECK_MSG(m.read_only == ro, "bind '%s': read_only is %d", in, ro);
        custom_mount_done(&m);
}

static void bind_fails(const char *in, const char *why) {
        CustomMount m = {};
        int r;

        r = custom_mount_parse_bind(in, false, &m);
        if (!CHECK_MSG(r < 0, "bind refuses %s", why))
                tap_diag("input '%s' gave source '%s', destination '%s'", in, m.source ?: "(null)",
                         m.destination ?: "(null)");
        if (r >= 0)
                custom_mount_done(&m);
}

static void test_bind(void) {
        _cleanup_free_ char *longest = NULL, *too_long = NULL, *too_long_value = NULL;

        bind_ok("/src", false, "/src", false, "/src", true);
        bind_ok("/src", true, "/src", false, "/src", true);
        bind_ok("/src:/dst", false, "/src", false, "/dst", true);
        bind_ok("/src:/dst:norbind", false, "/src", false, "/dst", false);
        bind_ok("/src:/dst:rbind", true, "/src", false, "/dst", true);
        bind_ok("/src:/dst:norbind,rbind", false, "/src", false, "/dst", true);
        bind_ok("/src:/dst:", false, "/src", false, "/dst", true);
        bind_ok("/src::norbind", false, "/src", false, "/src", false);
        bind_ok("+/in/tree:/dst", false, "/in/tree", true, "/dst", true);
        bind_ok("/a\\:b:/c\\:d", false, "/a:b", false, "/c:d", true);
        bind_ok("/a\\:b", false, "/a:b", false, "/a:b", true);
        bind_ok("//src//x/:/dst//y/", false, "/src/x", false, "/dst/y", true);
        bind_ok("/", false, "/", false, "/", true);

        bind_fails("", "the empty string");
        bind_fails(":/dst", "an empty source");
        bind_fails("src", "a relative source");
        bind_fails("/src:dst", "a relative destination");
        bind_fails("+src:/dst", "a relative in-tree source");
        bind_fails("+", "a bare '+'");
        bind_fails("/src/../etc:/dst", "'..' in the source");
        bind_fails("/src:/dst/..", "'..' in the destination");
        bind_fails("/src/./x", "'.' in the source");
        bind_fails("/src:/dst:ro", "the unknown option 'ro'");
        bind_fails("/src:/dst:norbind,bogus", "an unknown option after a known one");
        bind_fails("/src:/dst:norbind:x", "four fields");
        bind_fails("/a:/b:rbind:/c:/d", "five fields");
        bind_fails("/src\n:/dst", "a newline in the source");
        bind_fails("/src:/ds\tt", "a tab in the destination");
        bind_fails("/src\x7f", "DEL in the source");
        bind_fails("/src:+/dst", "'+' on the destination");

        /* idmap and noidmap combine with rbind/norbind in any order; the last of a pair wins. */
        bind_idmap_ok("/src", false, -1, true);
        bind_idmap_ok("/src:/dst", true, -1, true);
        bind_idmap_ok("/src:/dst:norbind", false, -1, false);
        bind_idmap_ok("/src:/dst:idmap", false, 1, true);
        bind_idmap_ok("/src:/dst:noidmap", false, 0, true);
        bind_idmap_ok("/src:/dst:idmap", true, 1, true);
        bind_idmap_ok("/src::noidmap", false, 0, true);
        bind_idmap_ok("/src:/dst:norbind,idmap", false, 1, false);
        bind_idmap_ok("/src:/dst:idmap,norbind", false, 1, false);
        bind_idmap_ok("/src:/dst:noidmap,norbind", true, 0, false);
        bind_idmap_ok("/src:/dst:norbind,noidmap,rbind", false, 0, true);
        bind_idmap_ok("/src:/dst:idmap,noidmap", false, 0, true);
        bind_idmap_ok("/src:/dst:noidmap,idmap", false, 1, true);
        bind_idmap_ok("/src:/dst:idmap,", false, 1, true);
        bind_ok("/src:/dst:idmap", false, "/src", false, "/dst", true);
        bind_fails("/src:/dst:IDMAP", "'IDMAP' in upper case");
        bind_fails("/src:/dst:idmapped", "'idmapped'");
        bind_fails("/src:/dst:idmap=1", "'idmap=1'");
        bind_fails("/src:/dst:no-idmap", "'no-idmap'");
        bind_fails("/src:/dst:idmap:norbind", "idmap and norbind as two fields");

        longest = long_path(4095);
        bind_ok(longest, false, longest, false, longest, true);
        too_long = long_path(4096);
        bind_fails(too_long, "a 4096-byte path");
        too_long_value = long_path(SETTINGS_VALUE_MAX + 1);
        bind_fails(too_long_value, "a value over SETTINGS_VALUE_MAX");
}

/* ---- private users ---- */

#define SHIFT_UNSET ((uid_t) 0x5a5a5a5a)
#define RANGE_UNSET UINT32_C(0xa5a5a5a5)

static void private_users_ok(const char *in, PrivateUsersMode mode, uid_t shift, uint32_t range) {
        PrivateUsersMode m = _PRIVATE_USERS_MODE_INVALID;
        uid_t s = SHIFT_UNSET;
        uint32_t n = RANGE_UNSET;
        int r = private_users_parse(in, &m, &s, &n);

        if (!CHECK_MSG(r == 0, "private users '%s' parses", in)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        if (!CHECK_MSG(m == mode, "private users '%s' is %s", in, private_users_mode_to_string(mode)))
                tap_diag("got mode %d (%s)", (int) m, private_users_mode_to_string(m) ?: "(null)");
        if (mode != PRIVATE_USERS_FIXED)
                return;
        if (!CHECK_MSG(s == shift, "private users '%s': shift is %u", in, (unsigned) shift))
                tap_diag("got %u", (unsigned) s);
        if (!CHECK_MSG(n == range, "private users '%s': range is %" PRIu32, in, range))
                tap_diag("got %" PRIu32, n);
}

/* Refused with -EINVAL, and the output parameters are left alone. */
static void private_users_fails(const char *in, const char *why) {
        PrivateUsersMode m = _PRIVATE_USERS_MODE_INVALID;
        uid_t s = SHIFT_UNSET;
        uint32_t n = RANGE_UNSET;
        int r = private_users_parse(in, &m, &s, &n);

        if (!CHECK_MSG(r == -EINVAL, "private users refuses %s with -EINVAL", why))
                tap_diag("input '%s': r = %d, mode %d, shift %u, range %" PRIu32, in ?: "(null)", r, (int) m,
                         (unsigned) s, n);
        CHECK_MSG(m == _PRIVATE_USERS_MODE_INVALID && s == SHIFT_UNSET && n == RANGE_UNSET,
                  "private users: refusing %s writes no output", why);
}

static void test_private_users(void) {
        private_users_ok("pick", PRIVATE_USERS_PICK, 0, 0);
        private_users_ok("yes", PRIVATE_USERS_PICK, 0, 0);
        private_users_ok("1", PRIVATE_USERS_PICK, 0, 0);
        private_users_ok("true", PRIVATE_USERS_PICK, 0, 0);
        private_users_ok("no", PRIVATE_USERS_NO, 0, 0);
        private_users_ok("0", PRIVATE_USERS_NO, 0, 0);
        private_users_ok("false", PRIVATE_USERS_NO, 0, 0);
        private_users_ok("identity", PRIVATE_USERS_IDENTITY, 0, 0);
        private_users_ok("1342177280", PRIVATE_USERS_FIXED, 1342177280, UID_RANGE_DEFAULT_COUNT);
        private_users_ok("524288:1000", PRIVATE_USERS_FIXED, 524288, 1000);
        private_users_ok("0:65536", PRIVATE_USERS_FIXED, 0, 65536);
        private_users_ok("2", PRIVATE_USERS_FIXED, 2, 65536); /* of the numbers only 0 and 1 are booleans */
        /* The highest ranges that stop short of (uid_t) -1. */
        private_users_ok("4294901759", PRIVATE_USERS_FIXED, 4294901759U, 65536);
        private_users_ok("4294967294:1", PRIVATE_USERS_FIXED, 4294967294U, 1);
        CHECK_UINT(UID_RANGE_DEFAULT_COUNT, ==, 65536);

        private_users_fails(NULL, "NULL");
        private_users_fails("", "the empty string");
        private_users_fails(":", "a bare ':'");
        private_users_fails("5:", "an empty count");
        private_users_fails(":5", "an empty UID");
        private_users_fails("5:0", "a count of 0");
        private_users_fails("4294967295", "the UID (uid_t) -1");
        private_users_fails("4294967295:1", "the UID (uid_t) -1 with a count of 1");
        private_users_fails("4294901760:65536", "a range that reaches (uid_t) -1");
        private_users_fails("4294901760", "a default range that reaches (uid_t) -1");
        private_users_fails("4294967296", "a UID over 32 bits");
        private_users_fails("1:4294967296", "a count over 32 bits");
        private_users_fails("1:4294967295", "a count that overflows with its UID");
        private_users_fails("-1", "a negative UID");
        private_users_fails("5:-1", "a negative count");
        private_users_fails("+5", "a '+' sign");
        private_users_fails("0x100", "a hexadecimal UID");
        private_users_fails("1:2:3", "three fields");
        private_users_fails(" 5", "a leading space");
        private_users_fails("5 ", "a trailing space after a UID");
        private_users_fails("pick ", "a trailing space after 'pick'");
        private_users_fails("fixed", "'fixed' (a mode name, not a value)");
        private_users_fails("identity:5", "'identity' with a count");
        private_users_fails("bogus", "an unknown word");
}

/* ---- tmpfs ---- */

static void tmpfs_ok(const char *in, const char *dest, const char *options) {
        CustomMount m = {};
        int r = custom_mount_parse_tmpfs(in, &m);

        if (!CHECK_MSG(r == 0, "tmpfs '%s' parses", in)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        CHECK_MSG(m.type == CUSTOM_MOUNT_TMPFS, "tmpfs '%s': type is tmpfs", in);
        if (!CHECK_MSG(m.destination && strcmp(m.destination, dest) == 0, "tmpfs '%s': destination is '%s'",
                       in, dest))
                tap_diag("got '%s'", m.destination ?: "(null)");
        if (!CHECK_MSG(m.options && strcmp(m.options, options) == 0, "tmpfs '%s': options are '%s'", in,
                       options))
                tap_diag("got '%s'", m.options ?: "(null)");
        custom_mount_done(&m);
}

static void tmpfs_fails(const char *in, const char *why) {
        CustomMount m = {};
        int r = custom_mount_parse_tmpfs(in, &m);

        if (!CHECK_MSG(r < 0, "tmpfs refuses %s", why))
                tap_diag("input '%s' gave destination '%s', options '%s'", in, m.destination ?: "(null)",
                         m.options ?: "(null)");
        if (r >= 0)
                custom_mount_done(&m);
}

static void test_tmpfs(void) {
        _cleanup_free_ char *too_long = long_path(SETTINGS_VALUE_MAX + 1);

        tmpfs_ok("/tmp", "/tmp", "mode=0755");
        tmpfs_ok("/tmp:", "/tmp", "mode=0755");
        tmpfs_ok("/run/x:mode=1777,size=10M", "/run/x", "mode=1777,size=10M");
        tmpfs_ok("/run:size=1G:extra", "/run", "size=1G:extra");
        tmpfs_ok("/a//b/", "/a/b", "mode=0755");

        tmpfs_fails("", "the empty string");
        tmpfs_fails(":mode=0700", "an empty path");
        tmpfs_fails("tmp", "a relative path");
        tmpfs_fails("/tmp/../etc", "'..'");
        tmpfs_fails("+/tmp", "an in-tree '+' path");
        tmpfs_fails("/tmp:mode=0755\n", "a newline in the options");
        tmpfs_fails("/tmp:size=1M\x01", "a control character in the options");
        tmpfs_fails("/tm\tp", "a control character in the path");
        tmpfs_fails(too_long, "a value over SETTINGS_VALUE_MAX");
}

/* ---- overlay ---- */

/* lowers: NULL-terminated; upper NULL when no upper dir is expected (read-only). */
static void overlay_ok(const char *in, bool ro, const char *const *lowers, const char *upper,
                       const char *dest) {
        CustomMount m = {};
        int r = custom_mount_parse_overlay(in, ro, &m);
        bool same;

        if (!CHECK_MSG(r == 0, "overlay%s '%s' parses", ro ? "-ro" : "", in)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        CHECK_MSG(m.type == CUSTOM_MOUNT_OVERLAY, "overlay '%s': type is overlay", in);
        CHECK_MSG(m.read_only == ro, "overlay '%s': read_only is %d", in, ro);

        same = strv_length(m.lower) == strv_length((char *const *) lowers);
        for (size_t i = 0; same && lowers[i]; i++)
                same = strcmp(m.lower[i], lowers[i]) == 0;
        if (!CHECK_MSG(same, "overlay%s '%s': lower dirs as expected", ro ? "-ro" : "", in)) {
                STRV_FOREACH (l, m.lower)
                        tap_diag("got lower '%s'", *l);
        }
        if (upper) {
                if (!CHECK_MSG(m.upper && strcmp(m.upper, upper) == 0, "overlay '%s': upper is '%s'", in,
                               upper))
                        tap_diag("got upper '%s'", m.upper ?: "(null)");
        } else
                CHECK_MSG(!m.upper, "overlay-ro '%s': no upper dir", in);
        if (!CHECK_MSG(m.destination && strcmp(m.destination, dest) == 0,
                       "overlay%s '%s': destination is '%s'", ro ? "-ro" : "", in, dest))
                tap_diag("got destination '%s'", m.destination ?: "(null)");
        custom_mount_done(&m);
}

static void overlay_fails(const char *in, bool ro, const char *why) {
        CustomMount m = {};
        int r = custom_mount_parse_overlay(in, ro, &m);

        if (!CHECK_MSG(r < 0, "overlay%s refuses %s", ro ? "-ro" : "", why))
                tap_diag("input '%s' gave destination '%s'", in, m.destination ?: "(null)");
        if (r >= 0)
                custom_mount_done(&m);
}

static void test_overlay(void) {
        _cleanup_free_ char *many = NULL;
        char buf[65 * 3 + 1] = "";

        overlay_ok("/a:/b:/c", false, (const char *const[]){ "/a", NULL }, "/b", "/c");
        overlay_ok("/a:/b", false, (const char *const[]){ "/a", NULL }, "/b", "/b");
        overlay_ok("/a::/c", false, (const char *const[]){ "/a", NULL }, "", "/c");
        overlay_ok("/a1:/a2:/a3:/up:/dst", false, (const char *const[]){ "/a1", "/a2", "/a3", NULL }, "/up",
                   "/dst");
        overlay_ok("+/a:/b:/c", false, (const char *const[]){ "+/a", NULL }, "/b", "/c");
        overlay_ok("/a\\:x:/b:/c", false, (const char *const[]){ "/a:x", NULL }, "/b", "/c");

        overlay_ok("/a:/b:/c", true, (const char *const[]){ "/a", "/b", NULL }, NULL, "/c");
        overlay_ok("/a:/b", true, (const char *const[]){ "/a", "/b", NULL }, NULL, "/b");
        overlay_ok("/a:+/b:/c:/d", true, (const char *const[]){ "/a", "+/b", "/c", NULL }, NULL, "/d");

        overlay_fails("", false, "the empty string");
        overlay_fails("/a", false, "a single path");
        overlay_fails("/a", true, "a single path");
        overlay_fails("a:/b:/c", false, "a relative lower dir");
        overlay_fails("/a:b:/c", false, "a relative upper dir");
        overlay_fails("/a:/b:c", false, "a relative destination");
        overlay_fails("/a:/b:", false, "an empty destination");
        overlay_fails("/a:", false, "an empty upper and destination");
        overlay_fails(":/b:/c", false, "an empty lower dir");
        overlay_fails("/a::/c", true, "an empty lower dir");
        overlay_fails("/a/..:/b:/c", false, "'..' in a lower dir");
        overlay_fails("/a:/b/../x:/c", false, "'..' in the upper dir");
        overlay_fails("/a:/b:/c/..", false, "'..' in the destination");
        overlay_fails("/a\n:/b:/c", false, "a control character");

        /* 65 fields is over the limit of 64. */
        for (unsigned i = 0; i < 65; i++)
                strcat(buf, i == 0 ? "/x" : ":/x");
        overlay_fails(buf, true, "65 paths");
        many = long_path(SETTINGS_VALUE_MAX + 1);
        overlay_fails(many, false, "a value over SETTINGS_VALUE_MAX");
}

/* ---- time offsets ---- */

static void time_ok(const char *in, int64_t mono, int64_t boot) {
        int64_t m = 12345, b = 12345;
        int r = time_offset_parse(in, &m, &b);

        if (!CHECK_MSG(r == 0, "time offset '%s' parses", in)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        if (!CHECK_MSG(m == mono, "time offset '%s': monotonic is %" PRId64 " ns", in, mono))
                tap_diag("got %" PRId64, m);
        if (!CHECK_MSG(b == boot, "time offset '%s': boottime is %" PRId64 " ns", in, boot))
                tap_diag("got %" PRId64, b);
}

static void time_fails(const char *in, const char *why) {
        int64_t m = 0, b = 0;
        int r = time_offset_parse(in, &m, &b);

        if (!CHECK_MSG(r < 0, "time offset refuses %s", why))
                tap_diag("input '%s' gave monotonic %" PRId64 ", boottime %" PRId64, in, m, b);
}

static void test_time_offset(void) {
        const int64_t sec = 1000000000LL;
        int64_t m = 0, b = 0;

        time_ok("monotonic=10", 10 * sec, 0);
        time_ok("boottime=20", 0, 20 * sec);
        time_ok("monotonic=1,boottime=2", 1 * sec, 2 * sec);
        time_ok("boottime=2,monotonic=1", 1 * sec, 2 * sec);
        time_ok("monotonic=-5", -5 * sec, 0);
        time_ok("monotonic=1.5", 1500000000LL, 0);
        time_ok("boottime=-0.25", 0, -250000000LL);
        time_ok("monotonic=86400s", 86400 * sec, 0);
        time_ok("monotonic=+3", 3 * sec, 0);
        time_ok("monotonic=0.000000001", 1, 0);
        time_ok("monotonic=315360000", 315360000LL * sec, 0); /* 3650 days */

        time_fails("", "the empty string");
        time_fails("monotonic", "a key without '='");
        time_fails("monotonic=", "an empty value");
        time_fails("realtime=5", "the unknown key 'realtime'");
        time_fails("monotonicx=5", "a key that only starts like 'monotonic'");
        time_fails("=5", "an empty key");
        time_fails("monotonic=1,monotonic=2", "a duplicate monotonic key");
        time_fails("boottime=1,boottime=2", "a duplicate boottime key");
        time_fails("monotonic=1,boottime=2,monotonic=3", "three items");
        time_fails("monotonic=abc", "garbage");
        time_fails("monotonic=1x", "trailing garbage");
        time_fails("monotonic=1.", "a dot without digits");
        time_fails("monotonic=.5", "a fraction without integer part");
        time_fails("monotonic= 1", "a space before the value");
        time_fails("monotonic=1ms", "an unsupported unit");
        time_fails("monotonic=400000000", "an offset over ten years");
        time_fails("boottime=-400000000", "a negative offset over ten years");
        time_fails("monotonic=99999999999999999999", "a number that overflows");

        CHECK_INT(time_offset_parse("monotonic=400000000", &m, &b), ==, -ERANGE);
}

/* ---- system call filters ---- */

static void filter_ok(const char *in, bool deny, const char *const *names) {
        _cleanup_strv_free_ char **got = NULL;
        bool d = !deny, same;
        int r = syscall_filter_parse(in, &d, &got);

        if (!CHECK_MSG(r == 0, "system call filter '%s' parses", in)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        CHECK_MSG(d == deny, "filter '%s': deny is %d", in, deny);
        same = strv_length(got) == strv_length((char *const *) names);
        for (size_t i = 0; same && names[i]; i++)
                same = strcmp(got[i], names[i]) == 0;
        if (!CHECK_MSG(same, "filter '%s': names as expected", in))
                STRV_FOREACH (n, got)
                        tap_diag("got '%s'", *n);
}

static void filter_fails(const char *in, const char *why) {
        _cleanup_strv_free_ char **got = NULL;
        bool d = false;
        int r = syscall_filter_parse(in, &d, &got);

        CHECK_MSG(r < 0, "system call filter refuses %s", why);
}

static void test_syscall_filter(void) {
        char buf[600 * 2 + 1] = "";
        _cleanup_free_ char *long_name = repeat('a', 65), *longest_name = repeat('a', 64);

        filter_ok("read", false, (const char *const[]){ "read", NULL });
        filter_ok("read write @mount", false, (const char *const[]){ "read", "write", "@mount", NULL });
        filter_ok("~keyctl @swap", true, (const char *const[]){ "keyctl", "@swap", NULL });
        filter_ok("  read   write ", false, (const char *const[]){ "read", "write", NULL });
        filter_ok("@file-system _llseek rt_sigreturn", false,
                  (const char *const[]){ "@file-system", "_llseek", "rt_sigreturn", NULL });
        filter_ok("~@io-uring", true, (const char *const[]){ "@io-uring", NULL });
        filter_ok(longest_name, false, (const char *const[]){ longest_name, NULL });

        filter_fails("", "the empty string");
        filter_fails("~", "a bare '~'");
        filter_fails("   ", "only spaces");
        filter_fails("@", "a bare '@'");
        filter_fails("read @", "a bare '@' after a name");
        filter_fails("READ", "upper case");
        filter_fails("read;write", "punctuation");
        filter_fails("~~read", "a doubled '~'");
        filter_fails("read ~write", "'~' in the middle");
        filter_fails("@@mount", "a doubled '@'");
        filter_fails("read\twrite", "a tab");
        filter_fails("re\\ ad", "an escaped space inside a name");
        filter_fails(long_name, "a 65-character name");

        for (unsigned i = 0; i < 600; i++)
                strcat(buf, "a ");
        filter_fails(buf, "more than 512 words");
}

/* ---- enums ---- */

static void test_enums(void) {
        for (int i = 0; i < _CONSOLE_MODE_MAX; i++) {
                const char *s = console_mode_to_string((ConsoleMode) i);
                CHECK_MSG(s && console_mode_from_string(s) == (ConsoleMode) i,
                          "console mode %d round trips (%s)", i, s ?: "(null)");
        }
        for (int i = 0; i < _NETWORK_MODE_MAX; i++) {
                const char *s = network_mode_to_string((NetworkMode) i);
                CHECK_MSG(s && network_mode_from_string(s) == (NetworkMode) i,
                          "network mode %d round trips (%s)", i, s ?: "(null)");
        }
        for (int i = 0; i < _CUSTOM_MOUNT_TYPE_MAX; i++)
                CHECK_MSG(custom_mount_type_to_string((CustomMountType) i),
                          "custom mount type %d has a name", i);

        /* PrivateUsersMode has no from_string: its names are what private_users_parse() takes back,
         * except "fixed", which only ever names a mode that came with numbers. */
        for (int i = 0; i < _PRIVATE_USERS_MODE_MAX; i++) {
                const char *s = private_users_mode_to_string((PrivateUsersMode) i);
                PrivateUsersMode m = _PRIVATE_USERS_MODE_INVALID;
                uid_t shift = 0;
                uint32_t range = 0;
                int r;

                if (!CHECK_MSG(s, "private users mode %d has a name", i))
                        continue;
                r = private_users_parse(s, &m, &shift, &range);
                if (i == PRIVATE_USERS_FIXED)
                        CHECK_MSG(r == -EINVAL, "private users mode name '%s' is not a value", s);
                else
                        CHECK_MSG(r == 0 && m == (PrivateUsersMode) i,
                                  "private users mode %d round trips (%s)", i, s);
        }
        for (int i = 0; i < _OWNERSHIP_MAX; i++) {
                const char *s = userns_ownership_to_string((UserNsOwnership) i);
                CHECK_MSG(s && userns_ownership_from_string(s) == (UserNsOwnership) i,
                          "ownership %d round trips (%s)", i, s ?: "(null)");
        }
        CHECK_STR(private_users_mode_to_string(PRIVATE_USERS_PICK), "pick");
        CHECK_STR(private_users_mode_to_string(PRIVATE_USERS_NO), "no");
        CHECK_STR(private_users_mode_to_string(PRIVATE_USERS_IDENTITY), "identity");
        CHECK_STR(private_users_mode_to_string(PRIVATE_USERS_FIXED), "fixed");
        CHECK_STR(private_users_mode_to_string(_PRIVATE_USERS_MODE_MAX), NULL);
        CHECK_STR(private_users_mode_to_string(_PRIVATE_USERS_MODE_INVALID), NULL);
        CHECK_STR(userns_ownership_to_string(OWNERSHIP_AUTO), "auto");
        CHECK_STR(userns_ownership_to_string(OWNERSHIP_MAP), "map");
        CHECK_STR(userns_ownership_to_string(OWNERSHIP_CHOWN), "chown");
        CHECK_STR(userns_ownership_to_string(OWNERSHIP_OFF), "off");
        CHECK_STR(userns_ownership_to_string(_OWNERSHIP_MAX), NULL);
        CHECK_STR(userns_ownership_to_string(_OWNERSHIP_INVALID), NULL);
        CHECK_INT(userns_ownership_from_string("chown"), ==, OWNERSHIP_CHOWN);
        CHECK_INT(userns_ownership_from_string("sideways"), ==, -EINVAL);
        CHECK_INT(userns_ownership_from_string("Map"), ==, -EINVAL);
        CHECK_INT(userns_ownership_from_string("map "), ==, -EINVAL);
        CHECK_INT(userns_ownership_from_string(""), ==, -EINVAL);
        CHECK_INT(userns_ownership_from_string(NULL), ==, -EINVAL);

        CHECK_STR(console_mode_to_string(CONSOLE_INTERACTIVE), "interactive");
        CHECK_STR(console_mode_to_string(CONSOLE_READ_ONLY), "read-only");
        CHECK_STR(console_mode_to_string(CONSOLE_PASSIVE), "passive");
        CHECK_STR(console_mode_to_string(CONSOLE_PIPE), "pipe");
        CHECK_STR(network_mode_to_string(NETWORK_PRIVATE), "private");
        CHECK_STR(network_mode_to_string(NETWORK_HOST), "host");
        CHECK_INT(console_mode_from_string("read-only"), ==, CONSOLE_READ_ONLY);
        CHECK_INT(network_mode_from_string("host"), ==, NETWORK_HOST);

        CHECK_STR(console_mode_to_string(_CONSOLE_MODE_INVALID), NULL);
        CHECK_STR(console_mode_to_string(_CONSOLE_MODE_MAX), NULL);
        CHECK_STR(network_mode_to_string(_NETWORK_MODE_INVALID), NULL);
        CHECK_STR(network_mode_to_string(_NETWORK_MODE_MAX), NULL);
        CHECK_STR(custom_mount_type_to_string(_CUSTOM_MOUNT_TYPE_MAX), NULL);
        CHECK_INT(console_mode_from_string("bogus"), <, 0);
        CHECK_INT(console_mode_from_string(""), <, 0);
        CHECK_INT(console_mode_from_string(NULL), <, 0);
        CHECK_INT(console_mode_from_string("Interactive"), <, 0);
        CHECK_INT(network_mode_from_string("bridge"), <, 0);
        CHECK_INT(network_mode_from_string(""), <, 0);
        CHECK_INT(network_mode_from_string(NULL), <, 0);
}

/* ---- capabilities ---- */

#define CAPBIT(n) (UINT64_C(1) << (n))

static void caps_ok(const char *in, uint64_t want) {
        uint64_t got = 0x5a5a;
        int r = capability_list_parse(in, &got);

        if (!CHECK_MSG(r == 0, "capability list '%s' parses", in)) {
                tap_diag("r = %d (%s)", r, strerror(-r));
                return;
        }
        if (!CHECK_MSG(got == want, "capability list '%s' is 0x%" PRIx64, in, want))
                tap_diag("got 0x%" PRIx64, got);
}

static void caps_fail(const char *in, const char *why) {
        uint64_t got = 0;
        int r = capability_list_parse(in, &got);

        if (!CHECK_MSG(r == -EINVAL, "capability list refuses %s with -EINVAL", why))
                tap_diag("input '%s': r = %d, set 0x%" PRIx64, in, r, got);
}

static void test_capabilities(void) {
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ char *long_name = repeat('x', 100);

        /* The numbers are the kernel ABI (linux/capability.h). */
        caps_ok("CAP_SYS_ADMIN", CAPBIT(21));
        caps_ok("sys_admin", CAPBIT(21));
        caps_ok("cap_sys_admin", CAPBIT(21));
        caps_ok("SYS_ADMIN", CAPBIT(21));
        caps_ok("Cap_Sys_Admin", CAPBIT(21));
        caps_ok("cap_net_raw,CAP_CHOWN", CAPBIT(13) | CAPBIT(0));
        caps_ok("CAP_CHOWN,CAP_CHOWN", CAPBIT(0));
        caps_ok("kill,setuid,setgid", CAPBIT(5) | CAPBIT(7) | CAPBIT(6));
        /* "all" means every capability the running kernel knows, not 64 bits of which most are
         * nothing: it must print back as names. */
        {
                unsigned last = capability_last_cap();
                uint64_t all = last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
                char *names;

                caps_ok("all", all);
                caps_ok("CAP_CHOWN,all", all);
                names = capability_set_to_string(all);
                CHECK_MSG(names && !strpbrk(names, "0123456789"), "'all' prints back as names only");
                free(names);
        }

        caps_fail("", "the empty string");
        caps_fail("CAP_BOGUS", "an unknown name");
        caps_fail("bogus", "an unknown bare name");
        caps_fail("CAP_CHOWN,bogus", "an unknown name after a known one");
        caps_fail("21", "a plain number");
        caps_fail("0", "the number 0");
        caps_fail("cap_21", "cap_ with a number");
        caps_fail("CAP_", "a bare CAP_ prefix");
        /* Trailing junk after a name must not be ignored. */
        caps_fail("CAP_CHOWN CAP_KILL", "space-separated names");
        caps_fail("CAP_CHOWN-junk", "a name with trailing junk");
        caps_fail("sys_admin1", "a name with a trailing digit");
        caps_fail("CAP_KILL\n", "a name with a trailing newline");
        caps_fail(long_name, "a 100-character name");

        s = capability_set_to_string(0);
        CHECK_STR(s, "");
        free(s);
        s = capability_set_to_string(CAPBIT(21));
        CHECK_STR(s, "CAP_SYS_ADMIN");
        free(s);
        s = capability_set_to_string(CAPBIT(0) | CAPBIT(13) | CAPBIT(21));
        CHECK_STR(s, "CAP_CHOWN CAP_NET_RAW CAP_SYS_ADMIN");
        free(s);

        /* to_string and parse are inverse for every known capability. */
        {
                uint64_t all = 0, back = 0;
                int r;

                for (unsigned c = 0; c <= 40; c++)
                        all |= CAPBIT(c);
                s = capability_set_to_string(all);
                CHECK(s && strstr(s, "CAP_CHECKPOINT_RESTORE"));
                r = -1;
                if (s) {
                        /* parse wants commas */
                        for (char *p = s; *p; p++)
                                if (*p == ' ')
                                        *p = ',';
                        r = capability_list_parse(s, &back);
                }
                CHECK_INT(r, ==, 0);
                CHECK_UINT(back, ==, all);
                free(s);
                s = NULL;
        }

        CHECK_UINT(capability_last_cap(), >=, 40);
        CHECK_UINT(capability_last_cap(), <=, 63);
}

int main(void) {
        test_bind();
        test_private_users();
        test_tmpfs();
        test_overlay();
        test_time_offset();
        test_syscall_filter();
        test_enums();
        test_capabilities();
        return tap_finish();
}
