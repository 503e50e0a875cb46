#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capability-util.h"
#include "fd-util.h"
#include "ini.h"
#include "machine-name.h"
#include "parse-util.h"
#include "path-util.h"
#include "settings-file.h"
#include "slice.h"
#include "strv.h"

int settings_file_find(const char *name, const char *image_dir, char **ret_path, bool *ret_trusted) {
        static const char *const trusted_dirs[] = { "/etc/berth/", BERTH_STATE_DIR "/" };
        _cleanup_free_ char *file = NULL;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        file = strjoin3(name, ".nspawn", NULL);
        if (!file)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(trusted_dirs); i++) {
                char *p = strjoin3(trusted_dirs[i], file, NULL);
                if (!p)
                        return -ENOMEM;
                if (access(p, F_OK) >= 0) {
                        *ret_path = p;
                        *ret_trusted = true;
                        return 0;
                }
                free(p);
        }
        if (image_dir) {
                _cleanup_free_ char *dir = strdup(image_dir);
                char *slash, *p;

                if (!dir)
                        return -ENOMEM;
                path_simplify(dir);
                slash = strrchr(dir, '/');
                if (slash)
                        *(slash == dir ? slash + 1 : slash) = '\0';
                else
                        strcpy(dir, ".");
                p = strjoin3(dir, streq(dir, "/") ? "" : "/", file);
                if (!p)
                        return -ENOMEM;
                if (access(p, F_OK) >= 0) {
                        *ret_path = p;
                        *ret_trusted = false;
                        return 0;
                }
                free(p);
        }
        return -ENOENT;
}

typedef struct ApplyContext {
        Settings *s;
        bool trusted;
        char **ignored;
        const CgroupHostFacts *host; /* NULL: read into host_buf when a percentage needs it */
        CgroupHostFacts host_buf;
        bool host_tried;
        char *error; /* why a [Resources] value was refused */
} ApplyContext;

static int ignore(ApplyContext *c, const char *section, const char *key, unsigned line, const char *why) {
        char buf[256];

        snprintf(buf, sizeof(buf), "%s.%s (line %u): %s", section, key, line, why);
        return strv_extend(&c->ignored, buf);
}

static int set_str(char **field, const char *v) {
        char *c = strdup(v);

        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

static int add_mount(Settings *s, int r, CustomMount *m) {
        if (r < 0)
                return r;
        r = settings_add_mount(s, m);
        if (r < 0)
                custom_mount_done(m);
        return r;
}

static int resource_error(ApplyContext *c, const char *key, const char *v, const char *why) {
        c->error = mfree(c->error);
        if (asprintf(&c->error, "%s=%s: %s", key, v, why) < 0)
                return -ENOMEM;
        return -EINVAL;
}

/* The weight a CPUWeight= or IOWeight= value asks for, or CGROUP_LIMIT_UNSET. */
static int resource_weight(ApplyContext *c, const char *key, const char *v, uint64_t *ret) {
        CgroupLimits t;
        int r;

        cgroup_limits_init(&t);
        c->error = mfree(c->error);
        r = cgroup_limit_set(&t, key, v, NULL, &c->error);
        *ret = streq(key, "CPUWeight") ? t.cpu_weight : t.io_weight;
        cgroup_limits_done(&t);
        return r;
}

static int apply_resource(ApplyContext *c, const char *section, const char *key, const char *v,
                          unsigned line) {
        Settings *s = c->s;
        int r;

        if (streq(key, "Slice")) {
                char *n;

                if (!c->trusted)
                        return ignore(c, section, key, line,
                                      "the slice is the host's to choose, only honoured in /etc/berth "
                                      "or " BERTH_STATE_DIR);
                if (isempty(v)) {
                        s->slice = mfree(s->slice);
                        return 0;
                }
                r = slice_name_normalize(v, &n);
                if (r == -EINVAL)
                        return resource_error(c, key, v, SLICE_NAME_EXPECTED);
                if (r < 0)
                        return r;
                free(s->slice);
                s->slice = n;
                return 0;
        }

        if (!c->trusted && (streq(key, "CPUWeight") || streq(key, "IOWeight"))) {
                uint64_t w;

                r = resource_weight(c, key, v, &w);
                if (r < 0)
                        return r;
                if (w != CGROUP_LIMIT_UNSET && w > 100)
                        return ignore(c, section, key, line,
                                      "a weight above 100 takes time from other machines, only honoured in "
                                      "trusted files");
        }

        if (!c->host && !c->host_tried && strchr(v, '%')) {
                c->host_tried = true;
                if (cgroup_host_facts(&c->host_buf) >= 0)
                        c->host = &c->host_buf;
        }
        c->error = mfree(c->error);
        r = cgroup_limit_set(&s->limits, key, v, c->host, &c->error);
        if (r == -ENOENT) {
                c->error = mfree(c->error); /* not an error here, and not to be reported for a later one */
                return ignore(c, section, key, line, "unknown, ignored");
        }
        return r;
}

static int apply_one(const char *section, const char *key, const char *v, unsigned line, void *userdata) {
        ApplyContext *c = userdata;
        Settings *s = c->s;
        CustomMount m = {};
        int r;

        if (string_has_cc(v))
                return -EINVAL;
#define IS(sec, k) (streq(section, sec) && streq(key, k))
#define PRIVILEGED()                                                                                   \
        do {                                                                                           \
                if (!c->trusted)                                                                       \
                        return ignore(                                                                 \
                                c, section, key, line,                                                 \
                                "grants privileges, only honoured in /etc/berth or " BERTH_STATE_DIR); \
        } while (0)

        if (IS("Exec", "Boot")) {
                r = parse_boolean(v);
                if (r < 0)
                        return r;
                s->boot = r;
        } else if (IS("Exec", "Parameters")) {
                _cleanup_strv_free_ char **words = NULL;
                r = split_escaped(v, ' ', 256, &words);
                if (r < 0)
                        return -EINVAL;
                strv_free(s->command);
                s->command = TAKE_PTR(words);
        } else if (IS("Exec", "Environment")) {
                const char *eq = strchr(v, '=');
                if (!eq || eq == v)
                        return -EINVAL;
                return strv_extend(&s->environment, v);
        } else if (IS("Exec", "User"))
                return isempty(v) || strpbrk(v, ":/") ? -EINVAL : set_str(&s->user, v);
        else if (IS("Exec", "WorkingDirectory"))
                return path_is_absolute(v) ? set_str(&s->working_directory, v) : -EINVAL;
        else if (IS("Exec", "Hostname"))
                return hostname_is_valid(v) ? set_str(&s->hostname, v) : -EINVAL;
        else if (IS("Exec", "Capability")) {
                uint64_t set;
                PRIVILEGED();
                r = capability_list_parse(v, &set);
                if (r < 0)
                        return r;
                s->capability_add |= set;
        } else if (IS("Exec", "DropCapability")) {
                uint64_t set;
                r = capability_list_parse(v, &set);
                if (r < 0)
                        return r;
                s->capability_drop |= set;
        } else if (IS("Exec", "NoNewPrivileges")) {
                r = parse_boolean(v);
                if (r < 0)
                        return r;
                if (!r && !c->trusted)
                        return ignore(c, section, key, line,
                                      "turning it off is only honoured in trusted files");
                s->no_new_privileges = r;
        } else if (IS("Exec", "LinkJournal")) {
                LinkJournal l = link_journal_from_string(v);
                if (l < 0)
                        return -EINVAL;
                /* It makes directories and links in the host's /var/log/journal. */
                if (l != LINK_JOURNAL_NO && l != LINK_JOURNAL_AUTO)
                        PRIVILEGED();
                s->link_journal = l;
        } else if (IS("Exec", "PrivateUsers")) {
                PrivateUsersMode mode;
                uid_t shift = 0;
                uint32_t range = 0;
                r = private_users_parse(v, &mode, &shift, &range);
                if (r < 0)
                        return r;
                /* Only a block of its own is safe to ask for from beside the tree: no user namespace,
                 * the host's own IDs or another machine's block are not. */
                if (mode != PRIVATE_USERS_PICK)
                        PRIVILEGED();
                s->private_users = mode;
                s->uid_shift = shift;
                s->uid_range = range;
        } else if (IS("Exec", "AllowNesting")) {
                r = parse_boolean(v);
                if (r < 0)
                        return r;
                if (r)
                        PRIVILEGED();
                s->allow_nesting = r;
        } else if (IS("Exec", "SystemCallFilter")) {
                _cleanup_strv_free_ char **names = NULL;
                bool deny;
                r = syscall_filter_parse(v, &deny, &names);
                if (r < 0)
                        return r;
                if (!deny)
                        PRIVILEGED();
                STRV_FOREACH (n, names)
                        if (strv_extend(deny ? &s->syscall_deny : &s->syscall_allow, *n) < 0)
                                return -ENOMEM;
        } else if (IS("Exec", "Timezone")) {
                TimezoneMode t = timezone_mode_from_string(v);
                if (t < 0)
                        return t;
                s->timezone = t;
        } else if (IS("Exec", "ResolvConf")) {
                ResolvConfMode m2 = resolv_conf_mode_from_string(v);
                if (m2 < 0)
                        return m2;
                s->resolv_conf = m2;
        } else if (IS("Exec", "Volatile")) {
                VolatileMode vm = volatile_mode_from_string(v);
                if (vm < 0)
                        return vm;
                s->volatile_mode = vm;
        } else if (IS("Exec", "Ephemeral")) {
                r = parse_boolean(v);
                if (r < 0)
                        return r;
                s->ephemeral = r;
        } else if (IS("Files", "Template")) {
                /* A host directory to copy from: not for a file that came with the image. */
                PRIVILEGED();
                if (!path_is_absolute(v) && !machine_name_is_valid(v))
                        return -EINVAL;
                return set_str(&s->template_name, v);
        } else if (IS("Files", "ReadOnly")) {
                r = parse_boolean(v);
                if (r < 0)
                        return r;
                s->read_only = r;
        } else if (IS("Files", "PrivateUsersOwnership")) {
                UserNsOwnership o = userns_ownership_from_string(v);
                if (o < 0)
                        return o;
                s->ownership = o;
        } else if (IS("Files", "Bind") || IS("Files", "BindReadOnly")) {
                PRIVILEGED();
                return add_mount(s, custom_mount_parse_bind(v, streq(key, "BindReadOnly"), &m), &m);
        } else if (IS("Files", "TemporaryFileSystem"))
                return add_mount(s, custom_mount_parse_tmpfs(v, &m), &m);
        else if (IS("Files", "Overlay") || IS("Files", "OverlayReadOnly")) {
                PRIVILEGED();
                return add_mount(s, custom_mount_parse_overlay(v, streq(key, "OverlayReadOnly"), &m), &m);
        } else if (IS("Network", "Private")) {
                r = parse_boolean(v);
                if (r < 0)
                        return r;
                if (!r)
                        PRIVILEGED(); /* the host's network is not the guest's to ask for */
                s->network = r ? NETWORK_PRIVATE : NETWORK_HOST;
        } else if (streq(section, "Resources"))
                return apply_resource(c, section, key, v, line);
        else
                return ignore(c, section, key, line, "unknown, ignored");
#undef IS
#undef PRIVILEGED
        return 0;
}

int settings_file_apply_full(Settings *s, const char *text, bool trusted, const CgroupHostFacts *host,
                             char ***ret_ignored, unsigned *ret_line, char **ret_error) {
        ApplyContext c = { .s = s, .trusted = trusted, .host = host };
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (strlen(text) > SETTINGS_FILE_SIZE_MAX)
                return -EFBIG;
        r = ini_parse(text, apply_one, &c, ret_line);
        if (r < 0) {
                strv_free(c.ignored);
                if (ret_error && r == -EINVAL)
                        *ret_error = TAKE_PTR(c.error);
                free(c.error);
                return r;
        }
        free(c.error);
        *ret_ignored = c.ignored;
        return 0;
}

int settings_file_apply(Settings *s, const char *text, bool trusted, char ***ret_ignored,
                        unsigned *ret_line) {
        return settings_file_apply_full(s, text, trusted, NULL, ret_ignored, ret_line, NULL);
}

/* ---- editing ---- */

typedef enum IniLineKind {
        INI_LINE_OTHER, /* blank, comment */
        INI_LINE_SECTION,
        INI_LINE_KEY,
} IniLineKind;

/* A line as ini_parse() reads it: the section's name or the key, in place. */
static IniLineKind ini_line_kind(const char *line, size_t n, const char **ret_name, size_t *ret_len) {
        const char *eq;
        size_t k;

        while (n > 0 && (*line == ' ' || *line == '\t')) {
                line++;
                n--;
        }
        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
                n--;
        if (n == 0 || line[0] == '#' || line[0] == ';')
                return INI_LINE_OTHER;
        if (line[0] == '[') {
                if (n < 2 || line[n - 1] != ']')
                        return INI_LINE_OTHER;
                *ret_name = line + 1;
                *ret_len = n - 2;
                return INI_LINE_SECTION;
        }
        eq = memchr(line, '=', n);
        if (!eq)
                return INI_LINE_OTHER;
        for (k = (size_t) (eq - line);
             k > 0 && (line[k - 1] == ' ' || line[k - 1] == '\t' || line[k - 1] == '\r'); k--)
                ;
        *ret_name = line;
        *ret_len = k;
        return INI_LINE_KEY;
}

static bool name_is(const char *name, size_t len, const char *s, size_t s_len) {
        return len == s_len && memcmp(name, s, len) == 0;
}

static int ini_noop(const char *section, const char *key, const char *value, unsigned line, void *userdata) {
        return 0;
}

/* Index of the first of key_values with the key of line (name, len), or -1. */
static ssize_t key_index(char *const *key_values, const size_t *key_len, const char *name, size_t len) {
        for (size_t i = 0; key_values[i]; i++)
                if (name_is(name, len, key_values[i], key_len[i]))
                        return (ssize_t) i;
        return -1;
}

/* Every KEY=VALUE of key_values with the key of key_values[first] and a value, in order. */
static void put_key(FILE *f, char *const *key_values, const size_t *key_len, size_t first) {
        for (size_t i = first; key_values[i]; i++)
                if (name_is(key_values[i], key_len[i], key_values[first], key_len[first]) &&
                    key_values[i][key_len[i] + 1])
                        fprintf(f, "%s\n", key_values[i]);
}

int settings_file_set_keys(const char *text, const char *section, char *const *key_values, char **ret_text) {
        _cleanup_free_ size_t *key_len = NULL;
        _cleanup_free_ bool *done = NULL;
        _cleanup_free_ char *out = NULL;
        size_t n_kv = strv_length(key_values), size = 0, section_len, line_no = 0;
        ssize_t insert_after = -1;
        bool in = false, any_value = false, last_blank = true;
        FILE *f;
        int r;

        /* Steps:
         * 1. check the section, the assignments and the text (it must read as a settings file)
         * 2. find where the section's last block ends, after its last assignment
         * 3. copy the text, a KEY's new lines in place of its first line and its other lines dropped
         * 4. the KEYs not found: after that last assignment, or in a new section at the end */
        text = text ?: "";
        key_values = key_values ?: (char *const *) STRV_MAKE(NULL);
        section_len = strlen(section);
        if (section_len == 0 || section_len >= 128 || strpbrk(section, "[]") || string_has_cc(section))
                return -EINVAL;
        if (strlen(text) > SETTINGS_FILE_SIZE_MAX)
                return -EFBIG;
        key_len = calloc(n_kv + 1, sizeof(size_t));
        done = calloc(n_kv + 1, sizeof(bool));
        if (!key_len || !done)
                return -ENOMEM;
        for (size_t i = 0; i < n_kv; i++) {
                const char *kv = key_values[i], *eq = strchr(kv, '=');

                /* A key as ini_parse() would read it back: no blanks, no comment or section start. */
                if (!eq || eq == kv || (size_t) (eq - kv) > 256 || memchr(kv, ' ', (size_t) (eq - kv)) ||
                    strchr("#;[", kv[0]) || string_has_cc(kv) || strlen(kv) > INI_LINE_MAX)
                        return -EINVAL;
                key_len[i] = (size_t) (eq - kv);
                any_value = any_value || eq[1];
        }
        r = ini_parse(text, ini_noop, NULL, NULL);
        if (r < 0)
                return r;

        for (const char *p = text; *p; line_no++) {
                const char *nl = strchrnul(p, '\n'), *name;
                size_t len;
                IniLineKind kind = ini_line_kind(p, (size_t) (nl - p), &name, &len);

                if (kind == INI_LINE_SECTION)
                        in = name_is(name, len, section, section_len);
                if (in && kind != INI_LINE_OTHER)
                        insert_after = (ssize_t) line_no;
                p = *nl ? nl + 1 : nl;
        }

        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        in = false;
        line_no = 0;
        for (const char *p = text; *p; line_no++) {
                const char *nl = strchrnul(p, '\n'), *name;
                size_t len, n = (size_t) (nl - p);
                IniLineKind kind = ini_line_kind(p, n, &name, &len);
                ssize_t k = -1;

                if (kind == INI_LINE_SECTION)
                        in = name_is(name, len, section, section_len);
                if (in && kind == INI_LINE_KEY)
                        k = key_index(key_values, key_len, name, len);
                if (k < 0) {
                        fwrite(p, 1, n, f);
                        fputc('\n', f);
                        last_blank = kind == INI_LINE_OTHER && strspn(p, " \t\r") == n;
                } else if (!done[k]) {
                        put_key(f, key_values, key_len, (size_t) k);
                        done[k] = true;
                }
                if ((ssize_t) line_no == insert_after)
                        for (size_t i = 0; i < n_kv; i++)
                                if (!done[i] && key_index(key_values, key_len, key_values[i], key_len[i]) ==
                                                        (ssize_t) i) {
                                        put_key(f, key_values, key_len, i);
                                        done[i] = true;
                                }
                p = *nl ? nl + 1 : nl;
        }
        if (insert_after < 0 && any_value) {
                fprintf(f, "%s[%s]\n", last_blank ? "" : "\n", section);
                for (size_t i = 0; i < n_kv; i++)
                        if (key_index(key_values, key_len, key_values[i], key_len[i]) == (ssize_t) i)
                                put_key(f, key_values, key_len, i);
        }
        if (fclose(f) != 0 || !out)
                return -ENOMEM;
        if (size > SETTINGS_FILE_SIZE_MAX)
                return -EFBIG;
        *ret_text = TAKE_PTR(out);
        return 0;
}
