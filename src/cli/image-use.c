/* What run and boot do with the image before the monitor starts and after it ends: find -M NAME in the
 * store, make it from --template= on first use, lock it, and make the throwaway copy of --ephemeral (a
 * snapshot here; an overlay is --volatile=overlay, made by the payload). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btrfs-util.h"
#include "copy.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "image-use.h"
#include "images.h"
#include "log.h"
#include "path-util.h"
#include "state.h"
#include "strv.h"

void image_use_done(ImageUse *u) {
        if (u->snapshot) {
                /* The throwaway snapshot goes with the machine. */
                _cleanup_close_ int store = open(image_store_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int r = store >= 0 ? tree_remove_at(store, u->snapshot) : -errno;
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Failed to remove the ephemeral copy '%s', ignoring: %m",
                                          u->snapshot);
                u->snapshot = mfree(u->snapshot);
        }
        u->lock_fd = safe_close(u->lock_fd);
}

static const char *verb_of(const Settings *s) {
        return s->boot ? "boot" : "run";
}

/* --template=: the image NAME is made from the template (an image name or a directory) the first time. */
static int make_from_template(Settings *s, Image **ret) {
        _cleanup_(image_freep) Image *tmpl = NULL;
        _cleanup_close_ int store = -EBADF, held = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        const char *verb = verb_of(s);
        Progress p;
        int r;

        if (strchr(s->template_name, '/')) {
                tmpl = calloc(1, sizeof(*tmpl));
                if (!tmpl || !(tmpl->path = strdup(s->template_name)) ||
                    !(tmpl->name = strdup(path_basename(s->template_name))))
                        return log_oom(), EXIT_BERTH_INTERNAL;
                _cleanup_close_ int fd = open(tmpl->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0) {
                        log_error_errno(errno, "%s: --template=%s: cannot open it: %m", verb,
                                        s->template_name);
                        return errno == ENOENT ? EXIT_BERTH_NOT_FOUND : exit_code_from_errno(-errno);
                }
                tmpl->type = btrfs_is_subvolume_fd(fd) > 0 ? IMAGE_SUBVOLUME : IMAGE_DIRECTORY;
        } else {
                r = image_find(s->template_name, &tmpl);
                if (r == -ENOENT || r == -EINVAL) {
                        log_error("%s: --template=%s: no such image in %s (berth images lists them)", verb,
                                  s->template_name, image_store_dir());
                        return r == -EINVAL ? EXIT_BERTH_USAGE : EXIT_BERTH_NOT_FOUND;
                }
                if (r < 0)
                        return log_error_errno(r, "%s: cannot look up image '%s': %m", verb,
                                               s->template_name),
                               exit_code_from_errno(r);
        }
        r = image_lock(BERTH_STATE_DIR, tmpl->path, false, NULL, &held, NULL);
        if (r == -EBUSY) {
                log_error(
                        "%s: --template=%s: the template is in use by a running machine (booted writable); "
                        "stop it first",
                        verb, s->template_name);
                return EXIT_BERTH_BUSY;
        }
        r = images_open_store(verb, &store);
        if (r != 0)
                return r;
        tmp = images_tmp_name(s->machine_name);
        if (!tmp)
                return log_oom(), EXIT_BERTH_INTERNAL;
        progress_init(&p, "template", "files", images_quiet());
        r = images_clone(verb, tmpl, store, tmp, &p);
        progress_end(&p);
        if (r < 0) {
                log_error_errno(r, "%s: cannot make image '%s' from template '%s': %m", verb,
                                s->machine_name, s->template_name);
                return exit_code_from_errno(r);
        }
        r = images_commit(verb, store, tmp, s->machine_name,
                          tmpl->type == IMAGE_RAW ? IMAGE_RAW : IMAGE_DIRECTORY);
        if (r != 0)
                return r;
        log_info("Image '%s' made from template '%s'.", s->machine_name, s->template_name);
        r = image_find(s->machine_name, ret);
        if (r < 0)
                return log_error_errno(r, "%s: cannot find the new image '%s': %m", verb, s->machine_name),
                       exit_code_from_errno(r);
        return 0;
}

/* --ephemeral on a subvolume in a btrfs store: a snapshot, removed at the end (images_gc() removes it
 * when this process was killed). */
static int ephemeral_snapshot(Settings *s, ImageUse *u, const Image *i) {
        _cleanup_close_ int store = -EBADF, src = -EBADF;
        _cleanup_free_ char *tmp = NULL, *eph = NULL;
        const char *verb = verb_of(s);
        int r;

        r = images_open_store(verb, &store);
        if (r != 0)
                return r;
        eph = strjoin3("ephemeral-", s->machine_name ?: i->name, NULL);
        tmp = eph ? images_tmp_name(eph) : NULL;
        if (!tmp)
                return log_oom(), EXIT_BERTH_INTERNAL;
        src = open(i->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src < 0)
                return log_error_errno(errno, "%s: cannot open image '%s': %m", verb, i->name),
                       exit_code_from_errno(-errno);
        r = btrfs_subvolume_snapshot_at(src, store, tmp, BTRFS_SNAPSHOT_RECURSIVE);
        if (r < 0)
                return r; /* the caller falls back to an overlay */
        free(s->directory);
        s->directory = strjoin3(image_store_dir(), "/", tmp);
        if (!s->directory)
                return log_oom(), EXIT_BERTH_INTERNAL;
        u->snapshot = TAKE_PTR(tmp);
        return 0;
}

int image_use_prepare(Settings *s, ImageUse *u) {
        _cleanup_(image_freep) Image *i = NULL;
        _cleanup_free_ char *holder = NULL;
        const char *verb = verb_of(s), *path;
        bool exclusive;
        int r;

        /* The steps: find the image (-D DIR and -i FILE name it themselves; -M NAME is looked up in the
         * store, and made from --template= when it is not there); lock it, exclusively unless the machine
         * only reads it; for --ephemeral, make the throwaway copy the machine runs on instead. */
        /* The store's leftovers when the store is used; a killed monitor's own are its name's to clean
         * (the monitor does that when the name is taken again) or berth list's. */
        if ((!s->directory && !s->image) || s->ephemeral)
                images_gc(false);
        if (!s->directory && !s->image) {
                r = image_find(s->machine_name, &i);
                if (r == -ENOENT && s->template_name)
                        r = make_from_template(s, &i);
                else if (r == -ENOENT) {
                        log_error("%s: no image '%s' in %s (berth images lists them; berth create %s "
                                  "--from=busybox makes one, -D DIR runs a directory)",
                                  verb, s->machine_name, image_store_dir(), s->machine_name);
                        return EXIT_BERTH_NOT_FOUND;
                } else if (r < 0) {
                        log_error_errno(r, "%s: cannot look up image '%s': %m", verb, s->machine_name);
                        return exit_code_from_errno(r);
                }
                if (r > 0)
                        return r; /* an exit code from make_from_template */
                if (i->type == IMAGE_RAW)
                        s->image = strdup(i->path);
                else
                        s->directory = strdup(i->path);
                if (!s->directory && !s->image)
                        return log_oom(), EXIT_BERTH_INTERNAL;
                if (i->read_only && !s->ephemeral && !s->read_only) {
                        log_notice("Image '%s' is read-only: the machine gets it read-only.", i->name);
                        s->read_only = true;
                }
        } else if (s->template_name) {
                log_error("%s: --template= makes the image of -M NAME; it does not go with -D or -i", verb);
                return EXIT_BERTH_USAGE;
        }

        path = s->directory ?: s->image;
        /* A command run in a directory given with -D shares it, as bubblewrap and crun users expect of a
         * build root; a booted OS, an image of the store and a disk image are the machine's own. */
        exclusive = !s->read_only && !s->ephemeral && s->volatile_mode == VOLATILE_NO &&
                    (s->boot || i || s->image);
        r = image_lock(BERTH_STATE_DIR, path, exclusive, s->machine_name, &u->lock_fd, &holder);
        if (r == -EBUSY) {
                if (holder)
                        log_error("%s: image '%s' is in use by machine '%s': stop it first, or use "
                                  "--ephemeral "
                                  "or --read-only",
                                  verb, path, holder);
                else
                        log_error(
                                "%s: image '%s' is in use by a running machine%s", verb, path,
                                exclusive
                                        ? " (read-only or ephemeral): stop it first, or use --ephemeral or "
                                          "--read-only"
                                        : ": stop it first");
                return EXIT_BERTH_BUSY;
        }
        if (r < 0 && r != -ENOENT) { /* a missing tree is the monitor's to report */
                log_error_errno(r, "%s: cannot lock image '%s': %m", verb, path);
                return exit_code_from_errno(r);
        }

        if (!s->ephemeral)
                return 0;
        if (s->image) {
                log_error(
                        "%s: --ephemeral takes a directory or subvolume image; a raw image can be run with "
                        "--read-only",
                        verb);
                return EXIT_BERTH_USAGE;
        }
        if (i && i->type == IMAGE_SUBVOLUME) {
                r = ephemeral_snapshot(s, u, i);
                if (r == 0 || r > 0)
                        return r;
                log_debug_errno(r, "No snapshot of '%s' (%m): an overlay instead.", i->path);
        } else if (!i) {
                _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0 && btrfs_is_subvolume_fd(fd) > 0) {
                        Image tree = { .name = (char *) path_basename(path), .path = (char *) path };
                        r = ephemeral_snapshot(s, u, &tree);
                        if (r == 0 || r > 0)
                                return r;
                }
        }
        /* Otherwise an overlay with its upper layer on a tmpfs (--volatile=overlay), which the kernel takes
         * down with the machine's mount namespace, however the machine ends. */
        s->volatile_mode = VOLATILE_OVERLAY;
        return 0;
}
