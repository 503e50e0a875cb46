#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "monitor-internal.h"
#include "mount-image.h"
#include "process-util.h"
#include "shift-uid.h"
#include "sync.h"
#include "uid-range.h"
#include "userns.h"

/* The maker's life: make the namespaces asked for, hand each over as it exists, and with a user
 * namespace stay until the monitor has written its maps (the maps are written through /proc/PID of a
 * process inside; they can be written only once) and closed the socket. */
static _Noreturn void ns_maker(int fd, bool user, bool net) {
        int ns = -EBADF, error = 0;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (user) {
                if (unshare(CLONE_NEWUSER) < 0 ||
                    (ns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC)) < 0)
                        error = errno;
                (void) sync_send(fd, SYNC_USERNS, error, 0, NULL, ns);
                if (error)
                        _exit(EXIT_FAILURE);
                safe_close(ns);
        }
        if (net) {
                /* Made inside the user namespace, so the guest's root owns it. */
                if (unshare(CLONE_NEWNET) < 0 || (ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
                        error = errno;
                (void) sync_send(fd, SYNC_NETNS, error, 0, NULL, ns);
        }
        if (user && !error) {
                SyncMsg msg;
                int ignored;
                while (sync_recv(fd, &msg, &ignored, false) > 0)
                        safe_close(ignored);
        }
        _exit(error ? EXIT_FAILURE : EXIT_SUCCESS);
}

int monitor_ns_maker_start(Machine *m) {
        const Settings *s = m->settings;
        bool user = s->private_users != PRIVATE_USERS_NO, net = s->network == NETWORK_PRIVATE;
        int pair[2];
        pid_t pid;

        if (!user && !net)
                return 0;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(errno, "cannot create a socket: %m");
        pid = fork();
        if (pid < 0) {
                safe_close(pair[0]);
                safe_close(pair[1]);
                return log_error_errno(errno, "cannot fork: %m");
        }
        if (pid == 0) {
                safe_close(pair[0]);
                ns_maker(pair[1], user, net);
        }
        safe_close(pair[1]);
        m->ns_maker = pid;
        m->ns_maker_fd = pair[0];
        return 0;
}

void monitor_ns_maker_stop(Machine *m) {
        m->ns_maker_fd = safe_close(m->ns_maker_fd);
        if (m->ns_maker > 0) {
                (void) kill(m->ns_maker, SIGKILL);
                (void) wait_pid(m->ns_maker, NULL);
        }
        m->ns_maker = 0;
}

static int take_ns(Machine *m, SyncType type, const char *what) {
        SyncMsg msg;
        int fd = -EBADF, r;

        r = sync_recv(m->ns_maker_fd, &msg, &fd, false);
        if (r > 0 && msg.error != 0) {
                safe_close(fd);
                if (type == SYNC_USERNS && (msg.error == EPERM || msg.error == ENOSPC))
                        return log_error_errno(msg.error,
                                               "cannot create a user namespace: %m (is "
                                               "user.max_user_namespaces 0, or are user namespaces "
                                               "disabled? --private-users=no runs without one)");
                return log_error_errno(msg.error, "cannot create a %s namespace: %m", what);
        }
        if (r <= 0 || msg.type != type || fd < 0) {
                safe_close(fd);
                return log_error_errno(r < 0 ? r : EPROTO, "cannot create a %s namespace: %m", what);
        }
        return fd;
}

static int pick_range(Machine *m) {
        const Settings *s = m->settings;
        _cleanup_free_ char *passwd = NULL, *group = NULL, *owner = NULL;
        bool new = false;
        int r;

        switch (s->private_users) {
        case PRIVATE_USERS_IDENTITY:
                m->uid_base = 0;
                m->uid_count = UID_RANGE_DEFAULT_COUNT;
                return 0;
        case PRIVATE_USERS_FIXED:
                m->uid_base = s->uid_shift;
                m->uid_count = s->uid_range;
                r = uid_range_registry_check(UID_RANGE_REGISTRY, m->uid_base, m->uid_count, m->name, &owner);
                if (r == -EBUSY)
                        return log_error_errno(r,
                                               "UID range %u:%u overlaps the range registered to machine "
                                               "'%s' in " UID_RANGE_REGISTRY
                                               ": choose another range, or use --private-users=pick",
                                               (unsigned) m->uid_base, (unsigned) m->uid_count, owner);
                if (r < 0)
                        return log_error_errno(r, "cannot read the UID range registry " UID_RANGE_REGISTRY
                                                  ": %m");
                return 0;
        default:
                break;
        }

        /* Host users and groups in a block rule it out. */
        (void) read_small_file_at(AT_FDCWD, "/etc/passwd", 16 * 1024 * 1024, &passwd, NULL);
        (void) read_small_file_at(AT_FDCWD, "/etc/group", 16 * 1024 * 1024, &group, NULL);
        r = uid_range_registry_claim(UID_RANGE_REGISTRY, m->name, passwd, group, &m->uid_base, &new);
        if (r == -ENOSPC)
                return log_error_errno(r, "no free UID range left in " UID_RANGE_REGISTRY
                                          ": remove the entries of machines that are gone");
        if (r < 0)
                return log_error_errno(r, "cannot claim a UID range in " UID_RANGE_REGISTRY ": %m");
        m->uid_count = UID_RANGE_DEFAULT_COUNT;
        if (new)
                log_debug("Machine '%s' gets UIDs %u-%u, registered in " UID_RANGE_REGISTRY ".", m->name,
                          (unsigned) m->uid_base, (unsigned) (m->uid_base + m->uid_count - 1));
        return 0;
}

int monitor_userns_setup(Machine *m) {
        int r;

        if (m->settings->private_users == PRIVATE_USERS_NO)
                return 0;
        r = take_ns(m, SYNC_USERNS, "user");
        if (r < 0)
                return r;
        m->userns_fd = safe_close(m->userns_fd);
        m->userns_fd = r;
        if (m->uid_count == 0) {
                r = pick_range(m);
                if (r < 0)
                        return r;
        }
        r = userns_write_maps(m->ns_maker, m->uid_base, m->uid_count);
        if (r < 0)
                return log_error_errno(r, "cannot write the UID and GID maps of machine '%s': %m", m->name);
        if (m->settings->network != NETWORK_PRIVATE)
                monitor_ns_maker_stop(m);
        return 0;
}

int monitor_netns_take(Machine *m) {
        int fd = take_ns(m, SYNC_NETNS, "network");

        monitor_ns_maker_stop(m); /* closing the socket is what lets it go */
        return fd;
}

/* An image's file systems are never chowned (that would rewrite the image): idmapped where they can
 * be, used as they are where the image says it is shifted already or the user says off. */
static int prepare_image_ownership(Machine *m) {
        const Settings *s = m->settings;
        struct stat st;
        int r;

        if (fstat(m->tree_fd, &st) < 0)
                return log_error_errno(errno, "cannot stat the root of image '%s': %m", m->root);
        if (st.st_uid == m->uid_base || s->ownership == OWNERSHIP_OFF)
                return 0; /* shifted on disk for this range already, or on purpose */
        if (s->ownership == OWNERSHIP_CHOWN)
                return log_error_errno(EOPNOTSUPP,
                                       "image '%s': --private-users-ownership=chown would rewrite the "
                                       "image: use map (the default) or off",
                                       m->root);
        if (st.st_uid != 0)
                return log_error_errno(EINVAL,
                                       "image '%s' has a root directory of UID %u, neither root nor this "
                                       "machine's UID base %u: use --private-users-ownership=off, or "
                                       "--private-users=%u",
                                       m->root, (unsigned) st.st_uid, (unsigned) m->uid_base,
                                       (unsigned) st.st_uid);
        for (size_t i = 0; i < s->n_image_mounts; i++) {
                r = image_idmap_supported(&s->image_mounts[i], m->userns_fd);
                if (r < 0)
                        return log_error_errno(r, "cannot check whether image '%s' can be idmapped: %m",
                                               m->root);
                if (r == 0)
                        return log_error_errno(EOPNOTSUPP,
                                               "the %s file system of image '%s' (%s) cannot be idmapped on "
                                               "this kernel: use --private-users=no, or "
                                               "--private-users-ownership=off",
                                               s->image_mounts[i].fstype, m->root, s->image_mounts[i].where);
        }
        m->ownership = OWNERSHIP_MAP;
        log_debug("Image '%s' is mapped to UIDs %u+ with idmapped mounts.", m->root, (unsigned) m->uid_base);
        return 0;
}

int monitor_prepare_ownership(Machine *m) {
        const Settings *s = m->settings;
        UserNsOwnership want = s->ownership;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        uid_t from;
        int r;

        m->ownership = OWNERSHIP_OFF;
        if (m->userns_fd < 0 || m->uid_base == 0)
                return 0; /* no user namespace, or IDs that are the host's own: nothing to shift */
        if (m->tree_fd >= 0)
                return prepare_image_ownership(m);
        fd = open(m->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return log_error_errno(errno, "cannot open tree '%s': %m", m->root);

        /* The owner of the tree's root directory is the record of what it is shifted to. */
        if (st.st_uid == m->uid_base) {
                m->ownership = OWNERSHIP_CHOWN; /* shifted before: nothing to do */
                return 0;
        }
        if (want == OWNERSHIP_OFF)
                return 0;
        if (st.st_uid == 0)
                from = 0;
        else if (st.st_uid % UID_RANGE_DEFAULT_COUNT == 0 && st.st_uid >= UID_RANGE_DEFAULT_COUNT)
                from = st.st_uid; /* shifted for another range before */
        else
                return log_error_errno(EINVAL,
                                       "tree '%s' belongs to UID %u, neither root nor the base of a UID "
                                       "range: cannot tell how to map it (chown its root directory to root, "
                                       "or use --private-users-ownership=off)",
                                       m->root, (unsigned) st.st_uid);

        if (from == 0 && want != OWNERSHIP_CHOWN) {
                r = userns_idmap_supported(fd, m->userns_fd);
                if (r < 0)
                        return log_error_errno(r, "cannot check whether tree '%s' can be idmapped: %m",
                                               m->root);
                if (r > 0) {
                        m->ownership = OWNERSHIP_MAP;
                        log_debug("Tree '%s' is mapped to UIDs %u+ with an idmapped mount.", m->root,
                                  (unsigned) m->uid_base);
                        return 0;
                }
                if (want == OWNERSHIP_MAP)
                        return log_error_errno(EOPNOTSUPP,
                                               "the file system of tree '%s' does not support idmapped "
                                               "mounts: use --private-users-ownership=chown",
                                               m->root);
        } else if (want == OWNERSHIP_MAP)
                return log_error_errno(EINVAL,
                                       "tree '%s' is shifted to UID %u on disk, so it cannot be idmapped: "
                                       "use --private-users-ownership=chown or auto",
                                       m->root, (unsigned) from);

        log_notice("Shifting the owners of tree '%s' from UID %u to %u, once "
                   "(--private-users-ownership=chown%s).",
                   m->root, (unsigned) from, (unsigned) m->uid_base,
                   want == OWNERSHIP_AUTO ? ": its file system cannot do idmapped mounts" : "");
        r = shift_uid_tree(fd, from, m->uid_base, m->uid_count);
        if (r == -EROFS)
                return log_error_errno(r,
                                       "tree '%s' is on a read-only file system and cannot be shifted: "
                                       "use --private-users=no, or a writable copy",
                                       m->root);
        if (r < 0)
                return log_error_errno(r, "cannot shift the owners of tree '%s': %m", m->root);
        m->ownership = OWNERSHIP_CHOWN;
        return 0;
}
