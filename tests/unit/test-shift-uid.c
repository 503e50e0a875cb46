/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/spawn/shift-uid.c: the xattr shifters on their own, then (as root) a tree with every kind of inode
 * and every bit chown() loses, shifted to a high range and back. */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fd-util.h"
#include "shift-uid.h"
#include "tap.h"

#define BASE  0x80000U
#define RANGE 65536U

#define ACL_ACCESS  "system.posix_acl_access"
#define ACL_DEFAULT "system.posix_acl_default"
#define CAPS        "security.capability"

/* Tags of the ACL xattr format. */
#define T_USER_OBJ  0x01U
#define T_USER      0x02U
#define T_GROUP_OBJ 0x04U
#define T_GROUP     0x08U
#define T_MASK      0x10U
#define T_OTHER     0x20U
#define NO_ID       0xFFFFFFFFU

#define CAP_NET_RAW_BIT (1U << 13)

/* From linux/fs.h, which cannot be included together with sys/mount.h. */
#ifndef FS_IOC_GETFLAGS
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#endif
#define IMMUTABLE_FL 0x00000010

static void tap_skip(const char *why) {
        tap_count++;
        printf("ok %u # SKIP %s\n", tap_count, why);
        fflush(stdout);
}

static uint32_t rd32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return le32toh(v);
}

static void wr32(uint8_t *p, uint32_t v) {
        v = htole32(v);
        memcpy(p, &v, 4);
}

static void wr16(uint8_t *p, uint16_t v) {
        v = htole16(v);
        memcpy(p, &v, 2);
}

/* entries: {tag, perm, id} triples. Returns the size of the value. */
static size_t acl_build(uint8_t *buf, const uint32_t (*entries)[3], size_t n) {
        wr32(buf, 2);
        for (size_t i = 0; i < n; i++) {
                wr16(buf + 4 + 8 * i, (uint16_t) entries[i][0]);
                wr16(buf + 4 + 8 * i + 2, (uint16_t) entries[i][1]);
                wr32(buf + 4 + 8 * i + 4, entries[i][2]);
        }
        return 4 + 8 * n;
}

/* Whether the ACL value has an entry with this tag and id. */
static bool acl_has(const uint8_t *value, size_t size, uint32_t tag, uint32_t id) {
        for (size_t o = 4; o + 8 <= size; o += 8)
                if ((value[o] | value[o + 1] << 8) == (int) tag && rd32(value + o + 4) == id)
                        return true;
        return false;
}

static size_t caps_build(uint8_t *buf, unsigned revision, uint32_t rootid) {
        memset(buf, 0, 24);
        wr32(buf, (uint32_t) revision << 24 | 1U); /* effective */
        wr32(buf + 4, CAP_NET_RAW_BIT);            /* permitted[0] */
        if (revision == 1)
                return 12;
        if (revision == 2)
                return 20;
        wr32(buf + 20, rootid);
        return 24;
}

static uint32_t shifted(uint32_t id, uint32_t from, uint32_t to) {
        return id >= from && id - from < RANGE ? to + (id - from) : id;
}

static void test_acl_pure(void) {
        static const uint32_t full[][3] = {
                { T_USER_OBJ, 6, NO_ID },  { T_USER, 6, 1000 },  { T_USER, 4, 70000 },
                { T_GROUP_OBJ, 4, NO_ID }, { T_GROUP, 4, 1000 }, { T_MASK, 6, NO_ID },
                { T_OTHER, 4, NO_ID },
        };
        uint8_t v[128], orig[128], bad[128];
        size_t n = acl_build(orig, full, ELEMENTSOF(full));

        memcpy(v, orig, n);
        CHECK_INT(acl_xattr_shift(v, n, 0, BASE, RANGE), ==, 2);
        CHECK(acl_has(v, n, T_USER, BASE + 1000));
        CHECK(acl_has(v, n, T_GROUP, BASE + 1000));
        CHECK(acl_has(v, n, T_USER, 70000));
        CHECK(!acl_has(v, n, T_USER, 1000));
        /* The shifted uid now sorts after 70000: the entries stay in canonical order. */
        CHECK_UINT(rd32(v + 4 + 8 * 1 + 4), ==, 70000);
        CHECK_UINT(rd32(v + 4 + 8 * 2 + 4), ==, BASE + 1000);
        CHECK_UINT(rd32(v + 4 + 8 * 0 + 4), ==, NO_ID);
        CHECK_MSG(v[4 + 8 * 6] == T_OTHER, "entries stay ordered by tag");
        CHECK_INT(acl_xattr_shift(v, n, 0, BASE, RANGE), ==, 0);
        CHECK_INT(acl_xattr_shift(v, n, BASE, 0, RANGE), ==, 2);
        CHECK_MSG(memcmp(v, orig, n) == 0, "shifting the ACL back restores it byte for byte");

        /* Only the header: an empty ACL is well-formed. */
        CHECK_INT(acl_xattr_shift(v, 4, 0, BASE, RANGE), ==, 0);

        /* Malformed values fail and are left as they were. */
        memcpy(bad, orig, n);
        CHECK_INT(acl_xattr_shift(bad, 0, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(bad, 3, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(bad, n - 1, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(bad, n - 4, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(bad, n + 1, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(NULL, n, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_MSG(memcmp(bad, orig, n) == 0, "odd sizes leave the value alone");
        wr32(bad, 1);
        CHECK_INT(acl_xattr_shift(bad, n, 0, BASE, RANGE), ==, -EINVAL);
        wr32(bad, 2);
        wr16(bad + 4 + 8 * 6, 0x40); /* an unknown tag, after the ids that would be shifted */
        CHECK_INT(acl_xattr_shift(bad, n, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_UINT(rd32(bad + 4 + 8 * 1 + 4), ==, 1000);

        /* Bad ranges. */
        memcpy(v, orig, n);
        CHECK_INT(acl_xattr_shift(v, n, 0, 1000, RANGE), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(v, n, 1000, 0, RANGE), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(v, n, 0, BASE, 0), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(v, n, 0, 0xFFFF0000U, RANGE), ==, -EINVAL);
        CHECK_INT(acl_xattr_shift(v, n, 0, 0xFFFEFFFFU, RANGE), ==, 2);

        /* An ACL that already names the id a shifted one lands on cannot be shifted. */
        {
                static const uint32_t clash[][3] = {
                        { T_USER_OBJ, 6, NO_ID },  { T_USER, 4, 1000 },  { T_USER, 4, BASE + 1000 },
                        { T_GROUP_OBJ, 4, NO_ID }, { T_MASK, 4, NO_ID }, { T_OTHER, 4, NO_ID },
                };
                n = acl_build(v, clash, ELEMENTSOF(clash));
                CHECK_INT(acl_xattr_shift(v, n, 0, BASE, RANGE), ==, -EINVAL);
        }
}

static void test_fscaps_pure(void) {
        uint8_t v[32], orig[32];
        size_t n;

        n = caps_build(orig, 2, 0);
        memcpy(v, orig, sizeof(v));
        CHECK_INT(fscaps_xattr_shift(v, n, 0, BASE, RANGE), ==, 0);
        CHECK_MSG(memcmp(v, orig, n) == 0, "a v2 capability carries no id");
        n = caps_build(orig, 1, 0);
        CHECK_INT(fscaps_xattr_shift(orig, n, 0, BASE, RANGE), ==, 0);

        n = caps_build(v, 3, 1000);
        CHECK_INT(fscaps_xattr_shift(v, n, 0, BASE, RANGE), ==, 1);
        CHECK_UINT(rd32(v + 20), ==, BASE + 1000);
        CHECK_UINT(rd32(v + 4), ==, CAP_NET_RAW_BIT);
        CHECK_INT(fscaps_xattr_shift(v, n, 0, BASE, RANGE), ==, 0);
        CHECK_INT(fscaps_xattr_shift(v, n, BASE, 0, RANGE), ==, 1);
        CHECK_UINT(rd32(v + 20), ==, 1000);
        n = caps_build(v, 3, 70000);
        CHECK_INT(fscaps_xattr_shift(v, n, 0, BASE, RANGE), ==, 0);
        CHECK_UINT(rd32(v + 20), ==, 70000);

        /* Sizes that do not match the revision, unknown revisions, short values, bad ranges. */
        n = caps_build(v, 3, 1000);
        CHECK_INT(fscaps_xattr_shift(v, 20, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(fscaps_xattr_shift(v, 25, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_UINT(rd32(v + 20), ==, 1000);
        n = caps_build(v, 2, 0);
        CHECK_INT(fscaps_xattr_shift(v, 24, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(fscaps_xattr_shift(v, 12, 0, BASE, RANGE), ==, -EINVAL);
        n = caps_build(v, 1, 0);
        CHECK_INT(fscaps_xattr_shift(v, 20, 0, BASE, RANGE), ==, -EINVAL);
        wr32(v, 4U << 24);
        CHECK_INT(fscaps_xattr_shift(v, 24, 0, BASE, RANGE), ==, -EINVAL);
        wr32(v, 0);
        CHECK_INT(fscaps_xattr_shift(v, 20, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(fscaps_xattr_shift(v, 3, 0, BASE, RANGE), ==, -EINVAL);
        CHECK_INT(fscaps_xattr_shift(NULL, 20, 0, BASE, RANGE), ==, -EINVAL);
        n = caps_build(v, 3, 1000);
        CHECK_INT(fscaps_xattr_shift(v, n, 0, 60000, RANGE), ==, -EINVAL);
        CHECK_INT(fscaps_xattr_shift(v, n, 0, BASE, 0), ==, -EINVAL);
}

/* The tree. */

/* /var/tmp, not /tmp: machine trees live on disk file systems, and a tmpfs /tmp may lack xattrs. */
static char base[] = "/var/tmp/berth-test-shift-XXXXXX";
static char tree[sizeof(base) + 8];
static bool have_acl, have_caps, have_mount;

static const char *at(const char *rel, char buf[static PATH_MAX]) {
        snprintf(buf, PATH_MAX, "%s/%s", tree, rel);
        return buf;
}

static _noreturn_ void die(const char *what, const char *path) {
        fprintf(stderr, "%s %s: %m\n", what, path);
        exit(2);
}

/* Creates rel below the tree (type S_IFREG, S_IFDIR, S_IFIFO or S_IFCHR), owned uid:gid with mode; chown
 * first, since it would clear setuid/setgid. */
static void mk(const char *rel, mode_t type, mode_t mode, uid_t uid, gid_t gid) {
        char p[PATH_MAX];
        int fd;

        at(rel, p);
        if (type == S_IFDIR) {
                if (mkdir(p, 0700) < 0)
                        die("mkdir", p);
        } else if (type == S_IFREG) {
                fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0 || write(fd, "x\n", 2) != 2)
                        die("create", p);
                safe_close(fd);
        } else if (mknod(p, type | 0600, type == S_IFCHR ? makedev(1, 3) : 0) < 0)
                die("mknod", p);
        if (chown(p, uid, gid) < 0 || chmod(p, mode) < 0)
                die("chown", p);
}

static void xset(const char *rel, const char *name, const void *value, size_t size) {
        char p[PATH_MAX];

        if (lsetxattr(at(rel, p), name, value, size, 0) < 0)
                die("setxattr", p);
}

static bool xattr_supported(const char *rel, const char *name, const void *value, size_t size) {
        char p[PATH_MAX];

        if (lsetxattr(at(rel, p), name, value, size, 0) >= 0 && lremovexattr(p, name) >= 0)
                return true;
        tap_diag("%s not supported here: %m", name);
        return false;
}

/* The tree:
 *   /               0:0 0755            dir/ 0:0, dir/sub/ 1000:1000, dir/sub/file 1000:1000 0600
 *   root-file       0:0                 user-file 1000:1000, hardlink (to user-file)
 *   mixed           70000:1000          foreign 70000:70000 (outside the range)
 *   foreign-dir/    70000:70000         foreign-dir/inner 0:0 (inside a directory that is not shifted)
 *   suid            0:0 04755           sgid-dir/ 0:1000 02775
 *   caps            0:0 0755, a v2 capability; caps3 the same as v3 with rootid 1000
 *   acl             0:0 0644, access ACL naming user 1000, user 70000, group 1000
 *   acl-dir/        1000:1000, default ACL naming user 1000
 *   symlink         1000:1000 -> base/outside-target (0:0, outside the tree)
 *   fifo            1000:0, access ACL naming group 1000
 *   null            char 1:3, 0:0 0666
 *   mnt/            bind mount of base/outside/ (0:0, holding file 1000:1000) */
static void make_tree(void) {
        static const uint32_t acl[][3] = {
                { T_USER_OBJ, 6, NO_ID },  { T_USER, 4, 1000 },  { T_USER, 4, 70000 },
                { T_GROUP_OBJ, 4, NO_ID }, { T_GROUP, 4, 1000 }, { T_MASK, 4, NO_ID },
                { T_OTHER, 4, NO_ID },
        };
        static const uint32_t dacl[][3] = {
                { T_USER_OBJ, 7, NO_ID }, { T_USER, 5, 1000 },   { T_GROUP_OBJ, 5, NO_ID },
                { T_MASK, 5, NO_ID },     { T_OTHER, 5, NO_ID },
        };
        static const uint32_t facl[][3] = {
                { T_USER_OBJ, 6, NO_ID }, { T_GROUP_OBJ, 4, NO_ID }, { T_GROUP, 6, 1000 },
                { T_MASK, 6, NO_ID },     { T_OTHER, 4, NO_ID },
        };
        uint8_t v[128];
        char p[PATH_MAX], q[PATH_MAX];
        size_t n;
        int fd;

        if (!mkdtemp(base))
                die("mkdtemp", base);
        snprintf(tree, sizeof(tree), "%s/tree", base);
        if (mkdir(tree, 0755) < 0)
                die("mkdir", tree);

        mk("dir", S_IFDIR, 0755, 0, 0);
        mk("dir/sub", S_IFDIR, 0755, 1000, 1000);
        mk("dir/sub/file", S_IFREG, 0600, 1000, 1000);
        mk("root-file", S_IFREG, 0644, 0, 0);
        mk("user-file", S_IFREG, 0644, 1000, 1000);
        if (link(at("user-file", p), at("hardlink", q)) < 0)
                die("link", q);
        mk("mixed", S_IFREG, 0644, 70000, 1000);
        mk("foreign", S_IFREG, 0644, 70000, 70000);
        mk("foreign-dir", S_IFDIR, 0755, 70000, 70000);
        mk("foreign-dir/inner", S_IFREG, 0644, 0, 0);
        mk("suid", S_IFREG, 04755, 0, 0);
        mk("sgid-dir", S_IFDIR, 02775, 0, 1000);
        mk("caps", S_IFREG, 0755, 0, 0);
        mk("caps3", S_IFREG, 0755, 0, 0);
        mk("acl", S_IFREG, 0644, 0, 0);
        mk("acl-dir", S_IFDIR, 0755, 1000, 1000);
        mk("fifo", S_IFIFO, 0664, 1000, 0);
        mk("null", S_IFCHR, 0666, 0, 0);
        mk("mnt", S_IFDIR, 0755, 0, 0);

        snprintf(q, sizeof(q), "%s/outside-target", base);
        fd = open(q, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                die("create", q);
        safe_close(fd);
        if (symlink(q, at("symlink", p)) < 0 || lchown(p, 1000, 1000) < 0)
                die("symlink", p);

        n = caps_build(v, 2, 0);
        have_caps = xattr_supported("caps", CAPS, v, n);
        if (have_caps) {
                xset("caps", CAPS, v, n);
                n = caps_build(v, 3, 1000);
                xset("caps3", CAPS, v, n);
        }
        n = acl_build(v, acl, ELEMENTSOF(acl));
        have_acl = xattr_supported("acl", ACL_ACCESS, v, n);
        if (have_acl) {
                xset("acl", ACL_ACCESS, v, n);
                n = acl_build(v, dacl, ELEMENTSOF(dacl));
                xset("acl-dir", ACL_DEFAULT, v, n);
                n = acl_build(v, facl, ELEMENTSOF(facl));
                xset("fifo", ACL_ACCESS, v, n);
        }

        /* The bind mount lives in a mount namespace of our own, so a crash cannot leave it behind. */
        snprintf(q, sizeof(q), "%s/outside", base);
        if (mkdir(q, 0755) < 0)
                die("mkdir", q);
        snprintf(p, sizeof(p), "%s/outside/file", base);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || fchown(fd, 1000, 1000) < 0)
                die("create", p);
        safe_close(fd);
        have_mount = unshare(CLONE_NEWNS) >= 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) >= 0 &&
                     mount(q, at("mnt", p), NULL, MS_BIND, NULL) >= 0;
        if (!have_mount)
                tap_diag("bind mount not possible here: %m");
}

/* What the tree looked like: every inode but the mount, with its xattrs. */
typedef struct Snap {
        char path[PATH_MAX];
        struct stat st;
        uint8_t caps[32], acl[256], dacl[256];
        ssize_t caps_size, acl_size, dacl_size;
} Snap;

static Snap snap[64];
static size_t n_snap;

static void read_xattrs(Snap *s) {
        s->caps_size = lgetxattr(s->path, CAPS, s->caps, sizeof(s->caps));
        s->acl_size = lgetxattr(s->path, ACL_ACCESS, s->acl, sizeof(s->acl));
        s->dacl_size = lgetxattr(s->path, ACL_DEFAULT, s->dacl, sizeof(s->dacl));
}

static int snap_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        char m[PATH_MAX];
        Snap *s;

        if (streq(path, at("mnt", m)))
                return FTW_SKIP_SUBTREE;
        if (n_snap >= ELEMENTSOF(snap))
                return FTW_STOP;
        s = &snap[n_snap++];
        snprintf(s->path, sizeof(s->path), "%s", path);
        s->st = *st;
        read_xattrs(s);
        return FTW_CONTINUE;
}

static void take_snapshot(Snap *out, size_t *n_out) {
        n_snap = 0;
        if (nftw(tree, snap_one, 16, FTW_PHYS | FTW_ACTIONRETVAL) != 0) {
                fprintf(stderr, "nftw %s failed\n", tree);
                exit(2);
        }
        memcpy(out, snap, n_snap * sizeof(Snap));
        *n_out = n_snap;
}

static Snap before[64], now[64];
static size_t n_before, n_now;

/* Inodes with an id in [from, from+RANGE), hard links once. */
static int count_in_range(uint32_t from) {
        int n = 0;

        for (size_t i = 0; i < n_before; i++) {
                bool seen = false;

                for (size_t j = 0; j < i; j++)
                        seen = seen || before[j].st.st_ino == before[i].st.st_ino;
                if (!seen && (shifted(before[i].st.st_uid, from, from + 1) != before[i].st.st_uid ||
                              shifted(before[i].st.st_gid, from, from + 1) != before[i].st.st_gid))
                        n++;
        }
        return n;
}

/* Every inode as it was, with ids moved from -> to and the xattrs as expected. */
static void check_tree(uint32_t from, uint32_t to, const char *when) {
        unsigned bad = 0;

        take_snapshot(now, &n_now);
        CHECK_MSG(n_now == n_before, "%s: the same %zu inodes", when, n_before);
        for (size_t i = 0; i < n_before && i < n_now; i++) {
                const Snap *b = &before[i], *a = &now[i];
                uint8_t caps[32], acl[256], dacl[256];

                memcpy(caps, b->caps, sizeof(caps));
                memcpy(acl, b->acl, sizeof(acl));
                memcpy(dacl, b->dacl, sizeof(dacl));
                if (b->caps_size == 24)
                        wr32(caps + 20, shifted(rd32(caps + 20), from, to));
                if (b->acl_size > 0)
                        (void) acl_xattr_shift(acl, (size_t) b->acl_size, from, to, RANGE);
                if (b->dacl_size > 0)
                        (void) acl_xattr_shift(dacl, (size_t) b->dacl_size, from, to, RANGE);

                if (!streq(a->path, b->path) || a->st.st_ino != b->st.st_ino ||
                    a->st.st_uid != shifted(b->st.st_uid, from, to) ||
                    a->st.st_gid != shifted(b->st.st_gid, from, to) || a->st.st_mode != b->st.st_mode ||
                    a->caps_size != b->caps_size || a->acl_size != b->acl_size ||
                    a->dacl_size != b->dacl_size ||
                    (b->caps_size > 0 && memcmp(a->caps, caps, (size_t) b->caps_size) != 0) ||
                    (b->acl_size > 0 && memcmp(a->acl, acl, (size_t) b->acl_size) != 0) ||
                    (b->dacl_size > 0 && memcmp(a->dacl, dacl, (size_t) b->dacl_size) != 0)) {
                        tap_diag(
                                "%s: was %u:%u 0%o caps %zd acl %zd/%zd, now %u:%u 0%o caps %zd acl %zd/%zd",
                                a->path, b->st.st_uid, b->st.st_gid, b->st.st_mode, b->caps_size,
                                b->acl_size, b->dacl_size, a->st.st_uid, a->st.st_gid, a->st.st_mode,
                                a->caps_size, a->acl_size, a->dacl_size);
                        bad++;
                }
        }
        CHECK_MSG(bad == 0, "%s: every owner, mode and xattr as expected", when);
}

static void check_owner(const char *path, uid_t uid, gid_t gid) {
        struct stat st;

        if (!CHECK_MSG(lstat(path, &st) == 0 && st.st_uid == uid && st.st_gid == gid, "%s is %u:%u", path,
                       uid, gid))
                tap_diag("it is %u:%u", st.st_uid, st.st_gid);
}

static void check_shifted(void) {
        char p[PATH_MAX];
        uint8_t v[256];
        ssize_t k;
        struct stat st;

        check_owner(tree, BASE, BASE);
        check_owner(at("mixed", p), 70000, BASE + 1000);
        check_owner(at("foreign", p), 70000, 70000);
        check_owner(at("foreign-dir", p), 70000, 70000);
        check_owner(at("foreign-dir/inner", p), BASE, BASE);
        check_owner(at("symlink", p), BASE + 1000, BASE + 1000);
        snprintf(p, sizeof(p), "%s/outside-target", base);
        check_owner(p, 0, 0);
        check_owner(at("fifo", p), BASE + 1000, BASE);
        check_owner(at("null", p), BASE, BASE);
        CHECK(lstat(at("suid", p), &st) == 0 && (st.st_mode & 07777) == 04755);
        CHECK(lstat(at("sgid-dir", p), &st) == 0 && (st.st_mode & 07777) == 02775);
        CHECK(lstat(at("hardlink", p), &st) == 0 && st.st_uid == BASE + 1000 && st.st_nlink == 2);

        if (have_mount) {
                check_owner(at("mnt", p), 0, 0);
                check_owner(at("mnt/file", p), 1000, 1000);
        } else
                tap_skip("no bind mount");

        if (have_caps) {
                k = lgetxattr(at("caps", p), CAPS, v, sizeof(v));
                CHECK_MSG(k == 20 && rd32(v) == (2U << 24 | 1U) && rd32(v + 4) == CAP_NET_RAW_BIT,
                          "the v2 capability survived the chown");
                k = lgetxattr(at("caps3", p), CAPS, v, sizeof(v));
                CHECK_MSG(k == 24 && rd32(v + 20) == BASE + 1000, "the v3 capability's rootid moved");
        } else
                tap_skip("no security.capability here");

        if (have_acl) {
                k = lgetxattr(at("acl", p), ACL_ACCESS, v, sizeof(v));
                CHECK_MSG(k > 0 && acl_has(v, (size_t) k, T_USER, BASE + 1000) &&
                                  acl_has(v, (size_t) k, T_GROUP, BASE + 1000) &&
                                  acl_has(v, (size_t) k, T_USER, 70000) &&
                                  !acl_has(v, (size_t) k, T_USER, 1000),
                          "the access ACL's ids moved, 70000 stayed");
                k = lgetxattr(at("acl-dir", p), ACL_DEFAULT, v, sizeof(v));
                CHECK_MSG(k > 0 && acl_has(v, (size_t) k, T_USER, BASE + 1000),
                          "the default ACL's id moved");
                k = lgetxattr(at("fifo", p), ACL_ACCESS, v, sizeof(v));
                CHECK_MSG(k > 0 && acl_has(v, (size_t) k, T_GROUP, BASE + 1000), "the FIFO's ACL id moved");
        } else
                tap_skip("no POSIX ACLs here");
}

/* A chain deeper than the walk goes. */
static void test_depth(void) {
        char p[PATH_MAX];
        int fd, next, r;

        snprintf(p, sizeof(p), "%s/deep", base);
        if (mkdir(p, 0755) < 0)
                die("mkdir", p);
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (unsigned i = 0; fd >= 0 && i < SHIFT_UID_DEPTH_MAX + 4; i++) {
                if (mkdirat(fd, "d", 0755) < 0)
                        die("mkdirat", p);
                next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                safe_close(fd);
                fd = next;
        }
        if (fd < 0)
                die("open", p);
        safe_close(fd);

        fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        r = shift_uid_tree(fd, 0, BASE, RANGE);
        CHECK_INT(r, ==, -ELOOP);
        safe_close(fd);
}

/* chattr +i / -i: makes chown() fail, to interrupt a shift halfway. */
static bool set_immutable(const char *path, bool on) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), flags = 0;
        bool ok;

        ok = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) >= 0;
        flags = on ? flags | IMMUTABLE_FL : flags & ~IMMUTABLE_FL;
        ok = ok && ioctl(fd, FS_IOC_SETFLAGS, &flags) >= 0;
        safe_close(fd);
        return ok;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void test_tree(void) {
        char p[PATH_MAX];
        int fd, sub, n, r;

        make_tree();
        take_snapshot(before, &n_before);
        n = count_in_range(0);
        tap_diag("%zu inodes, %d to shift", n_before, n);
        fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                die("open", tree);

        CHECK_INT(shift_uid_tree(fd, 0, 1000, RANGE), ==, -EINVAL);
        CHECK_INT(shift_uid_tree(fd, 1000, 0, RANGE), ==, -EINVAL);
        CHECK_INT(shift_uid_tree(fd, 0, BASE, 0), ==, -EINVAL);
        CHECK_INT(shift_uid_tree(-EBADF, 0, BASE, RANGE), ==, -EINVAL);
        check_tree(0, 0, "after bad ranges");

        /* An interrupted shift: one part done, then the whole tree again. The root is untouched until the
         * end, and nothing is shifted twice. */
        sub = open(at("dir", p), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = shift_uid_tree(sub, 0, BASE, RANGE);
        CHECK_INT(r, ==, 3);
        safe_close(sub);
        check_owner(tree, 0, 0);
        if (set_immutable(at("root-file", p), true)) {
                /* A failure halfway stops the walk before the root, and a second run finishes the job. */
                CHECK_INT(shift_uid_tree(fd, 0, BASE, RANGE), ==, -EPERM);
                check_owner(tree, 0, 0);
                check_owner(at("root-file", p), 0, 0);
                CHECK(set_immutable(p, false));
                r = shift_uid_tree(fd, 0, BASE, RANGE);
                CHECK_MSG(r > 0 && r <= n - 3, "the rerun shifts only what is left (%d of %d)", r, n);
        } else {
                tap_skip("no immutable flag here");
                r += shift_uid_tree(fd, 0, BASE, RANGE);
                CHECK_INT(r, ==, n);
        }
        check_tree(0, BASE, "shifted");
        check_shifted();
        CHECK_INT(shift_uid_tree(fd, 0, BASE, RANGE), ==, 0);

        CHECK_INT(shift_uid_tree(fd, BASE, 0, RANGE), ==, n);
        check_tree(0, 0, "shifted back");
        safe_close(fd);

        test_depth();

        if (have_mount)
                CHECK(umount2(at("mnt", p), MNT_DETACH) == 0);
        CHECK_MSG(nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, "the temporary tree is removed");
}

int main(void) {
        test_acl_pure();
        test_fscaps_pure();
        if (geteuid() != 0)
                tap_skip("shifting a tree needs root");
        else
                test_tree();
        return tap_finish();
}
