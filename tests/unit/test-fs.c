/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/basic/fs-util.c: lookups confined to a tree. Every open_in_root() case runs against both the openat2()
 * path and the userspace fallback, since either may be the one in use. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "tap.h"

typedef int (*open_fn)(int root_fd, const char *path, int flags, mode_t mode);

static char base[] = "/tmp/berth-test-fs-XXXXXX";
static char root[sizeof(base) + 8];
static int root_fd = -EBADF;

static void xmkdir(const char *fmt, ...) _printf_(1, 2);
static void xmkdir(const char *fmt, ...) {
        char p[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(p, sizeof(p), fmt, ap);
        va_end(ap);
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "mkdir %s: %m\n", p);
                exit(2);
        }
}

static void xsymlink(const char *target, const char *name) {
        char p[4096];

        snprintf(p, sizeof(p), "%s/%s", root, name);
        if (symlink(target, p) < 0) {
                fprintf(stderr, "symlink %s: %m\n", p);
                exit(2);
        }
}

static void xwrite(const char *path, const char *content) {
        FILE *f = fopen(path, "we");

        if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "write %s: %m\n", path);
                exit(2);
        }
}

/* An absolute host path below base, e.g. "/tmp/berth-test-fs-XXXXXX/outside". */
static const char *host(const char *rel, char buf[static 4096]) {
        snprintf(buf, 4096, "%s/%s", base, rel);
        return buf;
}

/* The same path as seen inside the tree, as a host path: root + base + rel. */
static const char *in_tree(const char *rel, char buf[static 4096]) {
        snprintf(buf, 4096, "%s%s/%s", root, base, rel);
        return buf;
}

static bool exists(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0;
}

static bool is_dir(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_reg(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool fd_is(int fd, const char *path) {
        struct stat a, b;
        return fd >= 0 && fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

/* The tree:
 *   base/outside/secret           on the host, outside the tree
 *   base/outside2/                on the host, outside the tree
 *   base/mirror/                  on the host, outside the tree
 *   root/etc/hostname             "inside"
 *   root/etc/link -> hostname, root/etc/uplink -> ../etc/hostname
 *   root/abs -> /etc, root/rel -> ../../../etc
 *   root/escape -> base/outside   (absolute: within the tree that path does not exist)
 *   root/mirror -> base/mirror    (exists within the tree as root/base/mirror)
 *   root/up -> ../outside2        (on the host this would be base/outside2; within the tree root/outside2)
 *   root/dangling -> base/mirror/via-dangling
 *   root/loop1 <-> root/loop2, root/self -> self
 *   root/chain0 -> chain1 -> ... -> chain9 -> etc
 *   root/file, root/dir/ */
static void make_tree(void) {
        char p[4096], t[4096];

        if (!mkdtemp(base)) {
                perror("mkdtemp");
                exit(2);
        }
        snprintf(root, sizeof(root), "%s/root", base);
        xmkdir("%s", root);
        xmkdir("%s/etc", root);
        xmkdir("%s/dir", root);
        xmkdir("%s/outside2", root);
        xmkdir("%s/outside", base);
        xmkdir("%s/outside2", base);
        xmkdir("%s/mirror", base);
        snprintf(p, sizeof(p), "%s/outside/secret", base);
        xwrite(p, "outside\n");
        snprintf(p, sizeof(p), "%s/etc/hostname", root);
        xwrite(p, "inside\n");
        snprintf(p, sizeof(p), "%s/file", root);
        xwrite(p, "file\n");

        /* root/base/mirror: mkdir -p */
        snprintf(p, sizeof(p), "%s%s", root, base);
        for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                xmkdir("%s", p);
                *s = '/';
        }
        xmkdir("%s", p);
        xmkdir("%s", in_tree("mirror", t));

        xsymlink("hostname", "etc/link");
        xsymlink("../etc/hostname", "etc/uplink");
        xsymlink("/etc", "abs");
        xsymlink("../../../etc", "rel");
        xsymlink(host("outside", t), "escape");
        xsymlink(host("mirror", t), "mirror");
        xsymlink("../outside2", "up");
        xsymlink(host("mirror/via-dangling", t), "dangling");
        xsymlink("loop2", "loop1");
        xsymlink("loop1", "loop2");
        xsymlink("self", "self");
        for (int i = 0; i < 10; i++) {
                char name[16], target[16];
                snprintf(name, sizeof(name), "chain%d", i);
                if (i < 9)
                        snprintf(target, sizeof(target), "chain%d", i + 1);
                else
                        snprintf(target, sizeof(target), "etc");
                xsymlink(target, name);
        }

        root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                perror("open root");
                exit(2);
        }
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(void) {
        safe_close(root_fd);
        CHECK_MSG(nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, "the temporary tree is removed");
}

/* Opens path for reading and checks the content is "inside\n". */
static void reads_inside(const char *fname, open_fn f, const char *path) {
        char buf[32] = "";
        int fd = f(root_fd, path, O_RDONLY, 0);
        ssize_t k = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

        if (!CHECK_MSG(fd >= 0 && k == 7 && strcmp(buf, "inside\n") == 0,
                       "%s('%s') opens the tree's etc/hostname", fname, path))
                tap_diag("fd = %d (%s), read '%s'", fd, fd < 0 ? strerror(-fd) : "", buf);
        safe_close(fd);
}

static void fails_with(const char *fname, open_fn f, const char *path, int flags, int want) {
        int fd = f(root_fd, path, flags, 0600);

        if (!CHECK_MSG(fd == want, "%s('%s', 0%o) fails with %s", fname, path, (unsigned) flags,
                       strerrorname_np(-want)))
                tap_diag("got %d (%s)", fd, fd < 0 ? strerror(-fd) : "success");
        if (fd >= 0)
                safe_close(fd);
}

static void test_open(const char *fname, open_fn f, unsigned idx) {
        char p[4096], t[4096], name[64];
        struct stat st;
        int fd;

        reads_inside(fname, f, "etc/hostname");
        reads_inside(fname, f, "/etc/hostname");
        reads_inside(fname, f, "//etc//hostname");
        reads_inside(fname, f, "./etc/./hostname");
        reads_inside(fname, f, "abs/hostname");
        reads_inside(fname, f, "/abs/hostname");
        reads_inside(fname, f, "rel/hostname");
        reads_inside(fname, f, "../../../etc/hostname");
        reads_inside(fname, f, "/../../../../../../etc/hostname");
        reads_inside(fname, f, "etc/../../../etc/hostname");
        reads_inside(fname, f, "dir/../etc/hostname");
        reads_inside(fname, f, "etc/link");
        reads_inside(fname, f, "etc/uplink");
        reads_inside(fname, f, "abs/link");
        reads_inside(fname, f, "chain0/hostname");

        fd = f(root_fd, "/", O_PATH | O_DIRECTORY, 0);
        CHECK_MSG(fd_is(fd, root), "%s('/') is the root", fname);
        safe_close(fd);
        fd = f(root_fd, "..", O_PATH | O_DIRECTORY, 0);
        CHECK_MSG(fd_is(fd, root), "%s('..') is the root", fname);
        safe_close(fd);
        fd = f(root_fd, "abs", O_RDONLY | O_DIRECTORY, 0);
        snprintf(p, sizeof(p), "%s/etc", root);
        CHECK_MSG(fd_is(fd, p), "%s('abs') is the tree's etc", fname);
        safe_close(fd);
        fd = f(root_fd, "abs/..", O_PATH | O_DIRECTORY, 0);
        CHECK_MSG(fd_is(fd, root), "%s('abs/..') is the root", fname);
        safe_close(fd);
        fd = f(root_fd, "up", O_PATH | O_DIRECTORY, 0);
        snprintf(p, sizeof(p), "%s/outside2", root);
        CHECK_MSG(fd_is(fd, p), "%s('up') is the tree's outside2, not the host's", fname);
        safe_close(fd);

        fails_with(fname, f, "escape/secret", O_RDONLY, -ENOENT);
        fails_with(fname, f, "nonexistent", O_RDONLY, -ENOENT);
        fails_with(fname, f, "loop1", O_RDONLY, -ELOOP);
        fails_with(fname, f, "loop2/x", O_RDONLY, -ELOOP);
        fails_with(fname, f, "self", O_RDONLY, -ELOOP);
        fails_with(fname, f, "self/x", O_RDONLY | O_CREAT, -ELOOP);
        fails_with(fname, f, "file/x", O_RDONLY, -ENOTDIR);
        fails_with(fname, f, "file", O_RDONLY | O_DIRECTORY, -ENOTDIR);
        fails_with(fname, f, "abs", O_RDONLY | O_NOFOLLOW, -ELOOP);
        fails_with(fname, f, "etc/hostname", O_WRONLY | O_CREAT | O_EXCL, -EEXIST);
        fails_with(fname, f, "missing-dir/new", O_WRONLY | O_CREAT, -ENOENT);

        /* O_PATH|O_NOFOLLOW gives the link itself. */
        fd = f(root_fd, "abs", O_PATH | O_NOFOLLOW, 0);
        CHECK_MSG(fd >= 0 && fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && S_ISLNK(st.st_mode),
                  "%s('abs', O_PATH|O_NOFOLLOW) is the symlink", fname);
        safe_close(fd);

        /* Creating a new file. */
        snprintf(name, sizeof(name), "new-%u", idx);
        fd = f(root_fd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        snprintf(p, sizeof(p), "%s/%s", root, name);
        CHECK_MSG(fd >= 0 && fd_is(fd, p) && is_reg(p),
                  "%s('%s', O_CREAT|O_EXCL) creates a file in the tree", fname, name);
        if (fd >= 0)
                CHECK_MSG(write(fd, "x", 1) == 1, "%s: the new file is writable", fname);
        safe_close(fd);
        fd = f(root_fd, name, O_WRONLY | O_CREAT, 0600);
        CHECK_MSG(fd >= 0 && fd_is(fd, p), "%s('%s', O_CREAT) opens the existing file", fname, name);
        safe_close(fd);

        /* Creating through an absolute symlink lands in the tree. */
        snprintf(name, sizeof(name), "mirror/new-%u", idx);
        fd = f(root_fd, name, O_WRONLY | O_CREAT, 0600);
        snprintf(name, sizeof(name), "mirror/new-%u", idx);
        CHECK_MSG(fd >= 0 && is_reg(in_tree(name, p)), "%s('%s', O_CREAT) creates in the tree", fname, name);
        CHECK_MSG(!exists(host(name, t)), "%s('%s', O_CREAT) does not create on the host", fname, name);
        safe_close(fd);

        /* Creating through a dangling symlink: the target is created, within the tree. */
        fd = f(root_fd, "dangling", O_WRONLY | O_CREAT, 0600);
        CHECK_MSG(fd >= 0 && is_reg(in_tree("mirror/via-dangling", p)),
                  "%s('dangling', O_CREAT) creates in the tree", fname);
        CHECK_MSG(!exists(host("mirror/via-dangling", t)),
                  "%s('dangling', O_CREAT) does not create on the host", fname);
        safe_close(fd);
        (void) unlink(in_tree("mirror/via-dangling", p));

        /* Creating below a symlink whose target exists only on the host fails. */
        fails_with(fname, f, "escape/new", O_WRONLY | O_CREAT, -ENOENT);
        CHECK_MSG(!exists(host("outside/new", t)), "%s('escape/new', O_CREAT) does not create on the host",
                  fname);
        fails_with(fname, f, "up/../outside/new", O_WRONLY | O_CREAT, -ENOENT);
        CHECK_MSG(!exists(host("outside/new", t)), "%s('up/../outside/new') does not create on the host",
                  fname);
}

static void test_make_path(void) {
        char p[4096], t[4096];
        struct stat st;
        int fd;

        umask(022);

        fd = make_path_in_root(root_fd, "d1/d2/d3", true, 0700);
        snprintf(p, sizeof(p), "%s/d1/d2/d3", root);
        CHECK_MSG(fd >= 0 && fd_is(fd, p) && is_dir(p), "make_path_in_root('d1/d2/d3') creates directories");
        CHECK_MSG(stat(p, &st) == 0 && (st.st_mode & 07777) == 0700,
                  "the last directory has the mode given");
        snprintf(p, sizeof(p), "%s/d1", root);
        CHECK_MSG(stat(p, &st) == 0 && (st.st_mode & 07777) == 0755, "parents are 0755");
        safe_close(fd);
        fd = make_path_in_root(root_fd, "d1/d2/d3", true, 0700);
        CHECK_MSG(fd >= 0, "make_path_in_root() of an existing directory is fine");
        safe_close(fd);
        fd = make_path_in_root(root_fd, "/d1//d2/d3/d4/", true, 0755);
        snprintf(p, sizeof(p), "%s/d1/d2/d3/d4", root);
        CHECK_MSG(fd >= 0 && is_dir(p), "make_path_in_root() with doubled and trailing slashes");
        safe_close(fd);

        fd = make_path_in_root(root_fd, "f1/f2/file", false, 0640);
        snprintf(p, sizeof(p), "%s/f1/f2/file", root);
        CHECK_MSG(fd >= 0 && fd_is(fd, p) && is_reg(p),
                  "make_path_in_root('f1/f2/file', file) creates a file");
        CHECK_MSG(stat(p, &st) == 0 && st.st_size == 0 && (st.st_mode & 0777) == 0640,
                  "the file is empty, mode 0640");
        safe_close(fd);
        fd = make_path_in_root(root_fd, "f1/f2/file", false, 0640);
        CHECK_MSG(fd >= 0, "make_path_in_root() of an existing file is fine");
        safe_close(fd);

        fd = make_path_in_root(root_fd, "../../x1/../x2", true, 0755);
        snprintf(p, sizeof(p), "%s/x2", root);
        CHECK_MSG(fd >= 0 && fd_is(fd, p), "make_path_in_root('../../x1/../x2') stays in the tree");
        snprintf(p, sizeof(p), "%s/x2", base);
        CHECK(!exists(p));
        safe_close(fd);

        /* Through a symlink whose target exists in the tree. */
        fd = make_path_in_root(root_fd, "mirror/sub/file", false, 0644);
        CHECK_MSG(fd >= 0 && is_reg(in_tree("mirror/sub/file", p)),
                  "make_path_in_root('mirror/sub/file') creates in the tree");
        CHECK_MSG(!exists(host("mirror/sub", t)),
                  "make_path_in_root('mirror/sub/file') does not touch the host");
        safe_close(fd);

        /* Through a relative symlink that would leave the tree on the host. */
        fd = make_path_in_root(root_fd, "up/c", true, 0755);
        snprintf(p, sizeof(p), "%s/outside2/c", root);
        CHECK_MSG(fd >= 0 && fd_is(fd, p), "make_path_in_root('up/c') creates the tree's outside2/c");
        CHECK_MSG(!exists(host("outside2/c", t)), "make_path_in_root('up/c') does not create on the host");
        safe_close(fd);

        /* Through an absolute symlink whose target exists only on the host: never created there. Like
         * systemd-nspawn (chase with CHASE_NONEXISTENT, then mkdir -p), the target is created within the
         * tree. */
        fd = make_path_in_root(root_fd, "escape/b", true, 0755);
        CHECK_MSG(!exists(host("outside/b", t)),
                  "make_path_in_root('escape/b') does not create on the host");
        if (!CHECK_MSG(fd >= 0 && is_dir(in_tree("outside/b", p)),
                       "make_path_in_root('escape/b') creates the symlink's target within the tree"))
                tap_diag("got %d (%s)", fd, fd < 0 ? strerror(-fd) : "");
        safe_close(fd);
        fd = make_path_in_root(root_fd, "dangling", false, 0644);
        CHECK_MSG(!exists(host("mirror/via-dangling", t)),
                  "make_path_in_root('dangling') does not create on the host");
        safe_close(fd);

        /* Dangling symlinks in the path, relative and absolute, chained: the targets are made as the tree
         * sees them. */
        xsymlink("../../outside/made", "dir/rel-dangling");
        fd = make_path_in_root(root_fd, "dir/rel-dangling/x", true, 0755);
        snprintf(p, sizeof(p), "%s/outside/made/x", root);
        CHECK_MSG(fd >= 0 && fd_is(fd, p) && is_dir(p),
                  "make_path_in_root() through a relative dangling symlink");
        CHECK_MSG(!exists(host("outside/made", t)), "... which does not create on the host");
        safe_close(fd);
        xsymlink("chain-b", "chain-a");
        xsymlink("/deep/target", "chain-b");
        fd = make_path_in_root(root_fd, "chain-a/f", false, 0600);
        snprintf(p, sizeof(p), "%s/deep/target/f", root);
        CHECK_MSG(fd >= 0 && fd_is(fd, p) && is_reg(p),
                  "make_path_in_root() through a chain of dangling symlinks");
        safe_close(fd);
        xsymlink("/made-dir", "dangling-dir");
        fd = make_path_in_root(root_fd, "dangling-dir", true, 0700);
        snprintf(p, sizeof(p), "%s/made-dir", root);
        CHECK_MSG(fd >= 0 && fd_is(fd, p) && is_dir(p),
                  "make_path_in_root() of a dangling symlink makes its target");
        safe_close(fd);
        xsymlink("self-ref/x", "self-ref");
        fd = make_path_in_root(root_fd, "self-ref/y", true, 0755);
        CHECK_INT(fd, ==, -ELOOP);
        if (fd >= 0)
                safe_close(fd);

        fd = make_path_in_root(root_fd, "file/x", true, 0755);
        CHECK_INT(fd, ==, -ENOTDIR);
        if (fd >= 0)
                safe_close(fd);
        fd = make_path_in_root(root_fd, "loop1/x", true, 0755);
        CHECK_INT(fd, ==, -ELOOP);
        if (fd >= 0)
                safe_close(fd);
}

static void test_fd_path(void) {
        char buf[FD_PATH_MAX];

        CHECK_STR(fd_path(7, buf), "/proc/self/fd/7");
        CHECK_STR(fd_path(2147483647, buf), "/proc/self/fd/2147483647");
}

/* file_tail_offset() and file_copy_range(), for berth logs: a memfd stands in for a machine's log. */
static void test_tail(void) {
        static const char text[] = "one\ntwo\nthree\n";
        int fd = memfd_create("berth-test-tail", MFD_CLOEXEC), out = memfd_create("berth-test-out", MFD_CLOEXEC);
        uint64_t off = 99, n = sizeof(text) - 1;
        char buf[64] = {};

        CHECK(fd >= 0 && out >= 0 && write(fd, text, n) == (ssize_t) n);
        CHECK(file_tail_offset(fd, n, 1, &off) == 0 && off == 8);  /* "three\n" */
        CHECK(file_tail_offset(fd, n, 2, &off) == 0 && off == 4);  /* "two\nthree\n" */
        CHECK(file_tail_offset(fd, n, 3, &off) == 0 && off == 0);
        CHECK(file_tail_offset(fd, n, 10, &off) == 0 && off == 0); /* fewer lines than asked */
        CHECK(file_tail_offset(fd, n, 0, &off) == 0 && off == n);
        CHECK(file_tail_offset(fd, n - 1, 1, &off) == 0 && off == 8); /* a last line without its newline */
        CHECK(file_tail_offset(fd, 0, 1, &off) == 0 && off == 0);
        CHECK(file_copy_range(fd, 4, n, out) == 0);
        CHECK(pread(out, buf, sizeof(buf) - 1, 0) == (ssize_t) (n - 4) && streq(buf, "two\nthree\n"));
        CHECK(file_copy_range(fd, 8, 1000, out) == 0); /* stops at the end of the file */
        safe_close(fd);
        safe_close(out);
}

/* open_beneath_nofollow(): real directories only, no symlink anywhere, nothing above the start. */
static void test_beneath_nofollow(void) {
        char d[] = "/tmp/berth-test-beneath-XXXXXX";
        int dfd, fd;
        struct stat st, st2;

        CHECK(mkdtemp(d) != NULL);
        dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dfd >= 0);
        CHECK(mkdirat(dfd, "a", 0755) == 0 && mkdirat(dfd, "a/b", 0755) == 0);
        CHECK(symlinkat("a", dfd, "l") == 0 && symlinkat("b", dfd, "a/lb") == 0);
        fd = open_beneath_nofollow(dfd, "a/b", O_RDONLY | O_DIRECTORY);
        CHECK(fd >= 0 && fstat(fd, &st) == 0 && fstatat(dfd, "a/b", &st2, 0) == 0 &&
              st.st_ino == st2.st_ino);
        safe_close(fd);
        fd = open_beneath_nofollow(dfd, "a//b/", O_RDONLY | O_DIRECTORY);
        CHECK(fd >= 0);
        safe_close(fd);
        fd = open_beneath_nofollow(dfd, "", O_RDONLY | O_DIRECTORY);
        CHECK(fd >= 0 && fstat(fd, &st) == 0 && fstat(dfd, &st2) == 0 && st.st_ino == st2.st_ino);
        safe_close(fd);
        CHECK_INT(open_beneath_nofollow(dfd, "l/b", O_RDONLY | O_DIRECTORY), ==, -ENOTDIR);
        CHECK_INT(open_beneath_nofollow(dfd, "a/lb", O_RDONLY | O_DIRECTORY), <, 0);
        CHECK_INT(open_beneath_nofollow(dfd, "a/../a", O_RDONLY | O_DIRECTORY), ==, -EXDEV);
        CHECK_INT(open_beneath_nofollow(dfd, "/a", O_RDONLY | O_DIRECTORY), ==, -EXDEV);
        fd = open_beneath_nofollow(dfd, "a/lb", O_PATH); /* O_PATH opens the symlink itself */
        CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode));
        safe_close(fd);
        CHECK(unlinkat(dfd, "a/lb", 0) == 0 && unlinkat(dfd, "l", 0) == 0);
        CHECK(unlinkat(dfd, "a/b", AT_REMOVEDIR) == 0 && unlinkat(dfd, "a", AT_REMOVEDIR) == 0);
        safe_close(dfd);
        CHECK(rmdir(d) == 0);
}

int main(void) {
        make_tree();
        test_tail();
        test_open("open_in_root", open_in_root, 0);
        test_open("open_in_root_fallback", open_in_root_fallback, 1);
        test_make_path();
        test_fd_path();
        test_beneath_nofollow();
        remove_tree();
        return tap_finish();
}
