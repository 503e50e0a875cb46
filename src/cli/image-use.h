#pragma once

#include "settings.h"

/* What run and boot hold of their image while the machine runs (image-use.c). */
typedef struct ImageUse {
        int lock_fd;    /* the image's lock (image_lock()) */
        char *snapshot; /* --ephemeral on btrfs: the snapshot's name in the store, removed at the end */
} ImageUse;

#define IMAGE_USE_NULL \
        { .lock_fd = -EBADF }

/* Finds, makes (--template=), locks and copies (--ephemeral) the machine's image, pointing s->directory
 * or s->image at what the machine is to run on: 0, or an exit code after saying why. */
int image_use_prepare(Settings *s, ImageUse *u);
/* Removes the ephemeral snapshot and drops the lock. */
void image_use_done(ImageUse *u);
