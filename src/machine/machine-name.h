#pragma once

#include <stdbool.h>

#define MACHINE_NAME_MAX 64

/* 1–64 characters of [A-Za-z0-9._-], not starting with '.' or '-', usable as a hostname label. The one
 * place names are checked. */
bool machine_name_is_valid(const char *s);
bool hostname_is_valid(const char *s);
