#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "image-create.h"
#include "image-setup.h"
#include "image-spawn.h"
#include "path-util.h"
#include "process-util.h"
#include "strv.h"

bool image_suite_is_valid(const char *s) {
        size_t n;

        /* debootstrap takes the suite as the name of a script under its scripts directory: nothing
         * but a plain name may get there. */
        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n > IMAGE_SUITE_MAX || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

/* debootstrap is a shell script that pastes the target and the mirror into strings it evals (its
 * chroot command): characters a shell gives meaning to must not reach it. */
static bool shell_inert(const char *s, const char *extra) {
        for (const char *c = s; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      strchr("/._+,:@=~-", *c) || (extra && strchr(extra, *c))))
                        return false;
        return true;
}

bool image_mirror_is_valid(const char *s) {
        static const char *const schemes[] = { "http://", "https://", "file:///" };

        if (!s || strlen(s) > IMAGE_MIRROR_MAX || !shell_inert(s, "%"))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(schemes); i++)
                if (strneq(s, schemes[i], strlen(schemes[i])) && s[strlen(schemes[i])] != '\0')
                        return true;
        return false;
}

static bool target_is_valid(const char *s) {
        return s && path_is_absolute(s) && strlen(s) < PATH_MAX_BERTH && shell_inert(s, NULL);
}

int image_debootstrap_argv(const char *program, const char *suite, const char *target, const char *mirror,
                           char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        const char *const args[] = {
                program,
                /* Progress and messages as "P:"/"I:"/"E:" lines on fd 3; output on stdout. */
                "--debian-installer",
                "--variant=minbase",
                "--include=" IMAGE_DEBIAN_INCLUDE,
                suite,
                target,
                mirror ?: IMAGE_DEBIAN_DEFAULT_MIRROR,
        };
        int r;

        if (!program || !image_suite_is_valid(suite) || !target_is_valid(target) ||
            !image_mirror_is_valid(mirror ?: IMAGE_DEBIAN_DEFAULT_MIRROR))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(args); i++) {
                r = strv_extend(&argv, args[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(argv);
        return 0;
}

/* ---- debootstrap's fd 3 ------------------------------------------------------------------------- */

/* Copies at most DEBOOTSTRAP_TEXT_MAX - 1 bytes, control characters replaced: the text ends up on a
 * terminal. */
static void copy_printable(char dst[static DEBOOTSTRAP_TEXT_MAX], const char *src) {
        size_t i = 0;

        for (; src[i] && i < DEBOOTSTRAP_TEXT_MAX - 1; i++)
                dst[i] = ((unsigned char) src[i] < ' ' || src[i] == 127) ? '?' : src[i];
        dst[i] = '\0';
}

/* debootstrap's format strings are printf formats with %s (now and then %d) conversions for the
 * arguments: each conversion takes the next argument as text; nothing is handed to printf. */
static void format_message(DebootstrapParser *p, const char *fmt) {
        char out[DEBOOTSTRAP_TEXT_MAX];
        size_t n = 0, arg = 0;

#define PUT(c)                                    \
        do {                                      \
                if (n < DEBOOTSTRAP_TEXT_MAX - 1) \
                        out[n++] = (c);           \
        } while (0)

        for (const char *c = fmt; *c; c++) {
                const char *conv;

                if (*c != '%') {
                        PUT(*c);
                        continue;
                }
                if (c[1] == '%') {
                        PUT('%');
                        c++;
                        continue;
                }
                conv = c + 1 + strspn(c + 1, "-+ #0123456789.lh");
                if (*conv && strchr("sdiuxc", *conv)) {
                        const char *a = arg < p->n_args ? p->args[arg] : "";

                        arg++;
                        for (; *a; a++)
                                PUT(*a);
                        c = conv;
                        continue;
                }
                PUT('%');
        }
#undef PUT
        out[n] = '\0';
        copy_printable(p->text, out);
}

static const char *after_prefix(const char *line, const char *prefix) {
        size_t n = strlen(prefix);
        return strneq(line, prefix, n) ? line + n : NULL;
}

static int parse_counter(const char *s, uint64_t *ret_done, uint64_t *ret_total) {
        unsigned long long a, b;
        char *end;

        errno = 0;
        a = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != ' ' || s[0] == '-')
                return -EINVAL;
        s = end + 1;
        b = strtoull(s, &end, 10);
        if (errno != 0 || end == s || (*end != ' ' && *end != '\0') || s[0] == '-')
                return -EINVAL;
        *ret_done = a;
        *ret_total = b;
        return 0;
}

int debootstrap_parse_line(DebootstrapParser *p, const char *line, ImageProgress *ret) {
        static const struct {
                char letter;
                ImageProgressKind kind;
        } kinds[] = {
                { 'P', IMAGE_PROGRESS_STEP },
                { 'I', IMAGE_PROGRESS_STAGE },
                { 'W', IMAGE_PROGRESS_WARNING },
                { 'E', IMAGE_PROGRESS_ERROR },
        };
        const char *v;

        if (!p || !line || !ret)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                char head[4] = { kinds[i].letter, ':', ' ', '\0' },
                     arg[5] = { kinds[i].letter, 'A', ':', ' ', '\0' },
                     fmt[5] = { kinds[i].letter, 'F', ':', ' ', '\0' };

                if ((v = after_prefix(line, head))) {
                        /* A new message: "P: NOW END NAME" also carries the counter, and alone (downloads)
                         * it is all there is. */
                        p->n_args = 0;
                        if (kinds[i].kind != IMAGE_PROGRESS_STEP)
                                return 0;
                        if (parse_counter(v, &p->done, &p->total) < 0)
                                return 0;
                } else if ((v = after_prefix(line, arg))) {
                        if (p->n_args < DEBOOTSTRAP_ARGS_MAX)
                                copy_printable(p->args[p->n_args++], v);
                        return 0;
                } else if ((v = after_prefix(line, fmt))) {
                        format_message(p, v);
                        p->n_args = 0;
                        if (kinds[i].kind == IMAGE_PROGRESS_ERROR)
                                memcpy(p->last_error, p->text, sizeof(p->text));
                } else
                        continue;

                *ret = (ImageProgress){
                        .kind = kinds[i].kind,
                        .done = kinds[i].kind == IMAGE_PROGRESS_STEP ? p->done : 0,
                        .total = kinds[i].kind == IMAGE_PROGRESS_STEP ? p->total : 0,
                        .text = p->text,
                };
                return 1;
        }
        return 0;
}

/* Reads debootstrap's fd 3 until it exits (a daemon it started may hold the pipe open longer, so the
 * pidfd decides, not EOF), feeding every line to the parser and the events to the callback. */
static int follow_progress(int pipe_fd, int pidfd, const ImageCreateOptions *opts,
                           DebootstrapParser *parser) {
        char buf[DEBOOTSTRAP_LINE_MAX + 1];
        size_t used = 0;
        bool skipping = false, exited = false, eof = false;

        while (!eof) {
                struct pollfd pfd[2] = {
                        { .fd = pipe_fd, .events = POLLIN },
                        { .fd = pidfd, .events = POLLIN },
                };
                ssize_t k;

                if (!exited && poll(pfd, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (!exited && (pfd[1].revents & POLLIN))
                        exited = true; /* read what is left without waiting, then stop */

                k = read(pipe_fd, buf + used, sizeof(buf) - 1 - used);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return negative_errno();
                        if (exited)
                                break;
                        continue;
                }
                if (k == 0)
                        eof = true;
                used += (size_t) k;

                for (;;) {
                        char *nl = memchr(buf, '\n', used);
                        ImageProgress ev;
                        size_t n;

                        if (!nl) {
                                /* A line longer than the buffer: dropped up to its end. */
                                if (used == sizeof(buf) - 1) {
                                        skipping = true;
                                        used = 0;
                                }
                                break;
                        }
                        *nl = '\0';
                        n = (size_t) (nl - buf) + 1;
                        if (!skipping && debootstrap_parse_line(parser, buf, &ev) > 0 && opts->progress)
                                opts->progress(&ev, opts->userdata);
                        skipping = false;
                        memmove(buf, buf + n, used - n);
                        used -= n;
                }
        }
        return 0;
}

/* The .deb files debootstrap downloaded into /var/cache/apt/archives: of no use in the tree. */
static int remove_debs(int root_fd) {
        _cleanup_close_ int fd = -EBADF;
        DIR *d;
        struct dirent *de;

        fd = open_in_root(root_fd, "/var/cache/apt/archives", O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        d = fdopendir(fd);
        if (!d)
                return negative_errno();
        fd = -EBADF; /* owned by d now */
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);

                if (de->d_type == DT_REG && n > 4 && streq(de->d_name + n - 4, ".deb"))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
        return 0;
}

/* The directory's path for debootstrap (a shell script wants a path, not an fd), checked to name the
 * very directory of dir_fd. */
static int target_path(int dir_fd, char **ret) {
        char p[FD_PATH_MAX], target[PATH_MAX_BERTH];
        struct stat a, b;
        ssize_t k;

        k = readlink(fd_path(dir_fd, p), target, sizeof(target) - 1);
        if (k < 0)
                return negative_errno();
        target[k] = '\0';
        if (!target_is_valid(target))
                return -EINVAL;
        if (fstat(dir_fd, &a) < 0 || stat(target, &b) < 0)
                return negative_errno();
        if (!S_ISDIR(a.st_mode) || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return -ESTALE;
        *ret = strdup(target);
        return *ret ? 0 : -ENOMEM;
}

int image_create_debian(int dir_fd, const char *suite, const ImageCreateOptions *opts) {
        /* The steps:
         *   1. check the suite and mirror, find debootstrap, the directory's path for it
         *   2. debootstrap --debian-installer --variant=minbase --include=... SUITE DIR MIRROR, with its
         *      output in the log file, its fd 3 followed for progress, and DIR as working directory
         *   3. the downloaded .debs removed
         *   4. image_setup_boot(): hostname, machine-id, root's password (yescrypt, as Debian's) */
        _cleanup_free_ char *found = NULL, *target = NULL;
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_close_pair_ int progress[2] = { -EBADF, -EBADF };
        _cleanup_close_ int log_fd = -EBADF, pidfd = -EBADF;
        DebootstrapParser parser = {};
        const char *program;
        pid_t pid;
        int r, status;

        if (!opts || !opts->hostname)
                return -EINVAL;
        suite = suite ?: IMAGE_DEBIAN_DEFAULT_SUITE;
        if (!image_suite_is_valid(suite) ||
            !image_mirror_is_valid(opts->mirror ?: IMAGE_DEBIAN_DEFAULT_MIRROR))
                return -EINVAL;
        program = opts->debootstrap;
        if (!program) {
                r = image_find_debootstrap(&found);
                if (r < 0)
                        return r;
                program = found;
        } else if (access(program, X_OK) < 0)
                return errno == ENOENT ? -ENOPKG : negative_errno();

        r = target_path(dir_fd, &target);
        if (r < 0)
                return r;
        r = image_debootstrap_argv(program, suite, target, opts->mirror, &argv);
        if (r < 0)
                return r;
        r = image_spawn_env(&env);
        if (r < 0)
                return r;

        log_fd = open(opts->log_path ?: "/dev/null",
                      O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640);
        if (log_fd < 0)
                return negative_errno();
        if (pipe2(progress, O_CLOEXEC) < 0)
                return negative_errno();
        /* Only our end: debootstrap writes to a blocking pipe. */
        if (fcntl(progress[0], F_SETFL, O_NONBLOCK) < 0)
                return negative_errno();

        image_progress(opts, IMAGE_PROGRESS_STAGE, "running debootstrap");
        r = image_spawn(-1, program, argv, env, (const int[4]){ -1, log_fd, log_fd, progress[1] }, dir_fd,
                        &pid, &pidfd);
        if (r < 0)
                return r == -ENOENT ? -ENOPKG : r;
        progress[1] = safe_close(progress[1]);

        r = follow_progress(progress[0], pidfd, opts, &parser);
        if (r < 0)
                (void) pidfd_signal(pidfd, SIGTERM);
        status = image_spawn_wait(pid);
        if (r < 0)
                return r;
        if (status < 0)
                return status;
        if (status != 0)
                return -EIO;

        image_progress(opts, IMAGE_PROGRESS_STAGE, "setting up for boot");
        r = remove_debs(dir_fd);
        if (r < 0)
                return r;
        return image_setup_boot(dir_fd, &(ImageSetup){ .hostname = opts->hostname,
                                                       .root_password = opts->root_password,
                                                       .hash = PASSWORD_HASH_YESCRYPT });
}
