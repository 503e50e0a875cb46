#pragma once

#include <syslog.h>

#include "macro.h"

/* Logging goes to stderr. Only the first caller with context logs; helpers return errors. */

void log_set_max_level(int level);
int log_get_max_level(void);
int log_level_from_string(const char *s);
void log_parse_environment(void);
void log_set_prefix(const char *prefix);

int log_internal(int level, int error, const char *file, int line, const char *format, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...)                                                           \
        ({                                                                                          \
                int _e = (error) < 0 ? -(error) : (error);                                          \
                int _l = (level);                                                                   \
                (_l <= log_get_max_level()) ? log_internal(_l, _e, __FILE__, __LINE__, __VA_ARGS__) \
                                            : (_e > 0 ? -_e : 0);                                   \
        })

#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...)  log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_debug(...)   log_debug_errno(0, __VA_ARGS__)
#define log_info(...)    log_info_errno(0, __VA_ARGS__)
#define log_notice(...)  log_notice_errno(0, __VA_ARGS__)
#define log_warning(...) log_warning_errno(0, __VA_ARGS__)
#define log_error(...)   log_error_errno(0, __VA_ARGS__)

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

/* For errors that did not come from a syscall: a synthetic errno keeps %m honest. */
#define SYNTHETIC_ERRNO(e) (e)
