/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/image/image-create.c, image-debian.c and image-setup.c: the pure parts (specs, suites, mirrors,
 * the debootstrap argv and its fd-3 parser, shadow editing, password hashing, the ELF check) and the
 * writes beneath a directory fd, in a temporary directory (no root needed). */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "image-create.h"
#include "image-setup.h"
#include "strv.h"
#include "tap.h"

static void test_spec(void) {
        ImageSpec s;

        CHECK(image_spec_parse("busybox", &s) == 0 && s.source == IMAGE_SOURCE_BUSYBOX);
        CHECK(image_spec_parse("debian", &s) == 0 && s.source == IMAGE_SOURCE_DEBIAN);
        CHECK_STR(s.suite, "bookworm");
        CHECK(image_spec_parse("debian:trixie", &s) == 0);
        CHECK_STR(s.suite, "trixie");
        CHECK_INT(image_spec_parse("debian:", &s), ==, -EINVAL);
        CHECK_INT(image_spec_parse("debian:../x", &s), ==, -EINVAL);
        CHECK_INT(image_spec_parse("debian:Bookworm", &s), ==, -EINVAL);
        CHECK_INT(image_spec_parse("ubuntu", &s), ==, -EINVAL);
        CHECK_INT(image_spec_parse("busybox:1", &s), ==, -EINVAL);
        CHECK_STR(image_source_package(IMAGE_SOURCE_BUSYBOX), "busybox-static");
        CHECK_STR(image_source_package(IMAGE_SOURCE_DEBIAN), "debootstrap");
        CHECK(image_source_package(_IMAGE_SOURCE_INVALID) == NULL);

        CHECK(image_suite_is_valid("sid"));
        CHECK(!image_suite_is_valid("-x"));
        CHECK(!image_suite_is_valid("a/b"));
        CHECK(!image_suite_is_valid(""));

        CHECK(image_mirror_is_valid("https://deb.debian.org/debian"));
        CHECK(image_mirror_is_valid("http://10.0.0.1:3142/debian"));
        CHECK(image_mirror_is_valid("file:///srv/mirror"));
        CHECK(!image_mirror_is_valid("http://"));
        CHECK(!image_mirror_is_valid("ftp://x/debian"));
        CHECK(!image_mirror_is_valid("http://x/$(id)"));
        CHECK(!image_mirror_is_valid("http://x/a b"));
        CHECK(!image_mirror_is_valid("http://x/\"a"));
}

static void test_argv(void) {
        _cleanup_strv_free_ char **a = NULL, **b = NULL;
        char **c = NULL;

        CHECK(image_debootstrap_argv("/usr/sbin/debootstrap", "bookworm", "/var/lib/machines/x", NULL, &a) ==
              0);
        CHECK_INT((int) strv_length(a), ==, 7);
        CHECK_STR(a[1], "--debian-installer");
        CHECK_STR(a[2], "--variant=minbase");
        CHECK_STR(a[3], "--include=systemd,systemd-sysv,dbus,iproute2,procps");
        CHECK_STR(a[4], "bookworm");
        CHECK_STR(a[5], "/var/lib/machines/x");
        CHECK_STR(a[6], "https://deb.debian.org/debian");
        CHECK(image_debootstrap_argv("debootstrap", "sid", "/m/x", "http://m/debian", &b) == 0);
        CHECK_STR(b[6], "http://m/debian");
        CHECK_INT(image_debootstrap_argv("d", "sid", "relative", NULL, &c), ==, -EINVAL);
        CHECK_INT(image_debootstrap_argv("d", "sid", "/a\"b", NULL, &c), ==, -EINVAL);
        CHECK_INT(image_debootstrap_argv("d", "sid", "/a$(id)", NULL, &c), ==, -EINVAL);
        CHECK_INT(image_debootstrap_argv("d", "../sid", "/x", NULL, &c), ==, -EINVAL);
        CHECK(c == NULL);
}

static void test_parser(void) {
        DebootstrapParser p = {};
        ImageProgress ev;
        char longline[DEBOOTSTRAP_LINE_MAX];

        CHECK_INT(debootstrap_parse_line(&p, "P: 12 120 DOWNDEBS", &ev), ==, 1);
        CHECK(ev.kind == IMAGE_PROGRESS_STEP && ev.done == 12 && ev.total == 120);
        CHECK_INT(debootstrap_parse_line(&p, "PA: libc6", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "PA: 2.36", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "PF: Retrieving %s %s (100%%)", &ev), ==, 1);
        CHECK(ev.kind == IMAGE_PROGRESS_STEP && ev.done == 12 && ev.total == 120);
        CHECK_STR(ev.text, "Retrieving libc6 2.36 (100%)");

        CHECK_INT(debootstrap_parse_line(&p, "I: BASESUCCESS", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "IF: Base system installed successfully.", &ev), ==, 1);
        CHECK(ev.kind == IMAGE_PROGRESS_STAGE);
        CHECK_STR(ev.text, "Base system installed successfully.");

        /* More conversions than arguments, %n and odd formats: expanded as text, never by printf. */
        CHECK_INT(debootstrap_parse_line(&p, "W: X", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "WA: a\033[31m", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "WF: %s %s %n %5.2d %", &ev), ==, 1);
        CHECK(ev.kind == IMAGE_PROGRESS_WARNING);
        CHECK_STR(ev.text, "a?[31m  %n  %");

        CHECK_INT(debootstrap_parse_line(&p, "E: NOSCRIPT", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "EA: /usr/share/debootstrap/scripts/nope", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "EF: No such script: %s", &ev), ==, 1);
        CHECK(ev.kind == IMAGE_PROGRESS_ERROR);
        CHECK_STR(p.last_error, "No such script: /usr/share/debootstrap/scripts/nope");

        CHECK_INT(debootstrap_parse_line(&p, "P: x y", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "P: -1 5", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "random output", &ev), ==, 0);
        CHECK_INT(debootstrap_parse_line(&p, "", &ev), ==, 0);

        /* Many arguments and a long format: capped, still terminated. */
        CHECK_INT(debootstrap_parse_line(&p, "I: X", &ev), ==, 0);
        for (int i = 0; i < 20; i++)
                debootstrap_parse_line(&p, "IA: argument-argument-argument-argument", &ev);
        memset(longline, 's', sizeof(longline) - 1);
        longline[sizeof(longline) - 1] = '\0';
        memcpy(longline, "IF: ", 4);
        for (size_t i = 4; i + 1 < sizeof(longline) - 1; i += 2)
                longline[i] = '%';
        CHECK_INT(debootstrap_parse_line(&p, longline, &ev), ==, 1);
        CHECK(strlen(ev.text) < DEBOOTSTRAP_TEXT_MAX);
}

static void test_shadow(void) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        const char debian[] = "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n";
        char *e = NULL;

        CHECK(shadow_set_root(debian, strlen(debian), "$y$abc", 20000, &a) == 0);
        CHECK_STR(a, "root:$y$abc:20000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n");
        CHECK(shadow_set_root("daemon:*:1::::::", 16, "!*", 5, &b) == 0);
        CHECK_STR(b, "root:!*:5:0:99999:7:::\ndaemon:*:1::::::\n");
        CHECK(shadow_set_root(NULL, 0, "!*", 5, &c) == 0);
        CHECK_STR(c, "root:!*:5:0:99999:7:::\n");
        /* A root line without the later fields gets the usual ones; "rootx" is another account. */
        CHECK(shadow_set_root("rootx:*:1:::::\nroot:old\n", 24, "!*", 7, &d) == 0);
        CHECK_STR(d, "rootx:*:1:::::\nroot:!*:7:0:99999:7:::\n");
        CHECK_INT(shadow_set_root(NULL, 0, "a:b", 1, &e), ==, -EINVAL);
        CHECK_INT(shadow_set_root(NULL, 0, "a\nroot::0", 1, &e), ==, -EINVAL);
        CHECK_INT(shadow_set_root("x\0y\n", 4, "!*", 1, &e), ==, -EBADMSG);
        CHECK(e == NULL);
}

static void test_password(void) {
        _cleanup_free_ char *y = NULL, *s = NULL, *y2 = NULL;
        char *none = NULL;

        CHECK(password_hash("hunter2", PASSWORD_HASH_YESCRYPT, &y) == 0);
        CHECK(y && strneq(y, "$y$", 3));
        CHECK(password_hash("hunter2", PASSWORD_HASH_SHA512, &s) == 0);
        CHECK(s && strneq(s, "$6$", 3));
        CHECK(password_hash("hunter2", PASSWORD_HASH_YESCRYPT, &y2) == 0);
        CHECK_MSG(y && y2 && !streq(y, y2), "two hashes of one password differ (fresh salts)");
        CHECK_INT(password_verify("hunter2", y), ==, 1);
        CHECK_INT(password_verify("hunter3", y), ==, 0);
        CHECK_INT(password_verify("hunter2", s), ==, 1);
        CHECK_INT(password_verify("", s), ==, 0);
        CHECK_INT(password_verify("x", "!*"), ==, 0);
        CHECK_INT(password_verify("x", ""), ==, 0);
        CHECK_INT(password_hash("x", _PASSWORD_HASH_INVALID, &none), ==, -EINVAL);
        CHECK(none == NULL);
}

static void test_elf(void) {
        _cleanup_close_ int self = -EBADF, bb = -EBADF, text = -EBADF;

        self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        /* This test program is linked dynamically (libc, libsystemd). */
        CHECK_INT(image_elf_is_static(self), ==, 0);
        text = open("/etc/os-release", O_RDONLY | O_CLOEXEC);
        if (text >= 0)
                CHECK_INT(image_elf_is_static(text), ==, 0);
        bb = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
        if (bb >= 0)
                CHECK_MSG(image_elf_is_static(bb) == 1, "/bin/busybox (busybox-static) is static");
        else
                printf("ok %u - /bin/busybox is static # SKIP no /bin/busybox\n", ++tap_count);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path);
}

static void test_tree(void) {
        char tmpl[] = "/tmp/berth-test-image-XXXXXX", p[4096], buf[256];
        _cleanup_close_ int root_fd = -EBADF;
        _cleanup_free_ char *shadow = NULL, *host = NULL;
        struct stat st;
        ssize_t k;

        CHECK(mkdtemp(tmpl) != NULL);
        snprintf(p, sizeof(p), "%s/tree", tmpl);
        CHECK(mkdir(p, 0755) == 0);
        root_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        snprintf(p, sizeof(p), "%s/tree/etc", tmpl);
        CHECK(mkdir(p, 0755) == 0);
        snprintf(p, sizeof(p), "%s/host-shadow", tmpl);
        CHECK(write_file_atomic_at(AT_FDCWD, "/dev/null", "", 0, 0644, (uid_t) -1, (gid_t) -1) == -EINVAL);
        {
                _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                CHECK(fd >= 0 && write(fd, "host\n", 5) == 5);
        }
        /* A symlink at /etc/shadow pointing out of the tree: replaced, not followed. */
        snprintf(buf, sizeof(buf), "%s/tree/etc/shadow", tmpl);
        CHECK(symlink(p, buf) == 0);
        CHECK(image_setup_boot(root_fd, &(ImageSetup){ .hostname = "box-1",
                                                       .root_password = "pw",
                                                       .hash = PASSWORD_HASH_SHA512 }) == 0);
        CHECK(read_small_file_at(AT_FDCWD, p, 64, &host, NULL) == 0);
        CHECK_STR(host, "host\n");
        CHECK(fstatat(root_fd, "etc/shadow", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode));
        CHECK_INT((int) (st.st_mode & 07777), ==, 0600);
        CHECK(read_small_file_at(root_fd, "etc/shadow", 4096, &shadow, NULL) == 0);
        CHECK(shadow && strneq(shadow, "root:$6$", 8));
        CHECK(fstatat(root_fd, "etc/machine-id", &st, 0) == 0 && st.st_size == 0);
        k = readlinkat(root_fd, "etc/hostname", buf, sizeof(buf));
        CHECK_MSG(k < 0, "etc/hostname is no symlink");
        CHECK_INT(image_setup_boot(root_fd, &(ImageSetup){ .hostname = "-bad" }), ==, -EINVAL);

        CHECK(nftw(tmpl, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

int main(void) {
        test_spec();
        test_argv();
        test_parser();
        test_shadow();
        test_password();
        test_elf();
        test_tree();
        return tap_finish();
}
