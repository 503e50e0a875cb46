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
#include "macro.h"
#include "parse-util.h"
#include "uid-range.h"

_Static_assert(UID_RANGE_FIRST % UID_RANGE_BLOCK == 0, "the range must start on a block boundary");
_Static_assert(UID_RANGE_END % UID_RANGE_BLOCK == 0, "the range must end on a block boundary");
_Static_assert(UID_RANGE_FIRST < UID_RANGE_END, "the range must not be empty");

/* "4294967295" and a NUL. */
#define UID_DECIMAL_MAX 11

#define LOCK_FILE ".lock"

void uid_range_entries_free(UidRangeEntry *e, size_t n) {
        if (!e)
                return;
        for (size_t i = 0; i < n; i++)
                free(e[i].name);
        free(e);
}

bool uid_range_base_is_valid(uid_t base) {
        return base >= UID_RANGE_FIRST && base < UID_RANGE_END && base % UID_RANGE_BLOCK == 0;
}

static uid_t block_base(uint32_t index) {
        return UID_RANGE_FIRST + index * UID_RANGE_BLOCK;
}

uid_t uid_range_hint(const char *name) {
        /* FNV-1a: tiny, and fixed by its definition, so the hint never changes between builds. Changing
         * it would only move the first guess for names not registered yet. */
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (const unsigned char *c = (const unsigned char *) name; *c; c++) {
                h ^= *c;
                h *= UINT64_C(0x100000001b3);
        }
        return block_base((uint32_t) (h % UID_RANGE_N_BLOCKS));
}

/* Calls fn with field 3 of every line that has a number there, until fn returns true. Returns whether fn
 * did. The text is not modified and nothing is allocated, so any text is safe to pass. */
static bool text_foreach_id(const char *text, bool (*fn)(uint32_t id, void *userdata), void *userdata) {
        const char *p = text;

        if (!text)
                return false;
        while (*p) {
                const char *nl = strchrnul(p, '\n'), *f = p, *end;
                char buf[UID_DECIMAL_MAX];
                uint32_t id;

                /* Skip to the third field, staying within the line. */
                for (unsigned colons = 0; colons < 2 && f; colons++) {
                        f = memchr(f, ':', (size_t) (nl - f));
                        if (f)
                                f++;
                }
                if (p[0] != '#' && f) {
                        end = memchr(f, ':', (size_t) (nl - f)) ?: nl;
                        /* Anything longer than 10 digits is not a 32-bit number. */
                        if (end > f && (size_t) (end - f) < sizeof(buf)) {
                                memcpy(buf, f, (size_t) (end - f));
                                buf[end - f] = '\0';
                                if (safe_atou32(buf, &id) >= 0 && fn(id, userdata))
                                        return true;
                        }
                }
                p = *nl ? nl + 1 : nl;
        }
        return false;
}

typedef struct RangeQuery {
        uint64_t base, end;
} RangeQuery;

static bool id_in_range(uint32_t id, void *userdata) {
        const RangeQuery *q = userdata;

        return id >= q->base && id < q->end;
}

bool uid_range_text_uses(const char *text, uid_t base, uint32_t count) {
        /* 64 bits: base + count may not fit in a uid_t. */
        RangeQuery q = { .base = base, .end = (uint64_t) base + count };

        if (count == 0)
                return false;
        return text_foreach_id(text, id_in_range, &q);
}

#define BITMAP_WORDS ((UID_RANGE_N_BLOCKS + 63) / 64)

static void bitmap_set(uint64_t *b, uint32_t i) {
        b[i / 64] |= UINT64_C(1) << (i % 64);
}

static bool bitmap_get(const uint64_t *b, uint32_t i) {
        return b[i / 64] & (UINT64_C(1) << (i % 64));
}

static bool mark_block(uint32_t id, void *userdata) {
        if (id >= UID_RANGE_FIRST && id < UID_RANGE_END)
                bitmap_set(userdata, (id - UID_RANGE_FIRST) / UID_RANGE_BLOCK);
        return false; /* all of them */
}

/* A registry entry's name is the canonical decimal form of a block's base: "01342177280" and "+1342177280"
 * would name the same block as "1342177280", and claiming (which only ever creates the canonical name)
 * could not see them, so two names would own one block. */
static bool parse_entry_name(const char *s, uid_t *ret) {
        char canonical[UID_DECIMAL_MAX];
        uint32_t u;

        if (safe_atou32(s, &u) < 0 || !uid_range_base_is_valid(u))
                return false;
        snprintf(canonical, sizeof(canonical), "%" PRIu32, u);
        if (!streq(canonical, s))
                return false;
        *ret = u;
        return true;
}

/* The target if the entry is a symlink to a valid machine name, NULL (with 0) when it is junk. */
static int read_entry_target(int dfd, const char *entry, char **ret) {
        char t[MACHINE_NAME_MAX + 2];
        ssize_t n;

        n = readlinkat(dfd, entry, t, sizeof(t));
        if (n < 0) {
                /* EINVAL: not a symlink. ENOENT: released while we were reading. */
                if (errno == EINVAL || errno == ENOENT) {
                        *ret = NULL;
                        return 0;
                }
                return negative_errno();
        }
        if ((size_t) n > MACHINE_NAME_MAX) {
                *ret = NULL;
                return 0;
        }
        t[n] = '\0';
        if (!machine_name_is_valid(t)) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(t);
        return *ret ? 0 : -ENOMEM;
}

static int cmp_entry(const void *a, const void *b) {
        uid_t x = ((const UidRangeEntry *) a)->base, y = ((const UidRangeEntry *) b)->base;

        return x < y ? -1 : x > y;
}

/* The valid entries below dfd, sorted by base. Each block has one canonical name, so there are at most
 * UID_RANGE_N_BLOCKS of them however much junk the directory holds. */
static int read_entries(int dfd, UidRangeEntry **ret, size_t *ret_n) {
        UidRangeEntry *list = NULL;
        size_t n = 0, allocated = 0;
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        /* A new open file description for readdir, so dfd's own offset is never involved. */
        fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d) {
                r = negative_errno();
                safe_close(fd);
                return r;
        }
        for (;;) {
                char *target;
                uid_t base;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = negative_errno();
                        break;
                }
                if (!parse_entry_name(de->d_name, &base))
                        continue;
                r = read_entry_target(dfd, de->d_name, &target);
                if (r < 0)
                        break;
                if (!target)
                        continue;
                if (n == allocated) {
                        size_t a = allocated ? allocated * 2 : 16;
                        UidRangeEntry *l = realloc(list, a * sizeof(*l));
                        if (!l) {
                                free(target);
                                r = -ENOMEM;
                                break;
                        }
                        list = l;
                        allocated = a;
                }
                list[n++] = (UidRangeEntry){ .base = base, .name = target };
        }
        closedir(d);
        if (r < 0) {
                uid_range_entries_free(list, n);
                return r;
        }
        if (n > 0)
                qsort(list, n, sizeof(*list), cmp_entry);
        *ret = list;
        *ret_n = n;
        return 0;
}

/* The registry directory, or -ENOENT. */
static int open_registry(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? negative_errno() : fd;
}

static int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = NULL;

        if (isempty(path))
                return -EINVAL;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                char c = *s;

                if (c != '/' && c != '\0')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = c;
                if (c == '\0')
                        return 0;
        }
}

/* Serializes claims and releases between berth processes. The lock file is 0600, so only root can open it
 * and hold the registry up; it is never removed, so every process locks the same inode. */
static int lock_registry(int dfd) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(dfd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return TAKE_FD(fd);
}

static int lookup_in(const UidRangeEntry *e, size_t n, const char *name, uid_t *ret_base) {
        /* Sorted by base: the first match is the lowest. */
        for (size_t i = 0; i < n; i++)
                if (streq(e[i].name, name)) {
                        *ret_base = e[i].base;
                        return 0;
                }
        return -ENOENT;
}

static int lookup_at(int dfd, const char *name, uid_t *ret_base) {
        UidRangeEntry *e = NULL;
        size_t n = 0;
        int r;

        r = read_entries(dfd, &e, &n);
        if (r < 0)
                return r;
        r = lookup_in(e, n, name, ret_base);
        uid_range_entries_free(e, n);
        return r;
}

int uid_range_registry_lookup(const char *dir, const char *name, uid_t *ret_base) {
        _cleanup_close_ int dfd = -EBADF;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        dfd = open_registry(dir);
        if (dfd < 0)
                return dfd;
        return lookup_at(dfd, name, ret_base);
}

/* Steps 4 and 5 of uid_range_registry_claim(), under the lock; e is the registry as read under it. */
static int claim_free_block(int dfd, const char *name, const UidRangeEntry *e, size_t n,
                            const char *host_passwd, const char *host_group, uid_t *ret_base) {
        uint64_t used[BITMAP_WORDS] = {};
        uint32_t start;

        for (size_t i = 0; i < n; i++)
                bitmap_set(used, (e[i].base - UID_RANGE_FIRST) / UID_RANGE_BLOCK);
        (void) text_foreach_id(host_passwd, mark_block, used);
        (void) text_foreach_id(host_group, mark_block, used);

        start = (uid_range_hint(name) - UID_RANGE_FIRST) / UID_RANGE_BLOCK;
        for (uint32_t i = 0; i < UID_RANGE_N_BLOCKS; i++) {
                uint32_t b = (start + i) % UID_RANGE_N_BLOCKS;
                char entry[UID_DECIMAL_MAX];

                if (bitmap_get(used, b))
                        continue;
                snprintf(entry, sizeof(entry), "%" PRIu32, (uint32_t) block_base(b));
                if (symlinkat(name, dfd, entry) < 0) {
                        if (errno == EEXIST)
                                continue;
                        return negative_errno();
                }
                *ret_base = block_base(b);
                return 0;
        }
        return -ENOSPC;
}

int uid_range_registry_claim(const char *dir, const char *name, const char *host_passwd,
                             const char *host_group, uid_t *ret_base, bool *ret_new) {
        /* Steps:
         * 1. open the registry directory, creating it first if it is missing
         * 2. a block already registered to the name is the answer (the common case: no lock needed, and
         *    it works on a registry we cannot write)
         * 3. take the registry lock, so nobody claims for the same name meanwhile, and look again
         * 4. mark the blocks that are registered or that host users and groups use
         * 5. from the name's hint onward, with wrap-around, symlinkat() each unmarked block until one
         *    succeeds; EEXIST means an entry appeared there (or junk we skipped): try the next */
        _cleanup_close_ int dfd = -EBADF, lock = -EBADF;
        bool is_new = false;
        uid_t base = 0;
        int r;

        if (!machine_name_is_valid(name))
                return -EINVAL;

        dfd = open_registry(dir);
        if (dfd == -ENOENT) {
                r = mkdir_parents(dir, 0755);
                if (r < 0)
                        return r;
                dfd = open_registry(dir);
        }
        if (dfd < 0)
                return dfd;

        r = lookup_at(dfd, name, &base);
        if (r == -ENOENT) {
                UidRangeEntry *e = NULL;
                size_t n = 0;

                lock = lock_registry(dfd);
                if (lock < 0)
                        return lock;
                r = read_entries(dfd, &e, &n);
                if (r < 0)
                        return r;
                r = lookup_in(e, n, name, &base);
                if (r == -ENOENT) {
                        r = claim_free_block(dfd, name, e, n, host_passwd, host_group, &base);
                        is_new = true;
                }
                uid_range_entries_free(e, n);
        }
        if (r < 0)
                return r;
        *ret_base = base;
        if (ret_new)
                *ret_new = is_new;
        return 0;
}

int uid_range_registry_list(const char *dir, UidRangeEntry **ret, size_t *ret_n) {
        _cleanup_close_ int dfd = -EBADF;

        dfd = open_registry(dir);
        if (dfd == -ENOENT) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (dfd < 0)
                return dfd;
        return read_entries(dfd, ret, ret_n);
}

int uid_range_registry_check(const char *dir, uid_t base, uint32_t count, const char *self,
                             char **ret_owner) {
        uint64_t end = (uint64_t) base + count;
        UidRangeEntry *e = NULL;
        size_t n = 0;
        int r;

        if (self && !machine_name_is_valid(self))
                return -EINVAL;
        r = uid_range_registry_list(dir, &e, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                uint64_t b = e[i].base;

                if (b >= end || b + UID_RANGE_BLOCK <= base || (self && streq(e[i].name, self)))
                        continue;
                if (ret_owner) {
                        char *o = strdup(e[i].name);
                        if (!o) {
                                uid_range_entries_free(e, n);
                                return -ENOMEM;
                        }
                        *ret_owner = o;
                }
                uid_range_entries_free(e, n);
                return -EBUSY;
        }
        uid_range_entries_free(e, n);
        return 0;
}

int uid_range_registry_release(const char *dir, const char *name) {
        _cleanup_close_ int dfd = -EBADF, lock = -EBADF;
        UidRangeEntry *e = NULL;
        bool found = false;
        size_t n = 0;
        int r;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        dfd = open_registry(dir);
        if (dfd < 0)
                return dfd;
        /* Under the lock, so the entry we read is still the one we unlink. */
        lock = lock_registry(dfd);
        if (lock < 0)
                return lock;
        r = read_entries(dfd, &e, &n);
        if (r < 0)
                return r;
        /* Every entry of the name: after a hand edit left two, releasing one would only hand the name the
         * other on its next start. */
        for (size_t i = 0; i < n; i++) {
                char entry[UID_DECIMAL_MAX];

                if (!streq(e[i].name, name))
                        continue;
                snprintf(entry, sizeof(entry), "%" PRIu32, (uint32_t) e[i].base);
                if (unlinkat(dfd, entry, 0) < 0 && errno != ENOENT) {
                        r = negative_errno();
                        break;
                }
                found = true;
        }
        uid_range_entries_free(e, n);
        if (r < 0)
                return r;
        return found ? 0 : -ENOENT;
}
