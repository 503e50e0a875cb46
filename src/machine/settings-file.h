#pragma once

#include <stdbool.h>

#include "cgroup-limits.h"
#include "settings.h"

/* A machine's lasting configuration, in systemd-nspawn's .nspawn format (CLI.md): [Exec], [Files],
 * [Network], and [Resources] with systemd's resource-control keys (MemoryMax=, CPUWeight=, … and
 * Slice=; see cgroup-limits.h). Looked up, first match wins, as /etc/berth/NAME.nspawn and
 * /run/berth/NAME.nspawn (trusted) and then beside the image, DIR/../NAME.nspawn (untrusted: whoever can
 * write the image store wrote it). The command line applies on top of it. */

#define SETTINGS_FILE_SIZE_MAX (64U * 1024U)

/* -ENOENT when there is none. */
int settings_file_find(const char *name, const char *image_dir, char **ret_path, bool *ret_trusted);

/* Applies the file's text to s. In an untrusted file, keys that would grant privileges (Capability=,
 * Bind=, BindReadOnly=, Overlay=, OverlayReadOnly=, Private=no, allowing system calls) are skipped;
 * so are Slice= (the slice is the host's to choose: an image must not move its machine into another
 * tenant's) and CPUWeight=/IOWeight= above the default of 100 (a bigger share is taken from other
 * machines); the other limits only restrict and apply. Skipped and unknown keys are listed in
 * *ret_ignored ("Section.Key (line N): why") for the caller to report. A malformed line or value is
 * -EBADMSG / -EINVAL with *ret_line set. Pure, except that a percentage in [Resources] reads the host's
 * memory size or pid_max (settings_file_apply_full() takes them instead). */
int settings_file_apply(Settings *s, const char *text, bool trusted, char ***ret_ignored,
                        unsigned *ret_line);
/* The same, with the host's facts for percentages given (NULL: read when needed), and *ret_error (if
 * given) set on failure to one line for a [Resources] value ("MemoryMax=12Q: expected ..."), or NULL. */
int settings_file_apply_full(Settings *s, const char *text, bool trusted, const CgroupHostFacts *host,
                             char ***ret_ignored, unsigned *ret_line, char **ret_error);

/* For `berth set-limit --persist`: the text of a settings file (NULL or "" for none) with KEY=VALUE
 * assignments set in [section]. Every line of a KEY in that section goes; the first is replaced, in
 * place, by the KEY's new lines (all of them, in order, when key_values names a KEY more than once, as
 * the IO…Max= keys need), or they are added after the section's last assignment, the section itself
 * at the end when the file has none. An empty VALUE only removes the KEY. Comments, blank lines, other
 * keys and other sections stay as they are; the result ends with a newline. -EBADMSG when text is
 * not a settings file, -EINVAL for a bad section, key or value, -EFBIG past SETTINGS_FILE_SIZE_MAX.
 * Pure. */
int settings_file_set_keys(const char *text, const char *section, char *const *key_values, char **ret_text);
