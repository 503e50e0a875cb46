#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "image-create.h"
#include "image-setup.h"
#include "image-spawn.h"
#include "path-util.h"
#include "strv.h"

static const char *const image_source_table[_IMAGE_SOURCE_MAX] = {
        [IMAGE_SOURCE_BUSYBOX] = "busybox",
        [IMAGE_SOURCE_DEBIAN] = "debian",
};

static const char *const image_source_package_table[_IMAGE_SOURCE_MAX] = {
        [IMAGE_SOURCE_BUSYBOX] = "busybox-static",
        [IMAGE_SOURCE_DEBIAN] = "debootstrap",
};

const char *image_source_to_string(ImageSource s) {
        return s >= 0 && s < _IMAGE_SOURCE_MAX ? image_source_table[s] : NULL;
}

const char *image_source_package(ImageSource s) {
        return s >= 0 && s < _IMAGE_SOURCE_MAX ? image_source_package_table[s] : NULL;
}

int image_spec_parse(const char *s, ImageSpec *ret) {
        const char *suite;

        if (!s)
                return -EINVAL;
        if (streq(s, "busybox")) {
                *ret = (ImageSpec){ .source = IMAGE_SOURCE_BUSYBOX };
                return 0;
        }
        if (streq(s, "debian"))
                suite = IMAGE_DEBIAN_DEFAULT_SUITE;
        else if (strneq(s, "debian:", 7))
                suite = s + 7;
        else
                return -EINVAL;
        if (!image_suite_is_valid(suite))
                return -EINVAL;
        *ret = (ImageSpec){ .source = IMAGE_SOURCE_DEBIAN };
        strcpy(ret->suite, suite);
        return 0;
}

void image_progress(const ImageCreateOptions *o, ImageProgressKind kind, const char *text) {
        if (o && o->progress)
                o->progress(&(ImageProgress){ .kind = kind, .text = text ?: "" }, o->userdata);
}

/* ---- ELF ---------------------------------------------------------------------------------------- */

/* The class, byte order and machine of berth itself: what the kernel runs here. */
static int host_elf_ident(unsigned char ret_ident[EI_NIDENT], uint16_t *ret_machine) {
        _cleanup_close_ int fd = -EBADF;
        Elf64_Ehdr h; /* e_machine sits at the same offset in both classes */

        fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (pread(fd, &h, sizeof(h), 0) != (ssize_t) sizeof(h))
                return -EIO;
        memcpy(ret_ident, h.e_ident, EI_NIDENT);
        *ret_machine = h.e_machine;
        return 0;
}

int image_elf_is_static(int fd) {
        unsigned char ident[EI_NIDENT];
        uint16_t machine;
        union {
                Elf32_Ehdr h32;
                Elf64_Ehdr h64;
        } h;
        uint64_t phoff;
        size_t phentsize, phnum;
        bool is64;
        int r;

        r = host_elf_ident(ident, &machine);
        if (r < 0)
                return r;
        if (pread(fd, &h, sizeof(h), 0) != (ssize_t) sizeof(h))
                return 0; /* too short for an ELF header */
        if (memcmp(h.h64.e_ident, ELFMAG, SELFMAG) != 0 || h.h64.e_ident[EI_CLASS] != ident[EI_CLASS] ||
            h.h64.e_ident[EI_DATA] != ident[EI_DATA] || h.h64.e_machine != machine)
                return 0;
        is64 = ident[EI_CLASS] == ELFCLASS64;
        if (is64) {
                if (h.h64.e_type != ET_EXEC && h.h64.e_type != ET_DYN)
                        return 0;
                phoff = h.h64.e_phoff, phentsize = h.h64.e_phentsize, phnum = h.h64.e_phnum;
        } else {
                if (h.h32.e_type != ET_EXEC && h.h32.e_type != ET_DYN)
                        return 0;
                phoff = h.h32.e_phoff, phentsize = h.h32.e_phentsize, phnum = h.h32.e_phnum;
        }
        if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phnum == 0 || phnum > 256)
                return 0;

        /* A dynamically linked executable names its program interpreter (ld.so); a static one, static-pie
         * included, has none. */
        for (size_t i = 0; i < phnum; i++) {
                union {
                        Elf32_Phdr p32;
                        Elf64_Phdr p64;
                } ph;

                if (pread(fd, &ph, phentsize, (off_t) (phoff + i * phentsize)) != (ssize_t) phentsize)
                        return 0;
                if ((is64 ? ph.p64.p_type : ph.p32.p_type) == PT_INTERP)
                        return 0;
        }
        return 1;
}

/* ---- finding the programs ----------------------------------------------------------------------- */

int image_find_busybox(char **ret_path) {
        static const char *const candidates[] = { "/usr/bin/busybox", "/bin/busybox", "/usr/sbin/busybox",
                                                  "/sbin/busybox" };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;
                char *p;
                int r;

                fd = open(candidates[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        return negative_errno();
                }
                if (fstat(fd, &st) < 0)
                        return negative_errno();
                if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                        continue;
                r = image_elf_is_static(fd);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -ENOEXEC;
                p = strdup(candidates[i]);
                if (!p)
                        return -ENOMEM;
                *ret_path = p;
                return 0;
        }
        return -ENOPKG;
}

int image_find_debootstrap(char **ret_path) {
        const char *path = getenv("PATH");
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        if (isempty(path))
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        if (strlen(path) > 16384)
                return -E2BIG;
        r = split_escaped(path, ':', 256, &dirs);
        if (r < 0)
                return r;
        STRV_FOREACH (d, dirs) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (!path_is_absolute(*d))
                        continue;
                p = strjoin3(*d, "/", "debootstrap");
                if (!p)
                        return -ENOMEM;
                if (stat(p, &st) < 0 || !S_ISREG(st.st_mode) || access(p, X_OK) < 0)
                        continue;
                *ret_path = TAKE_PTR(p);
                return 0;
        }
        return -ENOPKG;
}

/* ---- busybox ------------------------------------------------------------------------------------ */

#define BUSYBOX_LIST_MAX    (64 * 1024)
#define BUSYBOX_APPLETS_MAX 1024
#define APPLET_NAME_MAX     64

static const struct {
        const char *path;
        mode_t mode;
} busybox_dirs[] = {
        { "bin", 0755 },      { "sbin", 0755 },       { "usr", 0755 },  { "usr/bin", 0755 },
        { "usr/sbin", 0755 }, { "dev", 0755 },        { "proc", 0555 }, { "sys", 0555 },
        { "etc", 0755 },      { "etc/init.d", 0755 }, { "root", 0700 }, { "home", 0755 },
        { "run", 0755 },      { "tmp", 01777 },       { "var", 0755 },  { "var/log", 0755 },
        { "var/tmp", 01777 },
};

/* The directories applets may be linked into (busybox --list-full prints DIR/NAME). */
static const char *const applet_dirs[] = { "bin", "sbin", "usr/bin", "usr/sbin" };

static const char busybox_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char busybox_group[] = "root:x:0:\n"
                                    "nogroup:x:65534:\n";
static const char busybox_os_release[] = "NAME=\"BusyBox\"\n"
                                         "ID=busybox\n"
                                         "PRETTY_NAME=\"BusyBox\"\n";
static const char busybox_profile[] = "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
                                      "PS1='\\u@\\h:\\w\\$ '\n";

/* busybox init. SIGUSR2 powers off (berth poweroff), SIGUSR1 halts, SIGTERM reboots; on each it runs
 * the shutdown action, stops every process and calls reboot(2), which ends init in a PID namespace. */
static const char busybox_inittab[] =
        "# busybox init: id:runlevels:action:process (an empty id is the console).\n"
        "::sysinit:/etc/init.d/rcS\n"
        "::respawn:/etc/init.d/console\n"
        "::ctrlaltdel:/sbin/reboot\n"
        "::shutdown:/etc/init.d/rcK\n";

static const char busybox_rcS[] =
        "#!/bin/sh\n"
        "# Run once by busybox init at boot. The container manager has mounted /proc, /sys, /dev, /run\n"
        "# and /tmp. /run/booted tells scripts that boot is done.\n"
        "[ -s /etc/hostname ] && hostname -F /etc/hostname 2>/dev/null\n"
        "echo \"busybox init: up\"\n"
        ": >/run/booted\n"
        "exit 0\n";

static const char busybox_rcK[] =
        "#!/bin/sh\n"
        "# Run by busybox init before it stops every process (poweroff, halt, reboot).\n"
        "echo \"busybox init: shutting down\"\n"
        "sync\n";

/* A login prompt on the console when it is a terminal; on a pipe or /dev/null login would fail and be
 * respawned at once, over and over, so sleep keeps the respawn entry quiet then. login, not getty:
 * the console is the controlling terminal of PID 1's session (the container's init gets it so), and
 * busybox getty dies when it cannot make it its own (TIOCSCTTY); login does not need to, and the
 * shell then runs without job control. */
static const char busybox_console[] = "#!/bin/sh\n"
                                      "# A login prompt on the console when it is a terminal.\n"
                                      "if tty -s; then\n"
                                      "        exec /bin/login\n"
                                      "fi\n"
                                      "exec sleep 2147483647\n";

static bool applet_name_is_valid(const char *s, size_t n) {
        if (n == 0 || n > APPLET_NAME_MAX || (n == 1 && s[0] == '.') || (n == 2 && strneq(s, "..", 2)))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 127 || s[i] == '/')
                        return false;
        return true;
}

/* The directory of a "DIR/NAME" line of busybox --list-full, as an index into applet_dirs; the name
 * in ret_name. -EBADMSG for anything else. */
static int applet_parse(const char *line, size_t n, size_t *ret_dir, const char **ret_name, size_t *ret_n) {
        for (size_t d = 0; d < ELEMENTSOF(applet_dirs); d++) {
                size_t l = strlen(applet_dirs[d]);

                if (n > l + 1 && strneq(line, applet_dirs[d], l) && line[l] == '/' &&
                    applet_name_is_valid(line + l + 1, n - l - 1)) {
                        *ret_dir = d;
                        *ret_name = line + l + 1;
                        *ret_n = n - l - 1;
                        return 0;
                }
        }
        return -EBADMSG;
}

/* A directory of the tree as a real fd, made when missing, with exactly mode (mkdir's is masked). */
static int tree_mkdir(int root_fd, const char *path, mode_t mode) {
        _cleanup_close_ int path_fd = -EBADF, fd = -EBADF;

        path_fd = make_path_in_root(root_fd, path, true, mode);
        if (path_fd < 0)
                return path_fd;
        fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fchmod(fd, mode) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

static int copy_busybox(int bb_fd, int bin_fd) {
        _cleanup_close_ int out = -EBADF;
        char tmp[64];
        struct stat st;
        int r;

        if (fstat(bb_fd, &st) < 0)
                return negative_errno();
        snprintf(tmp, sizeof(tmp), ".#busybox.%d", (int) getpid());
        (void) unlinkat(bin_fd, tmp, 0);
        out = openat(bin_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
        if (out < 0)
                return negative_errno();
        r = file_copy_range(bb_fd, 0, (uint64_t) st.st_size, out);
        if (r >= 0 && fchmod(out, 0755) < 0)
                r = negative_errno();
        if (r >= 0 && renameat(bin_fd, tmp, bin_fd, "busybox") < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlinkat(bin_fd, tmp, 0);
        return r;
}

static int link_applets(const char *list, size_t size, const int dir_fds[], size_t *ret_n) {
        bool have_init = false, have_sh = false, have_sleep = false;
        size_t n = 0;

        for (size_t i = 0; i < size;) {
                const char *line = list + i, *nl = memchr(line, '\n', size - i), *name;
                size_t len = nl ? (size_t) (nl - line) : size - i, d, name_len;
                char nm[APPLET_NAME_MAX + 1];
                int r;

                i += len + (nl ? 1 : 0);
                if (len == 0)
                        continue;
                if (++n > BUSYBOX_APPLETS_MAX)
                        return -E2BIG;
                /* "linuxrc", for an initrd's root: not wanted in a machine's tree. */
                if (!memchr(line, '/', len) && applet_name_is_valid(line, len))
                        continue;
                r = applet_parse(line, len, &d, &name, &name_len);
                if (r < 0)
                        return r;
                memcpy(nm, name, name_len);
                nm[name_len] = '\0';
                if (d == 0 && streq(nm, "busybox"))
                        continue;
                have_init = have_init || (d == 1 && streq(nm, "init"));
                have_sh = have_sh || (d == 0 && streq(nm, "sh"));
                have_sleep = have_sleep || streq(nm, "sleep");

                if (symlinkat("/bin/busybox", dir_fds[d], nm) < 0) {
                        if (errno != EEXIST)
                                return negative_errno();
                        /* Something is there already (a tree that was not empty): replace it, unless it
                         * is a directory. */
                        r = replace_with_symlink_at(dir_fds[d], nm, "/bin/busybox");
                        if (r < 0)
                                return r;
                }
        }
        /* What the tree's init and scripts run. */
        if (!have_init || !have_sh || !have_sleep)
                return -EOPNOTSUPP;
        *ret_n = n;
        return 0;
}

static uint64_t today(void) {
        return (uint64_t) time(NULL) / (24 * 3600);
}

int image_create_busybox(int dir_fd, const ImageCreateOptions *opts) {
        /* The steps:
         *   1. find the host's busybox (or take the one given) and check it is a static executable
         *   2. ask it for its applets (busybox --list-full)
         *   3. the directories, /bin/busybox, one symlink per applet where busybox --list-full puts it
         *   4. /etc: passwd, group, shadow, os-release, profile, inittab and the init scripts
         *   5. image_setup_boot(): hostname, machine-id, root's password (SHA-512: busybox's crypt) */
        _cleanup_free_ char *found = NULL, *list = NULL, *shadow = NULL;
        _cleanup_close_ int bb_fd = -EBADF, etc_fd = -EBADF, initd_fd = -EBADF;
        int applet_fds[ELEMENTSOF(applet_dirs)] = { -EBADF, -EBADF, -EBADF, -EBADF };
        const char *path;
        size_t list_size = 0, n_applets = 0;
        struct stat st;
        int r;

        if (!opts || !opts->hostname)
                return -EINVAL;

        image_progress(opts, IMAGE_PROGRESS_STAGE, "looking for busybox");
        path = opts->busybox;
        if (!path) {
                r = image_find_busybox(&found);
                if (r == -ENOEXEC)
                        return -ENOPKG; /* only a dynamic busybox here */
                if (r < 0)
                        return r;
                path = found;
        }
        bb_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (bb_fd < 0)
                return errno == ENOENT ? -ENOPKG : negative_errno();
        if (fstat(bb_fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -ENOPKG;
        r = image_elf_is_static(bb_fd);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOPKG;

        /* The opened file itself runs, so what was checked is what answers. */
        r = image_spawn_capture(bb_fd, NULL, (char *[]){ (char *) "busybox", (char *) "--list-full", NULL },
                                BUSYBOX_LIST_MAX, &list, &list_size);
        if (r < 0)
                return r;

        image_progress(opts, IMAGE_PROGRESS_STAGE, "copying busybox");
        for (size_t i = 0; i < ELEMENTSOF(busybox_dirs); i++) {
                _cleanup_close_ int fd = tree_mkdir(dir_fd, busybox_dirs[i].path, busybox_dirs[i].mode);
                if (fd < 0) {
                        r = fd;
                        goto finish;
                }
                for (size_t d = 0; d < ELEMENTSOF(applet_dirs); d++)
                        if (streq(busybox_dirs[i].path, applet_dirs[d]))
                                applet_fds[d] = TAKE_FD(fd);
                if (streq(busybox_dirs[i].path, "etc"))
                        etc_fd = TAKE_FD(fd);
                else if (streq(busybox_dirs[i].path, "etc/init.d"))
                        initd_fd = TAKE_FD(fd);
        }
        r = copy_busybox(bb_fd, applet_fds[0]);
        if (r < 0)
                goto finish;

        image_progress(opts, IMAGE_PROGRESS_STAGE, "linking the applets");
        r = link_applets(list, list_size, applet_fds, &n_applets);
        if (r < 0)
                goto finish;

        image_progress(opts, IMAGE_PROGRESS_STAGE, "writing /etc");
        if (asprintf(&shadow,
                     "root:" SHADOW_ROOT_LOCKED ":%" PRIu64 ":0:99999:7:::\nnobody:*:%" PRIu64
                     ":0:99999:7:::\n",
                     today(), today()) < 0) {
                r = -ENOMEM;
                goto finish;
        }
        {
                const struct {
                        int dir;
                        const char *name, *text;
                        mode_t mode;
                } files[] = {
                        { etc_fd, "passwd", busybox_passwd, 0644 },
                        { etc_fd, "group", busybox_group, 0644 },
                        { etc_fd, "shadow", shadow, 0600 },
                        { etc_fd, "os-release", busybox_os_release, 0644 },
                        { etc_fd, "profile", busybox_profile, 0644 },
                        { etc_fd, "inittab", busybox_inittab, 0644 },
                        { initd_fd, "rcS", busybox_rcS, 0755 },
                        { initd_fd, "rcK", busybox_rcK, 0755 },
                        { initd_fd, "console", busybox_console, 0755 },
                };

                for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                        r = write_file_atomic_at(files[i].dir, files[i].name, files[i].text,
                                                 strlen(files[i].text), files[i].mode, (uid_t) -1,
                                                 (gid_t) -1);
                        if (r < 0)
                                goto finish;
                }
        }

        image_progress(opts, IMAGE_PROGRESS_STAGE, "setting up for boot");
        r = image_setup_boot(dir_fd, &(ImageSetup){ .hostname = opts->hostname,
                                                    .root_password = opts->root_password,
                                                    .hash = PASSWORD_HASH_SHA512 });
finish:
        for (size_t d = 0; d < ELEMENTSOF(applet_fds); d++)
                safe_close(applet_fds[d]);
        return r;
}

int image_create(int dir_fd, const ImageSpec *spec, const ImageCreateOptions *opts) {
        if (!spec)
                return -EINVAL;
        switch (spec->source) {
        case IMAGE_SOURCE_BUSYBOX:
                return image_create_busybox(dir_fd, opts);
        case IMAGE_SOURCE_DEBIAN:
                return image_create_debian(dir_fd, spec->suite, opts);
        default:
                return -EINVAL;
        }
}
