#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "init-detect.h"
#include "path-util.h"

static const char *const init_kind_table[_INIT_KIND_MAX] = {
        [INIT_SYSTEMD] = "systemd",
        [INIT_SYSVINIT] = "sysvinit",
        [INIT_BUSYBOX] = "busybox",
        [INIT_UNKNOWN] = "unknown",
};

const char *init_kind_to_string(InitKind k) {
        return k >= 0 && k < _INIT_KIND_MAX ? init_kind_table[k] : NULL;
}

InitKind init_kind_from_string(const char *s) {
        for (int i = 0; s && i < _INIT_KIND_MAX; i++)
                if (streq(init_kind_table[i], s))
                        return (InitKind) i;
        return _INIT_KIND_INVALID;
}

void init_info_done(InitInfo *i) {
        free(i->path);
        *i = (InitInfo){};
}

InitKind init_kind_from_target(const char *target, bool has_telinit) {
        const char *base = path_basename(target);
        size_t n = strlen(target);

        /* .../lib/systemd/systemd, wherever usr-merge put it */
        if (streq(base, "systemd") && n >= strlen("/systemd/systemd") &&
            streq(target + n - strlen("/systemd/systemd"), "/systemd/systemd"))
                return INIT_SYSTEMD;
        if (streq(base, "busybox"))
                return INIT_BUSYBOX;
        if (streq(base, "init") && has_telinit)
                return INIT_SYSVINIT;
        return INIT_UNKNOWN;
}

/* Where an fd opened beneath root lies, relative to root: readlink of /proc/self/fd minus root's own
 * path. Only used to name the target, never to open anything. */
static int resolved_path(int root_fd, int fd, char **ret) {
        char p[FD_PATH_MAX], root[PATH_MAX_BERTH], target[PATH_MAX_BERTH];
        ssize_t a, b;
        size_t rl;

        a = readlink(fd_path(root_fd, p), root, sizeof(root) - 1);
        b = readlink(fd_path(fd, p), target, sizeof(target) - 1);
        if (a < 0 || b < 0)
                return negative_errno();
        root[a] = '\0';
        target[b] = '\0';
        rl = streq(root, "/") ? 0 : (size_t) a;
        if (strncmp(target, root, rl) != 0)
                return -EXDEV;
        *ret = strdup(target[rl] ? target + rl : "/");
        return *ret ? 0 : -ENOMEM;
}

int init_detect(int root_fd, const char *override, InitInfo *ret) {
        static const char *const candidates[] = { "/usr/lib/systemd/systemd", "/lib/systemd/systemd",
                                                  "/sbin/init", "/init" };
        const char *const *list = override ? &override : candidates;
        size_t n = override ? 1 : ELEMENTSOF(candidates);
        int last = -ENOENT;

        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = -EBADF, telinit = -EBADF;
                _cleanup_free_ char *target = NULL;
                struct stat st;
                int r;

                fd = open_in_root(root_fd, list[i], O_PATH, 0);
                if (fd < 0) {
                        if (fd != -ENOENT)
                                last = fd;
                        continue;
                }
                if (fstat(fd, &st) < 0)
                        return negative_errno();
                if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                        last = -EACCES;
                        continue;
                }
                r = resolved_path(root_fd, fd, &target);
                if (r < 0)
                        return r;
                telinit = open_in_root(root_fd, "/sbin/telinit", O_PATH, 0);
                *ret = (InitInfo){
                        .kind = init_kind_from_target(target, telinit >= 0),
                        .path = strdup(list[i]),
                };
                /* busybox runs the applet it is called as: only "init" (or "linuxrc") is its init. */
                if (ret->kind == INIT_BUSYBOX && !streq(path_basename(list[i]), "init") &&
                    !streq(path_basename(list[i]), "linuxrc"))
                        ret->kind = INIT_UNKNOWN;
                return ret->path ? 0 : -ENOMEM;
        }
        return last;
}

int init_poweroff_signal(InitKind k) {
        switch (k) {
        case INIT_SYSTEMD:
                return SIGRTMIN + 4;
        case INIT_BUSYBOX:
                return SIGUSR2;
        case INIT_SYSVINIT:
                /* sysvinit's only action every distribution configures is ctrlaltdel (SIGINT), which
                 * reboots; SIGPWR runs a powerfail script Debian no longer ships. The monitor takes a
                 * reboot it asked for as the power-off it is. */
                return SIGINT;
        default:
                return SIGTERM;
        }
}

int init_reboot_signal(InitKind k) {
        return k == INIT_BUSYBOX ? SIGTERM : SIGINT;
}

int init_halt_signal(InitKind k) {
        switch (k) {
        case INIT_SYSTEMD:
                return SIGRTMIN + 3;
        case INIT_BUSYBOX:
                return SIGUSR1;
        default:
                return SIGPWR;
        }
}
