#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "caps.h"
#include "boot.h"
#include "cgroup.h"
#include "cleanup.h"
#include "device-policy.h"
#include "console.h"
#include "fd-util.h"
#include "fs-util.h"
#include "init-detect.h"
#include "log.h"
#include "machine-name.h"
#include "notify.h"
#include "monitor-internal.h"
#include "monitor.h"
#include "mount-image.h"
#include "path-util.h"
#include "payload.h"
#include "seccomp-args.h"
#include "slice.h"
#include "process-util.h"
#include "state.h"
#include "strv.h"
#include "sync.h"
#include "time-util.h"

static const int monitor_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGWINCH };

void monitor_remove_scratch(char **path) {
        int r;

        if (!*path)
                return;
        r = rm_rf(*path);
        if (r < 0)
                log_warning_errno(r, "Failed to remove '%s', ignoring: %m", *path);
        *path = mfree(*path);
}

static void machine_done(Machine *m) {
        /* Undo in reverse order of setup; each step is harmless when its part was never made. */
        if (m->leader_pidfd >= 0 && m->exit_status < 0) {
                /* We are failing with the machine still up: take it down with us. */
                (void) pidfd_signal(m->leader_pidfd, SIGKILL);
                (void) waitid(P_PIDFD, (id_t) m->leader_pidfd, NULL, WEXITED);
        }
        monitor_unregister(m);
        monitor_remove_propagation(m);
        m->console = console_free(m->console);
        m->kill_timer = sd_event_source_disable_unref(m->kill_timer);
        m->event = sd_event_unref(m->event);
        m->cgroup_fd = safe_close(m->cgroup_fd);
        if (m->scope.path) {
                _cleanup_free_ char *path = strdup(m->scope.path);
                int r = cgroup_scope_destroy(&m->scope);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove the cgroup '%s', ignoring: %m", path ?: "?");
        }
        cgroup_scope_done(&m->scope);
        if (m->overlays) {
                for (size_t i = 0; i < m->settings->n_mounts; i++)
                        monitor_remove_scratch(&m->overlays[i].work);
                free(m->overlays);
        }
        monitor_remove_scratch(&m->volatile_scratch);
        if (m->state_written)
                (void) machine_state_remove(BERTH_STATE_DIR, m->name);
        if (m->lock_fd >= 0)
                machine_unlock(BERTH_STATE_DIR, m->name, m->lock_fd);
        seccomp_program_done(&m->payload.seccomp);
        seccomp_program_done(&m->payload.seccomp_args);
        safe_close(m->sync_fd);
        safe_close(m->child_sync_fd);
        safe_close(m->cgroup_fd);
        safe_close(m->monitor_pidfd);
        safe_close(m->leader_pidfd);
        monitor_ns_maker_stop(m);
        safe_close(m->userns_fd);
        safe_close(m->notify_fd);
        safe_close(m->tree_fd);
        init_info_done(&m->init);
        strv_free(m->payload.argv);
        strv_free(m->payload.extra_env);
        free(m->os);
        free(m->slice_path);
        free(m->journal_host_dir);
        free(m->journal_dest);
        free(m->root);
        free(m->name);
}

/* The OS checks and init detection of a tree at fd; what names it in messages ("tree '/x'"). */
static int inspect_tree(Machine *m, int fd, const char *what) {
        const Settings *s = m->settings;

        if (!s->no_os_check) {
                static const char *const marks[] = { "/usr", "/etc/os-release", "/usr/lib/os-release" };
                bool found = false;

                for (size_t i = 0; i < ELEMENTSOF(marks) && !found; i++) {
                        int t = open_in_root(fd, marks[i], O_PATH, 0);
                        found = t >= 0;
                        safe_close(t);
                }
                if (!found)
                        return log_error_errno(ENOMEDIUM,
                                               "%s does not look like an OS tree (no /usr, no os-release): "
                                               "pass --no-os-check to use it anyway",
                                               what);
        }
        if (s->boot) {
                int r = init_detect(fd, s->init, &m->init);
                if (r == -ENOENT && s->init)
                        return log_error_errno(r, "init '%s' not found in %s", s->init, what);
                if (r == -ENOENT)
                        return log_error_errno(r,
                                               "%s has no init (looked for /usr/lib/systemd/systemd, "
                                               "/lib/systemd/systemd, /sbin/init, /init): pass --init=PATH, "
                                               "or use berth run for a command",
                                               what);
                if (r == -EACCES)
                        return log_error_errno(r, "init '%s' in %s is not an executable file",
                                               s->init ?: "/sbin/init", what);
                if (r < 0)
                        return log_error_errno(r, "cannot look for init in %s: %m", what);
                log_debug("Booting %s (%s).", m->init.path, init_kind_to_string(m->init.kind));
        }
        m->os = tree_pretty_name(fd);
        return 0;
}

/* -i: the CLI attached the image and chose its file systems; the root is looked into through a
 * detached mount of our own (in no mount namespace), kept until the payload starts. */
static int resolve_image(Machine *m) {
        const Settings *s = m->settings;
        _cleanup_free_ char *what = NULL;
        int fd, r;

        fd = image_mount_detached(&s->image_mounts[0], true, -EBADF);
        if (fd < 0)
                return log_error_errno(fd, "cannot mount the root file system (%s) of image '%s': %m",
                                       s->image_mounts[0].fstype, s->image);
        m->tree_fd = fd;
        what = strjoin3("image '", s->image, "'");
        if (!what)
                return log_oom();
        r = inspect_tree(m, m->tree_fd, what);
        if (r < 0)
                return r;
        m->root = strdup(s->image);
        if (!m->root)
                return log_oom();
        return 0;
}

static int resolve_tree(Machine *m) {
        const Settings *s = m->settings;
        _cleanup_free_ char *dir = NULL, *what = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        char real[PATH_MAX];
        int r;

        if (s->n_image_mounts > 0)
                return resolve_image(m);
        if (s->directory)
                dir = strdup(s->directory);
        else
                dir = strjoin3(BERTH_MACHINES_DIR, "/", s->machine_name);
        if (!dir)
                return log_oom();

        fd = open(dir, O_PATH | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return log_error_errno(ENOENT, "tree '%s' does not exist%s", dir,
                                               s->directory ? "" : " (create it, or pass -D DIR)");
                return log_error_errno(errno, "cannot open tree '%s': %m", dir);
        }
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "cannot stat tree '%s': %m", dir);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(ENOTDIR, "tree '%s' is not a directory", dir);
        if (!realpath(dir, real))
                return log_error_errno(errno, "cannot resolve tree '%s': %m", dir);
        if (streq(real, "/"))
                return log_error_errno(
                        EINVAL, "tree '%s' is the host's root directory: give a machine a tree of its own",
                        dir);

        what = strjoin3("tree '", dir, "'");
        if (!what)
                return log_oom();
        r = inspect_tree(m, fd, what);
        if (r < 0)
                return r;
        m->root = strdup(real);
        if (!m->root)
                return log_oom();
        return 0;
}

static int pick_name(Machine *m) {
        const Settings *s = m->settings;
        const char *name = s->machine_name ?: path_basename(m->root);
        _cleanup_free_ char *stem = NULL;

        /* An image's machine is named after its file without ".raw", as with systemd-nspawn. */
        if (!s->machine_name && s->n_image_mounts > 0 && strlen(name) > 4 &&
            streq(name + strlen(name) - 4, ".raw")) {
                stem = strndup(name, strlen(name) - 4);
                if (!stem)
                        return log_oom();
                name = stem;
        }

        if (!machine_name_is_valid(name))
                return log_error_errno(EINVAL,
                                       "machine name '%s'%s is not valid (1-64 of A-Z a-z 0-9 . _ -, not "
                                       "starting with . or -): use --machine=NAME",
                                       name,
                                       s->machine_name         ? ""
                                       : s->n_image_mounts > 0 ? " (from the image's file name)"
                                                               : " (from the tree's directory name)");
        m->name = strdup(name);
        return m->name ? 0 : log_oom();
}

static int take_name(Machine *m) {
        int r;

        /* Someone cleaning up stale machines may hold the lock for a moment: a name without a state file
         * is only busy if it stays so. */
        for (unsigned attempt = 0;; attempt++) {
                MachineState st = {};
                struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };

                r = machine_lock(BERTH_STATE_DIR, m->name, &m->lock_fd);
                if (r != -EBUSY || attempt >= 50 || machine_state_load(BERTH_STATE_DIR, m->name, &st) >= 0) {
                        machine_state_done(&st);
                        break;
                }
                nanosleep(&ts, NULL);
        }

        if (r == -EBUSY) {
                MachineState st = {};
                if (machine_state_load(BERTH_STATE_DIR, m->name, &st) >= 0 && st.leader > 0)
                        log_error("machine '%s' is already running (leader %d): stop it first or choose "
                                  "another "
                                  "name with --machine=",
                                  m->name, (int) st.leader);
                else
                        log_error(
                                "machine '%s' is already running: stop it first or choose another name with "
                                "--machine=",
                                m->name);
                machine_state_done(&st);
                return -EBUSY;
        }
        if (r < 0)
                return log_error_errno(r, "cannot lock machine name '%s' in %s: %m", m->name,
                                       BERTH_STATE_DIR);
        r = machine_cleanup_stale(BERTH_STATE_DIR, m->name);
        if (r > 0)
                log_notice("Cleaned up after an earlier machine '%s' whose monitor was killed.", m->name);
        return r < 0 ? r : 0;
}

/* The tree's /etc/machine-id, when it holds one: 32 lower-case hex digits. */
static int tree_machine_id(const Machine *m, char ret[static 33]) {
        _cleanup_close_ int root_fd = -EBADF, fd = -EBADF;
        char buf[64];
        ssize_t n;

        root_fd = m->tree_fd >= 0 ? fcntl(m->tree_fd, F_DUPFD_CLOEXEC, 3)
                                  : open(m->root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (root_fd < 0)
                return -errno;
        fd = open_in_root(root_fd, "/etc/machine-id", O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
        if (fd < 0)
                return fd;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 32 || (n > 32 && buf[32] != '\n'))
                return -EINVAL;
        for (int i = 0; i < 32; i++) {
                if (!isxdigit((unsigned char) buf[i]))
                        return -EINVAL;
                ret[i] = (char) tolower((unsigned char) buf[i]);
        }
        ret[32] = 0;
        return strspn(ret, "0") == 32 ? -EINVAL : 0;
}

static void make_uuid(Machine *m) {
        const char *u = m->settings->uuid;
        uint8_t b[16];
        char id[33];

        if (u) {
                if (strlen(u) == 36)
                        snprintf(m->uuid, sizeof(m->uuid), "%s", u);
                else /* 32 hex digits: add the dashes */
                        snprintf(m->uuid, sizeof(m->uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", u, u + 8, u + 12,
                                 u + 16, u + 20);
                return;
        }
        /* A tree that has a machine ID of its own keeps it (the guest's journal, machinectl's Id and
         * --link-journal agree on it), as with systemd-nspawn. */
        if (tree_machine_id(m, id) == 0) {
                snprintf(m->uuid, sizeof(m->uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", id, id + 8, id + 12, id + 16,
                         id + 20);
                return;
        }
        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (uint8_t) rand();
        b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
        b[8] = (b[8] & 0x3f) | 0x80; /* variant 1 */
        snprintf(m->uuid, sizeof(m->uuid),
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int prepare_overlays(Machine *m) {
        const Settings *s = m->settings;

        if (s->volatile_mode == VOLATILE_OVERLAY) {
                /* In the tree's neighbourhood on disk, it is only a mount point: the data is a tmpfs. */
                m->volatile_scratch = strdup("/var/tmp/berth-volatile-XXXXXX");
                if (!m->volatile_scratch)
                        return log_oom();
                if (!mkdtemp(m->volatile_scratch)) {
                        m->volatile_scratch = mfree(m->volatile_scratch);
                        return log_error_errno(errno, "cannot create a directory for --volatile=overlay in "
                                                      "/var/tmp: %m");
                }
                m->payload.volatile_scratch = m->volatile_scratch;
        }
        if (s->n_mounts == 0)
                return 0;
        m->overlays = calloc(s->n_mounts, sizeof(OverlayDirs));
        if (!m->overlays)
                return log_oom();
        for (size_t i = 0; i < s->n_mounts; i++) {
                const CustomMount *c = &s->mounts[i];
                _cleanup_free_ char *parent = NULL, *tmpl = NULL;
                struct stat st;

                if (c->type != CUSTOM_MOUNT_OVERLAY || c->read_only)
                        continue;
                if (c->source_in_tree)
                        return log_error_errno(EINVAL,
                                               "--overlay=: the upper directory '%s' must be a host path, "
                                               "not one in the tree ('+')",
                                               c->upper);
                if (isempty(c->upper)) {
                        /* A scratch dir for a tmpfs that will hold upper/ and work/; the tmpfs lives in the
                         * machine's mount namespace only. */
                        tmpl = strdup("/var/tmp/berth-overlay-XXXXXX");
                        m->overlays[i].temporary_upper = true;
                } else {
                        if (stat(c->upper, &st) < 0 || !S_ISDIR(st.st_mode))
                                return log_error_errno(errno ?: ENOTDIR,
                                                       "--overlay=: upper directory '%s' does not "
                                                       "exist or is not a directory",
                                                       c->upper);
                        /* overlayfs wants the work dir on the upper's file system: beside it. */
                        parent = strdup(c->upper);
                        if (!parent)
                                return log_oom();
                        *strrchr(parent, '/') = '\0';
                        tmpl = strjoin3(isempty(parent) ? "" : parent, "/.berth-overlay-work-XXXXXX", NULL);
                }
                if (!tmpl)
                        return log_oom();
                if (!mkdtemp(tmpl))
                        return log_error_errno(
                                errno, "cannot create a work directory for --overlay= at '%s': %m", tmpl);
                m->overlays[i].work = TAKE_PTR(tmpl);
        }
        return 0;
}

int monitor_write_state(Machine *m) {
        MachineState st = {
                .name = m->name,
                .class = (char *) "container",
                .root = m->root,
                .uuid = m->uuid,
                .cgroup = m->scope.path,
                .unit = m->scope.unit,
                .leader = m->leader,
                .monitor = getpid(),
                .since_usec = m->since_usec,
                .capabilities = m->payload.capabilities,
                .syscall_allow = m->settings->syscall_allow,
                .syscall_deny = m->settings->syscall_deny,
                .no_new_privileges = m->payload.no_new_privileges,
                .allow_nesting = m->settings->allow_nesting,
                .private_users = (char *) private_users_mode_to_string(m->settings->private_users),
                .uid_base = m->uid_base,
                .uid_count = m->userns_fd >= 0 ? m->uid_count : 0,
                .ownership = (char *) userns_ownership_to_string(m->ownership),
                .state = (char *) m->state,
                .init = (char *) (m->settings->boot      ? init_kind_to_string(m->init.kind)
                                  : m->settings->as_pid1 ? "command"
                                                         : "reaper"),
                .os = m->os,
        };
        _cleanup_strv_free_ char **paths = NULL;
        int r;

        (void) proc_pid_starttime(st.monitor, &st.monitor_starttime);
        if (m->leader > 0 && proc_pid_starttime(m->leader, &st.leader_starttime) < 0)
                st.leader_starttime = 0;
        for (size_t i = 0; m->overlays && i < m->settings->n_mounts; i++)
                if (m->overlays[i].work && strv_extend(&paths, m->overlays[i].work) < 0)
                        return log_oom();
        if (m->propagate_dir && strv_extend(&paths, m->propagate_dir) < 0)
                return log_oom();
        if (m->volatile_scratch && strv_extend(&paths, m->volatile_scratch) < 0)
                return log_oom();
        st.cleanup_paths = paths;
        r = machine_state_write(BERTH_STATE_DIR, &st);
        if (r < 0)
                return log_error_errno(r, "cannot write the state of machine '%s' to %s: %m", m->name,
                                       BERTH_STATE_DIR);
        m->state_written = true;
        return 0;
}

/* no_new_privs unless the user says: always for a command; when booting, only for busybox init, whose
 * trees have no setuid helpers to break (su, sudo, passwd and login in a distribution need them). */
static bool monitor_no_new_privileges(const Machine *m) {
        const Settings *s = m->settings;

        if (s->no_new_privileges >= 0)
                return s->no_new_privileges;
        return !s->boot || m->init.kind == INIT_BUSYBOX;
}

static int prepare_payload(Machine *m) {
        const Settings *s = m->settings;
        Payload *p = &m->payload;
        const char *bad = NULL;
        int r;

        r = seccomp_programs_build(s->syscall_allow, s->syscall_deny, s->allow_nesting, &p->seccomp,
                                   &p->seccomp_args, &bad);
        if (r == -EINVAL && bad)
                return log_error_errno(r,
                                       "--system-call-filter=: '%s' is neither a system call nor a group "
                                       "(see berth(1) for the groups)",
                                       bad);
        if (r < 0)
                return log_error_errno(r, "cannot build the seccomp filter: %m");

        r = boot_environment(s->boot, &p->extra_env);
        if (r < 0)
                return log_oom();
        if (s->boot) {
                /* init and the arguments given after --. */
                r = strv_extend(&p->argv, m->init.path);
                STRV_FOREACH (a, s->command)
                        if (r >= 0)
                                r = strv_extend(&p->argv, *a);
                if (r < 0)
                        return log_oom();
        }

        p->settings = s;
        p->root = m->root;
        p->machine_name = m->name;
        p->hostname = s->hostname ?: m->name;
        p->uuid = m->uuid;
        p->console = console_mode_pick(s->console);
        p->capabilities = capability_machine_set(s);
        p->overlays = m->overlays;
        p->monitor_pidfd = m->monitor_pidfd;
        p->userns_fd = m->userns_fd;
        p->uid_base = m->uid_base;
        p->idmap = m->ownership == OWNERSHIP_MAP;
        p->no_new_privileges = monitor_no_new_privileges(m);
        p->term = p->console == CONSOLE_INTERACTIVE || p->console == CONSOLE_READ_ONLY
                          ? (getenv("TERM") ?: "vt220")
                          : "dumb";
        if (p->console == CONSOLE_INTERACTIVE && !isatty(STDIN_FILENO))
                return log_error_errno(ENOTTY,
                                       "--console=interactive needs a terminal on standard input: use "
                                       "--console=pipe");
        return 0;
}

static int create_cgroup(Machine *m) {
        const Settings *s = m->settings;
        int r;

        if (!m->scope.path) {
                _cleanup_free_ char *error = NULL;
                uint64_t t0 = now_usec(CLOCK_MONOTONIC);

                r = cgroup_scope_create(m->name, m->slice_path, &s->limits, s->cgroup_manager, s->keep_unit,
                                        &m->scope, &error);
                /* tests/bench/cgroup reads this line. */
                log_debug("cgroup: scope %s ready in %llu us (%s)", m->scope.path ?: "-",
                          (unsigned long long) (now_usec(CLOCK_MONOTONIC) - t0),
                          m->scope.unit ? "systemd" : "berth");
                if (r == -EOPNOTSUPP && !error)
                        return log_error_errno(
                                r, "this host has no cgroup2 file system (neither /sys/fs/cgroup "
                                   "nor /sys/fs/cgroup/unified): berth needs one for the "
                                   "machine's cgroup");
                if (r == -EEXIST)
                        return log_error_errno(r,
                                               "the cgroup of machine '%s' exists already (berth-%s.scope)",
                                               m->name, m->name);
                if (r < 0) {
                        if (error)
                                return log_error_errno(r, "machine '%s': %s", m->name, error);
                        return log_error_errno(r, "cannot create the cgroup of machine '%s': %m", m->name);
                }
                /* Recorded beside the lock, so a killed monitor's scope is found in whatever slice. */
                (void) machine_lock_note(m->lock_fd, m->scope.path);
        }
        r = cgroup_scope_make_payload(&m->scope, &s->limits, &m->cgroup_fd);
        if (r < 0)
                return log_error_errno(r, "cannot create the payload cgroup of machine '%s' in '%s': %m",
                                       m->name, m->scope.path);
        /* systemd inside manages its own subtree: it must be the guest root's. */
        if (m->userns_fd >= 0) {
                r = cgroup_delegate(m->cgroup_fd, m->uid_base, m->uid_base);
                if (r < 0)
                        return log_error_errno(
                                r, "cannot hand the cgroup '%s/payload' to the machine's root: %m",
                                m->scope.path);
        }
        return 0;
}

/* Limits are checked before anything is made: a limit the host cannot enforce fails the start. */
static int check_limits(Machine *m) {
        const Settings *s = m->settings;
        _cleanup_free_ char *error = NULL;
        int r;

        r = slice_to_path(s->slice, &m->slice_path);
        if (r < 0)
                return log_error_errno(r, "invalid slice '%s'", s->slice);
        if (cgroup_limits_is_empty(&s->limits))
                return 0;
        r = cgroup_check_limits_supported(&s->limits, &error);
        if (r >= 0)
                r = cgroup_limits_check_host(&s->limits, &error);
        if (r < 0) {
                if (error)
                        return log_error_errno(r, "%s", error);
                return log_error_errno(r, "cannot check the resource limits: %m");
        }
        return 0;
}

static int start_payload(Machine *m) {
        bool outer_gone = false;
        int pair[2];
        pid_t outer;
        siginfo_t si;
        int r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return log_error_errno(errno, "cannot create the sync socket: %m");
        m->sync_fd = pair[0];
        m->child_sync_fd = pair[1];
        m->payload.sync_fd = pair[1];

        outer = clone3_fork(CLONE_NEWNS, -1, NULL);
        if (outer < 0)
                return log_error_errno(outer, "cannot create a mount namespace for the machine: %m");
        if (outer == 0)
                payload_outer_child(&m->payload);
        m->child_sync_fd = safe_close(m->child_sync_fd);

        /* While the outer child builds the mounts, collect the network namespace, make the cgroup (with
         * its device policy) and the event loop: the outer child only needs them when it clones the inner
         * child. A send that fails means the outer child is already gone; why it went is waiting on the
         * socket, so read on instead of reporting the send. */
        if (m->settings->network == NETWORK_PRIVATE) {
                r = monitor_netns_take(m);
                if (r < 0)
                        goto fail;
                if (sync_send(m->sync_fd, SYNC_NETNS, 0, 0, NULL, r) < 0)
                        outer_gone = true;
                safe_close(r);
        }
        r = create_cgroup(m);
        if (r < 0)
                goto fail;
        r = device_policy_attach(m->cgroup_fd);
        if (r < 0) {
                log_error_errno(r, "cannot restrict the devices of machine '%s' (BPF device filter): %m",
                                m->name);
                goto fail;
        }
        if (!outer_gone && sync_send(m->sync_fd, SYNC_CGROUP, 0, 0, NULL, m->cgroup_fd) < 0)
                outer_gone = true;
        r = sd_event_new(&m->event);
        if (r < 0) {
                log_error_errno(r, "cannot create the event loop: %m");
                goto fail;
        }

        /* Collect what the children report until the inner child is ready and the outer child has named
         * it (the two come from different processes, in either order), or until an error or EOF. */
        for (unsigned resets = 0;;) {
                SyncMsg msg;
                int fd;

                r = sync_recv(m->sync_fd, &msg, &fd, false);
                if (r == -ECONNRESET && ++resets < 4)
                        continue; /* the peer closed with our messages unread: the kernel says so once */
                if (r < 0) {
                        log_error_errno(r, "cannot read from the machine's setup: %m");
                        break;
                }
                if (r == 0) {
                        r = log_error_errno(EPROTO,
                                            m->ready ? "the machine's setup did not report its leader"
                                                     : "the machine's setup ended without saying why");
                        break;
                }
                if (msg.type == SYNC_CONSOLE && fd >= 0 && !m->console) {
                        r = console_new(m->event, fd, m->payload.console, &m->console);
                        if (r < 0) {
                                safe_close(fd);
                                log_error_errno(r, "cannot attach the console: %m");
                                break;
                        }
                        console_set_hotkeys(m->console, monitor_hotkey, m);
                        continue;
                }
                if (msg.type == SYNC_NOTIFY && fd >= 0 && m->notify_fd < 0) {
                        m->notify_fd = fd;
                        continue;
                }
                safe_close(fd);
                if (msg.type == SYNC_INNER_PID && msg.value > 0 && msg.value <= INT_MAX && m->leader <= 0) {
                        m->leader = (pid_t) msg.value;
                        /* The inner child is our own child (CLONE_PARENT): its pid cannot be reused
                         * before we reap it, so opening the pidfd now is race-free. */
                        m->leader_pidfd = pidfd_open_pid(m->leader);
                        if (m->leader_pidfd < 0) {
                                r = log_error_errno(m->leader_pidfd, "cannot open the machine's leader: %m");
                                break;
                        }
                        if (m->ready)
                                break;
                        continue;
                }
                if (msg.type == SYNC_READY) {
                        m->ready = true;
                        r = 0;
                        if (m->leader > 0)
                                break;
                        continue;
                }
                if ((msg.type == SYNC_ERROR || msg.type == SYNC_EXEC_FAILED) && m->ready) {
                        /* The command's own failure, once the machine is up: its exit status will
                         * tell, the machine's setup did not fail. */
                        log_error_errno(msg.error ?: EIO, "%s", msg.text);
                        continue;
                }
                if (msg.type == SYNC_ERROR || msg.type == SYNC_EXEC_FAILED) {
                        r = log_error_errno(msg.error ?: EIO, "%s", msg.text);
                        break;
                }
                r = log_error_errno(EPROTO, "unexpected message %u from the machine's setup", msg.type);
                break;
        }
        if (wait_pid(outer, &si) >= 0 && r >= 0 && exit_status_from_siginfo(&si) != 0)
                r = log_error_errno(EPROTO, "the machine's setup failed (status %d)",
                                    exit_status_from_siginfo(&si));
        return r;

fail:
        (void) kill(outer, SIGKILL);
        (void) wait_pid(outer, NULL);
        return r;
}

static int machine_reset_for_restart(Machine *m) {
        int r;

        /* What belongs to one boot goes; what belongs to the machine stays. */
        monitor_unregister(m);
        m->console = console_free(m->console);
        m->kill_timer = sd_event_source_disable_unref(m->kill_timer);
        m->event = sd_event_unref(m->event);
        m->sync_fd = safe_close(m->sync_fd);
        m->child_sync_fd = safe_close(m->child_sync_fd);
        m->notify_fd = safe_close(m->notify_fd);
        m->leader_pidfd = safe_close(m->leader_pidfd);
        m->cgroup_fd = safe_close(m->cgroup_fd);
        m->leader = 0;
        m->ready = false;
        m->exit_status = -1;
        /* The scope, its limits and the monitor's place stay; the payload is made anew. */
        r = cgroup_scope_remove_payload(&m->scope);
        if (r < 0)
                return log_error_errno(r, "cannot remove the cgroup '%s/payload' before the restart: %m",
                                       m->scope.path);
        r = monitor_ns_maker_start(m);
        if (r < 0)
                return r;
        r = monitor_userns_setup(m);
        if (r < 0)
                return r;
        /* A new user namespace for the new boot: the payload must use it, not the old one's fd number. */
        m->payload.userns_fd = m->userns_fd;
        return 0;
}

int machine_run(const Settings *s, int *ret_status) {
        _cleanup_(machine_done) Machine m = {
                .settings = s,
                .lock_fd = -EBADF,
                .sync_fd = -EBADF,
                .child_sync_fd = -EBADF,
                .cgroup_fd = -EBADF,
                .scope = CGROUP_SCOPE_NULL,
                .monitor_pidfd = -EBADF,
                .leader_pidfd = -EBADF,
                .ns_maker_fd = -EBADF,
                .userns_fd = -EBADF,
                .notify_fd = -EBADF,
                .tree_fd = -EBADF,
                .exit_status = -1,
        };
        struct timespec now;
        sigset_t mask;
        int r;

        /* The monitor's steps (ARCHITECTURE.md):
         *   1. start making the network namespace (in a child, in parallel with everything below);
         *      resolve the tree and the machine's name; take the name's lock, clean a stale namesake
         *   2. prepare: UUID, overlay scratch dirs, seccomp programs, capabilities, state file
         *   3. clone the outer child, which builds the mounts and clones the inner child (PID 1);
         *   4. meanwhile make the machine's cgroup and hand it to the outer child
         *   5. wait for ready, record the leader, then run the event loop until PID 1 exits
         *   6. undo everything (machine_done) */
        /* A reader that goes away must not kill the monitor halfway: writes just fail. */
        (void) signal(SIGPIPE, SIG_IGN);

        r = check_limits(&m);
        if (r < 0)
                return r;
        r = monitor_register_check(s);
        if (r < 0)
                return r;
        if (s->private_users == PRIVATE_USERS_NO)
                log_warning("Machine without a user namespace (--private-users=no): root in it is root on "
                            "the host, and its mounts and masks are not locked against it.");
        r = monitor_ns_maker_start(&m);
        if (r < 0)
                return r;

        r = resolve_tree(&m);
        if (r < 0)
                return r;
        r = pick_name(&m);
        if (r < 0)
                return r;
        r = take_name(&m);
        if (r < 0)
                return r;
        r = monitor_userns_setup(&m);
        if (r < 0)
                return r;
        r = monitor_prepare_ownership(&m);
        if (r < 0)
                return r;

        make_uuid(&m);
        r = monitor_link_journal(&m);
        if (r < 0)
                return r;
        r = monitor_prepare_propagation(&m);
        if (r < 0)
                return r;
        clock_gettime(CLOCK_REALTIME, &now);
        m.since_usec = (uint64_t) now.tv_sec * 1000000 + (uint64_t) now.tv_nsec / 1000;
        r = prepare_overlays(&m);
        if (r < 0)
                return r;
        if (m.overlays || m.volatile_scratch) {
                /* Early, so a killed monitor's scratch dirs are found and removed. */
                r = monitor_write_state(&m);
                if (r < 0)
                        return r;
        }

        m.monitor_pidfd = pidfd_open_pid(getpid());
        if (m.monitor_pidfd < 0)
                return log_error_errno(m.monitor_pidfd,
                                       "cannot open a pidfd (Linux 5.3 or newer needed): %m");
        r = prepare_payload(&m);
        if (r < 0)
                return r;
        /* What the monitor needed to see of an image's root is seen: the payload mounts its own. */
        m.tree_fd = safe_close(m.tree_fd);

        /* sd-event wants the signals it handles blocked; the children unblock them first thing. */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(monitor_signals); i++)
                sigaddset(&mask, monitor_signals[i]);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "cannot block signals: %m");
        for (;;) {
                r = start_payload(&m);
                if (r < 0)
                        return r;
                /* A systemd guest says when it is up; any other init is running once started. */
                m.state = s->boot && m.init.kind == INIT_SYSTEMD ? "starting" : "running";
                if (s->notify_ready && !streq(m.state, "starting"))
                        (void) sd_notify(false, "READY=1");
                r = monitor_write_state(&m);
                if (r < 0)
                        return r;
                r = monitor_register(&m);
                if (r < 0)
                        return r;
                r = monitor_run_event_loop(&m);
                if (r < 0)
                        return r;
                if (!s->restart_on_reboot || m.exit_status != BOOT_EXIT_REBOOT || m.stop_requested)
                        break;

                /* --restart=on-reboot: the same machine (name, lock, UUID, scratch dirs) boots again. */
                log_notice("Machine '%s' rebooted: starting it again.", m.name);
                r = machine_reset_for_restart(&m);
                if (r < 0)
                        return r;
        }
        *ret_status = m.exit_status;
        return 0;
}
