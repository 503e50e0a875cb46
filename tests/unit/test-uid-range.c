/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/machine/uid-range.c: block hints, host passwd/group scanning, and the on-disk registry. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "machine-name.h"
#include "uid-range.h"
#include "tap.h"

#define FIRST UID_RANGE_FIRST
#define END   UID_RANGE_END
#define BLOCK UID_RANGE_BLOCK
#define LAST  (UID_RANGE_END - UID_RANGE_BLOCK)

static char top[] = "/tmp/berth-test-uid-range-XXXXXX";
static unsigned n_dirs = 0;

/* snprintf() for paths: a truncated path would make the test act on the wrong file. */
_printf_(3, 4) static void fmt(char *buf, size_t size, const char *f, ...) {
        va_list ap;
        int n;

        va_start(ap, f);
        n = vsnprintf(buf, size, f, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= size)
                abort();
}

/* A fresh registry path for each test (not created: claim must create it, parents too). */
static void new_registry(char *buf, size_t size, const char *what) {
        fmt(buf, size, "%s/%u-%s/var/uid-ranges", top, n_dirs++, what);
}

static uid_t next_block(uid_t b) {
        return b + BLOCK == END ? FIRST : b + BLOCK;
}

static int put_link(const char *dir, const char *entry, const char *target) {
        char p[4096];

        fmt(p, sizeof(p), "%s/%s", dir, entry);
        return symlink(target, p) < 0 ? -errno : 0;
}

static int put_block(const char *dir, uid_t base, const char *target) {
        char e[16];

        snprintf(e, sizeof(e), "%u", (unsigned) base);
        return put_link(dir, e, target);
}

static void make_dir(const char *dir) {
        char p[4096];

        /* The registry path's parents, then itself. */
        fmt(p, sizeof(p), "%s", dir);
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        (void) mkdir(p, 0755);
                        *s = '/';
                }
        (void) mkdir(p, 0755);
}

static bool link_is(const char *dir, uid_t base, const char *target) {
        char p[4096], t[256];
        ssize_t n;

        fmt(p, sizeof(p), "%s/%u", dir, (unsigned) base);
        n = readlink(p, t, sizeof(t) - 1);
        if (n < 0)
                return false;
        t[n] = '\0';
        return strcmp(t, target) == 0;
}

/* A name of the form PREFIX-N whose hint is want. There are ~28k blocks, so this takes ~28k hashes on
 * average; 4M tries make a miss practically impossible. */
static bool find_name_with_hint(const char *prefix, uid_t want, unsigned skip, char *buf, size_t size) {
        for (unsigned i = 0; i < 4000000; i++) {
                snprintf(buf, size, "%s-%u", prefix, i);
                if (uid_range_hint(buf) == want && skip-- == 0)
                        return true;
        }
        return false;
}

/* ---- pure functions ---- */

static void test_hint(void) {
        static const char *const names[] = { "web", "db", "a", "x", "web-1", "Web", "a.b_c-d", "0" };
        unsigned distinct = 0;
        uint8_t *seen;
        char name[32];

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                uid_t h = uid_range_hint(names[i]);
                CHECK_MSG(uid_range_base_is_valid(h) && h >= FIRST && h < END && h % BLOCK == 0,
                          "hint of '%s' (%u) is a block in the range", names[i], (unsigned) h);
                CHECK_MSG(uid_range_hint(names[i]) == h, "hint of '%s' is the same every time", names[i]);
        }
        /* Golden values: the hint is part of the on-disk contract (a name should get the same block on
         * every host), so a change of hash must show up here. */
        CHECK_UINT(uid_range_hint("web"), ==, 740622336U);
        CHECK_UINT(uid_range_hint("db"), ==, 768475136U);
        CHECK_UINT(uid_range_hint(""), ==, 1203109888U);

        /* Spread: 2000 names should land in clearly more than 1900 distinct blocks of 28663. */
        seen = calloc(UID_RANGE_N_BLOCKS, 1);
        if (!seen)
                abort();
        for (unsigned i = 0; i < 2000; i++) {
                uid_t h;
                snprintf(name, sizeof(name), "machine-%u", i);
                h = uid_range_hint(name);
                if (!uid_range_base_is_valid(h))
                        break;
                if (!seen[(h - FIRST) / BLOCK]++)
                        distinct++;
        }
        CHECK_MSG(distinct > 1900, "hints spread over the blocks (%u distinct of 2000)", distinct);
        free(seen);

        CHECK(uid_range_base_is_valid(FIRST));
        CHECK(uid_range_base_is_valid(LAST));
        CHECK(!uid_range_base_is_valid(END));
        CHECK(!uid_range_base_is_valid(FIRST - BLOCK));
        CHECK(!uid_range_base_is_valid(FIRST + 1));
        CHECK(!uid_range_base_is_valid(0));
        CHECK(!uid_range_base_is_valid(UINT32_MAX));
        CHECK_UINT(UID_RANGE_N_BLOCKS, ==, 28663U);
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
                             "# old:x:600000:600000::/:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n"
                             "svc:x:1342177290:1000::/var/svc:/bin/sh\n"
                             "edge:x:1342242815:1000::/:/bin/sh\n"
                             "+nis:x:700000::::\n"
                             "last:x:4294967294:4294967294::/:/bin/sh"; /* no final newline */

static void test_text_uses(void) {
        static const char group[] = "root:x:0:\nwheel:x:10:alice,bob\nbig:x:900000:\n";
        const uid_t b = 1342177280U; /* 0x50000000 */

        CHECK(!uid_range_text_uses(NULL, 0, UINT32_MAX));
        CHECK(!uid_range_text_uses("", 0, UINT32_MAX));
        CHECK(uid_range_text_uses(passwd, 0, 1));
        CHECK(!uid_range_text_uses(passwd, 1, 1000));
        CHECK(uid_range_text_uses(passwd, 65534, 1));
        CHECK(!uid_range_text_uses(passwd, 65534, 0));
        CHECK(uid_range_text_uses(passwd, b, BLOCK));
        CHECK(uid_range_text_uses(passwd, b + 10, 1));
        CHECK(!uid_range_text_uses(passwd, b, 10)); /* [b, b+10) stops just short of svc */
        CHECK(!uid_range_text_uses(passwd, b + 11, BLOCK - 12));
        CHECK(uid_range_text_uses(passwd, b + 11, BLOCK - 11)); /* edge is b + BLOCK - 1 */
        CHECK(!uid_range_text_uses(passwd, b + BLOCK, BLOCK));
        CHECK_MSG(!uid_range_text_uses(passwd, 600000, 1), "a commented-out line does not count");
        CHECK_MSG(uid_range_text_uses(passwd, 700000, 1), "a NIS '+' line with a UID counts");
        CHECK_MSG(uid_range_text_uses(passwd, 4294967294U, 1), "the last line counts without a newline");
        /* base + count past 2^32 must not wrap around to the low UIDs. */
        CHECK(uid_range_text_uses(passwd, 4294967290U, 100));
        CHECK_MSG(!uid_range_text_uses("low:x:5:5::/:/bin/sh\n", 4294967290U, 100),
                  "a range ending past 2^32 does not wrap to UID 5");
        CHECK(uid_range_text_uses("low:x:5:5::/:/bin/sh\n", 0, UINT32_MAX));

        CHECK(uid_range_text_uses(group, 10, 1));
        CHECK(uid_range_text_uses(group, 851968, BLOCK)); /* 0xd0000 holds 900000 */
        CHECK(!uid_range_text_uses(group, 11, 899989));
}

static void test_text_uses_malformed(void) {
        static const struct {
                const char *text;
                bool uses; /* whether it uses UID 1000 */
        } cases[] = {
                { "no colons at all 1000\n", false },
                { "a:1000\n", false },
                { "a:x:\n", false },
                { "a:x::1000:\n", false },
                { "a:x:1000\n", true }, /* third field ends at the line end */
                { "a:x:1000:", true },
                { "a:x:01000:", true }, /* glibc reads it as 1000 too */
                { "a:x: 1000:", false },
                { "a:x:+1000:", false },
                { "a:x:-1000:", false },
                { "a:x:1000 :", false },
                { "a:x:1e3:", false },
                { "a:x:0x3e8:", false },
                { "a:x:00000000001000:", false }, /* longer than any 32-bit number */
                { "a:x:4294968296:", false },     /* 1000 + 2^32 */
                { "#a:x:1000:", false },
                { " #a:x:1000:", true }, /* only a '#' at the very start makes a comment */
                { "a:x\n:1000:\n", false },
                { "a\n:x:1000\n", true },
                { "\n\n\na:x:1000:1000::/:\n\n", true },
                { "::1000::::", true },
                { "a:x:1000\r\n", false },
                { ":::::::::::::::::", false },
                { "\n", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                CHECK_MSG(uid_range_text_uses(cases[i].text, 1000, 1) == cases[i].uses,
                          "text case %zu %s UID 1000", i, cases[i].uses ? "uses" : "does not use");
}

/* An independent reading of the rule, to compare against on random text. */
static bool reference_uses(const char *text, uint64_t base, uint64_t count) {
        char *copy = strdup(text), *rest = copy, *line;
        bool found = false;

        if (!copy)
                abort();
        while (!found && (line = strsep(&rest, "\n"))) {
                char *f = line, *field = NULL, *end;
                unsigned long long v;
                unsigned i;

                if (line[0] == '#')
                        continue;
                for (i = 0; i < 3 && f; i++)
                        field = strsep(&f, ":");
                if (i < 3 || field[0] < '0' || field[0] > '9' || strlen(field) > 10)
                        continue;
                v = strtoull(field, &end, 10);
                if (*end || v > UINT32_MAX)
                        continue;
                found = v >= base && v < base + count;
        }
        free(copy);
        return found;
}

static void test_text_uses_random(void) {
        static const char alphabet[] = "::::\n\n#+-x 0123456789999";
        uint64_t state = UINT64_C(0x9e3779b97f4a7c15);
        unsigned mismatches = 0, hits = 0;
        char text[256];

        for (unsigned iter = 0; iter < 50000; iter++) {
                size_t len;
                uint32_t base, count;
                bool a, b;

#define NEXT() (state ^= state << 13, state ^= state >> 7, state ^= state << 17, state)
                len = NEXT() % (sizeof(text) - 1);
                for (size_t i = 0; i < len; i++)
                        text[i] = alphabet[NEXT() % (sizeof(alphabet) - 1)];
                text[len] = '\0';
                base = (uint32_t) (NEXT() % 100000);
                count = (uint32_t) (NEXT() % 3 == 0 ? NEXT() : NEXT() % 1000);
#undef NEXT
                a = uid_range_text_uses(text, base, count);
                b = reference_uses(text, base, count);
                hits += a;
                if (a != b && mismatches++ < 3)
                        tap_diag("mismatch for base %u count %u: got %d, want %d, text:\n%s", base, count, a,
                                 b, text);
        }
        CHECK_MSG(mismatches == 0, "50000 random texts agree with the reference reading (%u mismatches)",
                  mismatches);
        CHECK_MSG(hits > 1000, "the random texts exercise matches too (%u)", hits);
}

/* ---- the registry ---- */

static void test_claim(void) {
        char dir[4096], p[4096];
        uid_t base = 0, again = 0, looked = 0;
        bool is_new = false;
        struct stat st;
        int r, fd;

        new_registry(dir, sizeof(dir), "claim");
        CHECK_INT(uid_range_registry_lookup(dir, "web", &looked), ==, -ENOENT);

        r = uid_range_registry_claim(dir, "web", NULL, NULL, &base, &is_new);
        CHECK_INT(r, ==, 0);
        CHECK_MSG(is_new, "a first claim is new");
        CHECK_UINT(base, ==, uid_range_hint("web"));
        CHECK_MSG(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "claim created the directory and its parents");
        CHECK_MSG(link_is(dir, base, "web"),
                  "the entry is a symlink named by the base, pointing to the name");
        fmt(p, sizeof(p), "%s/.lock", dir);
        CHECK_MSG(lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600,
                  "the lock file is a 0600 regular file");

        is_new = true;
        r = uid_range_registry_claim(dir, "web", NULL, NULL, &again, &is_new);
        CHECK_INT(r, ==, 0);
        CHECK_UINT(again, ==, base);
        CHECK_MSG(!is_new, "a second claim is not new");
        /* The registered block wins even when the host now uses it: it was ours first. */
        snprintf(p, sizeof(p), "late:x:%u:%u::/:/bin/sh\n", (unsigned) base, (unsigned) base);
        r = uid_range_registry_claim(dir, "web", p, p, &again, NULL);
        CHECK_INT(r, ==, 0);
        CHECK_UINT(again, ==, base);

        CHECK_INT(uid_range_registry_lookup(dir, "web", &looked), ==, 0);
        CHECK_UINT(looked, ==, base);

        CHECK_INT(uid_range_registry_claim(dir, "../etc", NULL, NULL, &again, NULL), ==, -EINVAL);
        CHECK_INT(uid_range_registry_claim(dir, "", NULL, NULL, &again, NULL), ==, -EINVAL);
        CHECK_INT(uid_range_registry_claim(dir, "a/b", NULL, NULL, &again, NULL), ==, -EINVAL);
        CHECK_INT(uid_range_registry_lookup(dir, "a/b", &again), ==, -EINVAL);
        CHECK_INT(uid_range_registry_release(dir, "a/b"), ==, -EINVAL);

        /* Output parameters are written only on success. */
        again = 12345;
        CHECK_INT(uid_range_registry_lookup(dir, "nobody-here", &again), ==, -ENOENT);
        CHECK_UINT(again, ==, 12345);

        /* A directory that is a regular file: an error, not a crash or a silent empty registry. */
        fmt(p, sizeof(p), "%s/../file", dir);
        fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK_INT(fd, >=, 0);
        safe_close(fd);
        CHECK_INT(uid_range_registry_claim(p, "web", NULL, NULL, &again, NULL), ==, -ENOTDIR);
        CHECK_INT(uid_range_registry_lookup(p, "web", &again), ==, -ENOTDIR);
}

static void test_collisions(void) {
        char dir[4096], a[64], b[64];
        uid_t h, ba = 0, bb = 0, bc = 0;
        bool is_new = false;
        int r;

        /* Two real names with the same hint, found by brute force. */
        new_registry(dir, sizeof(dir), "collide");
        h = uid_range_hint("collide");
        if (!find_name_with_hint("n", h, 0, a, sizeof(a)) || !find_name_with_hint("n", h, 1, b, sizeof(b)))
                abort();
        CHECK_MSG(uid_range_hint(a) == uid_range_hint(b) && strcmp(a, b) != 0, "'%s' and '%s' share a hint",
                  a, b);
        CHECK_INT(uid_range_registry_claim(dir, a, NULL, NULL, &ba, NULL), ==, 0);
        r = uid_range_registry_claim(dir, b, NULL, NULL, &bb, &is_new);
        CHECK_INT(r, ==, 0);
        CHECK(is_new);
        CHECK_UINT(ba, ==, h);
        CHECK_UINT(bb, ==, next_block(h));
        /* The third name in line goes one further. */
        CHECK_INT(uid_range_registry_claim(dir, "collide", NULL, NULL, &bc, NULL), ==, 0);
        CHECK_UINT(bc, ==, next_block(next_block(h)));

        /* A symlink put at the hint by someone else counts as taken. */
        new_registry(dir, sizeof(dir), "preset");
        make_dir(dir);
        h = uid_range_hint("db");
        CHECK_INT(put_block(dir, h, "other"), ==, 0);
        CHECK_INT(uid_range_registry_claim(dir, "db", NULL, NULL, &ba, NULL), ==, 0);
        CHECK_UINT(ba, ==, next_block(h));
        CHECK_MSG(link_is(dir, h, "other"), "the other entry is untouched");
}

static void test_wrap_around(void) {
        char dir[4096], name[64], pw[256];
        uid_t base = 0;

        new_registry(dir, sizeof(dir), "wrap");
        make_dir(dir);
        if (!find_name_with_hint("tail", LAST, 0, name, sizeof(name)))
                abort();
        CHECK_MSG(uid_range_hint(name) == LAST, "'%s' hints at the last block", name);

        CHECK_INT(put_block(dir, LAST, "someone"), ==, 0);
        CHECK_INT(uid_range_registry_claim(dir, name, NULL, NULL, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, FIRST);
        CHECK_INT(uid_range_registry_release(dir, name), ==, 0);

        /* The same with the first block used by the host: on to the second. */
        snprintf(pw, sizeof(pw), "svc:x:%u:1::/:/bin/sh\n", FIRST + 7);
        CHECK_INT(uid_range_registry_claim(dir, name, pw, NULL, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, FIRST + BLOCK);
}

static void test_host_skip(void) {
        char dir[4096], pw[256], gr[256];
        uid_t h, b1, b2, base = 0;
        bool is_new = false;

        new_registry(dir, sizeof(dir), "host");
        h = uid_range_hint("skipme");
        b1 = next_block(h);
        b2 = next_block(b1);
        /* A UID inside the hint's block, and a GID at the very end of the next. */
        snprintf(pw, sizeof(pw), "root:x:0:0::/root:/bin/sh\nsvc:x:%u:0::/:/bin/sh\n", (unsigned) h + 5);
        snprintf(gr, sizeof(gr), "root:x:0:\nbig:x:%u:\n", (unsigned) b1 + BLOCK - 1);

        CHECK_INT(uid_range_registry_claim(dir, "skipme", pw, NULL, &base, &is_new), ==, 0);
        CHECK_UINT(base, ==, b1);
        CHECK(is_new);
        CHECK_INT(uid_range_registry_release(dir, "skipme"), ==, 0);
        CHECK_INT(uid_range_registry_claim(dir, "skipme", NULL, gr, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, h);
        CHECK_INT(uid_range_registry_release(dir, "skipme"), ==, 0);
        CHECK_INT(uid_range_registry_claim(dir, "skipme", pw, gr, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, b2);
}

static bool list_is(const char *dir, const uid_t *bases, const char *const *names, size_t n) {
        UidRangeEntry *e = NULL;
        size_t m = 0;
        bool ok;

        if (uid_range_registry_list(dir, &e, &m) < 0)
                return false;
        ok = m == n;
        for (size_t i = 0; ok && i < n; i++)
                ok = e[i].base == bases[i] && strcmp(e[i].name, names[i]) == 0;
        if (!ok)
                for (size_t i = 0; i < m; i++)
                        tap_diag("entry %zu: %u -> %s", i, (unsigned) e[i].base, e[i].name);
        uid_range_entries_free(e, m);
        return ok;
}

static void test_list_release(void) {
        char dir[4096];
        UidRangeEntry *e = (UidRangeEntry *) 1;
        size_t n = 99;
        uid_t base = 0;

        new_registry(dir, sizeof(dir), "list");
        CHECK_INT(uid_range_registry_list(dir, &e, &n), ==, 0);
        CHECK_MSG(!e && n == 0, "a missing directory is an empty registry");
        CHECK_INT(uid_range_registry_release(dir, "x"), ==, -ENOENT);
        CHECK_INT(uid_range_registry_check(dir, 0, UINT32_MAX, NULL, NULL), ==, 0);
        uid_range_entries_free(NULL, 0); /* a no-op */

        make_dir(dir);
        CHECK_INT(put_block(dir, FIRST + 5 * BLOCK, "e"), ==, 0);
        CHECK_INT(put_block(dir, LAST, "z"), ==, 0);
        CHECK_INT(put_block(dir, FIRST, "a"), ==, 0);
        CHECK_INT(put_block(dir, FIRST + 2 * BLOCK, "c"), ==, 0);
        CHECK_MSG(list_is(dir, (const uid_t[]){ FIRST, FIRST + 2 * BLOCK, FIRST + 5 * BLOCK, LAST },
                          (const char *const[]){ "a", "c", "e", "z" }, 4),
                  "list gives every entry, sorted by base");
        CHECK_INT(uid_range_registry_lookup(dir, "z", &base), ==, 0);
        CHECK_UINT(base, ==, LAST);

        CHECK_INT(uid_range_registry_release(dir, "c"), ==, 0);
        CHECK_INT(uid_range_registry_release(dir, "c"), ==, -ENOENT);
        CHECK_INT(uid_range_registry_lookup(dir, "c", &base), ==, -ENOENT);
        CHECK_MSG(list_is(dir, (const uid_t[]){ FIRST, FIRST + 5 * BLOCK, LAST },
                          (const char *const[]){ "a", "e", "z" }, 3),
                  "a released entry is gone from the list");
        CHECK_INT(uid_range_registry_release(dir, "never"), ==, -ENOENT);

        /* A released block is free again. */
        CHECK_INT(put_block(dir, FIRST + 2 * BLOCK, "c2"), ==, 0);
        CHECK_INT(uid_range_registry_lookup(dir, "c2", &base), ==, 0);
        CHECK_UINT(base, ==, FIRST + 2 * BLOCK);

        /* A hand edit left a name with two entries: the lowest counts, and release takes both. */
        CHECK_INT(put_block(dir, FIRST + 9 * BLOCK, "dup"), ==, 0);
        CHECK_INT(put_block(dir, FIRST + 7 * BLOCK, "dup"), ==, 0);
        CHECK_INT(uid_range_registry_lookup(dir, "dup", &base), ==, 0);
        CHECK_UINT(base, ==, FIRST + 7 * BLOCK);
        CHECK_INT(uid_range_registry_claim(dir, "dup", NULL, NULL, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, FIRST + 7 * BLOCK);
        CHECK_INT(uid_range_registry_release(dir, "dup"), ==, 0);
        CHECK_INT(uid_range_registry_lookup(dir, "dup", &base), ==, -ENOENT);
        CHECK_MSG(!link_is(dir, FIRST + 9 * BLOCK, "dup"), "release removed the second entry too");
}

static void check_busy(const char *dir, uid_t base, uint32_t count, const char *self, const char *owner) {
        char *o = NULL;
        int r = uid_range_registry_check(dir, base, count, self, &o);

        if (owner) {
                CHECK_MSG(r == -EBUSY && o && strcmp(o, owner) == 0, "[%u, +%u) for %s is busy with '%s'",
                          (unsigned) base, count, self ?: "(none)", owner);
        } else
                CHECK_MSG(r == 0 && !o, "[%u, +%u) for %s is free", (unsigned) base, count,
                          self ?: "(none)");
        if (r != 0 && r != -EBUSY)
                tap_diag("r = %d", r);
        free(o);
}

static void test_check(void) {
        const uid_t a = FIRST + 10 * BLOCK, b = a + BLOCK;
        char dir[4096];

        new_registry(dir, sizeof(dir), "check");
        make_dir(dir);
        CHECK_INT(put_block(dir, a, "a"), ==, 0);
        CHECK_INT(put_block(dir, b, "b"), ==, 0);
        CHECK_INT(put_block(dir, LAST, "z"), ==, 0);

        check_busy(dir, a, BLOCK, "a", NULL);
        check_busy(dir, a + 100, 5, "a", NULL);
        check_busy(dir, a, BLOCK, "b", "a");
        check_busy(dir, a, BLOCK, NULL, "a");
        check_busy(dir, a, BLOCK + 1, "a", "b");     /* one UID into b's block */
        check_busy(dir, b + BLOCK - 1, 1, "a", "b"); /* b's last UID */
        check_busy(dir, a - 10, 10, NULL, NULL);     /* ends just before a */
        check_busy(dir, a - 10, 11, NULL, "a");
        check_busy(dir, b + BLOCK, BLOCK, NULL, NULL);
        check_busy(dir, a - BLOCK, 3 * BLOCK, "b", "a"); /* spans three blocks */
        check_busy(dir, a - BLOCK, 3 * BLOCK, "a", "b");
        check_busy(dir, a, 0, NULL, NULL);
        /* Outside the registry's range: nothing there can be registered. */
        check_busy(dir, 0, 65536, NULL, NULL);
        check_busy(dir, 1000, FIRST - 1000, NULL, NULL);
        check_busy(dir, END, UINT32_MAX, "x", NULL); /* END + count overflows 32 bits */
        check_busy(dir, UINT32_MAX, UINT32_MAX, "x", NULL);
        check_busy(dir, 0, UINT32_MAX, "x", "a");
        check_busy(dir, LAST + BLOCK - 1, UINT32_MAX, "x", "z");
        check_busy(dir, b + BLOCK, UINT32_MAX, "x", "z");

        CHECK_INT(uid_range_registry_check(dir, a, BLOCK, NULL, NULL), ==, -EBUSY);
        CHECK_INT(uid_range_registry_check(dir, a, BLOCK, "../x", NULL), ==, -EINVAL);
}

static void test_junk(void) {
        char dir[4096], p[4096], name[64], longname[80];
        const uid_t good = FIRST + 3 * BLOCK;
        uid_t h, base = 0;
        int fd;

        new_registry(dir, sizeof(dir), "junk");
        make_dir(dir);
        CHECK_INT(put_block(dir, good, "good"), ==, 0);

        memset(longname, 'l', MACHINE_NAME_MAX + 1);
        longname[MACHINE_NAME_MAX + 1] = '\0';
        CHECK_INT(put_link(dir, "abc", "web"), ==, 0);
        CHECK_INT(put_link(dir, "0", "web"), ==, 0);
        CHECK_INT(put_link(dir, "01342177280", "web"), ==, 0);
        CHECK_INT(put_link(dir, "+1342177280", "web"), ==, 0);
        CHECK_INT(put_link(dir, "1342177280 ", "web"), ==, 0);
        CHECK_INT(put_link(dir, "1342177281", "web"), ==, 0);  /* not block-aligned */
        CHECK_INT(put_link(dir, "99999999999", "web"), ==, 0); /* over 32 bits */
        CHECK_INT(put_link(dir, "4294967296", "web"), ==, 0);
        CHECK_INT(put_block(dir, FIRST - BLOCK, "web"), ==, 0);
        CHECK_INT(put_block(dir, END, "web"), ==, 0);
        CHECK_INT(put_block(dir, FIRST + 4 * BLOCK, "../etc"), ==, 0);
        CHECK_INT(put_block(dir, FIRST + 5 * BLOCK, "a/b"), ==, 0);
        CHECK_INT(put_block(dir, FIRST + 6 * BLOCK, "/web"), ==, 0);
        CHECK_INT(put_block(dir, FIRST + 7 * BLOCK, longname), ==, 0);
        CHECK_INT(put_block(dir, FIRST + 8 * BLOCK, ".hidden"), ==, 0);
        CHECK_INT(put_block(dir, FIRST + 9 * BLOCK, "bad name"), ==, 0);
        fmt(p, sizeof(p), "%s/%u", dir, FIRST + 10 * BLOCK);
        fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK_INT(fd, >=, 0);
        if (fd >= 0) {
                CHECK_INT(loop_write(fd, "web", 3), ==, 0);
                safe_close(fd);
        }
        fmt(p, sizeof(p), "%s/%u", dir, FIRST + 11 * BLOCK);
        CHECK_INT(mkdir(p, 0755), ==, 0);
        fmt(p, sizeof(p), "%s/%u", dir, FIRST + 12 * BLOCK);
        CHECK_INT(mkfifo(p, 0644), ==, 0);

        CHECK_MSG(list_is(dir, (const uid_t[]){ good }, (const char *const[]){ "good" }, 1),
                  "list skips every kind of junk");
        CHECK_INT(uid_range_registry_lookup(dir, "web", &base), ==, -ENOENT);
        check_busy(dir, FIRST, 20 * BLOCK, "good", NULL);
        CHECK_INT(uid_range_registry_release(dir, "web"), ==, -ENOENT);
        CHECK_INT(uid_range_registry_release(dir, "hidden"), ==, -ENOENT);

        /* Junk at a name's hint is not ours to overwrite: the claim moves on and leaves it. */
        h = FIRST + 10 * BLOCK;
        if (!find_name_with_hint("j", h, 0, name, sizeof(name)))
                abort();
        CHECK_INT(uid_range_registry_claim(dir, name, NULL, NULL, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, FIRST + 13 * BLOCK); /* 10, 11, 12 are a file, a directory, a FIFO */
        fmt(p, sizeof(p), "%s/%u", dir, (unsigned) h);
        {
                struct stat st;
                CHECK_MSG(lstat(p, &st) == 0 && S_ISREG(st.st_mode), "the junk file is still there");
        }
        h = FIRST + 4 * BLOCK;
        if (!find_name_with_hint("k", h, 0, name, sizeof(name)))
                abort();
        CHECK_INT(uid_range_registry_claim(dir, name, NULL, NULL, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, FIRST + 13 * BLOCK + BLOCK);
        CHECK_MSG(link_is(dir, FIRST + 4 * BLOCK, "../etc"), "the junk symlink is still there");
}

static void test_full(void) {
        char dir[4096], *pw;
        size_t size = (size_t) UID_RANGE_N_BLOCKS * 64, len = 0;
        uid_t base = 0;
        bool is_new = false;

        /* Every block but the last is used by the host: 28k passwd lines, not 28k symlinks. */
        new_registry(dir, sizeof(dir), "full-host");
        pw = malloc(size);
        if (!pw)
                abort();
        for (uint32_t i = 0; i + 1 < UID_RANGE_N_BLOCKS; i++)
                len += (size_t) snprintf(pw + len, size - len, "u%u:x:%u:1::/:/bin/sh\n", i,
                                         FIRST + i * BLOCK + i);
        CHECK_INT(uid_range_registry_claim(dir, "one", pw, NULL, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, LAST);
        CHECK_INT(uid_range_registry_claim(dir, "two", pw, NULL, &base, NULL), ==, -ENOSPC);
        CHECK_INT(uid_range_registry_claim(dir, "one", pw, NULL, &base, NULL), ==, 0);
        CHECK_UINT(base, ==, LAST);
        free(pw);

        /* A registry with every block taken, through real symlinks: about a second on a disk file system. */
        new_registry(dir, sizeof(dir), "full-links");
        make_dir(dir);
        for (uint32_t i = 0; i < UID_RANGE_N_BLOCKS; i++)
                if (i != 1234 && put_block(dir, FIRST + i * BLOCK, "f") < 0)
                        abort();
        CHECK_INT(uid_range_registry_claim(dir, "late", NULL, NULL, &base, &is_new), ==, 0);
        CHECK_UINT(base, ==, FIRST + 1234 * BLOCK);
        CHECK(is_new);
        CHECK_INT(uid_range_registry_claim(dir, "later", NULL, NULL, &base, NULL), ==, -ENOSPC);
        CHECK_INT(uid_range_registry_lookup(dir, "f", &base), ==, 0);
        CHECK_UINT(base, ==, FIRST);
        {
                UidRangeEntry *e = NULL;
                size_t n = 0;
                bool sorted = true;

                CHECK_INT(uid_range_registry_list(dir, &e, &n), ==, 0);
                CHECK_UINT(n, ==, UID_RANGE_N_BLOCKS);
                for (size_t i = 0; i < n; i++)
                        sorted = sorted && e[i].base == FIRST + i * BLOCK;
                CHECK_MSG(sorted, "a full registry lists every block in order");
                uid_range_entries_free(e, n);
        }
}

/* Several processes at once: claims for different names sharing a hint all win distinct blocks, and
 * claims for one name all get the same single block. The children wait at a barrier (the parent closing
 * the pipe they read) so that their claims really overlap. */
static void run_claimers(const char *dir, char names[][64], unsigned n, uid_t *bases) {
        int pipes[16][2], barrier[2];
        pid_t pids[16];

        if (pipe2(barrier, O_CLOEXEC) < 0)
                abort();
        for (unsigned i = 0; i < n; i++) {
                if (pipe2(pipes[i], O_CLOEXEC) < 0)
                        abort();
                pids[i] = fork();
                if (pids[i] < 0)
                        abort();
                if (pids[i] == 0) {
                        uid_t b = 0;
                        char c;

                        safe_close(barrier[1]);
                        (void) loop_read(barrier[0], &c, 1);
                        if (uid_range_registry_claim(dir, names[i], NULL, NULL, &b, NULL) < 0)
                                b = 0;
                        _exit(loop_write(pipes[i][1], &b, sizeof(b)) < 0 ? 1 : 0);
                }
                safe_close(pipes[i][1]);
        }
        safe_close(barrier[0]);
        safe_close(barrier[1]);
        for (unsigned i = 0; i < n; i++) {
                int status;

                if (loop_read(pipes[i][0], &bases[i], sizeof(bases[i])) != sizeof(bases[i]))
                        bases[i] = 0;
                safe_close(pipes[i][0]);
                (void) waitpid(pids[i], &status, 0);
        }
}

static void test_concurrent(void) {
        char dir[4096], names[8][64];
        uid_t bases[8], h = uid_range_hint("race");
        bool distinct = true, same = true;
        UidRangeEntry *e = NULL;
        size_t n = 0;

        new_registry(dir, sizeof(dir), "race-many");
        for (unsigned i = 0; i < 8; i++)
                if (!find_name_with_hint("r", h, i, names[i], sizeof(names[i])))
                        abort();
        run_claimers(dir, names, 8, bases);
        for (unsigned i = 0; i < 8; i++) {
                distinct = distinct && uid_range_base_is_valid(bases[i]);
                for (unsigned j = 0; j < i; j++)
                        distinct = distinct && bases[i] != bases[j];
        }
        CHECK_MSG(distinct, "8 processes claiming for names with one hint get 8 distinct blocks");
        CHECK_INT(uid_range_registry_list(dir, &e, &n), ==, 0);
        CHECK_UINT(n, ==, 8);
        uid_range_entries_free(e, n);

        new_registry(dir, sizeof(dir), "race-one");
        for (unsigned i = 0; i < 8; i++)
                snprintf(names[i], sizeof(names[i]), "race");
        run_claimers(dir, names, 8, bases);
        for (unsigned i = 0; i < 8; i++)
                same = same && bases[i] == h;
        CHECK_MSG(same, "8 processes claiming for one name all get its hint");
        CHECK_INT(uid_range_registry_list(dir, &e, &n), ==, 0);
        CHECK_MSG(n == 1, "and the registry holds one entry for it (%zu)", n);
        uid_range_entries_free(e, n);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

int main(void) {
        test_hint();
        test_text_uses();
        test_text_uses_malformed();
        test_text_uses_random();

        if (!mkdtemp(top)) {
                perror("mkdtemp");
                return 2;
        }
        test_claim();
        test_collisions();
        test_wrap_around();
        test_host_skip();
        test_list_release();
        test_check();
        test_junk();
        test_full();
        test_concurrent();

        CHECK_MSG(nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, "the temporary directory was removed");
        return tap_finish();
}
