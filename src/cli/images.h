#pragma once

#include "image-store.h"
#include "progress.h"

/* The image verbs (images.c). */
int verb_images(int argc, char *argv[]);
int verb_image_status(int argc, char *argv[]);
int verb_clone(int argc, char *argv[]);
int verb_rename(int argc, char *argv[]);
int verb_read_only(int argc, char *argv[]);
int verb_remove(int argc, char *argv[]);
int verb_import_tar(int argc, char *argv[]);
int verb_import_fs(int argc, char *argv[]);
int verb_export_tar(int argc, char *argv[]);

/* Removes what killed berth processes left in the store (temporary images of dead PIDs) and, with
 * machines, what killed monitors left (machines_gc()). */
void images_gc(bool machines);
/* Copies src as tmp beneath store_fd: a snapshot of a subvolume on btrfs, else a (reflinked) copy. */
int images_clone(const char *verb, const Image *src, int store_fd, const char *tmp, Progress *p);
/* Removes an image of the store (and the settings file beside it). */
int images_remove(const Image *i, int store_fd);

/* Helpers of the verbs that make images (images.c, create.c). */
int images_open_store(const char *verb, int *ret_fd);
/* The name is valid and no image of the search path has it: 0, or an exit code after saying why. */
int images_check_free(const char *verb, const char *name);
/* The temporary name of a new image in the store, ".#berth-tmp.NAME.PID" (images_gc() knows it). */
char *images_tmp_name(const char *name);
/* The store, a temporary name and its empty directory for the new image name: 0, or an exit code after
 * saying why. */
int images_new(const char *verb, const char *name, int *ret_store, char **ret_tmp, int *ret_dir);
/* An empty directory tmp in the store for a new image: a subvolume on btrfs. */
int images_make_dir(int store_fd, const char *tmp, int *ret_fd);
/* Renames the finished temporary image to its name (removing it when that fails), and marks it read-only
 * if asked: 0 or an exit code. */
int images_commit(const char *verb, int store_fd, const char *tmp, const char *name, ImageType type);
int images_finish(const char *verb, int store_fd, const char *tmp, const char *name, ImageType type,
                  bool read_only);
int verb_create(int argc, char *argv[]);

/* Shared by the image verbs: options, arguments, finding and locking an image. */
/* Common option handling: --help prints usage, anything unknown is a usage error naming it. */
#define IMAGE_OPTIONS_END                                                                             \
        case 'h':                                                                                     \
                printf("%s\n", usage);                                                                \
                return 0;                                                                             \
        default:                                                                                      \
                log_error("%s: option '%s' is unknown (see berth %s --help)", verb, argv[optind - 1], \
                          verb);                                                                      \
                return EXIT_BERTH_USAGE;
bool images_quiet(void);
int images_check_args(const char *verb, int argc, char *argv[], int min, int max, const char *usage);
/* Finds image name: 0, or an exit code after saying why (invalid name, not there). */
int images_find(const char *verb, const char *name, Image **ret);
/* Takes the image's lock, exclusive to change it, shared to read it: 0, or an exit code (busy). */
int images_lock(const char *verb, const Image *i, bool exclusive, int *ret_fd);
void images_progress_cb(uint64_t done, uint64_t total, uint64_t items, void *userdata);
