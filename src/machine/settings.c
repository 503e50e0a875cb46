#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fd-util.h"
#include "log.h"
#include "parse-util.h"
#include "path-util.h"
#include "settings.h"
#include "strv.h"

static const char *const console_mode_table[_CONSOLE_MODE_MAX] = {
        [CONSOLE_INTERACTIVE] = "interactive",
        [CONSOLE_READ_ONLY] = "read-only",
        [CONSOLE_PASSIVE] = "passive",
        [CONSOLE_PIPE] = "pipe",
};

static const char *const link_journal_table[_LINK_JOURNAL_MAX] = {
        [LINK_JOURNAL_AUTO] = "auto",   [LINK_JOURNAL_NO] = "no",
        [LINK_JOURNAL_HOST] = "host",   [LINK_JOURNAL_TRY_HOST] = "try-host",
        [LINK_JOURNAL_GUEST] = "guest", [LINK_JOURNAL_TRY_GUEST] = "try-guest",
};

static const char *const register_mode_table[_REGISTER_MODE_MAX] = {
        [REGISTER_AUTO] = "auto",
        [REGISTER_YES] = "yes",
        [REGISTER_NO] = "no",
};

static const char *const network_mode_table[_NETWORK_MODE_MAX] = {
        [NETWORK_PRIVATE] = "private",
        [NETWORK_HOST] = "host",
};

static const char *const custom_mount_type_table[_CUSTOM_MOUNT_TYPE_MAX] = {
        [CUSTOM_MOUNT_BIND] = "bind",
        [CUSTOM_MOUNT_TMPFS] = "tmpfs",
        [CUSTOM_MOUNT_OVERLAY] = "overlay",
};

static const char *const resolv_conf_mode_table[_RESOLV_CONF_MODE_MAX] = {
        [RESOLV_CONF_AUTO] = "auto",
        [RESOLV_CONF_OFF] = "off",
        [RESOLV_CONF_BIND_HOST] = "bind-host",
        [RESOLV_CONF_COPY_HOST] = "copy-host",
};

static const char *const timezone_mode_table[_TIMEZONE_MODE_MAX] = {
        [TIMEZONE_AUTO] = "auto",
        [TIMEZONE_OFF] = "off",
        [TIMEZONE_BIND] = "bind",
        [TIMEZONE_COPY] = "copy",
};

static const char *const volatile_mode_table[_VOLATILE_MODE_MAX] = {
        [VOLATILE_NO] = "no",
        [VOLATILE_YES] = "yes",
        [VOLATILE_STATE] = "state",
        [VOLATILE_OVERLAY] = "overlay",
};

static const char *const private_users_mode_table[_PRIVATE_USERS_MODE_MAX] = {
        [PRIVATE_USERS_PICK] = "pick",
        [PRIVATE_USERS_NO] = "no",
        [PRIVATE_USERS_IDENTITY] = "identity",
        [PRIVATE_USERS_FIXED] = "fixed",
};

static const char *const ownership_table[_OWNERSHIP_MAX] = {
        [OWNERSHIP_AUTO] = "auto",
        [OWNERSHIP_MAP] = "map",
        [OWNERSHIP_CHOWN] = "chown",
        [OWNERSHIP_OFF] = "off",
};

static int table_lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

#define TABLE_LOOKUP(table, s) table_lookup(table, ELEMENTSOF(table), s)
#define TABLE_NAME(table, i)   ((i) >= 0 && (size_t) (i) < ELEMENTSOF(table) ? table[i] : NULL)

const char *console_mode_to_string(ConsoleMode m) {
        return TABLE_NAME(console_mode_table, m);
}
ConsoleMode console_mode_from_string(const char *s) {
        return (ConsoleMode) TABLE_LOOKUP(console_mode_table, s);
}
const char *link_journal_to_string(LinkJournal m) {
        return TABLE_NAME(link_journal_table, m);
}
LinkJournal link_journal_from_string(const char *s) {
        return (LinkJournal) TABLE_LOOKUP(link_journal_table, s);
}
const char *register_mode_to_string(RegisterMode m) {
        return TABLE_NAME(register_mode_table, m);
}
RegisterMode register_mode_from_string(const char *s) {
        return (RegisterMode) TABLE_LOOKUP(register_mode_table, s);
}
const char *network_mode_to_string(NetworkMode m) {
        return TABLE_NAME(network_mode_table, m);
}
NetworkMode network_mode_from_string(const char *s) {
        return (NetworkMode) TABLE_LOOKUP(network_mode_table, s);
}
const char *resolv_conf_mode_to_string(ResolvConfMode m) {
        return TABLE_NAME(resolv_conf_mode_table, m);
}
ResolvConfMode resolv_conf_mode_from_string(const char *s) {
        return (ResolvConfMode) TABLE_LOOKUP(resolv_conf_mode_table, s);
}
const char *volatile_mode_to_string(VolatileMode m) {
        return TABLE_NAME(volatile_mode_table, m);
}
VolatileMode volatile_mode_from_string(const char *s) {
        int b = parse_boolean(s);
        if (b >= 0)
                return b ? VOLATILE_YES : VOLATILE_NO;
        return (VolatileMode) TABLE_LOOKUP(volatile_mode_table, s);
}

const char *timezone_mode_to_string(TimezoneMode m) {
        return TABLE_NAME(timezone_mode_table, m);
}
TimezoneMode timezone_mode_from_string(const char *s) {
        return (TimezoneMode) TABLE_LOOKUP(timezone_mode_table, s);
}
const char *private_users_mode_to_string(PrivateUsersMode m) {
        return TABLE_NAME(private_users_mode_table, m);
}
const char *userns_ownership_to_string(UserNsOwnership o) {
        return TABLE_NAME(ownership_table, o);
}
UserNsOwnership userns_ownership_from_string(const char *s) {
        return (UserNsOwnership) TABLE_LOOKUP(ownership_table, s);
}

int private_users_parse(const char *s, PrivateUsersMode *ret_mode, uid_t *ret_shift, uint32_t *ret_range) {
        const char *colon;
        uint32_t shift, range = UID_RANGE_DEFAULT_COUNT;
        int r;

        if (isempty(s))
                return -EINVAL;
        if (streq(s, "pick") || streq(s, "yes")) {
                *ret_mode = PRIVATE_USERS_PICK;
                return 0;
        }
        if (streq(s, "identity")) {
                *ret_mode = PRIVATE_USERS_IDENTITY;
                return 0;
        }
        r = parse_boolean(s);
        if (r == 0) {
                *ret_mode = PRIVATE_USERS_NO;
                return 0;
        }
        if (r > 0) {
                *ret_mode = PRIVATE_USERS_PICK;
                return 0;
        }

        colon = strchr(s, ':');
        if (colon) {
                _cleanup_free_ char *first = strndup(s, (size_t) (colon - s));
                if (!first)
                        return -ENOMEM;
                if (safe_atou32(first, &shift) < 0 || safe_atou32(colon + 1, &range) < 0)
                        return -EINVAL;
        } else if (safe_atou32(s, &shift) < 0)
                return -EINVAL;
        /* The last ID, (uid_t) -1, means "no ID" to the kernel: the range ends before it. */
        if (range == 0 || (uint64_t) shift + range > UINT32_MAX)
                return -EINVAL;
        *ret_mode = PRIVATE_USERS_FIXED;
        *ret_shift = shift;
        *ret_range = range;
        return 0;
}

const char *custom_mount_type_to_string(CustomMountType t) {
        return TABLE_NAME(custom_mount_type_table, t);
}

Settings *settings_new(void) {
        Settings *s = calloc(1, sizeof(Settings));

        if (!s)
                return NULL;
        s->network = NETWORK_PRIVATE;
        s->console = _CONSOLE_MODE_INVALID;
        s->kill_timeout_usec = KILL_TIMEOUT_DEFAULT_USEC;
        s->no_new_privileges = -1;
        cgroup_limits_init(&s->limits);
        return s;
}

void custom_mount_done(CustomMount *m) {
        free(m->source);
        free(m->destination);
        free(m->options);
        strv_free(m->lower);
        free(m->upper);
        *m = (CustomMount){};
}

Settings *settings_free(Settings *s) {
        if (!s)
                return NULL;
        free(s->machine_name);
        free(s->directory);
        free(s->image);
        free(s->template_name);
        for (size_t i = 0; i < s->n_image_mounts; i++) {
                safe_close(s->image_mounts[i].fd);
                free(s->image_mounts[i].where);
                free(s->image_mounts[i].fstype);
        }
        free(s->hostname);
        free(s->uuid);
        free(s->user);
        free(s->working_directory);
        free(s->init);
        strv_free(s->environment);
        strv_free(s->command);
        strv_free(s->syscall_allow);
        strv_free(s->syscall_deny);
        for (size_t i = 0; i < s->n_mounts; i++)
                custom_mount_done(&s->mounts[i]);
        free(s->mounts);
        cgroup_limits_done(&s->limits);
        free(s->slice);
        free(s);
        return NULL;
}

int settings_add_mount(Settings *s, CustomMount *m) {
        CustomMount *n;

        if (s->n_mounts >= CUSTOM_MOUNTS_MAX)
                return -E2BIG;
        n = realloc(s->mounts, sizeof(CustomMount) * (s->n_mounts + 1));
        if (!n)
                return -ENOMEM;
        s->mounts = n;
        s->mounts[s->n_mounts++] = *m;
        *m = (CustomMount){};
        return 0;
}

int settings_add_image_mount(Settings *s, int fd, const char *where, const char *fstype, bool read_only) {
        ImageMount m = { .fd = fd, .read_only = read_only };

        if (fd < 0 || !path_is_normalized_absolute(where) || isempty(fstype))
                return -EINVAL;
        if ((s->n_image_mounts == 0) != streq(where, "/"))
                return -EINVAL; /* the root first, and only once */
        if (s->n_image_mounts >= IMAGE_MOUNTS_MAX)
                return -E2BIG;
        m.where = strdup(where);
        m.fstype = strdup(fstype);
        if (!m.where || !m.fstype) {
                free(m.where);
                free(m.fstype);
                return -ENOMEM;
        }
        s->image_mounts[s->n_image_mounts++] = m;
        return 0;
}

/* A path as the user wrote it: absolute, no "." or "..", at most PATH_MAX. "+/x" marks a path inside the
 * tree where allow_in_tree. Returns the simplified path. */
static int parse_mount_path(const char *s, bool allow_in_tree, char **ret, bool *ret_in_tree) {
        bool in_tree = false;
        char *p;

        if (allow_in_tree && s[0] == '+') {
                in_tree = true;
                s++;
        }
        if (!path_is_normalized_absolute(s) || string_has_cc(s))
                return -EINVAL;
        p = strdup(s);
        if (!p)
                return -ENOMEM;
        *ret = path_simplify(p);
        if (ret_in_tree)
                *ret_in_tree = in_tree;
        return 0;
}

int custom_mount_parse_bind(const char *s, bool read_only, CustomMount *ret) {
        _cleanup_strv_free_ char **f = NULL;
        CustomMount m = {
                .type = CUSTOM_MOUNT_BIND, .read_only = read_only, .recursive = true, .idmap = -1
        };
        size_t n;
        int r;

        if (isempty(s) || strlen(s) > SETTINGS_VALUE_MAX)
                return -EINVAL;
        r = split_escaped(s, ':', 3, &f);
        if (r < 0)
                return r == -E2BIG ? -EINVAL : r;
        n = strv_length(f);

        r = parse_mount_path(f[0], true, &m.source, &m.source_in_tree);
        if (r < 0)
                goto fail;
        r = parse_mount_path(n >= 2 && !isempty(f[1]) ? f[1] : m.source, false, &m.destination, NULL);
        if (r < 0)
                goto fail;
        if (n == 3) {
                _cleanup_strv_free_ char **opts = NULL;

                r = split_escaped(f[2], ',', 16, &opts);
                if (r < 0)
                        goto fail;
                STRV_FOREACH (o, opts) {
                        if (streq(*o, "rbind"))
                                m.recursive = true;
                        else if (streq(*o, "norbind"))
                                m.recursive = false;
                        else if (streq(*o, "idmap"))
                                m.idmap = 1;
                        else if (streq(*o, "noidmap"))
                                m.idmap = 0;
                        else if (!isempty(*o)) {
                                r = -EINVAL;
                                goto fail;
                        }
                }
        }
        *ret = m;
        return 0;
fail:
        custom_mount_done(&m);
        return r == -E2BIG ? -EINVAL : r;
}

int custom_mount_parse_tmpfs(const char *s, CustomMount *ret) {
        CustomMount m = { .type = CUSTOM_MOUNT_TMPFS };
        _cleanup_free_ char *path = NULL;
        const char *colon;
        int r;

        if (isempty(s) || strlen(s) > SETTINGS_VALUE_MAX)
                return -EINVAL;
        colon = strchr(s, ':');
        path = colon ? strndup(s, (size_t) (colon - s)) : strdup(s);
        if (!path)
                return -ENOMEM;
        r = parse_mount_path(path, false, &m.destination, NULL);
        if (r < 0)
                return r;
        m.options = strdup(colon && colon[1] ? colon + 1 : "mode=0755");
        if (!m.options) {
                custom_mount_done(&m);
                return -ENOMEM;
        }
        /* Mount data is a comma list for the kernel: no control characters sneak through. */
        if (string_has_cc(m.options)) {
                custom_mount_done(&m);
                return -EINVAL;
        }
        *ret = m;
        return 0;
}

int custom_mount_parse_overlay(const char *s, bool read_only, CustomMount *ret) {
        _cleanup_strv_free_ char **f = NULL;
        CustomMount m = { .type = CUSTOM_MOUNT_OVERLAY, .read_only = read_only };
        size_t n, n_lower;
        int r;

        if (isempty(s) || strlen(s) > SETTINGS_VALUE_MAX)
                return -EINVAL;
        r = split_escaped(s, ':', 64, &f);
        if (r < 0)
                return r == -E2BIG ? -EINVAL : r;
        n = strv_length(f);
        if (n < 2)
                return -EINVAL;

        /* As systemd-nspawn defines it: the last path is the mount point. With two paths the second is
         * both the top layer (upper, or the top lower when read-only) and the mount point. */
        if (n == 2) {
                n_lower = read_only ? 2 : 1;
        } else
                n_lower = read_only ? n - 1 : n - 2;

        for (size_t i = 0; i < n_lower; i++) {
                char *p = NULL;
                bool in_tree;

                r = parse_mount_path(f[i], true, &p, &in_tree);
                if (r < 0)
                        goto fail;
                if (in_tree) {
                        char *q = strjoin3("+", p, NULL);
                        free(p);
                        p = q;
                        if (!p) {
                                r = -ENOMEM;
                                goto fail;
                        }
                }
                r = strv_push(&m.lower, p);
                if (r < 0) {
                        free(p);
                        goto fail;
                }
        }
        if (!read_only) {
                const char *u = f[n_lower];

                if (isempty(u))
                        m.upper = strdup("");
                else {
                        bool in_tree;
                        r = parse_mount_path(u, true, &m.upper, &in_tree);
                        if (r < 0)
                                goto fail;
                        m.source_in_tree = in_tree; /* for the upper dir */
                }
                if (!m.upper) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = parse_mount_path(f[n - 1][0] == '+' ? f[n - 1] + 1 : f[n - 1], false, &m.destination, NULL);
        if (r < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        custom_mount_done(&m);
        return r;
}

int time_offset_parse(const char *s, int64_t *ret_monotonic_ns, int64_t *ret_boottime_ns) {
        _cleanup_strv_free_ char **items = NULL;
        int64_t mono = 0, boot = 0;
        bool seen_mono = false, seen_boot = false;
        /* The kernel refuses offsets that would put a clock near its limits; a decade is plenty. */
        const int64_t limit = 10LL * 366 * 24 * 3600 * 1000000000LL;
        int r;

        if (isempty(s) || strlen(s) > 256)
                return -EINVAL;
        r = split_escaped(s, ',', 2, &items);
        if (r < 0)
                return -EINVAL;
        STRV_FOREACH (i, items) {
                const char *eq = strchr(*i, '=');
                int64_t v;

                if (!eq)
                        return -EINVAL;
                r = parse_sec_signed_ns(eq + 1, &v);
                if (r < 0)
                        return r;
                if (v > limit || v < -limit)
                        return -ERANGE;
                if (strneq(*i, "monotonic=", 10) && !seen_mono) {
                        mono = v;
                        seen_mono = true;
                } else if (strneq(*i, "boottime=", 9) && !seen_boot) {
                        boot = v;
                        seen_boot = true;
                } else
                        return -EINVAL;
        }
        *ret_monotonic_ns = mono;
        *ret_boottime_ns = boot;
        return 0;
}

int syscall_filter_parse(const char *s, bool *ret_deny, char ***ret_names) {
        _cleanup_strv_free_ char **words = NULL, **names = NULL;
        bool deny = false;
        int r;

        if (isempty(s) || strlen(s) > SETTINGS_VALUE_MAX)
                return -EINVAL;
        if (s[0] == '~') {
                deny = true;
                s++;
        }
        r = split_escaped(s, ' ', 512, &words);
        if (r < 0)
                return -EINVAL;
        STRV_FOREACH (w, words) {
                const char *c = *w;

                if (isempty(c))
                        continue;
                if (*c == '@')
                        c++;
                if (isempty(c) || strlen(c) > 64)
                        return -EINVAL;
                for (; *c; c++)
                        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                              *c == '-'))
                                return -EINVAL;
                r = strv_extend(&names, *w);
                if (r < 0)
                        return r;
        }
        if (!names)
                return -EINVAL;
        *ret_deny = deny;
        *ret_names = TAKE_PTR(names);
        return 0;
}
