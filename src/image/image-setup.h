#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>

/* Making a freshly populated tree ready to boot: its hostname, an empty machine-id and root's password.
 *
 * The tree may be hostile (a pre-populated directory, an imported image): every file is written beneath
 * the tree's directory fd through a temporary file and renameat(), so a symlink already sitting at the
 * name is replaced, never followed, and directories are looked up with RESOLVE_IN_ROOT, so a symlinked
 * /etc still lands inside the tree.
 *
 * Root's password and what it means for logging in:
 *   - with a password: root logs in with it on the console's getty and with `machinectl login` (which
 *     runs container-getty@.service on a pts inside a systemd guest). Debian bookworm's /etc/pam.d/login
 *     has no pam_securetty and ships no /etc/securetty, and busybox login treats a missing
 *     /etc/securetty as "every tty is secure", so root may log in on /dev/console and pts/N as is.
 *   - without one: root's shadow field is "!*" (locked, no password), so no password login as root
 *     works, neither on the console nor through `machinectl login`. `berth enter` and `berth shell`
 *     (and `machinectl shell`) still work: they join the machine's namespaces and need no password. */

typedef enum PasswordHash {
        PASSWORD_HASH_YESCRYPT, /* "$y$": libxcrypt's default and what Debian's pam_unix writes */
        PASSWORD_HASH_SHA512,   /* "$6$": busybox checks passwords with its own crypt, which knows
                                 * MD5 and SHA-256/512 but not yescrypt */
        _PASSWORD_HASH_MAX,
        _PASSWORD_HASH_INVALID = -EINVAL,
} PasswordHash;

/* Longest password accepted (bytes). */
#define PASSWORD_MAX 1024
/* Largest /etc/shadow of a tree that is read and rewritten. */
#define SHADOW_SIZE_MAX (1024 * 1024)
/* root's shadow field without a password: locked, and no password would match either. */
#define SHADOW_ROOT_LOCKED "!*"

/* A crypt(3) hash of password with a new salt made from getrandom(). */
int password_hash(const char *password, PasswordHash method, char **ret);
/* 1 when password matches hash (a crypt(3) string), 0 when not. */
int password_verify(const char *password, const char *hash);

/* The contents of a shadow file with root's password field set to field and its last-change day to
 * day: old (size bytes, may be NULL) with root's line edited, or with a root line put first when it
 * has none. Other lines are kept as they are. field must not contain ':' or a newline. */
int shadow_set_root(const char *old, size_t size, const char *field, uint64_t day, char **ret);

/* Writes size bytes of data to name beneath dir_fd through a temporary file and renameat(): whatever
 * is called name already (a file, a symlink) is replaced, never written through. The file gets mode
 * and belongs to uid/gid ((uid_t) -1, (gid_t) -1: the creator, root when root populates a tree). */
int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode, uid_t uid,
                         gid_t gid);

/* Puts a symlink to target at name beneath dir_fd (a temporary symlink renamed over it), replacing a file
 * or symlink called name; fails on a directory. */
int replace_with_symlink_at(int dir_fd, const char *name, const char *target);

/* Sets root's password in the tree's /etc/shadow (created when missing): password hashed with method,
 * or NULL for a locked root ("!*"). An existing regular /etc/shadow keeps its other lines, mode and
 * group; a symlink or anything else at that name is replaced. */
int image_set_root_password(int root_fd, const char *password, PasswordHash method);

typedef struct ImageSetup {
        const char *hostname;      /* written to /etc/hostname (a valid hostname label; required) */
        const char *root_password; /* NULL: root is locked */
        PasswordHash hash;         /* how root_password is hashed */
} ImageSetup;

/* The setup every created tree gets, in this order:
 *   1. /etc/hostname: the hostname and a newline
 *   2. /etc/machine-id: empty, so systemd takes the container's UUID (or a random ID) at boot without
 *      entering "first boot" mode ("uninitialized" would start systemd-firstboot, which may prompt on
 *      the console); a /var/lib/dbus/machine-id file becomes a symlink to it, as Debian's dbus expects
 *   3. root's entry in /etc/shadow (see image_set_root_password()) */
int image_setup_boot(int root_fd, const ImageSetup *s);
