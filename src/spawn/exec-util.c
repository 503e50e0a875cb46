#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exec-util.h"
#include "fd-util.h"
#include "macro.h"

int user_lookup(const char *spec, UserRecord *ret, gid_t *groups, size_t max_groups, size_t *ret_n_groups) {
        _cleanup_free_ char *passwd = NULL, *group = NULL;
        int r;

        /* The machine's own databases, from inside its mount namespace: never the host's NSS. */
        *ret_n_groups = 0;
        r = read_small_file_at(AT_FDCWD, "/etc/passwd", USER_DB_SIZE_MAX, &passwd, NULL);
        if (r == -ENOENT)
                return -ESRCH;
        if (r < 0)
                return r;
        r = user_record_find(passwd, spec, ret);
        if (r < 0)
                return r;
        if (read_small_file_at(AT_FDCWD, "/etc/group", USER_DB_SIZE_MAX, &group, NULL) >= 0) {
                r = user_groups_find(group, ret->name, groups, max_groups, ret_n_groups);
                if (r < 0) {
                        user_record_done(ret);
                        return r;
                }
        }
        return 0;
}

/* Like execvpe() with the PATH of the command's environment. ENOENT from execve() also means "the
 * interpreter or a library is missing": a file that is there but will not run is 126 (ENOEXEC here),
 * only a file that is not there at all is 127. */
int exec_search(char *const *argv, char *const *env) {
        const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        int saved = ENOENT;

        if (strchr(argv[0], '/')) {
                execve(argv[0], argv, env);
                return errno == ENOENT && access(argv[0], F_OK) >= 0 ? -ENOEXEC : -errno;
        }
        for (char *const *e = env; *e; e++)
                if (strneq(*e, "PATH=", 5))
                        path = *e + 5;
        for (const char *p = path; *p;) {
                size_t n = strcspn(p, ":");
                char full[4096];

                if (n > 0 && n + strlen(argv[0]) + 2 <= sizeof(full)) {
                        snprintf(full, sizeof(full), "%.*s/%s", (int) n, p, argv[0]);
                        execve(full, argv, env);
                        if (errno == ENOENT && access(full, F_OK) >= 0)
                                saved = ENOEXEC;
                        else if (errno != ENOENT && errno != ENOTDIR)
                                saved = errno; /* e.g. EACCES: remember it, but keep looking */
                }
                p += n + (p[n] == ':');
        }
        return -saved;
}
