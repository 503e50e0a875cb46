#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "mount-setup.h"
#include "path-util.h"
#include "strv.h"
#include "sync.h"
#include "userns.h"

/* What a machine must not see of the host through /proc and /sys: at least the union of what
 * systemd-nspawn, Docker/runc and podman hide (Docker added /proc/interrupts and the powercap tree in
 * 2025 after real leaks). Entries the running kernel does not have are skipped; any other failure to
 * apply one aborts the start. */
const char *const proc_masked_files[] = {
        "kcore",         "kallsyms",    "keys",        "sysrq-trigger", "timer_list",
        "latency_stats", "timer_stats", "sched_debug", "interrupts",    NULL,
};
const char *const proc_masked_dirs[] = { "acpi", "asound", "scsi", NULL };
const char *const proc_read_only[] = { "sys", "bus", "fs", "irq", NULL };
const char *const sys_masked_dirs[] = {
        "firmware",   "kernel/security", "kernel/debug", "kernel/tracing",           "kernel/config",
        "fs/selinux", "fs/bpf",          "fs/pstore",    "devices/virtual/powercap", "dev/block",
        NULL,
};

#define MS_LOCKDOWN (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* With a user namespace, the file systems berth makes for the machine (/dev, /run, /tmp, --tmpfs=)
 * belong to the guest's root; see mount_setup_set_owner(). */
static bool owner_set = false;
static uid_t owner_uid = 0;

void mount_setup_set_owner(uid_t uid) {
        owner_set = true;
        owner_uid = uid;
}

/* "OPTS" with the owner's uid= and gid= in front (so the user's own uid=, gid= still win). */
static const char *owned_options(const char *opts, char *buf, size_t size) {
        if (!owner_set)
                return opts;
        snprintf(buf, size, "uid=%u,gid=%u%s%s", (unsigned) owner_uid, (unsigned) owner_uid,
                 isempty(opts) ? "" : ",", opts ?: "");
        return buf;
}

static int mount_on_fd(const char *what, int target_fd, const char *type, unsigned long flags,
                       const char *data) {
        char p[FD_PATH_MAX];
        return RET_NERRNO(mount(what, fd_path(target_fd, p), type, flags, data));
}

int mount_make_private(int sync_fd) {
        /* Nothing we mount may travel back to the host, nor the host's later mounts into the machine. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return sync_errorf(sync_fd, errno, "cannot make the mount tree private: %m");
        return 0;
}

int mount_bind_root(const char *root, int idmap_userns_fd, int sync_fd, int *ret_root_fd) {
        int fd;

        /* pivot_root() wants a mount point: the tree bound onto itself, in our namespace only; idmapped
         * so that the tree's root-owned files are the guest root's. */
        if (idmap_userns_fd >= 0) {
                _cleanup_close_ int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                int r;

                if (dir < 0)
                        return sync_errorf(sync_fd, errno, "cannot open the tree '%s': %m", root);
                r = userns_idmap_over(dir, root, true, idmap_userns_fd);
                if (r < 0)
                        return sync_errorf(sync_fd, r,
                                           "cannot make an idmapped mount of the tree '%s' (use "
                                           "--private-users-ownership=chown): %m",
                                           root);
        } else if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
                return sync_errorf(sync_fd, errno, "cannot bind mount the tree '%s': %m", root);
        fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return sync_errorf(sync_fd, errno, "cannot open the tree '%s': %m", root);
        *ret_root_fd = fd;
        return 0;
}

static int make_mount_point(int root_fd, const char *path, bool directory, mode_t mode, int sync_fd) {
        int fd = make_path_in_root(root_fd, path, directory, mode);
        if (fd < 0)
                return sync_errorf(sync_fd, fd, "cannot create the mount point '%s' in the tree: %m", path);
        return fd;
}

static int mount_tmpfs_at(int root_fd, const char *path, unsigned long flags, const char *data,
                          int sync_fd) {
        _cleanup_close_ int mp = -EBADF;
        char buf[SETTINGS_VALUE_MAX + 64];
        int r;

        mp = make_mount_point(root_fd, path, true, 0755, sync_fd);
        if (mp < 0)
                return mp;
        r = mount_on_fd("tmpfs", mp, "tmpfs", flags, owned_options(data, buf, sizeof(buf)));
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot mount a tmpfs on '%s': %m", path);
        return 0;
}

static int make_device_node(int dev_fd, const char *name, mode_t mode, dev_t devno, int sync_fd) {
        _cleanup_close_ int fd = -EBADF;
        char host[64];
        int r;

        if (mknodat(dev_fd, name, S_IFCHR | mode, devno) >= 0)
                return 0;
        if (errno != EPERM)
                return sync_errorf(sync_fd, errno, "cannot create /dev/%s: %m", name);

        /* Where device nodes cannot be made (a user namespace), bind the host's node. */
        fd = openat(dev_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return sync_errorf(sync_fd, errno, "cannot create /dev/%s: %m", name);
        snprintf(host, sizeof(host), "/dev/%s", name);
        r = mount_on_fd(host, fd, NULL, MS_BIND, NULL);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot bind mount %s: %m", host);
        return 0;
}

static int setup_console(int dev_fd, int sync_fd, int *ret_master) {
        _cleanup_close_ int master = -EBADF, slave = -EBADF, console = -EBADF;
        int unlock = 0, r;

        /* The pty comes from the machine's own devpts instance, so its number means nothing on the host
         * and the guest cannot reach other ptys. The monitor gets the master. */
        master = openat(dev_fd, "pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return sync_errorf(sync_fd, errno, "cannot allocate the console pty: %m");
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return sync_errorf(sync_fd, errno, "cannot unlock the console pty: %m");
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return sync_errorf(sync_fd, errno, "cannot open the console pty's peer: %m");
        console = openat(dev_fd, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (console < 0)
                return sync_errorf(sync_fd, errno, "cannot create /dev/console: %m");
        {
                char p[FD_PATH_MAX];
                r = mount_on_fd(fd_path(slave, p), console, NULL, MS_BIND, NULL);
        }
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot bind the console pty to /dev/console: %m");
        *ret_master = TAKE_FD(master);
        return 0;
}

int mount_setup_dev(int root_fd, bool console, int sync_fd, int *ret_console_master) {
        static const struct {
                const char *name;
                unsigned major, minor;
        } nodes[] = {
                { "null", 1, 3 },   { "zero", 1, 5 },    { "full", 1, 7 },
                { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
        };
        static const struct {
                const char *name, *target;
        } links[] = {
                { "ptmx", "pts/ptmx" },          { "fd", "/proc/self/fd" },
                { "stdin", "/proc/self/fd/0" },  { "stdout", "/proc/self/fd/1" },
                { "stderr", "/proc/self/fd/2" },
        };
        _cleanup_close_ int dev = -EBADF, pts = -EBADF, shm = -EBADF;
        char opts[128], buf[256];
        int r;

        r = mount_tmpfs_at(root_fd, "/dev", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME,
                           "mode=0755,size=4m,nr_inodes=64k", sync_fd);
        if (r < 0)
                return r;
        dev = open_in_root(root_fd, "/dev", O_DIRECTORY | O_RDONLY, 0);
        if (dev < 0)
                return sync_errorf(sync_fd, dev, "cannot open the machine's /dev: %m");

        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                r = make_device_node(dev, nodes[i].name, 0666, makedev(nodes[i].major, nodes[i].minor),
                                     sync_fd);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i].target, dev, links[i].name) < 0)
                        return sync_errorf(sync_fd, errno, "cannot create /dev/%s: %m", links[i].name);

        if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0 ||
            mkdirat(dev, "mqueue", 0755) < 0)
                return sync_errorf(sync_fd, errno, "cannot create directories in /dev: %m");
        pts = openat(dev, "pts", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pts < 0)
                return sync_errorf(sync_fd, errno, "cannot open /dev/pts: %m");
        /* gid=5 is the tty group on every distribution that has one (the guest's 5, with a user
         * namespace). */
        snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0666,mode=0620,gid=%u",
                 (unsigned) (owner_set ? owner_uid + 5 : 5));
        r = mount_on_fd("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, opts);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot mount a new devpts instance on /dev/pts: %m");
        shm = openat(dev, "shm", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (shm < 0)
                return sync_errorf(sync_fd, errno, "cannot open /dev/shm: %m");
        r = mount_on_fd("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME,
                        owned_options("mode=1777", buf, sizeof(buf)));
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot mount a tmpfs on /dev/shm: %m");

        *ret_console_master = -EBADF;
        if (console)
                return setup_console(dev, sync_fd, ret_console_master);
        return 0;
}

static int copy_host_os_release(int host_dir_fd, int sync_fd) {
        static const char *const sources[] = { "/etc/os-release", "/usr/lib/os-release" };
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size = 0;
        int r = -ENOENT;

        for (size_t i = 0; i < ELEMENTSOF(sources) && r < 0; i++)
                r = read_small_file_at(AT_FDCWD, sources[i], 64 * 1024, &text, &size);
        if (r < 0)
                return 0; /* a host without os-release has nothing to tell */
        fd = openat(host_dir_fd, "os-release", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0)
                return sync_errorf(sync_fd, errno, "cannot create /run/host/os-release: %m");
        r = loop_write(fd, text, size);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot write /run/host/os-release: %m");
        return 0;
}

static int write_host_file(int host_fd, const char *name, const char *text, int sync_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(host_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0)
                return sync_errorf(sync_fd, errno, "cannot create /run/host/%s: %m", name);
        r = loop_write(fd, text, strlen(text));
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot write /run/host/%s: %m", name);
        return 0;
}

static int make_notify_socket(int host_fd, int sync_fd, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char p[FD_PATH_MAX];
        int one = 1;

        /* Bound through the fd of /run/host (our own tmpfs), so no path of the tree is involved. */
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return sync_errorf(sync_fd, errno, "cannot create the notify socket: %m");
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", fd_path(host_fd, p));
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return sync_errorf(sync_fd, errno, "cannot bind /run/host/notify: %m");
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return sync_errorf(sync_fd, errno, "cannot set up /run/host/notify: %m");
        *ret = TAKE_FD(fd);
        return 0;
}

int mount_setup_run(int root_fd, const char *uuid, bool boot, int sync_fd, int *ret_notify_fd) {
        _cleanup_close_ int run = -EBADF, host = -EBADF;
        char text[64];
        int r;

        /* The container interface (systemd.io/CONTAINER_INTERFACE): /run/host tells the guest who runs
         * it, and a booted guest reports readiness on /run/host/notify. */
        r = mount_tmpfs_at(root_fd, "/run", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=0755,size=20%",
                           sync_fd);
        if (r < 0)
                return r;
        run = open_in_root(root_fd, "/run", O_DIRECTORY | O_RDONLY, 0);
        if (run < 0)
                return sync_errorf(sync_fd, run, "cannot open the machine's /run: %m");
        if (mkdirat(run, "host", 0755) < 0)
                return sync_errorf(sync_fd, errno, "cannot create /run/host: %m");
        host = openat(run, "host", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (host < 0)
                return sync_errorf(sync_fd, errno, "cannot open /run/host: %m");
        r = copy_host_os_release(host, sync_fd);
        if (r < 0)
                return r;
        r = write_host_file(host, "container-manager", "berth\n", sync_fd);
        if (r < 0)
                return r;
        snprintf(text, sizeof(text), "%s\n", uuid);
        r = write_host_file(host, "container-uuid", text, sync_fd);
        if (r < 0)
                return r;
        *ret_notify_fd = -EBADF;
        if (boot)
                return make_notify_socket(host, sync_fd, ret_notify_fd);
        return 0;
}

int mount_setup_tmp(int root_fd, int sync_fd) {
        return mount_tmpfs_at(root_fd, "/tmp", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=1777", sync_fd);
}

int mount_open_incoming(const char *host_dir, int sync_fd, int *ret_fd) {
        int fd;

        fd = (int) syscall(SYS_open_tree, AT_FDCWD, host_dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (fd < 0)
                return sync_errorf(sync_fd, errno, "cannot clone the host's %s: %m", host_dir);
        *ret_fd = fd;
        return 0;
}

int mount_setup_incoming(int root_fd, int incoming_fd, int sync_fd) {
        _cleanup_close_ int host = -EBADF, target = -EBADF;
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                .propagation = MS_SLAVE,
        };

        host = open_in_root(root_fd, "/run/host", O_DIRECTORY | O_RDONLY, 0);
        if (host < 0)
                return sync_errorf(sync_fd, host, "cannot open the machine's /run/host: %m");
        if (mkdirat(host, "incoming", 0700) < 0)
                return sync_errorf(sync_fd, errno, "cannot create /run/host/incoming: %m");
        target = openat(host, "incoming", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0)
                return sync_errorf(sync_fd, errno, "cannot open /run/host/incoming: %m");
        if (syscall(SYS_move_mount, incoming_fd, "", target, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return sync_errorf(sync_fd, errno, "cannot attach /run/host/incoming: %m");
        /* machined moves mounts out of it, which the kernel refuses below a shared mount. */
        if (syscall(SYS_mount_setattr, incoming_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return sync_errorf(sync_fd, errno, "cannot make /run/host/incoming a read-only slave: %m");
        return 0;
}

static int open_mount_source(int root_fd, const char *path, bool in_tree, int flags) {
        if (in_tree)
                return open_in_root(root_fd, path, O_PATH | flags, 0);
        return RET_NERRNO(open(path, O_PATH | O_CLOEXEC | flags));
}

static int mount_custom_bind(int root_fd, const CustomMount *m, int idmap_userns_fd, bool idmap_default,
                             int sync_fd) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF, tree = -EBADF;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        unsigned rec = m->recursive ? AT_RECURSIVE : 0;
        struct stat st;

        src = open_mount_source(root_fd, m->source, m->source_in_tree, 0);
        if (src < 0)
                return sync_errorf(sync_fd, src, "bind mount source '%s%s' cannot be opened: %m",
                                   m->source_in_tree ? "+" : "", m->source);
        if (fstat(src, &st) < 0)
                return sync_errorf(sync_fd, errno, "cannot stat bind mount source '%s': %m", m->source);
        dst = make_mount_point(root_fd, m->destination, S_ISDIR(st.st_mode),
                               S_ISDIR(st.st_mode) ? 0755 : 0644, sync_fd);
        if (dst < 0)
                return dst;

        /* The new mount API binds fd to fd, makes an rbind read-only all the way down, and maps owners:
         * asked for with :idmap (an error where it cannot be), by default where the root is mapped and
         * the source's file system can be. */
        if (m->idmap > 0 && idmap_userns_fd < 0)
                return sync_errorf(sync_fd, EINVAL, "bind mount '%s': idmap needs a user namespace: %m",
                                   m->source);
        tree = -EINVAL;
        if (idmap_userns_fd >= 0 && (m->idmap > 0 || (m->idmap < 0 && idmap_default))) {
                tree = userns_clone_mount(src, m->recursive, idmap_userns_fd);
                if (tree < 0 && m->idmap > 0)
                        return sync_errorf(sync_fd, tree,
                                           "cannot make an idmapped mount of '%s' (its file system "
                                           "may not support it; use :noidmap): %m",
                                           m->source);
        }
        if (tree < 0)
                tree = userns_clone_mount(src, m->recursive, -EBADF);
        if (tree < 0)
                return sync_errorf(sync_fd, tree, "cannot clone the mount at '%s': %m", m->source);
        if (m->read_only &&
            syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0)
                return sync_errorf(sync_fd, errno, "cannot make the bind mount of '%s' read-only: %m",
                                   m->source);
        if (syscall(SYS_move_mount, tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
            0)
                return sync_errorf(sync_fd, errno, "cannot bind mount '%s' on '%s': %m", m->source,
                                   m->destination);
        return 0;
}

/* An idmapped clone of the directory fd (at path) as an overlay layer (overlayfs takes idmapped layers
 * since Linux 5.19), so that its root-owned files are the guest root's; fd itself where that cannot be
 * done. overlayfs wants its layers attached in the mounter's namespace: the clone goes over path itself,
 * in our private mount namespace, which the pivot leaves behind. Takes fd. */
static int idmapped_layer(int fd, const char *path, int idmap_userns_fd) {
        int again;

        if (idmap_userns_fd < 0 || userns_idmap_over(fd, path, false, idmap_userns_fd) < 0)
                return fd;
        again = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (again < 0)
                return fd;
        safe_close(fd);
        return again;
}

/* A detached overlayfs mount with options opts (key=value,...). */
static int make_overlay_mount(const char *opts, bool read_only) {
        _cleanup_close_ int fs = -EBADF;
        _cleanup_strv_free_ char **kv = NULL;
        int r, mnt;

        fs = (int) syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        r = split_escaped(opts, ',', 8, &kv);
        if (r < 0)
                return r;
        STRV_FOREACH (o, kv) {
                char *eq = strchr(*o, '=');
                if (!eq)
                        return -EINVAL;
                *eq = '\0';
                if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, *o, eq + 1, 0) < 0)
                        return -errno;
        }
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mnt = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, read_only ? MOUNT_ATTR_RDONLY : 0);
        return mnt < 0 ? -errno : mnt;
}

/* Mounts overlayfs with options opts on dst. */
static int mount_overlay_fd(const char *opts, bool read_only, int dst) {
        _cleanup_close_ int mnt = make_overlay_mount(opts, read_only);

        if (mnt < 0)
                return mnt;
        if (syscall(SYS_move_mount, mnt, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

/* A throwaway upper layer: a tmpfs over the scratch dir the monitor made, in our mount namespace only,
 * holding upper/ and work/. Owned by 0 on "disk", like the layers, when they are idmapped. */
static int temporary_upper(const char *scratch_dir, int idmap_userns_fd, int sync_fd, int *ret_upper,
                           int *ret_work) {
        _cleanup_close_ int scratch = -EBADF;

        if (mount("tmpfs", scratch_dir, "tmpfs", MS_NOSUID | MS_NODEV,
                  idmap_userns_fd >= 0 ? "mode=0755,uid=0,gid=0" : "mode=0755") < 0)
                return sync_errorf(sync_fd, errno, "cannot mount a tmpfs for the overlay's upper dir: %m");
        scratch = open(scratch_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (scratch >= 0)
                scratch = idmapped_layer(scratch, scratch_dir, idmap_userns_fd);
        if (scratch < 0 || mkdirat(scratch, "upper", 0755) < 0 || mkdirat(scratch, "work", 0700) < 0)
                return sync_errorf(sync_fd, errno, "cannot prepare the overlay's scratch dirs: %m");
        *ret_upper = openat(scratch, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
        *ret_work = openat(scratch, "work", O_PATH | O_DIRECTORY | O_CLOEXEC);
        return 0;
}

static int mount_custom_overlay(int root_fd, const CustomMount *m, const OverlayDirs *o, int idmap_userns_fd,
                                int sync_fd) {
        _cleanup_close_ int upper = -EBADF, work = -EBADF, dst = -EBADF;
        int lowers[64];
        size_t n_lowers = 0, len = 0;
        char opts[4096] = "lowerdir=";
        char p[FD_PATH_MAX];
        int r = 0;

        len = strlen(opts);
        dst = make_mount_point(root_fd, m->destination, true, 0755, sync_fd);
        if (dst < 0)
                return dst;
        /* Paths go to overlayfs as /proc/self/fd/N: no escaping of ':' or ',' and no symlink games. The
         * kernel wants the topmost lower first; the user lists the lowest first, as nspawn does. */
        for (size_t i = strv_length(m->lower); i > 0; i--) {
                const char *l = m->lower[i - 1];
                bool in_tree = l[0] == '+';
                int fd = open_mount_source(root_fd, in_tree ? l + 1 : l, in_tree, O_DIRECTORY);

                if (fd >= 0 && !in_tree)
                        fd = idmapped_layer(fd, l, idmap_userns_fd);
                if (fd < 0) {
                        r = sync_errorf(sync_fd, fd, "overlay lower directory '%s' cannot be opened: %m", l);
                        goto finish;
                }
                lowers[n_lowers++] = fd;
                len += (size_t) snprintf(opts + len, sizeof(opts) - len, "%s%s",
                                         i == strv_length(m->lower) ? "" : ":", fd_path(fd, p));
        }

        if (!m->read_only) {
                if (o->temporary_upper) {
                        r = temporary_upper(o->work, idmap_userns_fd, sync_fd, &upper, &work);
                        if (r < 0)
                                goto finish;
                } else {
                        /* upperdir and workdir must be on one mount: an idmapped clone of the
                         * directory that holds both. */
                        _cleanup_free_ char *parent = strdup(o->work);
                        _cleanup_close_ int dir = -EBADF;
                        char *slash = parent ? strrchr(parent, '/') : NULL;

                        if (slash)
                                *slash = '\0';
                        dir = slash ? open(isempty(parent) ? "/" : parent, O_PATH | O_DIRECTORY | O_CLOEXEC)
                                    : -EBADF;
                        if (dir >= 0)
                                dir = idmapped_layer(dir, isempty(parent) ? "/" : parent, idmap_userns_fd);
                        upper = dir >= 0 ? openat(dir, path_basename(m->upper),
                                                  O_PATH | O_DIRECTORY | O_CLOEXEC)
                                         : -EBADF;
                        work = dir >= 0 ? openat(dir, slash + 1, O_PATH | O_DIRECTORY | O_CLOEXEC) : -EBADF;
                }
                if (upper < 0 || work < 0) {
                        r = sync_errorf(sync_fd, errno, "overlay upper directory '%s' cannot be opened: %m",
                                        isempty(m->upper) ? "(temporary)" : m->upper);
                        goto finish;
                }
                len += (size_t) snprintf(opts + len, sizeof(opts) - len, ",upperdir=%s", fd_path(upper, p));
                len += (size_t) snprintf(opts + len, sizeof(opts) - len, ",workdir=%s", fd_path(work, p));
        }
        if (len >= sizeof(opts)) {
                r = sync_errorf(sync_fd, E2BIG, "too many overlay layers for '%s': %m", m->destination);
                goto finish;
        }
        r = mount_overlay_fd(opts, m->read_only, dst);
        if (r < 0)
                r = sync_errorf(sync_fd, r, "cannot mount the overlay on '%s': %m", m->destination);
finish:
        for (size_t i = 0; i < n_lowers; i++)
                safe_close(lowers[i]);
        return r;
}

int mount_setup_custom(int root_fd, const Settings *s, const OverlayDirs *overlays, int idmap_userns_fd,
                       bool idmap_default, int sync_fd) {
        for (size_t i = 0; i < s->n_mounts; i++) {
                const CustomMount *m = &s->mounts[i];
                int r;

                switch (m->type) {
                case CUSTOM_MOUNT_BIND:
                        r = mount_custom_bind(root_fd, m, idmap_userns_fd, idmap_default, sync_fd);
                        break;
                case CUSTOM_MOUNT_TMPFS:
                        r = mount_tmpfs_at(root_fd, m->destination, MS_NOSUID | MS_NODEV, m->options,
                                           sync_fd);
                        break;
                case CUSTOM_MOUNT_OVERLAY:
                        r = mount_custom_overlay(root_fd, m, &overlays[i],
                                                 idmap_default ? idmap_userns_fd : -EBADF, sync_fd);
                        break;
                default:
                        r = sync_errorf(sync_fd, EINVAL, "unknown mount type: %m");
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int mount_setup_journal(int root_fd, const char *host_dir, const char *dest, int idmap_userns_fd,
                        bool idmap_default, int sync_fd) {
        const CustomMount m = {
                .type = CUSTOM_MOUNT_BIND,
                .source = (char *) host_dir,
                .destination = (char *) dest,
                .idmap = -1,
        };

        return mount_custom_bind(root_fd, &m, idmap_userns_fd, idmap_default, sync_fd);
}

static int copy_host_file(int root_fd, const char *host_path, const char *name, int sync_fd) {
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        _cleanup_close_ int etc = -EBADF, fd = -EBADF;
        size_t size = 0;
        int r;

        r = read_small_file_at(AT_FDCWD, host_path, 1024 * 1024, &text, &size);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot read the host's %s: %m", host_path);
        etc = open_in_root(root_fd, "/etc", O_DIRECTORY | O_RDONLY, 0);
        if (etc < 0)
                return sync_errorf(sync_fd, etc, "cannot open the tree's /etc: %m");
        /* Written beside and renamed over whatever the tree has there (a symlink included), all
         * beneath the tree's /etc. */
        tmp = strjoin3(".#berth-", name, NULL);
        if (!tmp)
                return sync_errorf(sync_fd, ENOMEM, "out of memory");
        (void) unlinkat(etc, tmp, 0);
        fd = openat(etc, tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return sync_errorf(sync_fd, errno, "cannot write the tree's /etc/%s: %m", name);
        r = loop_write(fd, text, size);
        if (r < 0 || renameat(etc, tmp, etc, name) < 0) {
                r = r < 0 ? r : negative_errno();
                (void) unlinkat(etc, tmp, 0);
                return sync_errorf(sync_fd, r, "cannot write the tree's /etc/%s: %m", name);
        }
        return 0;
}

static int bind_host_file(int root_fd, const char *host_path, const char *tree_path, int sync_fd) {
        _cleanup_close_ int target = -EBADF, tree = -EBADF;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                               MOUNT_ATTR_NOEXEC };

        /* A symlink in the tree (resolv.conf -> ../run/...) is followed beneath the root. */
        target = make_mount_point(root_fd, tree_path, false, 0644, sync_fd);
        if (target < 0)
                return target;
        tree = (int) syscall(SYS_open_tree, AT_FDCWD, host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return sync_errorf(sync_fd, errno, "cannot clone the host's %s: %m", host_path);
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
            syscall(SYS_move_mount, tree, "", target, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return sync_errorf(sync_fd, errno, "cannot bind the host's %s on %s: %m", host_path,
                                   tree_path);
        return 0;
}

int mount_setup_etc(int root_fd, const Settings *s, int sync_fd) {
        ResolvConfMode resolv = s->resolv_conf;
        TimezoneMode tz = s->timezone;
        int r;

        /* auto never changes the tree: it only binds over a file the tree already has. */
        if (resolv == RESOLV_CONF_AUTO) {
                /* With a private network there is no DNS to reach; with the host's, use the host's. */
                _cleanup_close_ int fd = open_in_root(root_fd, "/etc/resolv.conf", O_PATH, 0);
                resolv = s->network == NETWORK_HOST && fd >= 0 && access("/etc/resolv.conf", F_OK) >= 0
                                 ? RESOLV_CONF_BIND_HOST
                                 : RESOLV_CONF_OFF;
        }
        if (tz == TIMEZONE_AUTO) {
                _cleanup_close_ int fd = open_in_root(root_fd, "/etc/localtime", O_PATH, 0);
                tz = fd >= 0 && access("/etc/localtime", F_OK) >= 0 ? TIMEZONE_BIND : TIMEZONE_OFF;
        }

        if (resolv == RESOLV_CONF_BIND_HOST)
                r = bind_host_file(root_fd, "/etc/resolv.conf", "/etc/resolv.conf", sync_fd);
        else if (resolv == RESOLV_CONF_COPY_HOST)
                r = copy_host_file(root_fd, "/etc/resolv.conf", "resolv.conf", sync_fd);
        else
                r = 0;
        if (r < 0)
                return r;
        if (tz == TIMEZONE_BIND)
                return bind_host_file(root_fd, "/etc/localtime", "/etc/localtime", sync_fd);
        if (tz == TIMEZONE_COPY)
                return copy_host_file(root_fd, "/etc/localtime", "localtime", sync_fd);
        return 0;
}

int mount_prepare_api_dirs(int root_fd, int sync_fd) {
        /* /proc and /sys are mounted later, by a process that is not the guest root's file owner and
         * after the root may have turned read-only: their mount points are made now. */
        for (const char *const *d = STRV_MAKE("/proc", "/sys"); *d; d++) {
                int fd = make_mount_point(root_fd, *d, true, 0555, sync_fd);
                if (fd < 0)
                        return fd;
                safe_close(fd);
        }
        return 0;
}

int mount_overlay_root(int *root_fd, const char *scratch_dir, int idmap_userns_fd, int sync_fd) {
        _cleanup_close_ int upper = -EBADF, work = -EBADF, mnt = -EBADF;
        char opts[3 * FD_PATH_MAX + 64], l[FD_PATH_MAX], u[FD_PATH_MAX], w[FD_PATH_MAX];
        int r;

        /* The tree (the root mount, idmapped where asked) is the lower layer as it is. */
        r = temporary_upper(scratch_dir, idmap_userns_fd, sync_fd, &upper, &work);
        if (r < 0)
                return r;
        if (upper < 0 || work < 0)
                return sync_errorf(sync_fd, errno, "cannot open the overlay's scratch dirs: %m");
        snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", fd_path(*root_fd, l),
                 fd_path(upper, u), fd_path(work, w));
        mnt = make_overlay_mount(opts, false);
        if (mnt < 0)
                return sync_errorf(sync_fd, mnt,
                                   "cannot mount an overlay over the tree (--volatile=overlay): %m");
        /* On top of the tree's mount: pivot_root takes the overlay, the tree stays below it. */
        if (syscall(SYS_move_mount, mnt, "", *root_fd, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return sync_errorf(sync_fd, errno, "cannot attach the overlay over the tree: %m");
        safe_close(*root_fd);
        *root_fd = TAKE_FD(mnt);
        return 0;
}

int mount_volatile_yes(int *root_fd, int sync_fd) {
        static const char *const links[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };
        _cleanup_close_ int fs = -EBADF, mnt = -EBADF, usr = -EBADF, target = -EBADF;
        struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
        char opts[64];

        /* The tree's /usr, as mounted (idmapped where asked), read-only all the way down. */
        usr = (int) syscall(SYS_open_tree, *root_fd, "usr",
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
        if (usr < 0)
                return sync_errorf(sync_fd, errno,
                                   "--volatile=yes needs the tree's /usr, which cannot be opened: %m");
        if (syscall(SYS_mount_setattr, usr, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof(ro)) < 0)
                return sync_errorf(sync_fd, errno, "cannot make /usr read-only: %m");

        /* A tmpfs root, the guest root's. */
        fs = (int) syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return sync_errorf(sync_fd, errno, "cannot make a tmpfs for the root: %m");
        snprintf(opts, sizeof(opts), "%u", owner_set ? (unsigned) owner_uid : 0U);
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "uid", opts, 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "gid", opts, 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return sync_errorf(sync_fd, errno, "cannot make a tmpfs for the root: %m");
        mnt = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
        if (mnt < 0)
                return sync_errorf(sync_fd, errno, "cannot make a tmpfs for the root: %m");
        if (mkdirat(mnt, "usr", 0755) < 0)
                return sync_errorf(sync_fd, errno, "cannot create /usr in the tmpfs root: %m");
        /* A merged-/usr OS finds its programs and libraries through the usual links. */
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                char p[16];
                snprintf(p, sizeof(p), "usr/%s", links[i]);
                if (faccessat(*root_fd, p, F_OK, AT_SYMLINK_NOFOLLOW) >= 0 &&
                    symlinkat(p, mnt, links[i]) < 0)
                        return sync_errorf(sync_fd, errno, "cannot create /%s in the tmpfs root: %m",
                                           links[i]);
        }
        target = openat(mnt, "usr", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (target < 0 || syscall(SYS_move_mount, usr, "", target, "",
                                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return sync_errorf(sync_fd, errno, "cannot mount /usr in the tmpfs root: %m");
        if (syscall(SYS_move_mount, mnt, "", *root_fd, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return sync_errorf(sync_fd, errno, "cannot attach the tmpfs root: %m");
        safe_close(*root_fd);
        *root_fd = TAKE_FD(mnt);
        return 0;
}

int mount_volatile_state(int root_fd, int sync_fd) {
        return mount_tmpfs_at(root_fd, "/var", MS_NOSUID | MS_NODEV, "mode=0755", sync_fd);
}

int mount_root_read_only(int root_fd, int sync_fd) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

        if (syscall(SYS_mount_setattr, root_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return sync_errorf(sync_fd, errno, "cannot make the root read-only: %m");
        return 0;
}

static int mask_entries(int dir_fd, const char *dir_name, const char *const *names, bool directories,
                        int sync_fd) {
        for (const char *const *n = names; *n; n++) {
                _cleanup_close_ int t = -EBADF;
                int r;

                t = openat(dir_fd, *n, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (t < 0) {
                        if (errno == ENOENT)
                                continue; /* this kernel does not have it: nothing to hide */
                        return sync_errorf(sync_fd, errno, "cannot open %s/%s to mask it: %m", dir_name, *n);
                }
                if (directories)
                        r = mount_on_fd("tmpfs", t, "tmpfs", MS_RDONLY | MS_LOCKDOWN, "mode=0555,size=0");
                else
                        r = mount_on_fd("/dev/null", t, NULL, MS_BIND, NULL);
                if (r < 0)
                        return sync_errorf(sync_fd, r, "cannot mask %s/%s: %m", dir_name, *n);
        }
        return 0;
}

static int bind_read_only(int dir_fd, const char *dir_name, const char *name, int sync_fd) {
        _cleanup_close_ int tree = -EBADF, t = -EBADF;
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                               MOUNT_ATTR_NOEXEC };

        tree = (int) syscall(SYS_open_tree, dir_fd, name,
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
        if (tree < 0) {
                if (errno == ENOENT)
                        return 0;
                return sync_errorf(sync_fd, errno, "cannot clone %s/%s: %m", dir_name, name);
        }
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return sync_errorf(sync_fd, errno, "cannot make %s/%s read-only: %m", dir_name, name);
        t = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (t < 0)
                return sync_errorf(sync_fd, errno, "cannot open %s/%s: %m", dir_name, name);
        if (syscall(SYS_move_mount, tree, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return sync_errorf(sync_fd, errno, "cannot mount %s/%s read-only: %m", dir_name, name);
        return 0;
}

int mount_setup_proc(int root_fd, bool private_network, int sync_fd) {
        _cleanup_close_ int mp = -EBADF, proc = -EBADF, net = -EBADF;
        int r;

        mp = make_mount_point(root_fd, "/proc", true, 0555, sync_fd);
        if (mp < 0)
                return mp;
        r = mount_on_fd("proc", mp, "proc", MS_LOCKDOWN, NULL);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot mount /proc: %m");
        proc = open_in_root(root_fd, "/proc", O_DIRECTORY | O_RDONLY, 0);
        if (proc < 0)
                return sync_errorf(sync_fd, proc, "cannot open the machine's /proc: %m");

        /* With a private network, /proc/sys/net only reaches the machine's own namespace: keep a
         * writable copy to put back on top of the read-only /proc/sys. */
        if (private_network) {
                net = (int) syscall(SYS_open_tree, proc, "sys/net", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (net < 0)
                        return sync_errorf(sync_fd, errno, "cannot clone /proc/sys/net: %m");
        }
        for (const char *const *n = proc_read_only; *n; n++) {
                r = bind_read_only(proc, "/proc", *n, sync_fd);
                if (r < 0)
                        return r;
        }
        if (net >= 0) {
                _cleanup_close_ int t = openat(proc, "sys/net", O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (t < 0 || syscall(SYS_move_mount, net, "", t, "",
                                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return sync_errorf(sync_fd, errno, "cannot mount /proc/sys/net writable: %m");
        }
        r = mask_entries(proc, "/proc", proc_masked_files, false, sync_fd);
        if (r < 0)
                return r;
        return mask_entries(proc, "/proc", proc_masked_dirs, true, sync_fd);
}

int mount_setup_sys(int root_fd, bool cgroup_writable, int sync_fd) {
        _cleanup_close_ int mp = -EBADF, sys = -EBADF, cg = -EBADF;
        int r;

        mp = make_mount_point(root_fd, "/sys", true, 0555, sync_fd);
        if (mp < 0)
                return mp;
        r = mount_on_fd("sysfs", mp, "sysfs", MS_RDONLY | MS_LOCKDOWN, NULL);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot mount /sys: %m");
        sys = open_in_root(root_fd, "/sys", O_DIRECTORY | O_RDONLY, 0);
        if (sys < 0)
                return sync_errorf(sync_fd, sys, "cannot open the machine's /sys: %m");
        r = mask_entries(sys, "/sys", sys_masked_dirs, true, sync_fd);
        if (r < 0)
                return r;

        /* The machine's own cgroup, seen through its cgroup namespace. */
        cg = openat(sys, "fs/cgroup", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        if (cg < 0)
                return sync_errorf(sync_fd, errno, "cannot open /sys/fs/cgroup: %m");
        /* Writable for a booted guest: its init manages the delegated subtree it is rooted in. */
        r = mount_on_fd("cgroup2", cg, "cgroup2", (cgroup_writable ? 0 : MS_RDONLY) | MS_LOCKDOWN, NULL);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot mount the machine's cgroup on /sys/fs/cgroup: %m");
        return 0;
}

int mount_setup_mqueue(int root_fd, int sync_fd) {
        _cleanup_close_ int mp = -EBADF;
        int r;

        mp = open_in_root(root_fd, "/dev/mqueue", O_PATH | O_DIRECTORY, 0);
        if (mp < 0)
                return sync_errorf(sync_fd, mp, "cannot open /dev/mqueue: %m");
        r = mount_on_fd("mqueue", mp, "mqueue", MS_LOCKDOWN, NULL);
        if (r < 0)
                return sync_errorf(sync_fd, r, "cannot mount /dev/mqueue: %m");
        return 0;
}

int mount_pivot_root(int root_fd, int sync_fd) {
        /* pivot_root(".", ".") stacks the old root under the new one; detaching "." then drops it
         * without needing a directory for it in the tree. */
        if (fchdir(root_fd) < 0)
                return sync_errorf(sync_fd, errno, "cannot enter the tree: %m");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return sync_errorf(sync_fd, errno, "cannot pivot into the tree: %m");
        if (umount2(".", MNT_DETACH) < 0)
                return sync_errorf(sync_fd, errno, "cannot detach the host's root: %m");
        if (chdir("/") < 0)
                return sync_errorf(sync_fd, errno, "cannot change to the new root: %m");
        return 0;
}
