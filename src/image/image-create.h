#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* Populating a new machine tree (`berth create NAME --from=...`): the caller makes an empty directory
 * (or btrfs subvolume) and passes its fd; these functions fill it and make it bootable (hostname,
 * machine-id, root's password: image-setup.h).
 *
 *   busybox          the host's static busybox (Debian: busybox-static), its applet links, a few /etc
 *                    files and busybox init with an inittab that boots and powers off in a container
 *   debian[:SUITE]   debootstrap of SUITE (default bookworm), minbase plus what a systemd guest needs
 *
 * Errors (negative errno) the caller turns into a message:
 *   -ENOPKG     the host lacks the program: image_create_source_package() names the package to install
 *               (for busybox also when the only busybox is dynamically linked: it would not run in the
 *               tree); exit_code_from_errno() maps it to "unsupported on this host"
 *   -EINVAL     a bad spec, suite, mirror URL, hostname or password
 *   -EBADMSG    busybox printed an applet list that is not one
 *   -EIO        debootstrap failed: its last E: message went to the progress callback, its output to
 *               the log file
 * A failure may leave a partly populated tree (and, after a debootstrap killed by SIGKILL, its /proc or
 * /sys mounted below it): the caller removes the directory. */

typedef enum ImageSource {
        IMAGE_SOURCE_BUSYBOX,
        IMAGE_SOURCE_DEBIAN,
        _IMAGE_SOURCE_MAX,
        _IMAGE_SOURCE_INVALID = -EINVAL,
} ImageSource;

#define IMAGE_DEBIAN_DEFAULT_SUITE  "bookworm"
#define IMAGE_DEBIAN_DEFAULT_MIRROR "https://deb.debian.org/debian"
/* What debootstrap installs on top of --variant=minbase: systemd as init, dbus for machined (and
 * `machinectl login`), iproute2 and procps for a usable guest. */
#define IMAGE_DEBIAN_INCLUDE "systemd,systemd-sysv,dbus,iproute2,procps"
#define IMAGE_SUITE_MAX      64
#define IMAGE_MIRROR_MAX     1024

typedef struct ImageSpec {
        ImageSource source;
        char suite[IMAGE_SUITE_MAX + 1]; /* debian only */
} ImageSpec;

/* "busybox", "debian" (= debian:bookworm) or "debian:SUITE" (SUITE: [a-z0-9-], as debootstrap names
 * its scripts). */
int image_spec_parse(const char *s, ImageSpec *ret);
const char *image_source_to_string(ImageSource s);
/* The Debian package that provides what source needs on the host. */
const char *image_source_package(ImageSource s);

typedef enum ImageProgressKind {
        IMAGE_PROGRESS_STAGE,   /* text: the step now running ("Retrieving Release", "copying busybox") */
        IMAGE_PROGRESS_STEP,    /* done/total (and text): debootstrap's progress counter */
        IMAGE_PROGRESS_WARNING, /* text: a warning of debootstrap */
        IMAGE_PROGRESS_ERROR,   /* text: debootstrap's error message, before it fails */
        _IMAGE_PROGRESS_KIND_MAX,
        _IMAGE_PROGRESS_KIND_INVALID = -EINVAL,
} ImageProgressKind;

typedef struct ImageProgress {
        ImageProgressKind kind;
        uint64_t done, total; /* STEP only */
        const char *text;     /* printable (control characters replaced), never NULL */
} ImageProgress;

typedef void (*image_progress_fn)(const ImageProgress *p, void *userdata);

typedef struct ImageCreateOptions {
        const char *hostname;       /* the machine's name: /etc/hostname (required) */
        const char *root_password;  /* NULL: root is locked (see image-setup.h) */
        const char *mirror;         /* debian: NULL = IMAGE_DEBIAN_DEFAULT_MIRROR */
        const char *log_path;       /* debian: debootstrap's stdout and stderr (NULL = /dev/null) */
        const char *busybox;        /* busybox: the binary, NULL = image_find_busybox() */
        const char *debootstrap;    /* debian: the program, NULL = image_find_debootstrap() */
        image_progress_fn progress; /* may be NULL */
        void *userdata;
} ImageCreateOptions;

/* Sends a STAGE (or other text) event to opts->progress, if there is one (for the image-*.c files). */
void image_progress(const ImageCreateOptions *opts, ImageProgressKind kind, const char *text);

/* Fills the empty directory dir_fd from spec and runs image_setup_boot() on it. */
int image_create(int dir_fd, const ImageSpec *spec, const ImageCreateOptions *opts);
int image_create_busybox(int dir_fd, const ImageCreateOptions *opts);
int image_create_debian(int dir_fd, const char *suite, const ImageCreateOptions *opts);

/* The host's busybox: /usr/bin/busybox, /bin/busybox, /usr/sbin/busybox or /sbin/busybox, the first
 * that is there. -ENOPKG when none is, -ENOEXEC when the one found is not a static executable for
 * this machine. */
int image_find_busybox(char **ret_path);
/* debootstrap in $PATH (the default PATH when unset); -ENOPKG when there is none. */
int image_find_debootstrap(char **ret_path);

/* 1 when fd is an ELF executable of this machine's class, byte order and architecture without a
 * program interpreter (static, or static-pie); 0 when it is dynamically linked or no such ELF file. */
int image_elf_is_static(int fd);

/* The argv debootstrap runs with (after argv[0] = program): --debian-installer (progress on fd 3),
 * --variant=minbase, --include=IMAGE_DEBIAN_INCLUDE, SUITE, TARGET, MIRROR. -EINVAL for a suite or
 * mirror that is not valid. */
int image_debootstrap_argv(const char *program, const char *suite, const char *target, const char *mirror,
                           char ***ret);
bool image_suite_is_valid(const char *s);
/* http://, https:// or file:/// and then printable characters without spaces, at most IMAGE_MIRROR_MAX. */
bool image_mirror_is_valid(const char *s);

/* debootstrap --debian-installer prints on fd 3 lines such as "P: 12 120 DOWNDEBS", "PA: libc6",
 * "PF: Retrieving %s", "I: BASESUCCESS", "IF: Base system installed successfully.", "E: ...", "EF: ...".
 * The parser turns them into ImageProgress events. Its text buffers live in the struct, so an event's
 * text is valid until the next line. */
#define DEBOOTSTRAP_LINE_MAX 4096
#define DEBOOTSTRAP_ARGS_MAX 8
#define DEBOOTSTRAP_TEXT_MAX 512
typedef struct DebootstrapParser {
        uint64_t done, total;
        size_t n_args;
        char args[DEBOOTSTRAP_ARGS_MAX][DEBOOTSTRAP_TEXT_MAX];
        char text[DEBOOTSTRAP_TEXT_MAX];       /* of the current event */
        char last_error[DEBOOTSTRAP_TEXT_MAX]; /* the last E: message, "" when none */
} DebootstrapParser;

/* Feeds one line (without its newline). Returns 1 and fills ret when the line completes an event,
 * 0 when it does not (an argument line, an unknown line). */
int debootstrap_parse_line(DebootstrapParser *p, const char *line, ImageProgress *ret);
