/* berth create NAME --from=busybox|debian[:SUITE]: a new image in the store, filled and made bootable
 * (image-create.h), under a temporary name until it is done. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "image-create.h"
#include "images.h"
#include "log.h"
#include "strv.h"

typedef struct CreateProgress {
        Progress line;
        char stage[80];
} CreateProgress;

static void on_progress(const ImageProgress *p, void *userdata) {
        CreateProgress *c = userdata;

        switch (p->kind) {
        case IMAGE_PROGRESS_STAGE:
                snprintf(c->stage, sizeof(c->stage), "%s", p->text);
                log_debug("create: %s", p->text);
                break;
        case IMAGE_PROGRESS_STEP:
                /* debootstrap counts steps, not bytes: shown as a fraction of its total. */
                progress_update(&c->line, p->done, p->total, 0);
                break;
        case IMAGE_PROGRESS_WARNING:
                progress_end(&c->line);
                log_warning("create: debootstrap: %s", p->text);
                break;
        case IMAGE_PROGRESS_ERROR:
                progress_end(&c->line);
                log_error("create: debootstrap: %s", p->text);
                break;
        default:
                break;
        }
}

int verb_create(int argc, char *argv[]) {
        enum { ARG_FROM = 0x100, ARG_ROOT_PASSWORD, ARG_MIRROR, ARG_READ_ONLY };
        static const struct option options[] = {
                { "from", required_argument, NULL, ARG_FROM },
                { "root-password", required_argument, NULL, ARG_ROOT_PASSWORD },
                { "mirror", required_argument, NULL, ARG_MIRROR },
                { "read-only", no_argument, NULL, ARG_READ_ONLY },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *usage_line =
                "berth create NAME --from=busybox|debian[:SUITE] [--root-password=PW] [--mirror=URL] "
                "[--read-only]";
        _cleanup_close_ int store = -EBADF, dir = -EBADF;
        _cleanup_free_ char *tmp = NULL, *log = NULL;
        const char *from = NULL, *password = NULL, *mirror = NULL, *name;
        bool read_only = false;
        CreateProgress cp = {};
        ImageCreateOptions o = {};
        ImageSpec spec;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_FROM:
                        from = optarg;
                        break;
                case ARG_ROOT_PASSWORD:
                        password = optarg;
                        break;
                case ARG_MIRROR:
                        mirror = optarg;
                        break;
                case ARG_READ_ONLY:
                        read_only = true;
                        break;
                case 'h':
                        printf("%s\n\nMake a new image in the store: a tiny tree from the host's "
                               "busybox-static, "
                               "or Debian with debootstrap\n(debian = bookworm), set up to boot: its "
                               "hostname, "
                               "an empty machine ID, and root's password\n(--root-password=; without it "
                               "root "
                               "cannot log in, berth enter and shell still work).\n",
                               usage_line);
                        return 0;
                default:
                        log_error("create: option '%s' is unknown (see berth create --help)",
                                  argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        if (argc - optind != 1) {
                log_error("create: %s (usage: %s)",
                          argc - optind < 1 ? "no image name given" : "too many arguments", usage_line);
                return EXIT_BERTH_USAGE;
        }
        name = argv[optind];
        if (!from) {
                log_error(
                        "create: say what to make the image from: --from=busybox or --from=debian[:SUITE]");
                return EXIT_BERTH_USAGE;
        }
        r = image_spec_parse(from, &spec);
        if (r < 0) {
                log_error("create: --from=%s: expected busybox, debian or debian:SUITE (bookworm, trixie, "
                          "...)",
                          from);
                return EXIT_BERTH_USAGE;
        }
        if (mirror && !image_mirror_is_valid(mirror)) {
                log_error("create: --mirror=%s: expected an http://, https:// or file:/// URL", mirror);
                return EXIT_BERTH_USAGE;
        }
        if (mirror && spec.source != IMAGE_SOURCE_DEBIAN) {
                log_error("create: --mirror= is for --from=debian");
                return EXIT_BERTH_USAGE;
        }
        images_gc(true);
        r = images_check_free("create", name);
        if (r != 0)
                return r;
        r = images_new("create", name, &store, &tmp, &dir);
        if (r != 0)
                return r;
        if (spec.source == IMAGE_SOURCE_DEBIAN) {
                /* debootstrap's own output, kept when it fails. */
                (void) mkdir(BERTH_LOG_DIR, 0750);
                log = strjoin3(BERTH_LOG_DIR "/create-", name, ".log");
                if (!log)
                        return log_oom(), EXIT_BERTH_INTERNAL;
        }
        o.hostname = name;
        o.root_password = password;
        o.mirror = mirror;
        o.log_path = log;
        o.progress = on_progress;
        o.userdata = &cp;
        progress_init(&cp.line, spec.source == IMAGE_SOURCE_DEBIAN ? "debootstrap" : "create", "steps",
                      images_quiet());
        r = image_create(dir, &spec, &o);
        progress_end(&cp.line);
        dir = safe_close(dir);
        if (r < 0) {
                (void) tree_remove_at(store, tmp);
                if (r == -ENOPKG)
                        log_error(
                                "create: --from=%s needs %s on this host (apt-get install %s); nothing was "
                                "made",
                                from, image_source_package(spec.source), image_source_package(spec.source));
                else if (r == -EIO && log)
                        log_error("create: debootstrap failed%s%s; its output is in %s; nothing was made",
                                  cp.stage[0] ? " while: " : "", cp.stage, log);
                else
                        log_error_errno(r, "create: cannot make image '%s' from %s: %m; nothing was made",
                                        name, from);
                return exit_code_from_errno(r);
        }
        if (log)
                (void) unlink(log);
        return images_finish("create", store, tmp, name, IMAGE_DIRECTORY, read_only);
}
