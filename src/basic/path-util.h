#pragma once

#include <stdbool.h>

#define PATH_MAX_BERTH 4096

bool path_is_absolute(const char *p);
/* An absolute path without "." or ".." components, doubled slashes allowed. */
bool path_is_normalized_absolute(const char *p);
/* Drops doubled and trailing slashes in place; returns p. */
char *path_simplify(char *p);
const char *path_basename(const char *p);
