#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "machine-name.h"
#include "parse-util.h"
#include "path-util.h"
#include "process-util.h"
#include "state.h"
#include "strv.h"

void machine_state_done(MachineState *s) {
        free(s->name);
        free(s->class);
        free(s->root);
        free(s->uuid);
        free(s->cgroup);
        free(s->unit);
        free(s->state);
        free(s->init);
        free(s->os);
        free(s->private_users);
        free(s->ownership);
        strv_free(s->syscall_allow);
        strv_free(s->syscall_deny);
        strv_free(s->cleanup_paths);
        *s = (MachineState){};
}

static int append(char **buf, size_t *len, const char *key, const char *value) {
        size_t kl = strlen(key), vl = strlen(value);
        char *n;

        /* One value per line: a newline would let a value forge another key. */
        if (strchr(value, '\n'))
                return -EINVAL;
        n = realloc(*buf, *len + kl + vl + 3);
        if (!n)
                return -ENOMEM;
        memcpy(n + *len, key, kl);
        n[*len + kl] = '=';
        memcpy(n + *len + kl + 1, value, vl);
        n[*len + kl + 1 + vl] = '\n';
        *len += kl + vl + 2;
        n[*len] = '\0';
        *buf = n;
        return 0;
}

static bool syscall_name_ok(const char *n) {
        if (isempty(n) || strlen(n) > 64)
                return false;
        for (const char *c = n + (n[0] == '@'); *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
                        return false;
        return true;
}

/* Syscall names and @groups, space-separated on one line. */
static int put_names(char **buf, size_t *len, const char *key, char **names) {
        _cleanup_free_ char *line = NULL;

        if (!names)
                return 0;
        STRV_FOREACH (n, names) {
                char *l;
                if (!syscall_name_ok(*n))
                        return -EINVAL;
                l = strjoin3(line ?: "", line ? " " : "", *n);
                if (!l)
                        return -ENOMEM;
                free(line);
                line = l;
        }
        return append(buf, len, key, line ?: "");
}

static int parse_names(const char *v, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (*ret)
                return -EBADMSG;
        r = split_escaped(v, ' ', 512, &l);
        if (r < 0)
                return -EBADMSG;
        STRV_FOREACH (n, l)
                if (!syscall_name_ok(*n))
                        return -EBADMSG;
        *ret = TAKE_PTR(l);
        return 0;
}

int machine_state_serialize(const MachineState *s, char **ret) {
        _cleanup_free_ char *buf = NULL;
        char num[32];
        size_t len = 0;
        int r;

        if (!machine_name_is_valid(s->name))
                return -EINVAL;
#define PUT(k, v)                             \
        do {                                  \
                r = append(&buf, &len, k, v); \
                if (r < 0)                    \
                        return r;             \
        } while (0)
#define PUT_NUM(k, fmt, v)                          \
        do {                                        \
                snprintf(num, sizeof(num), fmt, v); \
                PUT(k, num);                        \
        } while (0)

        PUT("NAME", s->name);
        PUT("CLASS", s->class ?: "container");
        if (s->root)
                PUT("ROOT", s->root);
        if (s->uuid)
                PUT("UUID", s->uuid);
        if (s->cgroup)
                PUT("CGROUP", s->cgroup);
        if (s->unit)
                PUT("UNIT", s->unit);
        if (s->state)
                PUT("STATE", s->state);
        if (s->init)
                PUT("INIT", s->init);
        if (s->os)
                PUT("OS", s->os);
        if (s->leader > 0) {
                PUT_NUM("LEADER", "%d", (int) s->leader);
                PUT_NUM("LEADER_STARTTIME", "%" PRIu64, s->leader_starttime);
        }
        if (s->monitor > 0) {
                PUT_NUM("MONITOR", "%d", (int) s->monitor);
                PUT_NUM("MONITOR_STARTTIME", "%" PRIu64, s->monitor_starttime);
        }
        PUT_NUM("SINCE_USEC", "%" PRIu64, s->since_usec);
        PUT_NUM("CAPABILITIES", "0x%" PRIx64, s->capabilities);
        r = put_names(&buf, &len, "SYSCALL_ALLOW", s->syscall_allow);
        if (r < 0)
                return r;
        r = put_names(&buf, &len, "SYSCALL_DENY", s->syscall_deny);
        if (r < 0)
                return r;
        if (s->no_new_privileges)
                PUT("NO_NEW_PRIVILEGES", "1");
        if (s->allow_nesting)
                PUT("ALLOW_NESTING", "1");
        if (s->uid_count > 0) {
                PUT("PRIVATE_USERS", s->private_users ?: "pick");
                PUT_NUM("UID_BASE", "%" PRIu32, s->uid_base);
                PUT_NUM("UID_COUNT", "%" PRIu32, s->uid_count);
                PUT("OWNERSHIP", s->ownership ?: "off");
        }
        STRV_FOREACH (p, s->cleanup_paths)
                PUT("CLEANUP", *p);
#undef PUT
#undef PUT_NUM
        if (!buf)
                return -EINVAL;
        /* What we write must be what we can read back. */
        if (len > MACHINE_STATE_SIZE_MAX)
                return -E2BIG;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int parse_pid(const char *v, pid_t *ret) {
        uint32_t u;
        int r = safe_atou32(v, &u);

        if (r < 0)
                return r;
        if (u == 0 || u > 4194304) /* PID_MAX_LIMIT */
                return -ERANGE;
        *ret = (pid_t) u;
        return 0;
}

static int set_string(char **field, const char *v) {
        char *c;

        if (*field) /* a key twice is a forged or broken file */
                return -EBADMSG;
        c = strdup(v);
        if (!c)
                return -ENOMEM;
        *field = c;
        return 0;
}

static int parse_hex64(const char *v, uint64_t *ret) {
        char *end;
        unsigned long long u;

        if (!strneq(v, "0x", 2) || !v[2])
                return -EBADMSG;
        errno = 0;
        u = strtoull(v + 2, &end, 16);
        if (errno != 0 || *end)
                return -EBADMSG;
        *ret = u;
        return 0;
}

/* A numeric key twice is a forged or broken file, like a string key twice. */
static int once(unsigned *seen, unsigned bit, int r) {
        if (*seen & bit)
                return -EBADMSG;
        *seen |= bit;
        return r;
}

int machine_state_parse(const char *text, MachineState *ret) {
        MachineState s = {};
        const char *p = text;
        unsigned seen = 0;
        int r = 0;

        if (strlen(text) > MACHINE_STATE_SIZE_MAX)
                return -EFBIG;

        while (*p) {
                const char *nl = strchrnul(p, '\n'), *eq;
                char line[PATH_MAX_BERTH + 64];
                size_t n = (size_t) (nl - p);
                const char *v;

                if (n >= sizeof(line)) {
                        r = -EBADMSG;
                        goto fail;
                }
                memcpy(line, p, n);
                line[n] = '\0';
                p = *nl ? nl + 1 : nl;
                if (n == 0 || line[0] == '#')
                        continue;
                eq = strchr(line, '=');
                if (!eq) {
                        r = -EBADMSG;
                        goto fail;
                }
                line[eq - line] = '\0';
                v = eq + 1;

                if (streq(line, "NAME"))
                        r = machine_name_is_valid(v) ? set_string(&s.name, v) : -EBADMSG;
                else if (streq(line, "CLASS"))
                        r = set_string(&s.class, v);
                else if (streq(line, "ROOT"))
                        r = set_string(&s.root, v);
                else if (streq(line, "UUID"))
                        r = set_string(&s.uuid, v);
                else if (streq(line, "CGROUP"))
                        r = path_is_normalized_absolute(v) ? set_string(&s.cgroup, v) : -EBADMSG;
                else if (streq(line, "UNIT"))
                        r = set_string(&s.unit, v);
                else if (streq(line, "STATE"))
                        r = set_string(&s.state, v);
                else if (streq(line, "INIT"))
                        r = set_string(&s.init, v);
                else if (streq(line, "OS"))
                        r = set_string(&s.os, v);
                else if (streq(line, "LEADER"))
                        r = once(&seen, 1, parse_pid(v, &s.leader));
                else if (streq(line, "LEADER_STARTTIME"))
                        r = once(&seen, 2, safe_atou64(v, &s.leader_starttime));
                else if (streq(line, "MONITOR"))
                        r = once(&seen, 4, parse_pid(v, &s.monitor));
                else if (streq(line, "MONITOR_STARTTIME"))
                        r = once(&seen, 8, safe_atou64(v, &s.monitor_starttime));
                else if (streq(line, "CAPABILITIES"))
                        r = once(&seen, 32, parse_hex64(v, &s.capabilities));
                else if (streq(line, "SINCE_USEC"))
                        r = once(&seen, 16, safe_atou64(v, &s.since_usec));
                else if (streq(line, "SYSCALL_ALLOW"))
                        r = parse_names(v, &s.syscall_allow);
                else if (streq(line, "SYSCALL_DENY"))
                        r = parse_names(v, &s.syscall_deny);
                else if (streq(line, "NO_NEW_PRIVILEGES"))
                        r = once(&seen, 64, streq(v, "1") ? (s.no_new_privileges = true, 0) : -EBADMSG);
                else if (streq(line, "ALLOW_NESTING"))
                        r = once(&seen, 128, streq(v, "1") ? (s.allow_nesting = true, 0) : -EBADMSG);
                else if (streq(line, "PRIVATE_USERS"))
                        r = set_string(&s.private_users, v);
                else if (streq(line, "OWNERSHIP"))
                        r = set_string(&s.ownership, v);
                else if (streq(line, "UID_BASE"))
                        r = once(&seen, 256, safe_atou32(v, &s.uid_base));
                else if (streq(line, "UID_COUNT"))
                        r = once(&seen, 512, safe_atou32(v, &s.uid_count));
                else if (streq(line, "CLEANUP"))
                        r = path_is_normalized_absolute(v) && strv_length(s.cleanup_paths) < 256
                                    ? strv_extend(&s.cleanup_paths, v)
                                    : -EBADMSG;
                else
                        r = 0; /* unknown keys from a newer berth are fine */
                if (r < 0) {
                        r = r == -ENOMEM ? r : -EBADMSG;
                        goto fail;
                }
        }
        if (!s.name) {
                r = -EBADMSG;
                goto fail;
        }
        *ret = s;
        return 0;
fail:
        machine_state_done(&s);
        return r;
}

static int state_subdir(const char *state_dir, const char *sub, char **ret) {
        char *d = strjoin3(state_dir, "/", sub);

        if (!d)
                return -ENOMEM;
        if (mkdir(state_dir, 0755) < 0 && errno != EEXIST) {
                free(d);
                return negative_errno();
        }
        if (mkdir(d, 0755) < 0 && errno != EEXIST) {
                free(d);
                return negative_errno();
        }
        *ret = d;
        return 0;
}

int machine_state_write(const char *state_dir, const MachineState *s) {
        _cleanup_free_ char *dir = NULL, *text = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        char tmp[MACHINE_NAME_MAX + 16];
        int r;

        r = machine_state_serialize(s, &text);
        if (r < 0)
                return r;
        r = state_subdir(state_dir, "machines", &dir);
        if (r < 0)
                return r;
        dfd = open(dir, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
        if (dfd < 0)
                return negative_errno();
        snprintf(tmp, sizeof(tmp), ".#%s.tmp", s->name);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        r = loop_write(fd, text, strlen(text));
        if (r < 0 || renameat(dfd, tmp, dfd, s->name) < 0) {
                r = r < 0 ? r : negative_errno();
                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        return 0;
}

int machine_state_load(const char *state_dir, const char *name, MachineState *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        int r;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        path = strjoin3(state_dir, "/machines/", name);
        if (!path)
                return -ENOMEM;
        r = read_small_file_at(AT_FDCWD, path, MACHINE_STATE_SIZE_MAX, &text, NULL);
        if (r < 0)
                return r;
        r = machine_state_parse(text, ret);
        if (r < 0)
                return r;
        if (!streq(ret->name, name)) {
                machine_state_done(ret);
                return -EBADMSG;
        }
        return 0;
}

int machine_state_remove(const char *state_dir, const char *name) {
        _cleanup_free_ char *path = NULL;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        path = strjoin3(state_dir, "/machines/", name);
        if (!path)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

int machine_lock(const char *state_dir, const char *name, int *ret_fd) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        int r;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        r = state_subdir(state_dir, "locks", &dir);
        if (r < 0)
                return r;
        path = strjoin3(dir, "/machine-", name);
        if (!path)
                return -ENOMEM;
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                _cleanup_close_ int fd = -EBADF;
                struct stat a, b;

                fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        return negative_errno();
                /* A flock dies with its last holder, so a SIGKILLed monitor never leaves a stale lock. */
                if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                        return errno == EWOULDBLOCK ? -EBUSY : negative_errno();
                /* The holder before us may have unlinked the file on its way out: then our lock is on a
                 * file nobody else will find, and we must take the new one. */
                if (fstat(fd, &a) < 0)
                        return negative_errno();
                if (stat(path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
                        continue;
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        return -EBUSY;
}

int image_lock(const char *state_dir, const char *path, bool exclusive, const char *holder, int *ret_fd,
               char **ret_holder) {
        _cleanup_free_ char *dir = NULL, *lock = NULL;
        _cleanup_close_ int fd = -EBADF;
        char name[96];
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return negative_errno();
        if (access("/run/systemd/system", F_OK) >= 0) {
                /* On a systemd host, the lock systemd-nspawn and machined take on an image, so that
                 * machinectl remove or an nspawn boot of it and berth refuse each other. */
                (void) mkdir("/run/systemd/nspawn", 0755);
                (void) mkdir("/run/systemd/nspawn/locks", 0700);
                snprintf(name, sizeof(name), "/run/systemd/nspawn/locks/inode-%lu:%lu",
                         (unsigned long) st.st_dev, (unsigned long) st.st_ino);
                lock = strdup(name);
        } else {
                r = state_subdir(state_dir, "locks", &dir);
                if (r < 0)
                        return r;
                snprintf(name, sizeof(name), "/image-%llu-%llu", (unsigned long long) st.st_dev,
                         (unsigned long long) st.st_ino);
                lock = strjoin3(dir, name, NULL);
        }
        if (!lock)
                return -ENOMEM;
        /* Open file description locks, as systemd's lock files are, so berth, nspawn and machined see
         * each other's; like a flock, one goes with the last fd of its holder. */
        for (unsigned attempt = 0;; attempt++) {
                struct flock fl = { .l_type = exclusive ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET };
                struct stat a, b;

                fd = safe_close(fd);
                fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
                if (fd < 0)
                        return negative_errno();
                if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
                        if (errno != EAGAIN && errno != EACCES)
                                return negative_errno();
                        if (ret_holder) {
                                char buf[MACHINE_NAME_MAX + 1];
                                ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
                                buf[n > 0 ? n : 0] = '\0';
                                *ret_holder = machine_name_is_valid(buf) ? strdup(buf) : NULL;
                        }
                        return -EBUSY;
                }
                /* systemd removes the file when it lets go of an exclusive lock: ours must be the file
                 * that is there now. */
                if (fstat(fd, &a) < 0)
                        return negative_errno();
                if (stat(lock, &b) >= 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                        break;
                if (attempt >= 16)
                        return -EBUSY;
        }
        /* Only an exclusive holder is alone: it says who it is. */
        if (exclusive && holder && machine_lock_note(fd, holder) < 0)
                return negative_errno();
        if (!exclusive && ftruncate(fd, 0) < 0 && errno != EBADF && errno != EINVAL)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int machine_lock_note(int fd, const char *note) {
        size_t n = strlen(note);

        if (ftruncate(fd, 0) < 0)
                return negative_errno();
        if (pwrite(fd, note, n, 0) != (ssize_t) n)
                return errno ? negative_errno() : -EIO;
        return 0;
}

int machine_lock_read_note(const char *state_dir, const char *name, char **ret) {
        _cleanup_free_ char *path = NULL;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        path = strjoin3(state_dir, "/locks/machine-", name);
        if (!path)
                return -ENOMEM;
        return read_small_file_at(AT_FDCWD, path, 4096, ret, NULL);
}

void machine_unlock(const char *state_dir, const char *name, int fd) {
        _cleanup_free_ char *path = NULL;

        if (fd < 0)
                return;
        /* Unlink while still holding the lock, so no one can take the old file after us. */
        path = strjoin3(state_dir, "/locks/machine-", name);
        if (path)
                (void) unlink(path);
        safe_close(fd);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int list_names(const char *state_dir, const char *sub, const char *prefix, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *path = NULL;
        size_t plen = strlen(prefix);
        DIR *d;
        struct dirent *de;
        int r = 0;

        path = strjoin3(state_dir, sub, NULL);
        if (!path)
                return -ENOMEM;
        d = opendir(path);
        if (!d) {
                if (errno != ENOENT)
                        return negative_errno();
                *ret = NULL;
                return 0;
        }
        while ((de = readdir(d))) {
                if (!strneq(de->d_name, prefix, plen) || !machine_name_is_valid(de->d_name + plen))
                        continue;
                r = strv_extend(&names, de->d_name + plen);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(names);
        return 0;
}

int machine_state_list(const char *state_dir, char ***ret) {
        return list_names(state_dir, "/machines", "", ret);
}

int machine_lock_list(const char *state_dir, char ***ret) {
        return list_names(state_dir, "/locks", "machine-", ret);
}

int machine_state_leader_alive(const MachineState *s) {
        uint64_t st;
        int r;

        if (s->leader <= 0)
                return 0;
        r = proc_pid_starttime(s->leader, &st);

        if (r == -ENOENT || r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        return st == s->leader_starttime;
}

static int open_checked(pid_t pid, uint64_t starttime, int *ret_pidfd) {
        _cleanup_close_ int fd = -EBADF;
        uint64_t st;
        int r;

        if (pid <= 0)
                return -ESRCH;
        fd = pidfd_open_pid(pid);
        if (fd < 0)
                return fd == -EINVAL ? -ESRCH : fd;
        /* Checked after opening: from here on the pidfd pins the process, so a PID recycled before the
         * open shows as a different start time and is refused. */
        r = proc_pid_starttime(pid, &st);
        if (r == -ENOENT || r == -ESRCH || (r >= 0 && st != starttime))
                return -ESRCH;
        if (r < 0)
                return r;
        *ret_pidfd = TAKE_FD(fd);
        return 0;
}

int machine_state_open_leader(const MachineState *s, int *ret_pidfd) {
        return open_checked(s->leader, s->leader_starttime, ret_pidfd);
}

int machine_state_open_monitor(const MachineState *s, int *ret_pidfd) {
        return open_checked(s->monitor, s->monitor_starttime, ret_pidfd);
}
