#pragma once

/* os-release(5): KEY=VALUE lines, values optionally in single or double quotes with backslash escapes.
 * Returns the unquoted value of key, -ENOENT when absent. Pure. */
int os_release_get(const char *text, const char *key, char **ret);
