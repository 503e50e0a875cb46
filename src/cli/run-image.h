#pragma once

#include "loop-util.h"
#include "settings.h"

/* -i FILE for run and boot: attaches s->image to a loop device, chooses its file systems, opens their
 * devices and puts them into s->image_mounts for the monitor to mount. *ret_loop keeps the loop device
 * for the machine's life; once it and the settings are freed and the machine's mount namespace is gone,
 * the kernel detaches the device by itself. Logs; returns berth's exit code (0 on success). */
int run_image_prepare(Settings *s, LoopDevice **ret_loop);
