#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-stats.h"
#include "fd-util.h"

/* The largest file read: memory.stat is ~3 KiB, io.stat ~100 bytes per device. */
#define CGROUP_FILE_MAX (64U * 1024U)

/* Decimal digits at p, up to the first non-digit; *ret_end points there. Overflow is -ERANGE. */
static int parse_u64_prefix(const char *p, const char **ret_end, uint64_t *ret) {
        uint64_t v = 0;
        const char *s = p;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret_end = s;
        *ret = v;
        return 0;
}

/* Only blanks may follow a value on its line. */
static bool rest_is_end_of_line(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return *p == '\0' || *p == '\n';
}

static const char *next_line(const char *line) {
        const char *nl = strchr(line, '\n');
        return nl ? nl + 1 : NULL;
}

int cgroup_parse_single_value(const char *text, uint64_t *ret) {
        const char *end;
        uint64_t v;
        int r;

        r = parse_u64_prefix(text, &end, &v);
        if (r < 0)
                return r;
        end += strspn(end, " \t");
        if (*end == '\n')
                end++;
        if (*end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int cgroup_parse_flat_keyed(const char *text, const char *key, uint64_t *ret) {
        size_t k = strlen(key);

        if (k == 0 || strpbrk(key, " \n"))
                return -EINVAL;
        for (const char *line = text; line && *line; line = next_line(line)) {
                const char *end;
                uint64_t v;
                int r;

                if (!strneq(line, key, k) || line[k] != ' ')
                        continue;
                r = parse_u64_prefix(line + k + 1, &end, &v);
                if (r < 0)
                        return r;
                if (!rest_is_end_of_line(end))
                        return -EINVAL;
                *ret = v;
                return 0;
        }
        return -ENOENT;
}

static uint64_t add_saturating(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int cgroup_parse_io_stat(const char *text, CgroupIOStat *ret) {
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "rbytes", offsetof(CgroupIOStat, rbytes) },
                { "wbytes", offsetof(CgroupIOStat, wbytes) },
                { "rios", offsetof(CgroupIOStat, rios) },
                { "wios", offsetof(CgroupIOStat, wios) },
        };
        CgroupIOStat sum = {};

        for (const char *line = text; line && *line; line = next_line(line)) {
                const char *p = line, *end;
                uint64_t major, minor;

                /* "MAJOR:MINOR key=value key=value ..." */
                if (parse_u64_prefix(p, &end, &major) < 0 || *end != ':' ||
                    parse_u64_prefix(end + 1, &end, &minor) < 0 ||
                    (*end != ' ' && !rest_is_end_of_line(end)))
                        continue;
                p = end;
                for (;;) {
                        size_t n;
                        bool known = false;

                        while (*p == ' ' || *p == '\t')
                                p++;
                        if (*p == '\0' || *p == '\n')
                                break;
                        n = strcspn(p, "= \t\n");
                        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                                uint64_t v, *field = (uint64_t *) ((char *) &sum + keys[i].offset);
                                int r;

                                if (p[n] != '=' || strlen(keys[i].key) != n || !strneq(p, keys[i].key, n))
                                        continue;
                                r = parse_u64_prefix(p + n + 1, &end, &v);
                                if (r < 0)
                                        return r;
                                if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\0')
                                        return -EINVAL;
                                *field = add_saturating(*field, v);
                                p = end;
                                known = true;
                                break;
                        }
                        if (!known)
                                p += strcspn(p, " \t\n"); /* dbytes=, dios=, cost.*=, …: not summed */
                }
        }
        *ret = sum;
        return 0;
}

void cgroup_stats_init(CgroupStats *s) {
        *s = (CgroupStats){
                .cpu_usage_usec = CGROUP_STAT_UNKNOWN,
                .cpu_user_usec = CGROUP_STAT_UNKNOWN,
                .cpu_system_usec = CGROUP_STAT_UNKNOWN,
                .cpu_nr_throttled = CGROUP_STAT_UNKNOWN,
                .cpu_throttled_usec = CGROUP_STAT_UNKNOWN,
                .memory_current = CGROUP_STAT_UNKNOWN,
                .memory_peak = CGROUP_STAT_UNKNOWN,
                .memory_swap_current = CGROUP_STAT_UNKNOWN,
                .memory_anon = CGROUP_STAT_UNKNOWN,
                .memory_file = CGROUP_STAT_UNKNOWN,
                .memory_kernel = CGROUP_STAT_UNKNOWN,
                .memory_shmem = CGROUP_STAT_UNKNOWN,
                .memory_events_oom = CGROUP_STAT_UNKNOWN,
                .memory_events_oom_kill = CGROUP_STAT_UNKNOWN,
                .memory_events_max = CGROUP_STAT_UNKNOWN,
                .memory_events_high = CGROUP_STAT_UNKNOWN,
                .pids_current = CGROUP_STAT_UNKNOWN,
                .pids_events_max = CGROUP_STAT_UNKNOWN,
                .io_read_bytes = CGROUP_STAT_UNKNOWN,
                .io_write_bytes = CGROUP_STAT_UNKNOWN,
                .io_read_ops = CGROUP_STAT_UNKNOWN,
                .io_write_ops = CGROUP_STAT_UNKNOWN,
                .freeze = -1,
                .frozen = -1,
        };
}

/* Reads path below dir_fd into buf (NUL-terminated). -EFBIG when it does not fit. */
static int read_into(int dir_fd, const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t k;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        k = loop_read(fd, buf, size);
        if (k < 0)
                return (int) k;
        if ((size_t) k >= size)
                return -EFBIG;
        buf[k] = '\0';
        return 0;
}

typedef struct KeyField {
        const char *key;
        uint64_t *field;
} KeyField;

/* Each key of a flat-keyed file into its field; keys that are missing or malformed stay unknown. */
static int read_flat_keyed(int dir_fd, const char *path, char *buf, size_t size, const KeyField *fields,
                           size_t n) {
        int r = read_into(dir_fd, path, buf, size);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                uint64_t v;
                if (cgroup_parse_flat_keyed(buf, fields[i].key, &v) >= 0)
                        *fields[i].field = v;
        }
        return 0;
}

static void read_single(int dir_fd, const char *path, char *buf, size_t size, uint64_t *field) {
        uint64_t v;

        if (read_into(dir_fd, path, buf, size) >= 0 && cgroup_parse_single_value(buf, &v) >= 0)
                *field = v;
}

/* The freezer state of the payload, or of the cgroup itself when it has none. (The payload directory
 * belongs to the guest's root, but a cgroup file system has no symlinks to plant, and the files read
 * here stay the host's.) */
static void read_freezer(int scope_fd, char *buf, size_t size, CgroupStats *s) {
        bool payload = true;
        uint64_t v;
        int r;

        r = read_into(scope_fd, "payload/cgroup.events", buf, size);
        if (r == -ENOENT) {
                payload = false;
                r = read_into(scope_fd, "cgroup.events", buf, size);
        }
        if (r >= 0 && cgroup_parse_flat_keyed(buf, "frozen", &v) >= 0)
                s->frozen = v > 0;
        r = read_into(scope_fd, payload ? "payload/cgroup.freeze" : "cgroup.freeze", buf, size);
        if (r >= 0 && cgroup_parse_single_value(buf, &v) >= 0)
                s->freeze = v > 0;
}

int cgroup_stats_read(int scope_fd, CgroupStats *ret) {
        _cleanup_free_ char *buf = NULL;
        CgroupStats s;
        CgroupIOStat io;
        int r;

        cgroup_stats_init(&s);
        buf = malloc(CGROUP_FILE_MAX);
        if (!buf)
                return -ENOMEM;

        r = read_flat_keyed(scope_fd, "cpu.stat", buf, CGROUP_FILE_MAX,
                            (const KeyField[]){
                                    { "usage_usec", &s.cpu_usage_usec },
                                    { "user_usec", &s.cpu_user_usec },
                                    { "system_usec", &s.cpu_system_usec },
                                    { "nr_throttled", &s.cpu_nr_throttled },
                                    { "throttled_usec", &s.cpu_throttled_usec },
                            },
                            5);
        if (r < 0)
                return r;

        read_single(scope_fd, "memory.current", buf, CGROUP_FILE_MAX, &s.memory_current);
        read_single(scope_fd, "memory.peak", buf, CGROUP_FILE_MAX, &s.memory_peak);
        read_single(scope_fd, "memory.swap.current", buf, CGROUP_FILE_MAX, &s.memory_swap_current);
        (void) read_flat_keyed(scope_fd, "memory.stat", buf, CGROUP_FILE_MAX,
                               (const KeyField[]){
                                       { "anon", &s.memory_anon },
                                       { "file", &s.memory_file },
                                       { "kernel", &s.memory_kernel },
                                       { "shmem", &s.memory_shmem },
                               },
                               4);
        (void) read_flat_keyed(scope_fd, "memory.events", buf, CGROUP_FILE_MAX,
                               (const KeyField[]){
                                       { "oom", &s.memory_events_oom },
                                       { "oom_kill", &s.memory_events_oom_kill },
                                       { "max", &s.memory_events_max },
                                       { "high", &s.memory_events_high },
                               },
                               4);
        read_single(scope_fd, "pids.current", buf, CGROUP_FILE_MAX, &s.pids_current);
        (void) read_flat_keyed(scope_fd, "pids.events", buf, CGROUP_FILE_MAX,
                               (const KeyField[]){ { "max", &s.pids_events_max } }, 1);
        if (read_into(scope_fd, "io.stat", buf, CGROUP_FILE_MAX) >= 0 &&
            cgroup_parse_io_stat(buf, &io) >= 0) {
                s.io_read_bytes = io.rbytes;
                s.io_write_bytes = io.wbytes;
                s.io_read_ops = io.rios;
                s.io_write_ops = io.wios;
        }
        read_freezer(scope_fd, buf, CGROUP_FILE_MAX, &s);

        *ret = s;
        return 0;
}
