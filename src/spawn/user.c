#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse-util.h"
#include "strv.h"
#include "user.h"

void user_record_done(UserRecord *u) {
        free(u->name);
        free(u->home);
        free(u->shell);
        *u = (UserRecord){};
}

/* Splits one line into at most n colon-separated fields, in place. Returns the number found. */
static size_t split_fields(char *line, char **fields, size_t n) {
        size_t i = 0;

        fields[i++] = line;
        for (char *p = line; *p && i < n; p++)
                if (*p == ':') {
                        *p = '\0';
                        fields[i++] = p + 1;
                }
        return i;
}

static int next_line(const char **p, char *buf, size_t size) {
        const char *start = *p, *nl;
        size_t n;

        if (!*start)
                return 0;
        nl = strchrnul(start, '\n');
        n = (size_t) (nl - start);
        *p = *nl ? nl + 1 : nl;
        if (n >= size) {
                buf[0] = '\0'; /* over-long lines are skipped, not truncated into something else */
                return 1;
        }
        memcpy(buf, start, n);
        buf[n] = '\0';
        return 1;
}

int user_record_find(const char *passwd_text, const char *spec, UserRecord *ret) {
        char line[4096];
        const char *p = passwd_text;
        uint32_t want_uid = 0;
        bool by_uid;

        if (isempty(spec) || strlen(passwd_text) > USER_DB_SIZE_MAX)
                return -EINVAL;
        by_uid = safe_atou32(spec, &want_uid) >= 0;
        if (by_uid && want_uid == UINT32_MAX)
                return -EINVAL;

        while (next_line(&p, line, sizeof(line)) > 0) {
                char *f[7];
                uint32_t uid, gid;

                if (line[0] == '#' || line[0] == '+' || line[0] == '-' || split_fields(line, f, 7) != 7)
                        continue;
                if (safe_atou32(f[2], &uid) < 0 || safe_atou32(f[3], &gid) < 0)
                        continue;
                if (by_uid ? uid != want_uid : !streq(f[0], spec))
                        continue;
                *ret = (UserRecord){
                        .name = strdup(f[0]),
                        .uid = uid,
                        .gid = gid,
                        .home = strdup(isempty(f[5]) ? "/" : f[5]),
                        .shell = strdup(isempty(f[6]) ? "/bin/sh" : f[6]),
                };
                if (!ret->name || !ret->home || !ret->shell) {
                        user_record_done(ret);
                        return -ENOMEM;
                }
                return 0;
        }
        return -ESRCH;
}

int user_groups_find(const char *group_text, const char *user, gid_t *groups, size_t max, size_t *ret_n) {
        char line[65536];
        const char *p = group_text;
        size_t n = 0;

        if (strlen(group_text) > USER_DB_SIZE_MAX)
                return -EINVAL;
        while (next_line(&p, line, sizeof(line)) > 0) {
                char *f[4];
                uint32_t gid;

                if (line[0] == '#' || split_fields(line, f, 4) != 4 || safe_atou32(f[2], &gid) < 0)
                        continue;
                for (char *m = f[3]; *m;) {
                        size_t l = strcspn(m, ",");
                        if (l == strlen(user) && strneq(m, user, l)) {
                                if (n >= max)
                                        return -E2BIG;
                                groups[n++] = gid;
                                break;
                        }
                        m += l + (m[l] == ',');
                }
        }
        *ret_n = n;
        return 0;
}

int environment_build(const UserRecord *u, const char *term, const char *uuid, char *const *extra,
                      char ***ret) {
        _cleanup_strv_free_ char **env = NULL;
        const char *defaults[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "container=berth",
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                r = strv_extend(&env, defaults[i]);
                if (r < 0)
                        return r;
        }
#define PUSH(k, v)                                    \
        do {                                          \
                char *_s = strjoin3(k, "=", v);       \
                if (!_s || strv_push(&env, _s) < 0) { \
                        free(_s);                     \
                        return -ENOMEM;               \
                }                                     \
        } while (0)
        PUSH("TERM", term ?: "dumb");
        if (uuid)
                PUSH("container_uuid", uuid);
        if (u) {
                PUSH("HOME", u->home);
                PUSH("USER", u->name);
                PUSH("LOGNAME", u->name);
                PUSH("SHELL", u->shell);
        } else
                PUSH("HOME", "/");
#undef PUSH

        /* Later entries replace earlier ones of the same name. */
        for (; extra && *extra; extra++) {
                size_t k = strcspn(*extra, "=");
                bool replaced = false;

                for (char **e = env; *e; e++)
                        if (strneq(*e, *extra, k) && (*e)[k] == '=') {
                                char *c = strdup(*extra);
                                if (!c)
                                        return -ENOMEM;
                                free(*e);
                                *e = c;
                                replaced = true;
                                break;
                        }
                if (!replaced) {
                        r = strv_extend(&env, *extra);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(env);
        return 0;
}
