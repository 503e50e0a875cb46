#pragma once

#include <stdbool.h>

#include "settings.h"

/* A machine's lasting configuration, in systemd-nspawn's .nspawn format (CLI.md): [Exec], [Files],
 * [Network]. Looked up, first match wins, as /etc/berth/NAME.nspawn and /run/berth/NAME.nspawn (trusted)
 * and then beside the image, DIR/../NAME.nspawn (untrusted: whoever can write the image store wrote
 * it). The command line applies on top of it. */

#define SETTINGS_FILE_SIZE_MAX (64U * 1024U)

/* -ENOENT when there is none. */
int settings_file_find(const char *name, const char *image_dir, char **ret_path, bool *ret_trusted);

/* Applies the file's text to s. In an untrusted file, keys that would grant privileges (Capability=,
 * Bind=, BindReadOnly=, Overlay=, OverlayReadOnly=, Private=no, allowing system calls) are skipped;
 * they and unknown keys are listed in *ret_ignored ("Section.Key (line N): why") for the caller to
 * report. A malformed line or value is -EBADMSG / -EINVAL with *ret_line set. Pure. */
int settings_file_apply(Settings *s, const char *text, bool trusted, char ***ret_ignored,
                        unsigned *ret_line);
