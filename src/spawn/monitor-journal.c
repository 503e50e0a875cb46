#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "log.h"
#include "monitor-internal.h"

#define HOST_JOURNAL "/var/log/journal"

static bool is_dir(const char *path) {
        struct stat st;
        return lstat(path, &st) >= 0 && S_ISDIR(st.st_mode);
}

static bool is_symlink(const char *path) {
        struct stat st;
        return lstat(path, &st) >= 0 && S_ISLNK(st.st_mode);
}

/* host / try-host: the host's /var/log/journal/ID, bound over the guest's by the outer child. */
static int link_host(Machine *m, bool try, const char *host_dir) {
        if (is_symlink(host_dir)) {
                if (try)
                        return 0;
                return log_error_errno(
                        EEXIST,
                        "--link-journal=host: %s is a symlink (left by --link-journal=guest): "
                        "remove it first",
                        host_dir);
        }
        if (mkdir(host_dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "--link-journal: cannot create %s: %m", host_dir);
        /* Without an idmapped bind, the guest's root needs to own it on the host. */
        if (m->userns_fd >= 0 && m->ownership != OWNERSHIP_MAP &&
            chown(host_dir, m->uid_base, m->uid_base) < 0)
                return log_error_errno(errno, "--link-journal: cannot give %s to the machine's root: %m",
                                       host_dir);
        return 0;
}

/* guest / try-guest: the guest's /var/log/journal/ID, made if need be, and a host symlink to it. */
static int link_guest(Machine *m, bool try, const char *host_dir, const char *dest) {
        _cleanup_free_ char *target = NULL;
        _cleanup_close_ int root = -EBADF, dir = -EBADF;
        uid_t owner = m->userns_fd >= 0 && m->ownership != OWNERSHIP_MAP ? m->uid_base : 0;

        if (is_dir(host_dir)) {
                if (try)
                        return 0;
                return log_error_errno(EEXIST,
                                       "--link-journal=guest: %s is a directory of the host's "
                                       "(--link-journal=host uses it): remove it first",
                                       host_dir);
        }
        if (m->tree_fd >= 0) {
                /* The image's tree is mounted in the machine's namespace only: no host path leads in. */
                if (try)
                        return 0;
                return log_error_errno(EOPNOTSUPP,
                                       "--link-journal=guest: a host symlink cannot point into image '%s' "
                                       "(use host or try-guest)",
                                       m->root);
        }
        root = open(m->root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (root < 0)
                return log_error_errno(errno, "cannot open tree '%s': %m", m->root);
        dir = make_path_in_root(root, dest, true, 0755);
        if (dir < 0) {
                if (try)
                        return 0;
                return log_error_errno(dir, "--link-journal=guest: cannot make %s in the tree: %m", dest);
        }
        if (fchownat(dir, "", owner, owner, AT_EMPTY_PATH) < 0 && !try)
                return log_error_errno(
                        errno, "--link-journal=guest: cannot give %s to the machine's root: %m", dest);
        if (asprintf(&target, "%s%s", m->root, dest) < 0)
                return log_oom();
        if (is_symlink(host_dir))
                (void) unlink(host_dir);
        if (symlink(target, host_dir) < 0 && !try)
                return log_error_errno(errno, "--link-journal=guest: cannot link %s to %s: %m", host_dir,
                                       target);
        return 0;
}

int monitor_link_journal(Machine *m) {
        LinkJournal l = m->settings->link_journal;
        _cleanup_free_ char *host_dir = NULL, *dest = NULL;
        char id[33];
        size_t n = 0;
        int r;

        if (!m->settings->boot || l == LINK_JOURNAL_NO)
                return 0;
        /* The guest's machine ID is the machine's UUID. */
        for (const char *p = m->uuid; *p && n < 32; p++)
                if (*p != '-')
                        id[n++] = (char) tolower((unsigned char) *p);
        id[n] = 0;
        if (asprintf(&host_dir, HOST_JOURNAL "/%s", id) < 0 ||
            asprintf(&dest, "/var/log/journal/%s", id) < 0)
                return log_oom();
        if (l == LINK_JOURNAL_AUTO) {
                if (!is_dir(host_dir))
                        return 0;
                l = LINK_JOURNAL_TRY_HOST;
        }
        if (!is_dir(HOST_JOURNAL)) {
                if (l == LINK_JOURNAL_HOST || l == LINK_JOURNAL_GUEST)
                        return log_error_errno(ENOENT,
                                               "--link-journal=%s: the host has no " HOST_JOURNAL
                                               " (create it, or use "
                                               "try-host or try-guest)",
                                               link_journal_to_string(l));
                return 0;
        }
        if (l == LINK_JOURNAL_HOST || l == LINK_JOURNAL_TRY_HOST) {
                r = link_host(m, l == LINK_JOURNAL_TRY_HOST, host_dir);
                if (r < 0 || !is_dir(host_dir))
                        return r;
                m->journal_host_dir = TAKE_PTR(host_dir);
                m->journal_dest = TAKE_PTR(dest);
                m->payload.journal_host_dir = m->journal_host_dir;
                m->payload.journal_dest = m->journal_dest;
                return 0;
        }
        return link_guest(m, l == LINK_JOURNAL_TRY_GUEST, host_dir, dest);
}
