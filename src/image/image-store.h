#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The image store: where machines' images live, found by name. The writable store is
 * BERTH_MACHINES_DIR (/var/lib/machines, machinectl's), and images are also looked up, read-only, in the
 * search paths machinectl uses. --image-path=DIR (BERTH_IMAGE_PATH) replaces all of them with one
 * writable directory.
 *
 * An image is a directory, a btrfs subvolume (a directory that is one) or a raw disk image NAME.raw.
 * Entries starting with ".#" are berth's and machined's temporary ones and are never images. */

typedef enum ImageType {
        IMAGE_DIRECTORY,
        IMAGE_SUBVOLUME,
        IMAGE_RAW,
        _IMAGE_TYPE_MAX,
        _IMAGE_TYPE_INVALID = -22, /* -EINVAL */
} ImageType;

const char *image_type_to_string(ImageType t);
ImageType image_type_from_string(const char *s);

typedef struct Image {
        char *name;
        char *path; /* absolute: the store's directory and the entry (a symlink in the store stays one) */
        ImageType type;
        bool read_only; /* marked so (immutable, read-only subvolume, no write bits), or not in the store */
        bool in_store;  /* in the writable store, not a search path */
        uint64_t crtime_usec; /* 0: unknown */
        uint64_t mtime_usec;
        uint64_t usage; /* bytes on disk, UINT64_MAX: not computed */
} Image;

Image *image_free(Image *i);
void image_freep(Image **i);
void image_list_free(Image **l, size_t n);

/* The store's writable directory (--image-path or BERTH_IMAGE_PATH, else BERTH_MACHINES_DIR). */
const char *image_store_dir(void);
/* The directories searched, in order, the writable one first. NULL-terminated, static. */
const char *const *image_search_path(void);

/* Finds the image NAME: -ENOENT when there is none, -EINVAL for an invalid name. */
int image_find(const char *name, Image **ret);
/* Every image, sorted by name (the first of a name in search order wins). */
int image_list(Image ***ret, size_t *ret_n);
/* Fills in i->usage by walking the image (one file system, hard links once). */
int image_compute_usage(Image *i);

/* Marks the image read-only or writable: a subvolume's flag, a directory's immutable attribute (as
 * machinectl read-only does), a raw file's write bits. */
int image_set_read_only(Image *i, bool read_only);

/* The path NAME would have in the writable store (NAME.raw for a raw image). */
char *image_store_path(const char *name, ImageType type);
