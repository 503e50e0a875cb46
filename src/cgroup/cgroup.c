#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cgroup.h"
#include "log.h"
#include "systemd-scope.h"
#include "fd-util.h"
#include "strv.h"

static bool is_cgroup2(const char *path) {
        struct statfs fs;
        return statfs(path, &fs) >= 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup2_mount_point(const char **ret) {
        static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                if (is_cgroup2(candidates[i])) {
                        *ret = candidates[i];
                        return 0;
                }
        return -EOPNOTSUPP;
}

static int cgroup_populated(const char *path) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int dfd = -EBADF;
        const char *p;
        int r;

        dfd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        r = read_small_file_at(dfd, "cgroup.events", 4096, &text, NULL);
        if (r < 0)
                return r;
        p = strstr(text, "populated ");
        if (!p)
                return -EBADMSG;
        return p[10] == '1';
}

static int remove_children(const char *path, unsigned depth) {
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > 32)
                return -ELOOP;
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        while ((de = readdir(d))) {
                _cleanup_free_ char *child = NULL;
                int k;

                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                child = strjoin3(path, "/", de->d_name);
                if (!child) {
                        r = -ENOMEM;
                        break;
                }
                k = remove_children(child, depth + 1);
                if (k >= 0 && rmdir(child) < 0 && errno != ENOENT)
                        k = negative_errno();
                if (k < 0 && r >= 0)
                        r = k;
        }
        closedir(d);
        return r;
}

/* The common case, with nothing left in it: a machine's scope holds just the payload and supervisor
 * cgroups, and rmdir refuses (EBUSY, ENOTEMPTY) whatever is still in use. */
static bool remove_quick(const char *path) {
        static const char *const children[] = { "/payload", "/supervisor" };

        for (size_t i = 0; i < ELEMENTSOF(children); i++) {
                _cleanup_free_ char *child = strjoin3(path, children[i], NULL);
                if (!child || (rmdir(child) < 0 && errno != ENOENT))
                        return false;
        }
        return rmdir(path) >= 0 || errno == ENOENT;
}

int cgroup_remove_tree(const char *path) {
        _cleanup_close_ int dfd = -EBADF;
        int r;

        if (remove_quick(path))
                return 0;
        dfd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : negative_errno();

        r = cgroup_populated(path);
        if (r > 0) {
                /* Everything left dies at once; processes leave the cgroup asynchronously, so wait
                 * (bounded) for it to drain. */
                r = write_string_file_at(dfd, "cgroup.kill", "1");
                if (r < 0)
                        return r;
                for (unsigned i = 0; i < 5000; i++) {
                        struct timespec ts = { .tv_nsec = 1000000 };
                        r = cgroup_populated(path);
                        if (r <= 0)
                                break;
                        nanosleep(&ts, NULL);
                }
                if (r > 0)
                        return -EBUSY;
        }
        r = remove_children(path, 0);
        if (r < 0)
                return r;
        if (rmdir(path) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

int cgroup_delegate(int cgroup_fd, uid_t uid, gid_t gid) {
        /* What systemd hands a delegate (Delegate=yes): the directory, so it can make children, and the
         * files that move processes and enable controllers beneath it. Limits stay the host's. */
        static const char *const files[] = { "cgroup.procs", "cgroup.threads", "cgroup.subtree_control" };

        if (fchownat(cgroup_fd, "", uid, gid, AT_EMPTY_PATH) < 0)
                return negative_errno();
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (fchownat(cgroup_fd, files[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
                        return negative_errno();
        return 0;
}

int cgroup_kill(const char *path) {
        _cleanup_close_ int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        return write_string_file_at(fd, "cgroup.kill", "1");
}

/* The controllers accounting wants wherever the host offers them, limits or not. */
#define CGROUP_ACCOUNTING \
        (CGROUP_CONTROLLER_CPU | CGROUP_CONTROLLER_IO | CGROUP_CONTROLLER_MEMORY | CGROUP_CONTROLLER_PIDS)

static CgroupController controller_from_name(const char *name, size_t n) {
        for (CgroupController c = 1; c & _CGROUP_CONTROLLER_ALL; c <<= 1) {
                const char *s = cgroup_controller_to_string(c);
                if (s && strlen(s) == n && strneq(s, name, n))
                        return c;
        }
        return 0;
}

static CgroupController parse_controllers(const char *text) {
        CgroupController mask = 0;

        for (const char *p = text; *p;) {
                size_t n = strcspn(p, " \n");
                mask |= controller_from_name(p, n);
                p += n;
                p += strspn(p, " \n");
        }
        return mask;
}

static int read_controllers_at(int dfd, const char *file, CgroupController *ret) {
        _cleanup_free_ char *text = NULL;
        int r = read_small_file_at(dfd, file, 4096, &text, NULL);

        if (r < 0)
                return r;
        *ret = parse_controllers(text);
        return 0;
}

int cgroup_available_controllers(CgroupController *ret) {
        _cleanup_close_ int fd = -EBADF;
        const char *mp;
        int r = cgroup2_mount_point(&mp);

        if (r < 0)
                return r;
        fd = open(mp, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return read_controllers_at(fd, "cgroup.controllers", ret);
}

/* Where a v1 hierarchy has the controller: its mount point, from /proc/self/mountinfo. */
static char *v1_mount_of(const char *controller) {
        _cleanup_free_ char *text = NULL;
        size_t n = strlen(controller);

        if (read_small_file_at(AT_FDCWD, "/proc/self/mountinfo", 1024 * 1024, &text, NULL) < 0)
                return NULL;
        for (char *line = text, *next; line && *line; line = next) {
                char *sep, *fields[4] = {}, *save = NULL, *tok;
                unsigned i = 0;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = 0;
                /* mount point is field 5 before the separator; fstype, source, options after it. */
                tok = strtok_r(line, " ", &save);
                for (unsigned k = 0; tok && k < 4; k++)
                        tok = strtok_r(NULL, " ", &save);
                if (!tok)
                        continue;
                fields[0] = tok;
                for (tok = strtok_r(sep + 3, " ", &save); tok && i < 3; tok = strtok_r(NULL, " ", &save))
                        fields[++i] = tok;
                if (i < 3 || !streq(fields[1], "cgroup"))
                        continue;
                for (const char *o = fields[3]; *o;) {
                        size_t k = strcspn(o, ",");
                        if (k == n && strneq(o, controller, n))
                                return strdup(fields[0]);
                        o += k;
                        o += strspn(o, ",");
                }
        }
        return NULL;
}

/* Why the controller cannot be had in the cgroup2 tree: one clause. */
static char *controller_missing_reason(const char *controller, const char *mp) {
        _cleanup_free_ char *v1 = v1_mount_of(controller), *cgroups = NULL;
        char *reason = NULL;
        int enabled = -1;

        if (v1) {
                if (asprintf(&reason, "is bound to a cgroup v1 hierarchy on this host (%s)", v1) < 0)
                        return NULL;
                return reason;
        }
        if (read_small_file_at(AT_FDCWD, "/proc/cgroups", 64 * 1024, &cgroups, NULL) >= 0)
                for (char *line = cgroups; line && *line;
                     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                        size_t n = strcspn(line, "\t ");
                        unsigned h, c, e;
                        if (n == strlen(controller) && strneq(line, controller, n) &&
                            sscanf(line + n, "%u %u %u", &h, &c, &e) == 3)
                                enabled = (int) e;
                }
        if (enabled < 0)
                reason = strdup("is not in this kernel");
        else if (enabled == 0)
                reason = strdup("is disabled on this host's kernel command line (cgroup_disable=)");
        else if (asprintf(&reason,
                          "is not offered in the cgroup2 tree at %s (not in its cgroup.controllers)",
                          mp) < 0)
                reason = NULL;
        return reason;
}

static const char *option_of_key(const char *key, size_t n) {
        for (const CgroupLimitOption *o = cgroup_limit_options; o->option; o++)
                if (strlen(o->key) == n && strneq(o->key, key, n))
                        return o->option;
        return NULL;
}

int cgroup_check_limits_supported(const CgroupLimits *l, char **ret_error) {
        _cleanup_strv_free_ char **lines = NULL;
        CgroupController needed = cgroup_limits_controllers(l), available = 0, missing;
        CgroupHostFacts facts = {};
        const char *mp;
        int r;

        if (!needed)
                return 0;
        r = cgroup2_mount_point(&mp);
        if (r < 0) {
                if (ret_error)
                        *ret_error =
                                strdup("resource limits need a cgroup2 file system, and this host has none");
                return -EOPNOTSUPP;
        }
        r = cgroup_available_controllers(&available);
        if (r < 0)
                return r;
        missing = needed & ~available;
        if (!missing)
                return 0;

        /* Name the first limit that needs a missing controller, as the user wrote it. */
        r = cgroup_limits_to_strv(l, &lines);
        if (r < 0)
                return r;
        (void) cgroup_host_facts(&facts);
        STRV_FOREACH (line, lines) {
                _cleanup_free_ char *reason = NULL;
                CgroupLimits one;
                CgroupController c;
                size_t klen = strcspn(*line, "=");
                _cleanup_free_ char *key = strndup(*line, klen);
                const char *option = option_of_key(*line, klen);

                if (!key)
                        return -ENOMEM;
                cgroup_limits_init(&one);
                r = cgroup_limit_set(&one, key, *line + klen + (*(*line + klen) ? 1 : 0), &facts, NULL);
                c = r >= 0 ? cgroup_limits_controllers(&one) & missing : 0;
                cgroup_limits_done(&one);
                if (!c)
                        continue;
                c &= -c; /* one controller */
                reason = controller_missing_reason(cgroup_controller_to_string(c), mp);
                if (ret_error &&
                    asprintf(ret_error,
                             "--%s (%s=) needs the %s controller, which %s: berth cannot enforce it "
                             "(a host with a pure cgroup v2 hierarchy can, e.g. booted with "
                             "systemd.unified_cgroup_hierarchy=1)",
                             option ?: key, key, cgroup_controller_to_string(c),
                             reason ?: "is not available") < 0)
                        *ret_error = NULL;
                return -EOPNOTSUPP;
        }
        return -EOPNOTSUPP;
}

/* Enables the wanted controllers for the children of the cgroup at dfd, one at a time, so one the host
 * refuses does not take the others with it; a required one that fails is an error. */
static int enable_controllers(int dfd, CgroupController wanted, CgroupController required,
                              CgroupController *ret_enabled) {
        CgroupController have = 0;
        int r;

        r = read_controllers_at(dfd, "cgroup.subtree_control", &have);
        if (r < 0)
                return r;
        for (CgroupController c = 1; c & _CGROUP_CONTROLLER_ALL; c <<= 1) {
                char buf[32];
                if (!(wanted & c) || (have & c))
                        continue;
                snprintf(buf, sizeof(buf), "+%s", cgroup_controller_to_string(c));
                r = write_string_file_at(dfd, "cgroup.subtree_control", buf);
                if (r >= 0)
                        have |= c;
                else if (required & c)
                        return r;
        }
        if (ret_enabled)
                *ret_enabled = have;
        return 0;
}

int cgroup_of_pid(pid_t pid, char **ret) {
        _cleanup_free_ char *text = NULL;
        char proc[64], *p, *e;
        const char *mp;
        int r;

        r = cgroup2_mount_point(&mp);
        if (r < 0)
                return r;
        if (pid > 0)
                snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int) pid);
        else
                snprintf(proc, sizeof(proc), "/proc/self/cgroup");
        r = read_small_file_at(AT_FDCWD, proc, 64 * 1024, &text, NULL);
        if (r < 0)
                return r;
        /* The cgroup2 line, "0::/machine.slice/…", after the v1 hierarchies' lines on a hybrid host. */
        p = strncmp(text, "0::", 3) == 0 ? text : strstr(text, "\n0::");
        if (!p)
                return -ENOENT;
        p += p[0] == '\n' ? 4 : 3;
        e = strchr(p, '\n');
        if (e)
                *e = 0;
        if (p[0] != '/' || strstr(p, " (deleted)"))
                return -ENOENT;
        *ret = strjoin3(mp, streq(p, "/") ? "" : p, NULL);
        return *ret ? 0 : -ENOMEM;
}

static int move_self_at(int dfd) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%d", (int) getpid());
        return write_string_file_at(dfd, "cgroup.procs", buf);
}

static int move_self_to(const char *path) {
        _cleanup_close_ int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return negative_errno();
        return move_self_at(fd);
}

/* Removes the slice directories berth made on the way to a scope, deepest first, as long as they are
 * empty: another machine's scope keeps its slice. */
static void remove_empty_slices(const char *mp, const char *slice_path) {
        _cleanup_free_ char *path = strjoin3(mp, "/", slice_path);

        while (path && strlen(path) > strlen(mp)) {
                char *slash;
                if (rmdir(path) < 0)
                        return;
                slash = strrchr(path, '/');
                if (!slash)
                        return;
                *slash = 0;
        }
}

/* The same for the slices above the scope at scope_path (absolute). */
static void remove_empty_slices_above(const char *mp, const char *scope_path) {
        _cleanup_free_ char *parent = strdup(scope_path);
        char *slash = parent ? strrchr(parent, '/') : NULL;

        if (slash && strneq(parent, mp, strlen(mp)) && slash > parent + strlen(mp)) {
                *slash = 0;
                remove_empty_slices(mp, parent + strlen(mp) + 1);
        }
}

static int set_errorf(char **ret_error, int r, const char *what, const char *path) {
        if (ret_error && asprintf(ret_error, "cannot %s '%s': %s", what, path, strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

/* Fills the scope in: the supervisor child with the monitor in it, the controllers for the children. */
/* Fills the scope in: the supervisor child, the controllers for the children. The monitor moves into
 * the supervisor now when it is in the scope already (systemd put it there: a cgroup with processes of
 * its own cannot give its children controllers); otherwise later, see cgroup_scope_move_monitor(). */
static int scope_populate(CgroupScope *s, bool monitor_inside, CgroupController wanted,
                          CgroupController needed, char **ret_error) {
        int r;

        if (mkdirat(s->fd, "supervisor", 0755) < 0 && errno != EEXIST)
                return set_errorf(ret_error, negative_errno(), "create the supervisor cgroup in", s->path);
        if (monitor_inside) {
                r = cgroup_scope_move_monitor(s);
                if (r < 0)
                        return set_errorf(ret_error, r, "move berth's monitor into", s->path);
        }
        r = enable_controllers(s->fd, wanted, needed, &s->enabled);
        if (r < 0)
                return set_errorf(ret_error, r, "enable the controllers the limits need in", s->path);
        return 0;
}

int cgroup_scope_move_monitor(CgroupScope *s) {
        _cleanup_close_ int sup = -EBADF;
        int r;

        if (s->monitor_moved)
                return 0;
        sup = openat(s->fd, "supervisor", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (sup < 0)
                return negative_errno();
        r = move_self_at(sup);
        if (r < 0)
                return r;
        s->monitor_moved = true;
        return 0;
}

static int scope_create_systemd(const char *name, const char *slice_path, const CgroupLimits *limits,
                                CgroupController wanted, CgroupController needed, const char *mp,
                                CgroupScope *s, char **ret_error) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *unit = strjoin3("berth-", name, ".scope"), *description = NULL;
        const char *slice = strrchr(slice_path, '/') ? strrchr(slice_path, '/') + 1 : slice_path;
        CgroupController offered = 0;
        int r;

        if (!unit)
                return -ENOMEM;
        r = bus_connect_systemd(&bus);
        if (r < 0) {
                log_debug_errno(r,
                                "systemd's bus cannot be reached (%m): berth manages the cgroups itself.");
                return -ENOMEDIUM;
        }
        description = strjoin3("berth machine ", name, NULL);
        if (!description)
                return -ENOMEM;
        r = systemd_scope_start(bus, unit, slice, description, getpid(), limits, ret_error);
        if (r < 0)
                return r;
        s->unit = TAKE_PTR(unit);
        r = cgroup_of_pid(0, &s->path);
        if (r < 0)
                return set_errorf(ret_error, r, "find the cgroup systemd made for", s->unit);
        s->fd = open(s->path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (s->fd < 0)
                return set_errorf(ret_error, negative_errno(), "open", s->path);
        (void) read_controllers_at(s->fd, "cgroup.controllers", &offered);
        return scope_populate(s, true, wanted & offered, needed, ret_error);
}

static bool is_unit_cgroup(const char *name) {
        static const char *const suffixes[] = { ".service", ".scope" };

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t n = strlen(name), k = strlen(suffixes[i]);
                if (n > k && streq(name + n - k, suffixes[i]))
                        return true;
        }
        return false;
}

/* --keep-unit: the cgroup berth runs in is a unit its manager made for it and delegated (berth@NAME.service,
 * Delegate=yes), and that unit is the machine's scope. The monitor moves into its supervisor child at once
 * (a cgroup with processes of its own cannot give its children controllers). */
static int scope_keep_unit(const CgroupLimits *limits, CgroupController wanted, CgroupController needed,
                           const char *mp, CgroupScope *s, char **ret_error) {
        CgroupController offered = 0;
        const char *last, *file = NULL;
        int r;

        r = cgroup_of_pid(0, &s->path);
        if (r < 0)
                return set_errorf(ret_error, r, "find berth's own cgroup under", mp);
        last = strrchr(s->path, '/');
        if (!last || strlen(s->path) <= strlen(mp) || !is_unit_cgroup(last + 1)) {
                if (ret_error &&
                    asprintf(ret_error,
                             "--keep-unit: berth runs in the cgroup '%s', which is no service or "
                             "scope of its own (run it from a unit with Delegate=yes, such as "
                             "berth@NAME.service, or without --keep-unit)",
                             s->path) < 0)
                        *ret_error = NULL;
                return -EOPNOTSUPP;
        }
        s->unit = strdup(last + 1);
        if (!s->unit)
                return -ENOMEM;
        s->fd = open(s->path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (s->fd < 0)
                return set_errorf(ret_error, negative_errno(), "open", s->path);
        (void) read_controllers_at(s->fd, "cgroup.controllers", &offered);
        r = scope_populate(s, true, wanted & offered, needed, ret_error);
        if (r < 0 || cgroup_limits_is_empty(limits))
                return r;
        r = cgroup_limits_write(limits, s->fd, &file);
        if (r < 0 && ret_error &&
            asprintf(ret_error, "cannot write %s of '%s': %s", file ?: "a limit", s->path, strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

/* Walks from the cgroup2 mount down the relative path, enabling the wanted controllers for the children
 * of each cgroup on the way and of the last one (an error only for those needed); with create, makes the
 * cgroups that are not there. Returns the last one's fd in ret_fd, if given. */
static int walk_enabling(const char *mp, const char *path, CgroupController wanted, CgroupController needed,
                         bool create, int *ret_fd, char **ret_error) {
        _cleanup_free_ char *walk = strdup(path);
        _cleanup_close_ int dfd = -EBADF;
        char *save = NULL;
        int r;

        if (!walk)
                return -ENOMEM;
        dfd = open(mp, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (dfd < 0)
                return set_errorf(ret_error, negative_errno(), "open", mp);
        for (char *c = strtok_r(walk, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next;

                if (streq(c, ".."))
                        return -EINVAL;
                r = enable_controllers(dfd, wanted, needed, NULL);
                if (r < 0)
                        return set_errorf(ret_error, r, "enable the controllers the limits need above", c);
                if (create && mkdirat(dfd, c, 0755) < 0 && errno != EEXIST)
                        return set_errorf(ret_error, negative_errno(), "create the slice", c);
                next = openat(dfd, c, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                if (next < 0)
                        return set_errorf(ret_error, negative_errno(), "open the cgroup", c);
                safe_close(dfd);
                dfd = next;
        }
        r = enable_controllers(dfd, wanted, needed, NULL);
        if (r < 0)
                return set_errorf(ret_error, r, "enable the controllers the limits need in", path);
        if (ret_fd)
                *ret_fd = TAKE_FD(dfd);
        return 0;
}

static int scope_create_own(const char *name, const char *slice_path, const CgroupLimits *limits,
                            CgroupController wanted, CgroupController needed, const char *mp, CgroupScope *s,
                            char **ret_error) {
        _cleanup_free_ char *unit = strjoin3("berth-", name, ".scope");
        _cleanup_close_ int dfd = -EBADF;
        const char *file = NULL;
        int r;

        if (!unit)
                return -ENOMEM;
        r = cgroup_of_pid(0, &s->home);
        if (r < 0)
                return set_errorf(ret_error, r, "find berth's own cgroup under", mp);
        if (asprintf(&s->path, "%s/%s/%s", mp, slice_path, unit) < 0) {
                s->path = NULL;
                return -ENOMEM;
        }
        /* The last machine of a slice removes the slice on its way out: one that goes between our
         * mkdir of the slice and of the scope makes the scope's mkdir fail with ENOENT, and a file of the
         * removed slice (cgroup.subtree_control, while enabling controllers) fail with ENODEV; walk
         * again. */
        for (unsigned attempt = 0;; attempt++) {
                r = walk_enabling(mp, slice_path, wanted, needed, true, &dfd, ret_error);
                if ((r == -ENOENT || r == -ENODEV) && attempt < 16) {
                        if (ret_error)
                                *ret_error = mfree(*ret_error);
                        continue;
                }
                if (r < 0) {
                        s->path = mfree(s->path);
                        return r;
                }
                if (mkdirat(dfd, unit, 0755) >= 0)
                        break;
                r = negative_errno();
                dfd = safe_close(dfd);
                if (r == -ENOENT && attempt < 16)
                        continue;
                s->path = mfree(s->path);
                if (r == -EEXIST)
                        return -EEXIST;
                return set_errorf(ret_error, r, "create the cgroup", unit);
        }
        s->fd = openat(dfd, unit, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (s->fd < 0)
                return set_errorf(ret_error, negative_errno(), "open", s->path);
        r = scope_populate(s, false, wanted, needed, ret_error);
        if (r < 0)
                return r;
        r = cgroup_limits_write(limits, s->fd, &file);
        if (r < 0 && ret_error &&
            asprintf(ret_error, "cannot write %s of '%s': %s", file ?: "a limit", s->path, strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

static const char *const manager_names[_CGROUP_MANAGER_MAX] = {
        [CGROUP_MANAGER_AUTO] = "auto",
        [CGROUP_MANAGER_SYSTEMD] = "systemd",
        [CGROUP_MANAGER_BERTH] = "berth",
};

const char *cgroup_manager_to_string(CgroupManager m) {
        return m >= 0 && m < _CGROUP_MANAGER_MAX ? manager_names[m] : NULL;
}

CgroupManager cgroup_manager_from_string(const char *s) {
        for (int i = 0; s && i < _CGROUP_MANAGER_MAX; i++)
                if (streq(s, manager_names[i]))
                        return (CgroupManager) i;
        return _CGROUP_MANAGER_INVALID;
}

int cgroup_scope_create(const char *name, const char *slice_path, const CgroupLimits *limits,
                        CgroupManager manager, bool keep_unit, CgroupScope *ret, char **ret_error) {
        CgroupScope s = CGROUP_SCOPE_NULL;
        CgroupController needed = cgroup_limits_controllers(limits), available = 0, wanted;
        const char *mp;
        int r;

        r = cgroup2_mount_point(&mp);
        if (r < 0)
                return r;
        (void) cgroup_available_controllers(&available);
        wanted = (needed | CGROUP_ACCOUNTING) & available;
        if (keep_unit) {
                r = scope_keep_unit(limits, wanted, needed, mp, &s, ret_error);
                if (r < 0) {
                        /* The unit's cgroup is its manager's: only what berth made in it goes. */
                        if (s.path && s.monitor_moved)
                                (void) move_self_to(s.path);
                        if (s.fd >= 0)
                                (void) unlinkat(s.fd, "supervisor", AT_REMOVEDIR);
                        cgroup_scope_done(&s);
                        return r;
                }
                *ret = s;
                return 0;
        }
        r = -ENOMEDIUM;
        if (manager != CGROUP_MANAGER_BERTH)
                r = scope_create_systemd(name, slice_path, limits, wanted, needed, mp, &s, ret_error);
        if (r == -ENOMEDIUM && manager == CGROUP_MANAGER_SYSTEMD) {
                if (ret_error)
                        *ret_error =
                                strdup("--cgroup-manager=systemd: systemd is not this host's init, or its "
                                       "bus cannot be reached (use --cgroup-manager=auto or berth)");
                return -EOPNOTSUPP;
        }
        if (r == -ENOMEDIUM) {
                cgroup_scope_done(&s);
                s = (CgroupScope) CGROUP_SCOPE_NULL;
                r = scope_create_own(name, slice_path, limits, wanted, needed, mp, &s, ret_error);
        }
        if (r < 0) {
                if (!s.unit) {
                        if (s.home && s.monitor_moved)
                                (void) move_self_to(s.home);
                        if (s.path)
                                (void) cgroup_remove_tree(s.path);
                        remove_empty_slices(mp, slice_path);
                }
                /* A systemd scope holding only the monitor goes when the monitor exits. */
                cgroup_scope_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

int cgroup_scope_make_payload(CgroupScope *s, const CgroupLimits *limits, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        const char *file = NULL;
        int r;

        if (mkdirat(s->fd, "payload", 0755) < 0)
                return negative_errno();
        fd = openat(s->fd, "payload", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = cgroup_limits_write_payload(limits, fd, &file);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int cgroup_scope_remove_payload(CgroupScope *s) {
        _cleanup_free_ char *payload = NULL;

        if (!s->path)
                return 0;
        payload = strjoin3(s->path, "/payload", NULL);
        return payload ? cgroup_remove_tree(payload) : -ENOMEM;
}

int cgroup_scope_destroy(CgroupScope *s) {
        const char *mp;
        int r;

        if (!s->path) {
                cgroup_scope_done(s);
                return 0;
        }
        r = cgroup_scope_remove_payload(s);
        if (r >= 0 && !s->unit) {
                if (s->monitor_moved && move_self_to(s->home) < 0 && cgroup2_mount_point(&mp) >= 0)
                        (void) move_self_to(mp);
                r = cgroup_remove_tree(s->path);
                if (r >= 0 && cgroup2_mount_point(&mp) >= 0)
                        remove_empty_slices_above(mp, s->path);
        }
        cgroup_scope_done(s);
        return r;
}

int cgroup_enable_along(const char *scope_path, CgroupController needed) {
        const char *mp;
        int r;

        if (!needed)
                return 0;
        r = cgroup2_mount_point(&mp);
        if (r < 0)
                return r;
        if (!strneq(scope_path, mp, strlen(mp)) || scope_path[strlen(mp)] != '/')
                return -EINVAL;
        return walk_enabling(mp, scope_path + strlen(mp) + 1, needed, needed, false, NULL, NULL);
}

int cgroup_remove_stale_scope(const char *path) {
        const char *mp;
        int r;

        r = cgroup_remove_tree(path);
        if (r < 0 || sd_booted() > 0 || cgroup2_mount_point(&mp) < 0)
                return r;
        remove_empty_slices_above(mp, path);
        return 0;
}

void cgroup_scope_done(CgroupScope *s) {
        s->path = mfree(s->path);
        s->unit = mfree(s->unit);
        s->home = mfree(s->home);
        s->fd = safe_close(s->fd);
}
