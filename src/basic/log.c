#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* The one piece of process-wide state outside main: logging must work before anything is parsed. */
static int log_max_level = LOG_NOTICE;
static const char *log_prefix = "berth";

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_set_prefix(const char *prefix) {
        log_prefix = prefix;
}

int log_level_from_string(const char *s) {
        static const struct {
                const char *name;
                int level;
        } table[] = {
                { "emerg", LOG_EMERG },  { "alert", LOG_ALERT },   { "crit", LOG_CRIT },
                { "err", LOG_ERR },      { "error", LOG_ERR },     { "warning", LOG_WARNING },
                { "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
                { "debug", LOG_DEBUG },
        };
        char *end;
        long l;

        if (isempty(s))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(table[i].name, s) == 0)
                        return table[i].level;
        errno = 0;
        l = strtol(s, &end, 10);
        if (errno != 0 || *end || l < 0 || l > LOG_DEBUG)
                return -EINVAL;
        return (int) l;
}

void log_parse_environment(void) {
        const char *e = getenv("BERTH_LOG_LEVEL");
        int l;

        if (!e)
                return;
        l = log_level_from_string(e);
        if (l < 0)
                fprintf(stderr, "%s: invalid BERTH_LOG_LEVEL '%s', ignoring\n", log_prefix, e);
        else
                log_max_level = l;
}

int log_internal(int level, int error, const char *file, int line, const char *format, ...) {
        char buf[2048];
        va_list ap;
        int saved = errno;

        /* %m must print the error we were given, not whatever errno happens to be. */
        errno = error;
        va_start(ap, format);
        vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        if (log_max_level >= LOG_DEBUG)
                fprintf(stderr, "%s[%d]: %s (%s:%d)\n", log_prefix, (int) getpid(), buf, file, line);
        else
                fprintf(stderr, "%s: %s\n", log_prefix, buf);
        errno = saved;
        return error > 0 ? -error : 0;
}
