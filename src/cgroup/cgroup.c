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

#include "cgroup.h"
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

int cgroup_machine_create(const char *name, char **ret_scope, int *ret_payload_fd) {
        _cleanup_free_ char *slice = NULL, *scope = NULL, *payload = NULL, *unit = NULL;
        const char *mp;
        int fd, r;

        r = cgroup2_mount_point(&mp);
        if (r < 0)
                return r;
        slice = strjoin3(mp, "/", CGROUP_MACHINE_SLICE);
        unit = strjoin3("berth-", name, ".scope");
        if (!slice || !unit)
                return -ENOMEM;
        scope = strjoin3(slice, "/", unit);
        if (!scope)
                return -ENOMEM;
        payload = strjoin3(scope, "/payload", NULL);
        if (!payload)
                return -ENOMEM;

        if (mkdir(slice, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        if (mkdir(scope, 0755) < 0)
                return negative_errno();
        /* The payload gets a subtree of its own, so the scope can later hold a supervisor too, and the
         * machine's cgroup namespace is rooted at the payload. */
        if (mkdir(payload, 0755) < 0) {
                r = negative_errno();
                (void) rmdir(scope);
                return r;
        }
        fd = open(payload, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                r = negative_errno();
                (void) rmdir(payload);
                (void) rmdir(scope);
                return r;
        }
        *ret_scope = TAKE_PTR(scope);
        *ret_payload_fd = fd;
        return 0;
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

/* The common case, with nothing left in it: a machine's scope holds just the payload cgroup, and rmdir
 * refuses (EBUSY, ENOTEMPTY) whatever is still in use. */
static bool remove_quick(const char *path) {
        _cleanup_free_ char *payload = strjoin3(path, "/payload", NULL);

        if (!payload || (rmdir(payload) < 0 && errno != ENOENT))
                return false;
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
