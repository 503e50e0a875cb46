#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "console.h"
#include "fd-util.h"
#include "log.h"
#include "state.h"
#include "strv.h"

static int rm_rf_children(int dfd, dev_t dev, unsigned depth) {
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > 256)
                return -ELOOP;
        d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return negative_errno();
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        int sub;
                        if (st.st_dev != dev)
                                continue; /* never cross into another mount */
                        sub = openat(dirfd(d), de->d_name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                continue;
                        (void) rm_rf_children(sub, dev, depth + 1);
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && r >= 0)
                                r = negative_errno();
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && r >= 0)
                        r = negative_errno();
        }
        closedir(d);
        return r;
}

int rm_rf(const char *path) {
        struct stat st;
        int dfd, r;

        dfd = open(path, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (fstat(dfd, &st) < 0) {
                safe_close(dfd);
                return negative_errno();
        }
        r = rm_rf_children(dfd, st.st_dev, 0);
        if (rmdir(path) < 0 && errno != ENOENT && r >= 0)
                r = negative_errno();
        return r;
}

/* Where a dead monitor's scope is: on record in its state, else noted in its lock file, else (from a
 * monitor killed before either) in the default slice. Only ever a path under the cgroup2 mount that ends
 * in the machine's own berth-NAME.scope. */
static char *stale_scope_path(const char *state_dir, const char *name, const MachineState *s,
                              const char *mp) {
        _cleanup_free_ char *suffix = strjoin3("/berth-", name, ".scope"), *note = NULL;
        char *path = NULL;
        size_t n, k;

        if (!suffix)
                return NULL;
        if (s->cgroup)
                path = strdup(s->cgroup);
        else if (machine_lock_read_note(state_dir, name, &note) >= 0)
                path = TAKE_PTR(note);
        else
                path = strjoin3(mp, "/" CGROUP_MACHINE_SLICE, suffix);
        n = path ? strlen(path) : 0;
        k = strlen(suffix);
        if (!path || n <= strlen(mp) + k || !strneq(path, mp, strlen(mp)) || path[strlen(mp)] != '/' ||
            !streq(path + n - k, suffix) || strstr(path, "/../") || strchr(path, '\n'))
                return mfree(path);
        return path;
}

int machine_cleanup_stale(const char *state_dir, const char *name) {
        MachineState s = {};
        const char *mp;
        int r, cleaned = 0;

        r = machine_state_load(state_dir, name, &s);
        if (r >= 0) {
                STRV_FOREACH (p, s.cleanup_paths) {
                        int k = rm_rf(*p);
                        if (k < 0)
                                log_warning_errno(k,
                                                  "Failed to remove '%s' left by machine '%s', ignoring: %m",
                                                  *p, name);
                }
                cleaned = 1;
        }
        /* The cgroup may exist without a state file (a monitor killed between the two). */
        if (cgroup2_mount_point(&mp) >= 0) {
                _cleanup_free_ char *scope = stale_scope_path(state_dir, name, &s, mp);
                struct stat st;

                if (scope && stat(scope, &st) >= 0) {
                        int k = cgroup_remove_stale_scope(scope);
                        if (k < 0) {
                                machine_state_done(&s);
                                return log_error_errno(
                                        k, "Failed to remove the cgroup '%s' left by machine '%s': %m",
                                        scope, name);
                        }
                        cleaned = 1;
                }
        }
        if (r >= 0 || r == -EBADMSG)
                (void) machine_state_remove(state_dir, name);
        {
                /* berth attach's socket, which the killed monitor could not remove. */
                _cleanup_free_ char *console = NULL;
                if (console_socket_path(state_dir, name, &console) >= 0 && unlink(console) >= 0)
                        cleaned = 1;
        }
        if (cleaned)
                log_debug("Cleaned up after machine '%s', whose monitor is gone.", name);
        machine_state_done(&s);
        return cleaned;
}

int machines_gc(const char *state_dir) {
        _cleanup_strv_free_ char **names = NULL, **locks = NULL;
        int n = 0, r;

        r = machine_state_list(state_dir, &names);
        if (r < 0)
                return r;
        r = machine_lock_list(state_dir, &locks);
        if (r < 0)
                return r;
        STRV_FOREACH (l, locks) {
                _cleanup_free_ char *path = strjoin3(state_dir, "/locks/machine-", *l);
                struct timespec now;
                struct stat st;

                if (strv_contains(names, *l) || !path)
                        continue;
                /* A lock without a state file is also what a monitor holds for the moment between
                 * taking its name and writing its state: only a lock file that has been there a while
                 * is a killed monitor's, and only then may we take it, or we would make a starting
                 * machine think its name is in use. */
                clock_gettime(CLOCK_REALTIME, &now);
                if (stat(path, &st) < 0 || now.tv_sec - st.st_mtim.tv_sec < 10)
                        continue;
                if (strv_extend(&names, *l) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH (name, names) {
                int lock = -EBADF;

                if (machine_lock(state_dir, *name, &lock) < 0)
                        continue; /* alive, or not ours to judge */
                if (machine_cleanup_stale(state_dir, *name) > 0)
                        n++;
                machine_unlock(state_dir, *name, lock);
        }
        return n;
}
