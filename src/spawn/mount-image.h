#pragma once

#include <stdbool.h>

#include "settings.h"

/* The file systems of a disk image (-i), from the block devices the CLI handed over in the settings
 * (ImageMount). The monitor looks into the root through a detached mount; the outer child mounts them
 * all in its private mount namespace. Nothing here is ever mounted in the host's mount namespace. */

/* A detached mount of m's file system (in no mount namespace, gone when the fd closes): the fd of its
 * root. read_only_mount adds a read-only mount on top of m->read_only, which is the file system's own;
 * idmap_userns_fd >= 0 makes it an idmapped mount through that user namespace. */
int image_mount_detached(const ImageMount *m, bool read_only_mount, int idmap_userns_fd);

/* Whether m's file system takes an idmapped mount through userns_fd: 1 yes, 0 no, negative errno on
 * other failures. */
int image_idmap_supported(const ImageMount *m, int userns_fd);

/* In the outer child (private mount namespace): the image's root stacked on the namespace's "/" (where
 * only the root fd is used from then on, and pivot_root takes it), then its other file systems in order
 * on mount points made safely beneath the root. Reports failures over sync_fd. */
int mount_image_tree(const Settings *s, int idmap_userns_fd, int sync_fd, int *ret_root_fd);
