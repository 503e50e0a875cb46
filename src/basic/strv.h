#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* NULL-terminated string arrays. */
char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
#define STRV_MAKE(...)      ((const char *const[]){ __VA_ARGS__, NULL })
#define STRV_FOREACH(s, l)  for (char **s = (l); s && *s; s++)

size_t strv_length(char *const *l);
int strv_push(char ***l, char *value); /* takes value */
int strv_extend(char ***l, const char *value);
char **strv_copy(char *const *l);
bool strv_contains(char *const *l, const char *s);

/* Splits s at sep (one character); "\<sep>" and "\\" are escapes. Empty fields are kept. */
int split_escaped(const char *s, char sep, size_t max_fields, char ***ret);

char *strjoin3(const char *a, const char *b, const char *c);
bool string_has_cc(const char *s);
