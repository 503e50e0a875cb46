/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * escape-probe: runs inside a machine and tries, harmlessly, the ways out that a machine must not have.
 * It prints one line per probe and always exits 0; the test harness judges:
 *
 *   ok NAME[: detail]       the way out is closed
 *   ESCAPE NAME: detail     it is open
 *   skip NAME: reason       this kernel lacks what the probe needs
 *
 * Usage:
 *   escape-probe [--abstract NAME] [--host-path PATH]... [PROBE...]   (no PROBE: all of them)
 *   escape-probe --list                    the probe names, one a line
 *   escape-probe --listen-abstract NAME    the harness's listener for abstract-socket (on the host)
 *
 * It must not hurt a host when it runs there as real root without any isolation (a machine without a
 * user namespace is just that), so:
 *   - tunables are only opened O_WRONLY and closed, never written;
 *   - every remount and unmount happens in a child that first made itself a private copy of the mount
 *     namespace (unshare(CLONE_NEWNS), then MS_REC|MS_PRIVATE: nothing propagates back); the one
 *     unmount test in the caller's own namespace is umount2(MNT_EXPIRE), whose first call only marks a
 *     mount and answers EAGAIN, and the mark is cleared again at once;
 *   - the new mounts of fresh-procfs and fresh-sysfs go on a directory of their own under /tmp (in the
 *     caller's namespace too: that is what they test) and are unmounted again;
 *   - the one remount that reaches a super block (plain MS_REMOUNT, which can only clear read-only
 *     where that is the escape being reported) sets it read-only again afterwards;
 *   - device nodes and directories are made in /tmp, /dev/shm or /dev and removed again.
 *
 * Static, libc only: it is built with `cc -static` and bound into machines of any distribution.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

#define PROC_SUPER_MAGIC_ 0x9fa0
#define SYSFS_MAGIC_      0x62656572
#define CAP_SYS_ADMIN_    21

/* The inode numbers the kernel gives the initial namespaces (include/linux/proc_ns.h). The mount and
 * network ones are fixed only on newer kernels; older ones give them a dynamic number. */
#define INIT_INO_MNT    0xEFFFFFF8U
#define INIT_INO_NET    0xEFFFFFF9U
#define INIT_INO_CGROUP 0xEFFFFFFBU
#define INIT_INO_PID    0xEFFFFFFCU
#define INIT_INO_USER   0xEFFFFFFDU
#define INIT_INO_UTS    0xEFFFFFFEU
#define INIT_INO_IPC    0xEFFFFFFFU

#define ELEMENTSOF(a)  (sizeof(a) / sizeof((a)[0]))
#define MAX_MOUNTS     512
#define MAX_HOST_PATHS 16

typedef enum { VERDICT_OK, VERDICT_ESCAPE, VERDICT_SKIP } Verdict;

/* What a probe found (ways out) and noted (what it tried, and how that was refused). It lives in
 * shared memory when a child fills it in. */
typedef struct {
        Verdict verdict;
        char found[2048];
        char noted[2048];
} Result;

typedef struct {
        const char *abstract_name;
        const char *host_paths[MAX_HOST_PATHS];
        size_t n_host_paths;
} Options;

/* ---------------------------------------------------------------------------------------------------
 * Small helpers */

static const char *errname(int e) {
        const char *n = strerrorname_np(e);
        return n ? n : "E?";
}

static void vappend(char *buf, size_t size, const char *fmt, va_list ap) {
        size_t len = strlen(buf);
        if (len + 8 >= size)
                return;
        if (len > 0) {
                strcpy(buf + len, "; ");
                len += 2;
        }
        vsnprintf(buf + len, size - len, fmt, ap);
}

/* note: what was tried and how it was refused; does not change the verdict. */
static void note(Result *r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vappend(r->noted, sizeof(r->noted), fmt, ap);
        va_end(ap);
}

/* escape: a way out; several accumulate. */
static void escape(Result *r, const char *fmt, ...) {
        va_list ap;
        r->verdict = VERDICT_ESCAPE;
        va_start(ap, fmt);
        vappend(r->found, sizeof(r->found), fmt, ap);
        va_end(ap);
}

static void skip_because(Result *r, const char *fmt, ...) {
        va_list ap;
        r->verdict = VERDICT_SKIP;
        r->noted[0] = 0;
        va_start(ap, fmt);
        vappend(r->noted, sizeof(r->noted), fmt, ap);
        va_end(ap);
}

/* merge: a child's result into its probe's, each part under a prefix. */
static void merge(Result *r, const Result *sub, const char *prefix) {
        if (sub->found[0])
                escape(r, "%s%s", prefix, sub->found);
        if (sub->noted[0])
                note(r, "%s%s", prefix, sub->noted);
}

static void emit(const char *name, const Result *r) {
        static const char *const words[] = { "ok", "ESCAPE", "skip" };
        char line[sizeof(r->found) + sizeof(r->noted) + 16];

        /* The findings first (the harness reads uid-map's from the start), then what else was seen. */
        if (r->verdict == VERDICT_ESCAPE)
                snprintf(line, sizeof(line), "%s%s%s%s", r->found, r->noted[0] ? " (also: " : "", r->noted,
                         r->noted[0] ? ")" : "");
        else
                snprintf(line, sizeof(line), "%s", r->noted);
        /* One line per probe, whatever a detail holds. */
        for (char *c = line; *c; c++)
                if (*c == '\n' || *c == '\r')
                        *c = ' ';
        if (line[0])
                printf("%s %s: %s\n", words[r->verdict], name, line);
        else
                printf("%s %s\n", words[r->verdict], name);
        fflush(stdout);
}

/* read_text: a small file (proc, sys) into buf, NUL-terminated; -errno on failure. */
static ssize_t read_text(const char *path, char *buf, size_t size) {
        size_t len = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        while (len + 1 < size) {
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = 0;
        close(fd);
        return (ssize_t) len;
}

/* ns_inode: the inode number of /proc/PID/ns/NAME (PID may be "self"); 0 when it cannot be read. */
static unsigned long ns_inode(const char *pid, const char *name) {
        char path[96], link[64];
        unsigned long ino = 0;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, name);
        n = readlink(path, link, sizeof(link) - 1);
        if (n < 0)
                return 0;
        link[n] = 0;
        if (sscanf(link, "%*[^[][%lu]", &ino) != 1)
                return 0;
        return ino;
}

/* Runs fn in a forked child, with the Result in shared memory. With private_mounts, the child first
 * makes a private copy of the mount namespace, so whatever it mounts or unmounts stays its own; when it
 * cannot, fn does not run and the reason is noted. Returns 0 when fn ran to the end. A child that dies
 * of a signal (a crash, or the alarm of a hung call) counts as an escape, "not judged". */
typedef void (*ChildFn)(Result *r, void *arg);

static int run_child(Result *out, bool private_mounts, ChildFn fn, void *arg) {
        Result *shared;
        pid_t pid;
        int status, ret = 0;

        shared = mmap(NULL, sizeof(Result), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED) {
                note(out, "mmap: %s", errname(errno));
                return -1;
        }
        *shared = *out;
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
                note(out, "fork: %s", errname(errno));
                munmap(shared, sizeof(Result));
                return -1;
        }
        if (pid == 0) {
                alarm(20); /* a probe that hangs must not hang the suite */
                if (private_mounts) {
                        if (unshare(CLONE_NEWNS) < 0) {
                                note(shared, "unshare(CLONE_NEWNS): %s", errname(errno));
                                _exit(3);
                        }
                        /* Without this, a host's shared mounts would carry our unmounts back to it. */
                        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                                note(shared,
                                     "cannot make the copied mount namespace private (%s): not trying",
                                     errname(errno));
                                _exit(4);
                        }
                }
                fn(shared, arg);
                _exit(0);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = -1;
                        break;
                }
        *out = *shared;
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                /* A probe that did not finish proved nothing: that must not read as "ok". */
                if (status != -1 && WIFSIGNALED(status))
                        escape(out, "not judged: the probe's child died of signal %d%s", WTERMSIG(status),
                               WTERMSIG(status) == SIGALRM ? " (it hung)" : "");
                else if (status == -1)
                        escape(out, "not judged: cannot wait for the probe's child");
                ret = -1;
        }
        munmap(shared, sizeof(Result));
        return ret;
}

/* opens_for_writing: whether PATH opens O_WRONLY (closed at once, never written) as the real file of a
 * proc or sysfs instance: a mask (/dev/null bound over it, or an empty tmpfs) does not count. Returns 1
 * when writable, 0 when not (errno says why; ENOENT: absent), -1 for a mask. */
static int opens_for_writing(const char *path) {
        struct statfs sf;
        int fd, e;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return 0;
        if (fstatfs(fd, &sf) < 0) {
                e = errno;
                close(fd);
                errno = e;
                return 0;
        }
        close(fd);
        if (sf.f_type != PROC_SUPER_MAGIC_ && sf.f_type != SYSFS_MAGIC_) {
                errno = 0;
                return -1;
        }
        return 1;
}

/* ---------------------------------------------------------------------------------------------------
 * /proc/self/mountinfo */

typedef struct {
        char *field[48];
        int n;
} MountLine;

/* Undoes the kernel's octal escapes (\040 for a space, \011, \012, \134) in place. */
static void unescape(char *s) {
        char *w = s;
        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *w++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else
                        *w++ = *p;
        }
        *w = 0;
}

/* Reads /proc/self/mountinfo into a buffer the caller frees; sets *lines to the parsed lines. */
static char *read_mountinfo(MountLine **ret_lines, size_t *ret_n) {
        size_t cap = 1 << 20, n = 0, max = 4096;
        char *buf = malloc(cap), *save = NULL;
        MountLine *lines = calloc(max, sizeof(MountLine));
        ssize_t len;

        if (!buf || !lines) {
                free(buf);
                free(lines);
                return NULL;
        }
        len = read_text("/proc/self/mountinfo", buf, cap);
        if (len < 0) {
                free(buf);
                free(lines);
                errno = (int) -len;
                return NULL;
        }
        for (char *l = strtok_r(buf, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save)) {
                MountLine *m = &lines[n];
                char *fsave = NULL;
                for (char *f = strtok_r(l, " ", &fsave); f && m->n < (int) ELEMENTSOF(m->field);
                     f = strtok_r(NULL, " ", &fsave)) {
                        unescape(f);
                        m->field[m->n++] = f;
                }
                if (m->n >= 10) /* id parent major:minor root mountpoint options ... - type source super */
                        n++;
                else
                        m->n = 0;
        }
        *ret_lines = lines;
        *ret_n = n;
        return buf;
}

static bool strictly_under(const char *path, const char *dir) {
        size_t l = strlen(dir);
        return strncmp(path, dir, l) == 0 && path[l] == '/' && path[l + 1];
}

/* mount_fstype: the file system type of a mountinfo line (the field after the "-" separator). */
static const char *mount_fstype(const MountLine *m) {
        for (int f = 6; f + 1 < m->n; f++)
                if (strcmp(m->field[f], "-") == 0)
                        return m->field[f + 1];
        return "";
}

/* The kinds of mounts a machine manager puts under /proc and /sys: proc and sysfs binds (read-only
 * parts), tmpfs (masked directories), /dev/null binds (masked files, from devtmpfs or a tmpfs /dev),
 * cgroup file systems. Anything else there (fusectl, configfs, binfmt_misc, ...) is what a booted guest's
 * init mounted itself: unmounting its own mount is no escape. */
static bool manager_fstype(const char *t) {
        static const char *const kinds[] = {
                "proc", "sysfs", "tmpfs", "devtmpfs", "cgroup2", "cgroup", NULL
        };
        for (const char *const *k = kinds; *k; k++)
                if (strcmp(t, *k) == 0)
                        return true;
        return false;
}

/* The mount points strictly beneath /proc and /sys that the machine manager made, in mountinfo order
 * (parents before children). The others go to ret_others (a note), when given. */
static size_t masked_mount_points(char (*ret)[PATH_MAX], size_t max, Result *ret_others) {
        MountLine *lines;
        size_t n_lines, n = 0;
        char *buf = read_mountinfo(&lines, &n_lines);

        if (!buf)
                return 0;
        for (size_t i = 0; i < n_lines && n < max; i++) {
                const char *mp = lines[i].field[4];
                if (!strictly_under(mp, "/proc") && !strictly_under(mp, "/sys"))
                        continue;
                if (manager_fstype(mount_fstype(&lines[i])))
                        snprintf(ret[n++], PATH_MAX, "%s", mp);
                else if (ret_others)
                        note(ret_others, "%s (%s)", mp, mount_fstype(&lines[i]));
        }
        free(buf);
        free(lines);
        return n;
}

/* ---------------------------------------------------------------------------------------------------
 * uid-map, cap-host */

typedef struct {
        unsigned long inside, outside, count;
} MapLine;

/* Parses a uid_map/gid_map; returns the number of lines (up to max) or -errno. */
static int read_map(const char *path, MapLine *ret, int max) {
        char buf[4096], *save = NULL;
        ssize_t len = read_text(path, buf, sizeof(buf));
        int n = 0;

        if (len < 0)
                return (int) len;
        for (char *l = strtok_r(buf, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
                if (sscanf(l, "%lu %lu %lu", &ret[n].inside, &ret[n].outside, &ret[n].count) == 3)
                        n++;
        return n;
}

static bool map_is_identity(const MapLine *m, int n) {
        return n == 1 && m[0].inside == 0 && m[0].outside == 0 && m[0].count == 4294967295UL;
}

/* A line that maps some id here onto id 0 of the parent user namespace. */
static const MapLine *map_reaches_root(const MapLine *m, int n) {
        for (int i = 0; i < n; i++)
                if (m[i].outside == 0 && m[i].count > 0)
                        return &m[i];
        return NULL;
}

static void probe_uid_map(Result *r, const Options *o) {
        MapLine u[340], g[340];
        int nu = read_map("/proc/self/uid_map", u, (int) ELEMENTSOF(u));
        int ng = read_map("/proc/self/gid_map", g, (int) ELEMENTSOF(g));
        const MapLine *root;
        char first[96], lead[100];

        (void) o;
        if (nu == -ENOENT) {
                skip_because(r, "no /proc/self/uid_map (a kernel without user namespaces)");
                return;
        }
        if (nu <= 0) {
                escape(r, "cannot read /proc/self/uid_map (%s)", nu < 0 ? errname(-nu) : "empty");
                return;
        }
        /* Either way the line starts with the first uid_map line: the harness compares its base with
         * what berth reports. */
        snprintf(first, sizeof(first), "%lu %lu %lu", u[0].inside, u[0].outside, u[0].count);
        if (map_is_identity(u, nu))
                escape(r, "%s: the uid map is the host's identity, root here is root on the host", first);
        else if ((root = map_reaches_root(u, nu)))
                escape(r, "%s: uid %lu here is uid 0 of the parent user namespace", first, root->inside);

        /* gid findings only lead the line when the uid map had none. */
        snprintf(lead, sizeof(lead), "%s: ", first);
        if (r->verdict == VERDICT_ESCAPE)
                lead[0] = 0;
        if (ng <= 0)
                escape(r, "%scannot read /proc/self/gid_map (%s)", lead, ng < 0 ? errname(-ng) : "empty");
        else if (map_is_identity(g, ng))
                escape(r, "%sthe gid map is the host's identity", lead);
        else if ((root = map_reaches_root(g, ng)))
                escape(r, "%sgid %lu here is gid 0 of the parent user namespace", lead, root->inside);
        else if (r->verdict == VERDICT_OK)
                note(r, "%s gid %lu %lu %lu", first, g[0].inside, g[0].outside, g[0].count);
}

static void probe_cap_host(Result *r, const Options *o) {
        char status[8192], *p;
        unsigned long long cap_eff = 0;
        unsigned long user_ino = ns_inode("self", "user");
        MapLine u[8];
        int nu = read_map("/proc/self/uid_map", u, (int) ELEMENTSOF(u));
        bool initial = user_ino == INIT_INO_USER || (nu > 0 && map_is_identity(u, nu));
        ssize_t len;

        (void) o;
        len = read_text("/proc/self/status", status, sizeof(status));
        if (len < 0 || !(p = strstr(status, "\nCapEff:")) || sscanf(p + 8, "%llx", &cap_eff) != 1) {
                escape(r, "cannot read CapEff from /proc/self/status (%s)",
                       len < 0 ? errname((int) -len) : "?");
                return;
        }
        if (initial && (cap_eff & (1ULL << CAP_SYS_ADMIN_)))
                escape(r, "CAP_SYS_ADMIN (CapEff %llx) in the initial user namespace (user:[%lu]%s)",
                       cap_eff, user_ino, nu > 0 && map_is_identity(u, nu) ? ", identity uid map" : "");
        else
                note(r, "user:[%lu]%s, CapEff %llx", user_ino,
                     initial ? " (initial, without CAP_SYS_ADMIN)" : "", cap_eff);
}

/* ---------------------------------------------------------------------------------------------------
 * remount-proc-sys, remount-sys */

typedef struct {
        const char *path;         /* the read-only mount */
        const char *const *files; /* files that open O_WRONLY if the mount turns writable */
        int how;                  /* 0: MS_REMOUNT|MS_BIND, 1: MS_REMOUNT, 2: mount_setattr */
} RemountArgs;

/* super_read_only: whether the super block of the topmost mount on PATH is read-only (the "ro" of the
 * super options, the last field of its mountinfo line). */
static bool super_read_only(const char *path) {
        MountLine *lines;
        size_t n_lines;
        char *buf = read_mountinfo(&lines, &n_lines);
        bool ro = false;

        if (!buf)
                return false;
        for (size_t i = 0; i < n_lines; i++)
                if (strcmp(lines[i].field[4], path) == 0) {
                        const char *o = lines[i].field[lines[i].n - 1];
                        ro = strncmp(o, "ro", 2) == 0 && (o[2] == 0 || o[2] == ',');
                }
        free(buf);
        free(lines);
        return ro;
}

static const char *const proc_sys_files[] = { "/proc/sys/vm/overcommit_memory",
                                              "/proc/sys/kernel/randomize_va_space", NULL };
static const char *const sys_files[] = { "/sys/kernel/uevent_helper", "/sys/power/state",
                                         "/sys/kernel/mm/transparent_hugepage/enabled",
                                         "/sys/kernel/profiling", NULL };
static const char *const remount_names[] = { "MS_REMOUNT|MS_BIND", "MS_REMOUNT",
                                             "mount_setattr(clear RDONLY)" };

/* writable_now: whether PATH is no longer a read-only mount, or one of FILES opens for writing. The
 * reason goes to why. */
static bool writable_now(const char *path, const char *const *files, char *why, size_t size) {
        struct statvfs sv;

        if (statvfs(path, &sv) == 0 && !(sv.f_flag & ST_RDONLY)) {
                snprintf(why, size, "%s is not read-only", path);
                return true;
        }
        for (const char *const *f = files; *f; f++)
                if (opens_for_writing(*f) == 1) {
                        snprintf(why, size, "%s opens for writing", *f);
                        return true;
                }
        return false;
}

static void child_remount(Result *r, void *arg) {
        const RemountArgs *a = arg;
        struct statvfs sv;
        unsigned long keep = 0;
        char why[512];
        bool sb_was_ro = false;
        int ret;

        /* Keep nosuid, nodev and noexec as they are: the only flag under test is read-only. */
        if (statvfs(a->path, &sv) == 0) {
                if (sv.f_flag & ST_NOSUID)
                        keep |= MS_NOSUID;
                if (sv.f_flag & ST_NODEV)
                        keep |= MS_NODEV;
                if (sv.f_flag & ST_NOEXEC)
                        keep |= MS_NOEXEC;
        }
        if (a->how == 0)
                ret = mount(NULL, a->path, NULL, MS_REMOUNT | MS_BIND | keep, NULL);
        else if (a->how == 1) {
                /* This one reaches the super block, which the rest of the machine shares: when it turns
                 * it writable, it is made read-only again once judged. */
                sb_was_ro = super_read_only(a->path);
                ret = mount(NULL, a->path, NULL, MS_REMOUNT | keep, NULL);
        } else {
                struct {
                        uint64_t attr_set, attr_clr, propagation, userns_fd;
                } attr = { .attr_clr = MOUNT_ATTR_RDONLY };
                ret = (int) syscall(SYS_mount_setattr, AT_FDCWD, a->path, AT_SYMLINK_NOFOLLOW, &attr,
                                    sizeof(attr));
        }
        if (ret < 0) {
                note(r, "%s: %s", remount_names[a->how], errname(errno));
                return;
        }
        if (writable_now(a->path, a->files, why, sizeof(why)))
                escape(r, "%s of %s succeeded: %s", remount_names[a->how], a->path, why);
        else
                note(r, "%s succeeded, but %s stays read-only", remount_names[a->how], a->path);
        if (sb_was_ro && !super_read_only(a->path) &&
            mount(NULL, a->path, NULL, MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
                note(r, "cannot make the super block of %s read-only again: %s", a->path, errname(errno));
}

static void probe_remount(Result *r, const char *path, const char *const *files) {
        char why[512];
        struct stat st;

        if (stat(path, &st) < 0) {
                skip_because(r, "no %s", path);
                return;
        }
        if (writable_now(path, files, why, sizeof(why))) {
                escape(r, "before any remount: %s", why);
                return;
        }
        /* The super block remount last: it would make the others' results meaningless. */
        for (int i = 0; i < 3; i++) {
                static const int order[] = { 0, 2, 1 };
                RemountArgs a = { .path = path, .files = files, .how = order[i] };
                Result sub = { 0 };

                /* Without a private copy of the mount namespace the detail says so, and nothing ran. */
                run_child(&sub, true, child_remount, &a);
                merge(r, &sub, "");
        }
}

static void probe_remount_proc_sys(Result *r, const Options *o) {
        (void) o;
        probe_remount(r, "/proc/sys", proc_sys_files);
}

static void probe_remount_sys(Result *r, const Options *o) {
        (void) o;
        probe_remount(r, "/sys", sys_files);
}

/* ---------------------------------------------------------------------------------------------------
 * umount-masks */

static void child_umount(Result *r, void *arg) {
        char(*mps)[PATH_MAX];
        size_t n, refused = 0;
        int first_errno = 0;
        Result gone = { 0 }, others = { 0 };

        (void) arg;
        mps = calloc(MAX_MOUNTS, PATH_MAX);
        if (!mps) {
                note(r, "out of memory");
                return;
        }
        n = masked_mount_points(mps, MAX_MOUNTS, &others);
        if (others.noted[0])
                note(r, "not judged, the guest's own kind of mount: %s", others.noted);
        /* Children before parents: a parent with mounts on it is busy. */
        for (size_t i = n; i > 0; i--) {
                const char *p = mps[i - 1];
                if (umount2(p, UMOUNT_NOFOLLOW) == 0)
                        note(&gone, "%s", p);
                else if (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                        note(&gone, "%s (MNT_DETACH)", p);
                else {
                        if (!first_errno)
                                first_errno = errno;
                        refused++;
                }
        }
        if (gone.noted[0])
                escape(r, "in a new mount namespace, unmounted %s", gone.noted);
        else
                note(r, "new mount namespace: %zu of %zu mounts refused (%s)", refused, n,
                     first_errno ? errname(first_errno) : "-");
        free(mps);
}

/* forget_expiry: any use of a mount clears the mark umount2(MNT_EXPIRE) sets; an O_PATH open and
 * close is such a use. */
static void forget_expiry(const char *path) {
        int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                close(fd);
}

static void child_umount_own(Result *r, void *arg) {
        char(*mps)[PATH_MAX];
        size_t n, permitted = 0;
        int first_errno = 0;
        Result allowed = { 0 };

        (void) arg;
        mps = calloc(MAX_MOUNTS, PATH_MAX);
        if (!mps) {
                note(r, "out of memory");
                return;
        }
        n = masked_mount_points(mps, MAX_MOUNTS, NULL);
        /* In the machine's own mount namespace nothing is really unmounted: MNT_EXPIRE runs every
         * permission check (CAP_SYS_ADMIN over the namespace, MNT_LOCKED) and then, on a mount that
         * carries no expiry mark, only sets the mark and answers EAGAIN (or EBUSY when the mount is in
         * use). The mark is cleared before and after, so the call never finds one. */
        for (size_t i = n; i > 0; i--) {
                const char *p = mps[i - 1];
                int ret, e;

                forget_expiry(p);
                ret = umount2(p, MNT_EXPIRE | UMOUNT_NOFOLLOW);
                e = errno;
                forget_expiry(p);
                if (ret == 0)
                        escape(r, "unmounted %s in the machine's own mount namespace", p);
                else if (e == EAGAIN || e == EBUSY) {
                        note(&allowed, "%s (%s)", p, errname(e));
                        permitted++;
                } else if (!first_errno)
                        first_errno = e;
        }
        if (permitted > 0)
                escape(r, "in the machine's own mount namespace, umount2(MNT_EXPIRE) is allowed on %s",
                       allowed.noted);
        else
                note(r, "own mount namespace: %zu of %zu refused (%s)", n - permitted, n,
                     first_errno ? errname(first_errno) : "-");
        free(mps);
}

static void probe_umount_masks(Result *r, const Options *o) {
        Result own = { 0 }, copy = { 0 };

        (void) o;
        run_child(&copy, true, child_umount, NULL);
        run_child(&own, false, child_umount_own, NULL);
        merge(r, &copy, "");
        merge(r, &own, "");
}

/* ---------------------------------------------------------------------------------------------------
 * fresh-procfs, fresh-sysfs */

typedef struct {
        const char *type;
        const char *dir;
        const char *const *writable; /* relative to the new mount: must not open for writing */
        const char *const *readable; /* relative: masked in the machine, must not open for reading */
} FreshArgs;

static const char *const fresh_proc_writable[] = { "sys/kernel/core_pattern", "sysrq-trigger",
                                                   "sys/vm/drop_caches", "sys/kernel/modprobe", NULL };
static const char *const fresh_proc_readable[] = { "kcore", NULL };
static const char *const fresh_sys_writable[] = { "kernel/uevent_helper", "power/state",
                                                  "kernel/mm/transparent_hugepage/enabled", NULL };
static const char *const fresh_sys_readable[] = { NULL };

static void child_fresh_mount(Result *r, void *arg) {
        const FreshArgs *a = arg;
        char path[PATH_MAX];
        bool any = false;

        if (mount(a->type, a->dir, a->type, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
                note(r, "mount: %s", errname(errno));
                return;
        }
        for (const char *const *f = a->writable; *f; f++) {
                snprintf(path, sizeof(path), "%s/%s", a->dir, *f);
                if (opens_for_writing(path) == 1) {
                        escape(r, "%s opens for writing", *f);
                        any = true;
                }
        }
        for (const char *const *f = a->readable; *f; f++) {
                int fd;
                snprintf(path, sizeof(path), "%s/%s", a->dir, *f);
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd >= 0) {
                        escape(r, "%s opens for reading", *f);
                        any = true;
                        close(fd);
                }
        }
        if (!any)
                note(r, "mounted but nothing writable");
        if (umount2(a->dir, MNT_DETACH) < 0)
                note(r, "cannot unmount it again: %s", errname(errno));
}

static void probe_fresh(Result *r, const char *type, const char *const *writable,
                        const char *const *readable) {
        char dir[64] = "/tmp/berth-escape-probe.XXXXXX";
        FreshArgs a = { .type = type, .writable = writable, .readable = readable };
        Result own = { 0 }, copy = { 0 };

        if (!mkdtemp(dir)) {
                strcpy(dir, "/dev/shm/berth-escape-probe.XXXXXX");
                if (!mkdtemp(dir)) {
                        note(r, "no directory to mount on: %s", errname(errno));
                        return;
                }
        }
        a.dir = dir;
        run_child(&own, false, child_fresh_mount, &a);
        run_child(&copy, true, child_fresh_mount, &a);
        if (rmdir(dir) < 0)
                note(r, "cannot remove %s: %s", dir, errname(errno));
        if (own.found[0])
                escape(r, "a new %s in the machine's own mount namespace: %s", type, own.found);
        if (copy.found[0])
                escape(r, "a new %s after unshare(CLONE_NEWNS): %s", type, copy.found);
        if (own.noted[0])
                note(r, "own mount namespace: %s", own.noted);
        if (copy.noted[0])
                note(r, "new mount namespace: %s", copy.noted);
}

static void probe_fresh_procfs(Result *r, const Options *o) {
        (void) o;
        probe_fresh(r, "proc", fresh_proc_writable, fresh_proc_readable);
}

static void probe_fresh_sysfs(Result *r, const Options *o) {
        (void) o;
        probe_fresh(r, "sysfs", fresh_sys_writable, fresh_sys_readable);
}

/* ---------------------------------------------------------------------------------------------------
 * host-tunables */

static void probe_host_tunables(Result *r, const Options *o) {
        static const char *const tunables[] = {
                "/proc/sys/kernel/core_pattern",
                "/proc/sys/kernel/modprobe",
                "/proc/sysrq-trigger",
                "/proc/sys/vm/drop_caches",
                "/sys/kernel/uevent_helper",
                "/sys/power/state",
                "/proc/sys/kernel/randomize_va_space",
                "/proc/sys/fs/binfmt_misc/register",
        };

        (void) o;
        for (size_t i = 0; i < ELEMENTSOF(tunables); i++) {
                int w = opens_for_writing(tunables[i]);
                if (w == 1)
                        escape(r, "%s opens for writing", tunables[i]);
                else if (w < 0)
                        note(r, "%s masked", tunables[i]);
                else if (errno == ENOENT)
                        note(r, "%s absent", tunables[i]);
                else
                        note(r, "%s %s", tunables[i], errname(errno));
        }
}

/* ---------------------------------------------------------------------------------------------------
 * nested-userns, userfaultfd, io-uring */

static void child_unshare_user(Result *r, void *arg) {
        (void) arg;
        if (unshare(CLONE_NEWUSER) == 0)
                escape(r, "unshare(CLONE_NEWUSER) succeeded");
        else
                note(r, "unshare: %s", errname(errno));
}

/* A fork-like clone (no new stack) whose child leaves at once; returns the errno, or 0 on success. */
static int try_clone(bool clone3) {
        long pid;
        int status;

        if (clone3) {
                struct {
                        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
                } args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
                pid = syscall(SYS_clone3, &args, sizeof(args));
        } else
                pid = syscall(SYS_clone, (unsigned long) (CLONE_NEWUSER | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
        if (pid < 0)
                return errno;
        if (pid == 0)
                syscall(SYS_exit_group, 0);
        while (waitpid((pid_t) pid, &status, 0) < 0 && errno == EINTR)
                ;
        return 0;
}

static void probe_nested_userns(Result *r, const Options *o) {
        Result sub = { 0 };
        int e;

        (void) o;
        run_child(&sub, false, child_unshare_user, NULL);
        merge(r, &sub, "");
        e = try_clone(false);
        if (e == 0)
                escape(r, "clone(CLONE_NEWUSER) succeeded");
        else
                note(r, "clone: %s", errname(e));
        /* Filters cannot look into clone3()'s arguments: it has to be refused as a whole. */
        e = try_clone(true);
        if (e == 0)
                escape(r, "clone3(CLONE_NEWUSER) succeeded");
        else
                note(r, "clone3: %s", errname(e));
}

static void probe_userfaultfd(Result *r, const Options *o) {
        static const struct {
                int flags;
                const char *name;
        } tries[] = { { O_CLOEXEC, "userfaultfd(O_CLOEXEC)" },
                      { O_CLOEXEC | 1, "userfaultfd(UFFD_USER_MODE_ONLY)" } };

        (void) o;
        for (size_t i = 0; i < ELEMENTSOF(tries); i++) {
                long fd = syscall(SYS_userfaultfd, tries[i].flags);
                if (fd >= 0) {
                        escape(r, "%s returned an fd", tries[i].name);
                        close((int) fd);
                } else
                        note(r, "%s: %s", tries[i].name, errname(errno));
        }
}

static void probe_io_uring(Result *r, const Options *o) {
        /* struct io_uring_params is 120 bytes; zero asks for nothing special. */
        uint32_t params[30] = { 0 };
        long fd;

        (void) o;
        fd = syscall(SYS_io_uring_setup, 1, params);
        if (fd >= 0) {
                escape(r, "io_uring_setup returned an fd");
                close((int) fd);
        } else
                note(r, "io_uring_setup: %s", errname(errno));
}

/* ---------------------------------------------------------------------------------------------------
 * mknod-block */

static void add_candidate(dev_t *c, size_t *n, size_t max, dev_t d) {
        if (major(d) == 0) /* an anonymous device (tmpfs, overlayfs, ...): no block node behind it */
                return;
        for (size_t i = 0; i < *n; i++)
                if (c[i] == d)
                        return;
        if (*n < max)
                c[(*n)++] = d;
}

static void probe_mknod_block(Result *r, const Options *o) {
        static const char *const dirs[] = { "/dev", "/tmp", "/dev/shm" };
        dev_t cand[12];
        size_t n = 0;
        MountLine *lines;
        size_t n_lines;
        char *buf, parts[8192], *save = NULL;
        bool made = false;

        (void) o;
        /* The block device behind the machine's root, then the host's disks as /proc/partitions lists
         * them, then the usual first disks (sda, dm-0, nvme0n1, vda). */
        buf = read_mountinfo(&lines, &n_lines);
        if (buf) {
                for (size_t i = 0; i < n_lines; i++) {
                        unsigned ma, mi;
                        if (strcmp(lines[i].field[4], "/") == 0 &&
                            sscanf(lines[i].field[2], "%u:%u", &ma, &mi) == 2)
                                add_candidate(cand, &n, ELEMENTSOF(cand), makedev(ma, mi));
                }
                free(buf);
                free(lines);
        }
        if (read_text("/proc/partitions", parts, sizeof(parts)) > 0)
                for (char *l = strtok_r(parts, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        unsigned ma, mi;
                        if (sscanf(l, " %u %u", &ma, &mi) == 2 && n < 8)
                                add_candidate(cand, &n, ELEMENTSOF(cand), makedev(ma, mi));
                }
        add_candidate(cand, &n, ELEMENTSOF(cand), makedev(8, 0));
        add_candidate(cand, &n, ELEMENTSOF(cand), makedev(253, 0));
        add_candidate(cand, &n, ELEMENTSOF(cand), makedev(259, 0));
        add_candidate(cand, &n, ELEMENTSOF(cand), makedev(254, 0));

        for (size_t d = 0; d < ELEMENTSOF(dirs); d++) {
                int mknod_errno = 0, open_errno = 0;
                for (size_t i = 0; i < n; i++) {
                        char node[PATH_MAX], block[512];
                        int fd;

                        snprintf(node, sizeof(node), "%s/.berth-escape-probe-%d", dirs[d], (int) getpid());
                        if (mknod(node, S_IFBLK | 0600, cand[i]) < 0) {
                                if (!mknod_errno)
                                        mknod_errno = errno;
                                continue;
                        }
                        made = true;
                        fd = open(node, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        if (fd < 0) {
                                if (!open_errno)
                                        open_errno = errno;
                        } else {
                                if (read(fd, block, sizeof(block)) == (ssize_t) sizeof(block))
                                        escape(r, "read block device %u:%u through %s", major(cand[i]),
                                               minor(cand[i]), node);
                                else if (!open_errno)
                                        open_errno = errno;
                                close(fd);
                        }
                        unlink(node);
                }
                if (r->verdict != VERDICT_ESCAPE) {
                        if (mknod_errno && !open_errno)
                                note(r, "%s: mknod %s", dirs[d], errname(mknod_errno));
                        else
                                note(r, "%s: mknod allowed, open %s", dirs[d],
                                     open_errno ? errname(open_errno) : "-");
                }
        }
        if (r->verdict != VERDICT_ESCAPE && made)
                note(r, "tried %zu devices", n);
}

/* ---------------------------------------------------------------------------------------------------
 * abstract-socket */

static socklen_t abstract_address(const char *name, struct sockaddr_un *sa) {
        size_t l = strlen(name);
        if (l > sizeof(sa->sun_path) - 1)
                l = sizeof(sa->sun_path) - 1;
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        memcpy(sa->sun_path + 1, name, l);
        return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + l);
}

static void probe_abstract_socket(Result *r, const Options *o) {
        struct sockaddr_un sa;
        socklen_t len;
        int fd;

        if (!o->abstract_name) {
                skip_because(r, "no --abstract NAME given");
                return;
        }
        len = abstract_address(o->abstract_name, &sa);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                note(r, "socket: %s", errname(errno));
                return;
        }
        if (connect(fd, (struct sockaddr *) &sa, len) == 0)
                escape(r, "connected to the host's abstract socket @%s", o->abstract_name);
        else
                note(r, "@%s: %s", o->abstract_name, errname(errno));
        close(fd);
}

static int listen_abstract(const char *name) {
        struct sockaddr_un sa;
        socklen_t len = abstract_address(name, &sa);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, len) < 0 || listen(fd, 16) < 0) {
                fprintf(stderr, "escape-probe: cannot listen on @%s: %s\n", name, strerror(errno));
                return 1;
        }
        alarm(1800); /* never outlive a forgotten harness by long */
        for (;;) {
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                if (c >= 0)
                        close(c);
        }
}

/* ---------------------------------------------------------------------------------------------------
 * host-paths */

static void probe_host_paths(Result *r, const Options *o) {
        MountLine *lines;
        size_t n_lines;
        char *buf;
        Result documented = { 0 };

        if (o->n_host_paths == 0) {
                skip_because(r, "no --host-path given");
                return;
        }
        buf = read_mountinfo(&lines, &n_lines);
        if (!buf) {
                escape(r, "cannot read /proc/self/mountinfo (%s)", errname(errno));
                return;
        }
        for (size_t i = 0; i < n_lines; i++) {
                const MountLine *m = &lines[i];
                bool in_root = false;
                for (int f = 0; f < m->n; f++)
                        for (size_t h = 0; h < o->n_host_paths; h++) {
                                const char *p = o->host_paths[h];
                                if (!strstr(m->field[f], p))
                                        continue;
                                /* Field 4 (the root of the mount within its file system) is how the
                                 * kernel names a bind mount's source: documented, not a leak. */
                                if (f == 3)
                                        in_root = true;
                                else
                                        escape(r, "mountinfo field %d of the mount on %s shows %s: %s",
                                               f + 1, m->field[4], p, m->field[f]);
                                break;
                        }
                if (in_root)
                        note(&documented, "%s (on %s)", m->field[3], m->field[4]);
        }
        if (r->verdict != VERDICT_ESCAPE)
                note(r, "documented root fields: %s", documented.noted[0] ? documented.noted : "none");
        free(buf);
        free(lines);
}

/* ---------------------------------------------------------------------------------------------------
 * chroot-break, leaked-fds, host-namespaces, host-exe */

static bool same_inode(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void child_chroot_break(Result *r, void *arg) {
        const char *dir = arg;
        struct stat before, after;

        /* The classic: chroot somewhere below while the working directory stays above, walk up with
         * "..", and chroot to wherever that ends. With the host's root detached it ends at our root. */
        if (stat("/", &before) < 0 || chdir("/") < 0) {
                note(r, "cannot stat /: %s", errname(errno));
                return;
        }
        if (chroot(dir) < 0) {
                note(r, "chroot: %s", errname(errno));
                return;
        }
        for (int i = 0; i < 256; i++)
                if (chdir("..") < 0)
                        break;
        if (chroot(".") < 0) {
                note(r, "second chroot: %s", errname(errno));
                return;
        }
        if (stat("/", &after) < 0) {
                note(r, "cannot stat the new /: %s", errname(errno));
                return;
        }
        if (!same_inode(&before, &after))
                escape(r, "walked above the machine's root to %u:%u inode %lu", major(after.st_dev),
                       minor(after.st_dev), (unsigned long) after.st_ino);
        else
                note(r, "the walk up ends at the machine's root");
}

static void probe_chroot_break(Result *r, const Options *o) {
        char dir[] = "/tmp/berth-escape-probe.XXXXXX";

        (void) o;
        if (!mkdtemp(dir)) {
                skip_because(r, "cannot make a directory in /tmp: %s", errname(errno));
                return;
        }
        run_child(r, false, child_chroot_break, dir);
        rmdir(dir);
}

/* outside_root: walks ".." up from the directory FD. Returns true when the walk ends at a top that is
 * not our root: FD leads out of the machine. */
static bool outside_root(int fd, const struct stat *root) {
        struct stat st, up;
        int cur = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        bool out = false;

        for (int i = 0; cur >= 0 && i < 4096; i++) {
                int next;
                if (fstat(cur, &st) < 0 || same_inode(&st, root))
                        break;
                next = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (next < 0)
                        break;
                if (fstat(next, &up) == 0 && same_inode(&st, &up)) {
                        out = true; /* a top of its own: not ours */
                        close(next);
                        break;
                }
                close(cur);
                cur = next;
        }
        if (cur >= 0)
                close(cur);
        return out;
}

/* check_dir_link: opens PATH (a /proc magic link) as a directory and reports it when it leads out. */
static void check_dir_link(Result *r, const char *path, const struct stat *root, size_t *n_checked) {
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return; /* not a directory, gone, or not ours to look at */
        (*n_checked)++;
        if (outside_root(fd, root)) {
                char target[256] = "";
                ssize_t l = readlink(path, target, sizeof(target) - 1);
                if (l > 0)
                        target[l] = 0;
                escape(r, "%s leads out of the machine's root (%s)", path, target);
        }
        close(fd);
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

static void probe_leaked_fds(Result *r, const Options *o) {
        struct stat root;
        char cwd[PATH_MAX], path[600];
        DIR *proc;
        struct dirent *de;
        size_t n_procs = 0, n_checked = 0;

        (void) o;
        if (stat("/", &root) < 0) {
                note(r, "cannot stat /: %s", errname(errno));
                return;
        }
        /* The kernel marks a working directory outside the root in getcwd()'s answer. */
        if (getcwd(cwd, sizeof(cwd)) && strncmp(cwd, "(unreachable)", 13) == 0)
                escape(r, "the working directory is outside the root: %s", cwd);
        /* Every process we can see: its root, its working directory, and each directory it holds open. */
        proc = opendir("/proc");
        if (!proc) {
                note(r, "cannot list /proc: %s", errname(errno));
                return;
        }
        while ((de = readdir(proc)) && n_procs < 1024) {
                DIR *fds;
                struct dirent *fe;

                if (!all_digits(de->d_name))
                        continue;
                n_procs++;
                snprintf(path, sizeof(path), "/proc/%s/root", de->d_name);
                check_dir_link(r, path, &root, &n_checked);
                snprintf(path, sizeof(path), "/proc/%s/cwd", de->d_name);
                check_dir_link(r, path, &root, &n_checked);
                snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
                fds = opendir(path);
                if (!fds)
                        continue;
                while ((fe = readdir(fds))) {
                        if (!all_digits(fe->d_name))
                                continue;
                        snprintf(path, sizeof(path), "/proc/%s/fd/%s", de->d_name, fe->d_name);
                        check_dir_link(r, path, &root, &n_checked);
                }
                closedir(fds);
        }
        closedir(proc);
        if (r->verdict != VERDICT_ESCAPE)
                note(r, "%zu directories of %zu processes stay inside", n_checked, n_procs);
}

static void probe_host_namespaces(Result *r, const Options *o) {
        static const struct {
                const char *name;
                unsigned long init;
        } kinds[] = {
                { "mnt", INIT_INO_MNT }, { "pid", INIT_INO_PID },       { "ipc", INIT_INO_IPC },
                { "uts", INIT_INO_UTS }, { "cgroup", INIT_INO_CGROUP }, { "net", INIT_INO_NET },
        };
        DIR *proc;
        struct dirent *de;
        size_t n_procs = 0;

        (void) o;
        proc = opendir("/proc");
        if (!proc) {
                note(r, "cannot list /proc: %s", errname(errno));
                return;
        }
        /* Our own and every process we can see (a helper that joined half of the machine would show). */
        while ((de = readdir(proc)) && n_procs < 1024) {
                if (!all_digits(de->d_name))
                        continue;
                n_procs++;
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                        if (ns_inode(de->d_name, kinds[k].name) == kinds[k].init)
                                escape(r, "process %s is in the host's initial %s namespace", de->d_name,
                                       kinds[k].name);
        }
        closedir(proc);
        if (r->verdict != VERDICT_ESCAPE)
                note(r, "none of %zu processes is in an initial mnt/pid/ipc/uts/cgroup/net namespace",
                     n_procs);
}

static void probe_host_exe(Result *r, const Options *o) {
        DIR *proc;
        struct dirent *de;
        char path[300], target[PATH_MAX];
        Result seen = { 0 };

        (void) o;
        proc = opendir("/proc");
        if (!proc) {
                note(r, "cannot list /proc: %s", errname(errno));
                return;
        }
        /* A process running a binary the tree does not have (a host binary forked in, such as berth's
         * reaper) hands that binary to whoever may open /proc/PID/exe. Writing to it would change the
         * host's file (CVE-2019-5736): it must not open for writing. Opened, never written. */
        while ((de = readdir(proc))) {
                struct stat via_proc, in_tree;
                ssize_t l;
                int fd;

                if (!all_digits(de->d_name))
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
                if (stat(path, &via_proc) < 0)
                        continue;
                l = readlink(path, target, sizeof(target) - 1);
                target[l > 0 ? l : 0] = 0;
                if (l > 0 && stat(target, &in_tree) == 0 && same_inode(&via_proc, &in_tree))
                        continue; /* a file of the machine's own tree */
                fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
                if (fd >= 0) {
                        escape(r, "PID %s's executable %s (not in the machine's tree) opens for writing",
                               de->d_name, target);
                        close(fd);
                } else {
                        int write_errno = errno;
                        bool readable = access(path, R_OK) == 0;
                        note(&seen, "PID %s runs %s from outside the tree (readable: %s, for writing: %s)",
                             de->d_name, target, readable ? "yes" : "no", errname(write_errno));
                }
        }
        closedir(proc);
        if (r->verdict != VERDICT_ESCAPE)
                note(r, "%s", seen.noted[0] ? seen.noted : "every visible executable is in the tree");
}

/* ---------------------------------------------------------------------------------------------------
 * main */

static const struct {
        const char *name;
        void (*fn)(Result *r, const Options *o);
} probes[] = {
        { "uid-map", probe_uid_map },
        { "cap-host", probe_cap_host },
        { "remount-proc-sys", probe_remount_proc_sys },
        { "remount-sys", probe_remount_sys },
        { "umount-masks", probe_umount_masks },
        { "fresh-procfs", probe_fresh_procfs },
        { "fresh-sysfs", probe_fresh_sysfs },
        { "host-tunables", probe_host_tunables },
        { "nested-userns", probe_nested_userns },
        { "userfaultfd", probe_userfaultfd },
        { "io-uring", probe_io_uring },
        { "mknod-block", probe_mknod_block },
        { "abstract-socket", probe_abstract_socket },
        { "host-paths", probe_host_paths },
        { "chroot-break", probe_chroot_break },
        { "leaked-fds", probe_leaked_fds },
        { "host-namespaces", probe_host_namespaces },
        { "host-exe", probe_host_exe },
};

static int usage(void) {
        fprintf(stderr, "usage: escape-probe [--abstract NAME] [--host-path PATH]... [PROBE...]\n"
                        "       escape-probe --list | --listen-abstract NAME\n");
        return 2;
}

int main(int argc, char *argv[]) {
        Options o = { 0 };
        const char *selected[ELEMENTSOF(probes)];
        size_t n_selected = 0;

        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--list")) {
                        for (size_t p = 0; p < ELEMENTSOF(probes); p++)
                                printf("%s\n", probes[p].name);
                        return 0;
                } else if (!strcmp(argv[i], "--listen-abstract") && i + 1 < argc)
                        return listen_abstract(argv[++i]);
                else if (!strcmp(argv[i], "--abstract") && i + 1 < argc)
                        o.abstract_name = argv[++i];
                else if (!strcmp(argv[i], "--host-path") && i + 1 < argc) {
                        if (o.n_host_paths >= MAX_HOST_PATHS || !argv[i + 1][0])
                                return usage();
                        o.host_paths[o.n_host_paths++] = argv[++i];
                } else if (argv[i][0] == '-')
                        return usage();
                else {
                        size_t p;
                        for (p = 0; p < ELEMENTSOF(probes); p++)
                                if (!strcmp(argv[i], probes[p].name))
                                        break;
                        if (p == ELEMENTSOF(probes) || n_selected >= ELEMENTSOF(selected))
                                return usage();
                        selected[n_selected++] = probes[p].name;
                }
        }

        /* A harness that stops reading must not kill us half-way through a probe's cleanup. */
        signal(SIGPIPE, SIG_IGN);
        for (size_t p = 0; p < ELEMENTSOF(probes); p++) {
                Result r = { 0 };
                bool want = n_selected == 0;

                for (size_t s = 0; s < n_selected && !want; s++)
                        want = !strcmp(selected[s], probes[p].name);
                if (!want)
                        continue;
                probes[p].fn(&r, &o);
                emit(probes[p].name, &r);
        }
        return 0;
}
