#pragma once

#include <stddef.h>

/* INI text as systemd's unit and .nspawn files use it: [Section] headers, KEY=VALUE lines, '#' and ';'
 * comments, blank lines; whitespace around keys and values dropped. Pure: the callback gets every
 * assignment with its line number; a negative return stops the parse and is returned. A malformed line
 * is -EBADMSG with *ret_line set. */

#define INI_LINE_MAX 4096U
#define INI_SIZE_MAX (1024U * 1024U)

typedef int (*IniCallback)(const char *section, const char *key, const char *value, unsigned line,
                           void *userdata);

int ini_parse(const char *text, IniCallback cb, void *userdata, unsigned *ret_line);
