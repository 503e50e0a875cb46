#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "image-setup.h"
#include "machine-name.h"

static const char *const password_hash_prefix[_PASSWORD_HASH_MAX] = {
        [PASSWORD_HASH_YESCRYPT] = "$y$",
        [PASSWORD_HASH_SHA512] = "$6$",
};

static int random_bytes(void *p, size_t n) {
        size_t done = 0;

        while (done < n) {
                ssize_t k = getrandom((char *) p + done, n - done, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                done += (size_t) k;
        }
        return 0;
}

/* crypt(3) output: the method prefix, salt and hash, all of [./0-9A-Za-z$] (and ',' '=' for some
 * parameters); anything else (libxcrypt's "*0"/"*1" failure tokens among them) is no hash. */
static bool hash_is_sane(const char *h) {
        if (!h || h[0] != '$' || strlen(h) > 512)
                return false;
        for (const char *c = h; *c; c++)
                if (!strchr("./$,=-", *c) &&
                    !((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
                        return false;
        return true;
}

static void erase_and_free(void *p, size_t n) {
        if (p) {
                explicit_bzero(p, n);
                free(p);
        }
}

int password_hash(const char *password, PasswordHash method, char **ret) {
        uint8_t rbytes[32];
        char *salt = NULL, *hash;
        void *data = NULL;
        int size = 0, r;
        char *copy;

        if (method < 0 || method >= _PASSWORD_HASH_MAX || !password)
                return -EINVAL;
        if (strlen(password) > PASSWORD_MAX)
                return -E2BIG;

        /* The salt comes from the kernel's CSPRNG, not from libxcrypt's own choice of source. */
        r = random_bytes(rbytes, sizeof(rbytes));
        if (r < 0)
                return r;
        salt = crypt_gensalt_ra(password_hash_prefix[method], 0, (const char *) rbytes,
                                (int) sizeof(rbytes));
        explicit_bzero(rbytes, sizeof(rbytes));
        if (!salt)
                return errno == ENOMEM ? -ENOMEM : -EINVAL;

        hash = crypt_ra(password, salt, &data, &size);
        free(salt);
        if (!hash_is_sane(hash)) {
                erase_and_free(data, (size_t) size);
                return -EINVAL;
        }
        copy = strdup(hash);
        /* crypt's work area held the password. */
        erase_and_free(data, (size_t) size);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

int password_verify(const char *password, const char *hash) {
        void *data = NULL;
        int size = 0;
        const char *h;
        bool match;

        if (!password || !hash || strlen(password) > PASSWORD_MAX)
                return -EINVAL;
        if (!hash_is_sane(hash))
                return 0;
        h = crypt_ra(password, hash, &data, &size);
        match = hash_is_sane(h) && streq(h, hash);
        erase_and_free(data, (size_t) size);
        return match;
}

static bool field_is_valid(const char *f) {
        return f && !strpbrk(f, ":\n") && strlen(f) <= 1024;
}

int shadow_set_root(const char *old, size_t size, const char *field, uint64_t day, char **ret) {
        _cleanup_free_ char *out = NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        bool found = false;
        size_t i = 0;

        if (!field_is_valid(field))
                return -EINVAL;
        if (size > SHADOW_SIZE_MAX)
                return -EFBIG;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;

        while (old && i < size) {
                const char *line = old + i, *nl = memchr(line, '\n', size - i);
                size_t n = nl ? (size_t) (nl - line) : size - i;

                i += n + (nl ? 1 : 0);
                if (!found && n >= 5 && strneq(line, "root:", 5)) {
                        /* root:PASSWORD:LASTCHANGE:rest — keep the rest (ageing, expiry) as it was. */
                        const char *p = memchr(line + 5, ':', n - 5);
                        const char *rest = p ? memchr(p + 1, ':', n - (size_t) (p + 1 - line)) : NULL;

                        fprintf(f, "root:%s:%" PRIu64, field, day);
                        if (rest)
                                fwrite(rest, 1, n - (size_t) (rest - line), f);
                        else
                                fputs(":0:99999:7:::", f);
                        fputc('\n', f);
                        found = true;
                        continue;
                }
                if (memchr(line, '\0', n)) {
                        fclose(f);
                        free(buf);
                        return -EBADMSG;
                }
                fwrite(line, 1, n, f);
                fputc('\n', f);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        out = buf;
        if (!found) {
                char *with_root = NULL;

                if (asprintf(&with_root, "root:%s:%" PRIu64 ":0:99999:7:::\n%s", field, day, out) < 0)
                        return -ENOMEM;
                free(out);
                out = with_root;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* ".#NAME.RANDOM": a new name beside name, for a file that replaces it by rename. */
static int temporary_name(const char *name, char tmp[static NAME_MAX + 1]) {
        uint64_t rnd;
        int r;

        if (!name || strchr(name, '/') || streq(name, ".") || streq(name, "..") || strlen(name) > 200)
                return -EINVAL;
        r = random_bytes(&rnd, sizeof(rnd));
        if (r < 0)
                return r;
        snprintf(tmp, NAME_MAX + 1, ".#%s.%016" PRIx64, name, rnd);
        return 0;
}

int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode, uid_t uid,
                         gid_t gid) {
        char tmp[NAME_MAX + 1];
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = temporary_name(name, tmp);
        if (r < 0)
                return r;

        /* O_EXCL|O_NOFOLLOW: the temporary name is new; nothing in the tree can have put a symlink there. */
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return negative_errno();
        r = loop_write(fd, data, size);
        if (r >= 0 && (uid != (uid_t) -1 || gid != (gid_t) -1) && fchown(fd, uid, gid) < 0)
                r = negative_errno();
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = negative_errno();
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

int replace_with_symlink_at(int dir_fd, const char *name, const char *target) {
        char tmp[NAME_MAX + 1];
        int r;

        r = temporary_name(name, tmp);
        if (r < 0)
                return r;
        if (symlinkat(target, dir_fd, tmp) < 0)
                return negative_errno();
        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                r = negative_errno();
                (void) unlinkat(dir_fd, tmp, 0);
                return r;
        }
        return 0;
}

/* The tree's /etc as a directory fd, made when missing (a symlinked /etc resolves inside the tree). */
static int open_etc(int root_fd) {
        _cleanup_close_ int path_fd = -EBADF;
        int fd;

        path_fd = make_path_in_root(root_fd, "/etc", true, 0755);
        if (path_fd < 0)
                return path_fd;
        fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

static uint64_t days_since_epoch(void) {
        struct timespec ts = {};

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return ts.tv_sec > 0 ? (uint64_t) ts.tv_sec / (24 * 3600) : 0;
}

int image_set_root_password(int root_fd, const char *password, PasswordHash method) {
        _cleanup_close_ int etc_fd = -EBADF, old_fd = -EBADF;
        _cleanup_free_ char *hash = NULL, *old = NULL, *new = NULL;
        mode_t mode = 0600;
        gid_t gid = (gid_t) -1;
        size_t old_size = 0;
        int r;

        if (password) {
                r = password_hash(password, method, &hash);
                if (r < 0)
                        return r;
        }

        etc_fd = open_etc(root_fd);
        if (etc_fd < 0)
                return etc_fd;

        /* The other accounts of an existing shadow file stay; one that is a symlink (or a device, a
         * FIFO, ...) is not read, and the rename below replaces it. */
        old_fd = openat(etc_fd, "shadow", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (old_fd >= 0) {
                struct stat st;
                ssize_t k;

                if (fstat(old_fd, &st) < 0)
                        return negative_errno();
                if (S_ISREG(st.st_mode)) {
                        if (st.st_size > SHADOW_SIZE_MAX)
                                return -EFBIG;
                        old = malloc(SHADOW_SIZE_MAX + 1);
                        if (!old)
                                return -ENOMEM;
                        k = loop_read(old_fd, old, SHADOW_SIZE_MAX + 1);
                        if (k < 0)
                                return (int) k;
                        if (k > SHADOW_SIZE_MAX)
                                return -EFBIG;
                        old_size = (size_t) k;
                        mode = st.st_mode & 0640; /* never more than root rw, group (shadow) r */
                        gid = st.st_gid;
                }
        } else if (errno != ENOENT && errno != ELOOP && errno != ENXIO && errno != EWOULDBLOCK)
                return negative_errno();

        r = shadow_set_root(old, old_size, hash ?: SHADOW_ROOT_LOCKED, days_since_epoch(), &new);
        if (hash)
                explicit_bzero(hash, strlen(hash));
        if (r < 0)
                return r;
        return write_file_atomic_at(etc_fd, "shadow", new, strlen(new), mode, (uid_t) -1, gid);
}

static int setup_machine_id(int root_fd, int etc_fd) {
        _cleanup_close_ int dbus_fd = -EBADF;
        struct stat st;
        int r;

        r = write_file_atomic_at(etc_fd, "machine-id", "", 0, 0444, (uid_t) -1, (gid_t) -1);
        if (r < 0)
                return r;

        /* dbus reads /var/lib/dbus/machine-id; debootstrap leaves a copy of the ID it generated there. */
        dbus_fd = open_in_root(root_fd, "/var/lib/dbus", O_PATH | O_DIRECTORY, 0);
        if (dbus_fd == -ENOENT || dbus_fd == -ENOTDIR)
                return 0;
        if (dbus_fd < 0)
                return dbus_fd;
        if (fstatat(dbus_fd, "machine-id", &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (S_ISLNK(st.st_mode))
                return 0;
        if (!S_ISREG(st.st_mode))
                return -EEXIST;
        return replace_with_symlink_at(dbus_fd, "machine-id", "/etc/machine-id");
}

int image_setup_boot(int root_fd, const ImageSetup *s) {
        _cleanup_free_ char *hostname_line = NULL;
        _cleanup_close_ int etc_fd = -EBADF;
        int r;

        if (!s || !hostname_is_valid(s->hostname))
                return -EINVAL;
        if (s->root_password && (s->hash < 0 || s->hash >= _PASSWORD_HASH_MAX))
                return -EINVAL;

        etc_fd = open_etc(root_fd);
        if (etc_fd < 0)
                return etc_fd;

        if (asprintf(&hostname_line, "%s\n", s->hostname) < 0)
                return -ENOMEM;
        r = write_file_atomic_at(etc_fd, "hostname", hostname_line, strlen(hostname_line), 0644, (uid_t) -1,
                                 (gid_t) -1);
        if (r < 0)
                return r;

        r = setup_machine_id(root_fd, etc_fd);
        if (r < 0)
                return r;

        return image_set_root_password(root_fd, s->root_password, s->hash);
}
