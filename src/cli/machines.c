#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-freeze.h"
#include "cgroup-stats.h"
#include "cgroup.h"
#include "cleanup.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "init-detect.h"
#include "json.h"
#include "list.h"
#include "log.h"
#include "machine-name.h"
#include "machines.h"
#include "parse-util.h"
#include "process-util.h"
#include "state.h"
#include "stats.h"
#include "strv.h"

/* Finds a running machine: its state entry, a live monitor (the name's lock is held) and a pidfd for its
 * leader checked against the recorded start time. Returns 0, or an exit code after saying why. */
int machine_open(const char *verb, const char *name, MachineState *ret, int *ret_pidfd) {
        MachineState st = {};
        int lock = -EBADF, r;

        if (!machine_name_is_valid(name)) {
                log_error("%s: '%s' is not a valid machine name", verb, name);
                return EXIT_BERTH_USAGE;
        }
        r = machine_state_load(BERTH_STATE_DIR, name, &st);
        if (r == -ENOENT) {
                log_error("%s: machine '%s' is not running (berth list shows the running ones)", verb, name);
                return EXIT_BERTH_NOT_FOUND;
        }
        if (r < 0) {
                log_error_errno(r, "%s: cannot read the state of machine '%s': %m", verb, name);
                return exit_code_from_errno(r);
        }
        if (machine_lock(BERTH_STATE_DIR, name, &lock) >= 0) {
                /* Nobody holds the name: its monitor was killed. Clean up while we are at it. */
                (void) machine_cleanup_stale(BERTH_STATE_DIR, name);
                machine_unlock(BERTH_STATE_DIR, name, lock);
                machine_state_done(&st);
                log_error("%s: machine '%s' is not running (its monitor was killed; cleaned up)", verb,
                          name);
                return EXIT_BERTH_NOT_FOUND;
        }
        r = machine_state_open_leader(&st, ret_pidfd);
        if (r < 0) {
                log_error("%s: machine '%s' has no leader yet or any more (it is %s)", verb, name,
                          st.state ?: "starting or stopping");
                machine_state_done(&st);
                return EXIT_BERTH_BUSY;
        }
        *ret = st;
        return 0;
}

static bool is_booted(const MachineState *st) {
        return init_kind_from_string(st->init) >= 0;
}

bool machine_cgroup_is_own(const MachineState *st) {
        _cleanup_free_ char *suffix = strjoin3("/berth-", st->name, ".scope");
        size_t n = st->cgroup ? strlen(st->cgroup) : 0, k = suffix ? strlen(suffix) : 0;
        const char *last = st->cgroup ? strrchr(st->cgroup, '/') : NULL;

        /* Only ever act on a cgroup that is this machine's by its name, or (--keep-unit) the unit its
         * monitor ran in, which it recorded as the machine's. */
        if (n == 0 || !strneq(st->cgroup, "/sys/fs/cgroup/", 15) || strstr(st->cgroup, "/../"))
                return false;
        if (suffix && n > k && streq(st->cgroup + n - k, suffix))
                return true;
        return st->unit && last && streq(last + 1, st->unit);
}

/* The machine's payload cgroup, where its processes are (the scope may hold more beside it, such as the
 * monitor's supervisor, which must never be frozen). */
static int open_payload(const MachineState *st, int *ret_fd) {
        _cleanup_free_ char *path = NULL;
        int fd;

        if (!machine_cgroup_is_own(st))
                return -ENOENT;
        path = strjoin3(st->cgroup, "/payload", NULL);
        if (!path)
                return -ENOMEM;
        fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

int machine_is_frozen(const MachineState *st) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = open_payload(st, &fd);
        if (r < 0)
                return r;
        r = cgroup_freeze_requested(fd);
        return r == -EOPNOTSUPP ? 0 : r;
}

/* A frozen guest cannot act on a request to power off or reboot until it is thawed: thaw it first. */
static int thaw_for(const char *verb, const MachineState *st) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (open_payload(st, &fd) < 0 || cgroup_freeze_requested(fd) <= 0)
                return 0;
        log_notice("%s: machine '%s' is frozen: thawing it first, so it can act on the request", verb,
                   st->name);
        r = cgroup_freeze(fd, false, CGROUP_FREEZE_TIMEOUT_USEC);
        if (r < 0) {
                log_error_errno(r,
                                "%s: cannot thaw machine '%s' first: %m (berth terminate kills it "
                                "frozen)",
                                verb, st->name);
                return exit_code_from_errno(r);
        }
        return 0;
}

typedef int (*MachineAction)(const char *verb, const MachineState *st, int pidfd, void *userdata);

/* Runs action on every machine named in argv[optind...]; the exit code is the first failure's. */
static int for_each_machine(const char *verb, int argc, char *argv[], int first, MachineAction action,
                            void *userdata) {
        int ret = 0;

        if (first >= argc) {
                log_error("%s: no machine named (see berth %s --help)", verb, verb);
                return EXIT_BERTH_USAGE;
        }
        for (int i = first; i < argc; i++) {
                MachineState st = {};
                int pidfd = -EBADF, r;

                r = machine_open(verb, argv[i], &st, &pidfd);
                if (r == 0) {
                        r = action(verb, &st, pidfd, userdata);
                        safe_close(pidfd);
                        machine_state_done(&st);
                }
                if (r != 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

static int send_signal(const char *verb, const MachineState *st, int pidfd, int sig) {
        int r = pidfd_signal(pidfd, sig);

        if (r < 0) {
                log_error_errno(r, "%s: cannot signal machine '%s': %m", verb, st->name);
                return exit_code_from_errno(r);
        }
        return 0;
}

static int do_poweroff(const char *verb, const MachineState *st, int pidfd, void *userdata) {
        _cleanup_close_ int monitor = -EBADF;
        int r;

        /* Through the monitor, as SIGTERM to it would: it asks the guest the way its init understands
         * (SIGTERM to the reaper for a command), knows it asked, and kills a guest that does not stop
         * within its --kill-timeout=. */
        r = machine_state_open_monitor(st, &monitor);
        if (r < 0) {
                log_error_errno(r, "%s: cannot find the monitor of machine '%s': %m", verb, st->name);
                return exit_code_from_errno(r);
        }
        r = thaw_for(verb, st);
        if (r != 0)
                return r;
        return send_signal(verb, st, monitor, SIGTERM);
}

static int do_reboot(const char *verb, const MachineState *st, int pidfd, void *userdata) {
        int r;

        if (!is_booted(st)) {
                log_error(
                        "%s: machine '%s' runs a command, not an init: it cannot reboot (berth poweroff or "
                        "terminate stop it)",
                        verb, st->name);
                return EXIT_BERTH_UNSUPPORTED;
        }
        r = thaw_for(verb, st);
        if (r != 0)
                return r;
        return send_signal(verb, st, pidfd, init_reboot_signal(init_kind_from_string(st->init)));
}

int machine_ask_poweroff(const char *verb, const MachineState *st) {
        return do_poweroff(verb, st, -EBADF, NULL);
}

int machine_ask_reboot(const char *verb, const MachineState *st, int leader_pidfd) {
        return do_reboot(verb, st, leader_pidfd, NULL);
}

static int do_freeze(const char *verb, const MachineState *st, int pidfd, void *userdata) {
        bool freeze = *(const bool *) userdata;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!machine_cgroup_is_own(st)) {
                log_error("%s: machine '%s' has no cgroup of its own on record", verb, st->name);
                return EXIT_BERTH_FAILURE;
        }
        r = open_payload(st, &fd);
        if (r < 0) {
                log_error_errno(r, "%s: cannot open the cgroup of machine '%s': %m", verb, st->name);
                return exit_code_from_errno(r);
        }
        /* Only the payload: the monitor (and its supervisor cgroup) must keep running to notice the
         * machine end, or to power it off. */
        r = cgroup_freeze(fd, freeze, CGROUP_FREEZE_TIMEOUT_USEC);
        if (r == -EOPNOTSUPP) {
                log_error("%s: this kernel has no cgroup freezer (cgroup.freeze needs Linux 5.2 or later)",
                          verb);
                return EXIT_BERTH_UNSUPPORTED;
        }
        if (r == -ETIMEDOUT && freeze) {
                log_error("%s: machine '%s' did not freeze within %us: a process of it is in an "
                          "uninterruptible sleep (thawed it again; try later)",
                          verb, st->name, CGROUP_FREEZE_TIMEOUT_USEC / 1000000U);
                return EXIT_BERTH_BUSY;
        }
        if (r == -ETIMEDOUT) {
                log_error("%s: machine '%s' is still frozen after %us: a cgroup above it is frozen "
                          "(thaw that one)",
                          verb, st->name, CGROUP_FREEZE_TIMEOUT_USEC / 1000000U);
                return EXIT_BERTH_BUSY;
        }
        if (r < 0) {
                log_error_errno(r, "%s: cannot %s machine '%s': %m", verb, freeze ? "freeze" : "thaw",
                                st->name);
                return exit_code_from_errno(r);
        }
        return 0;
}

static int do_terminate(const char *verb, const MachineState *st, int pidfd, void *userdata) {
        _cleanup_free_ char *payload = NULL;
        int r;

        if (!machine_cgroup_is_own(st)) {
                log_error("%s: machine '%s' has no cgroup of its own on record", verb, st->name);
                return EXIT_BERTH_FAILURE;
        }
        /* The payload, not the scope: the monitor in the scope's supervisor cgroup sees PID 1 die and
         * cleans up after the machine. */
        payload = strjoin3(st->cgroup, "/payload", NULL);
        r = payload ? cgroup_kill(payload) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "%s: cannot kill the processes of machine '%s': %m", verb, st->name);
                return exit_code_from_errno(r);
        }
        return 0;
}

/* Every process in a cgroup tree (cgroup.procs of it and all below). */
static int collect_pids(const char *cgroup, pid_t **pids, size_t *n, unsigned depth) {
        _cleanup_free_ char *procs = NULL, *path = NULL;
        DIR *d;
        struct dirent *de;
        int r;

        if (depth > 32)
                return -ELOOP;
        path = strjoin3(cgroup, "/cgroup.procs", NULL);
        if (!path)
                return -ENOMEM;
        r = read_small_file_at(AT_FDCWD, path, 4 * 1024 * 1024, &procs, NULL);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        for (char *p = procs, *e; *p; p = e) {
                long v = strtol(p, &e, 10);
                pid_t *np;

                if (e == p || v <= 0)
                        break;
                while (*e == '\n')
                        e++;
                np = realloc(*pids, sizeof(pid_t) * (*n + 1));
                if (!np)
                        return -ENOMEM;
                *pids = np;
                (*pids)[(*n)++] = (pid_t) v;
        }
        d = opendir(cgroup);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_free_ char *child = NULL;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                child = strjoin3(cgroup, "/", de->d_name);
                r = child ? collect_pids(child, pids, n, depth + 1) : -ENOMEM;
                if (r < 0) {
                        closedir(d);
                        return r;
                }
        }
        closedir(d);
        return 0;
}

typedef struct KillOptions {
        int signal;
        bool leader_only;
} KillOptions;

static int do_kill(const char *verb, const MachineState *st, int pidfd, void *userdata) {
        const KillOptions *o = userdata;
        _cleanup_free_ char *payload = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r;

        if (o->signal != SIGKILL && machine_is_frozen(st) > 0)
                log_notice("%s: machine '%s' is frozen: %s waits until it is thawed (berth thaw %s)", verb,
                           st->name, signal_name(o->signal), st->name);
        if (o->leader_only)
                return send_signal(verb, st, pidfd, o->signal);
        if (!machine_cgroup_is_own(st)) {
                log_error("%s: machine '%s' has no cgroup of its own on record", verb, st->name);
                return EXIT_BERTH_FAILURE;
        }
        if (o->signal == SIGKILL)
                return do_terminate(verb, st, pidfd, NULL);
        payload = strjoin3(st->cgroup, "/payload", NULL);
        r = payload ? collect_pids(payload, &pids, &n, 0) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "%s: cannot list the processes of machine '%s': %m", verb, st->name);
                return exit_code_from_errno(r);
        }
        for (size_t i = 0; i < n; i++) {
                /* Through a pidfd: a process that exits meanwhile cannot hand its PID to a stranger. */
                _cleanup_close_ int fd = pidfd_open_pid(pids[i]);
                if (fd >= 0)
                        (void) pidfd_signal(fd, o->signal);
        }
        return 0;
}

static int parse_names_only(const char *verb, int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("berth %s NAME...\n", verb);
                        return -1;
                }
                log_error("%s: option '%s' is unknown (see berth %s --help)", verb, argv[optind - 1], verb);
                return EXIT_BERTH_USAGE;
        }
        return 0;
}

int verb_poweroff(int argc, char *argv[]) {
        int r = parse_names_only("poweroff", argc, argv);
        return r ? (r < 0 ? 0 : r) : for_each_machine("poweroff", argc, argv, optind, do_poweroff, NULL);
}

int verb_reboot(int argc, char *argv[]) {
        int r = parse_names_only("reboot", argc, argv);
        return r ? (r < 0 ? 0 : r) : for_each_machine("reboot", argc, argv, optind, do_reboot, NULL);
}

int verb_terminate(int argc, char *argv[]) {
        int r = parse_names_only("terminate", argc, argv);
        return r ? (r < 0 ? 0 : r) : for_each_machine("terminate", argc, argv, optind, do_terminate, NULL);
}

int verb_freeze(int argc, char *argv[]) {
        bool freeze = true;
        int r = parse_names_only("freeze", argc, argv);
        return r ? (r < 0 ? 0 : r) : for_each_machine("freeze", argc, argv, optind, do_freeze, &freeze);
}

int verb_thaw(int argc, char *argv[]) {
        bool freeze = false;
        int r = parse_names_only("thaw", argc, argv);
        return r ? (r < 0 ? 0 : r) : for_each_machine("thaw", argc, argv, optind, do_freeze, &freeze);
}

int verb_kill(int argc, char *argv[]) {
        static const struct option options[] = {
                { "signal", required_argument, NULL, 's' },
                { "kill-whom", required_argument, NULL, 'w' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        KillOptions o = { .signal = SIGTERM };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "hs:", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        o.signal = signal_from_string(optarg);
                        if (o.signal < 0) {
                                log_error("kill: invalid --signal '%s': expected a name (TERM, SIGUSR1, "
                                          "RTMIN+4) "
                                          "or a number",
                                          optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        break;
                case 'w':
                        if (streq(optarg, "leader"))
                                o.leader_only = true;
                        else if (streq(optarg, "all"))
                                o.leader_only = false;
                        else {
                                log_error("kill: invalid --kill-whom '%s': expected leader or all", optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        break;
                case 'h':
                        printf("berth kill [--signal=SIG] [--kill-whom=all|leader] NAME...\n");
                        return 0;
                default:
                        log_error("kill: option '%s' is unknown or misses its value (see berth kill --help)",
                                  argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        return for_each_machine("kill", argc, argv, optind, do_kill, &o);
}

typedef struct Proc {
        pid_t pid, ppid;
        char cmd[256];
} Proc;

static void proc_read(Proc *p) {
        char path[64], buf[1024];
        _cleanup_close_ int fd = -EBADF;
        ssize_t k;
        const char *rp;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) p->pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && (k = read(fd, buf, sizeof(buf) - 1)) > 0) {
                buf[k] = '\0';
                rp = strrchr(buf, ')');
                if (rp)
                        (void) sscanf(rp + 1, " %*c %d", &p->ppid);
        }
        fd = safe_close(fd);
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) p->pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        k = fd >= 0 ? read(fd, p->cmd, sizeof(p->cmd) - 1) : -1;
        if (k <= 0)
                snprintf(p->cmd, sizeof(p->cmd), "(gone)");
        else {
                p->cmd[k] = '\0';
                for (ssize_t i = 0; i < k - 1; i++)
                        if (p->cmd[i] == '\0')
                                p->cmd[i] = ' ';
                for (char *c = p->cmd; *c; c++)
                        if ((unsigned char) *c < ' ')
                                *c = '?';
        }
}

static void print_tree(const Proc *procs, size_t n, pid_t parent, unsigned depth, bool is_root) {
        for (size_t i = 0; i < n; i++) {
                bool top = true;

                if (is_root) {
                        for (size_t j = 0; j < n; j++)
                                if (procs[j].pid == procs[i].ppid)
                                        top = false;
                        if (!top)
                                continue;
                } else if (procs[i].ppid != parent)
                        continue;
                printf("%*s%s%d %s\n", 15 + 2 * (int) depth, "", depth ? "└─" : "", (int) procs[i].pid,
                       procs[i].cmd);
                if (depth < 32)
                        print_tree(procs, n, procs[i].pid, depth + 1, false);
        }
}

/* The limits the machine's scope has now, in systemd's syntax ("MemoryMax=536870912"), read from its
 * cgroup files: what set-limit or systemctl set-property changed included. NULL when none. */
static char **machine_limits(const MachineState *st) {
        _cleanup_close_ int scope = -EBADF, payload = -EBADF;
        char **lines = NULL;
        CgroupLimits l;
        size_t j;

        if (!machine_cgroup_is_own(st))
                return NULL;
        scope = open(st->cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (scope < 0)
                return NULL;
        payload = openat(scope, "payload", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        cgroup_limits_init(&l);
        if (cgroup_limits_read(scope, &l) >= 0 &&
            (payload < 0 || cgroup_limits_read_payload(payload, &l) >= 0))
                (void) cgroup_limits_to_strv(&l, &lines);
        cgroup_limits_done(&l);
        /* Only what differs from what a cgroup has when nobody limits it. */
        j = 0;
        for (size_t i = 0; lines && lines[i]; i++) {
                static const char *const defaults[] = { "CPUWeight=100", "IOWeight=100",
                                                        "CPUQuotaPeriodSec=100ms", "OOMPolicy=continue" };
                const char *eq = strchr(lines[i], '=');
                bool keep = !(eq && streq(eq + 1, "infinity"));

                for (size_t k = 0; keep && k < ELEMENTSOF(defaults); k++)
                        keep = !streq(lines[i], defaults[k]);
                if (keep)
                        lines[j++] = lines[i];
                else
                        free(lines[i]);
        }
        if (lines)
                lines[j] = NULL;
        if (lines && !lines[0])
                lines = strv_free(lines);
        return lines;
}

int verb_status(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool json = false;
        int c, ret = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf("berth status [--json] NAME...\n");
                        return 0;
                default:
                        log_error("status: option '%s' is unknown (see berth status --help)",
                                  argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        if (optind >= argc) {
                log_error("status: no machine named (see berth status --help)");
                return EXIT_BERTH_USAGE;
        }
        if (json)
                printf("[");
        for (int i = optind; i < argc; i++) {
                MachineState st = {};
                _cleanup_free_ pid_t *pids = NULL;
                _cleanup_free_ Proc *procs = NULL;
                char **limits = NULL;
                size_t n = 0;
                int pidfd = -EBADF, r;
                struct timespec now;
                uint64_t up;
                char since[64];
                CgroupStats stats;
                const char *freezer;

                r = machine_open("status", argv[i], &st, &pidfd);
                if (r != 0) {
                        if (!ret)
                                ret = r;
                        continue;
                }
                safe_close(pidfd);
                cgroup_stats_init(&stats);
                if (machine_cgroup_is_own(&st)) {
                        _cleanup_close_ int scope = open(st.cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                        _cleanup_free_ char *payload = strjoin3(st.cgroup, "/payload", NULL);

                        /* The machine's processes; the monitor in the supervisor cgroup is berth's. */
                        if (payload)
                                (void) collect_pids(payload, &pids, &n, 0);
                        if (scope >= 0)
                                (void) cgroup_stats_read(scope, &stats);
                }
                freezer = stats_freezer_state(&stats);
                limits = machine_limits(&st);
                procs = calloc(n + 1, sizeof(Proc));
                for (size_t k = 0; procs && k < n; k++) {
                        procs[k].pid = pids[k];
                        proc_read(&procs[k]);
                }
                clock_gettime(CLOCK_REALTIME, &now);
                up = (uint64_t) now.tv_sec * 1000000 + (uint64_t) now.tv_nsec / 1000 - st.since_usec;
                format_timestamp_usec(st.since_usec, since, sizeof(since));

                if (json) {
                        printf("%s{\"name\":", i > optind ? "," : "");
                        json_write_string(stdout, st.name);
                        printf(",\"state\":");
                        json_write_string(stdout, st.state ?: "running");
                        printf(",\"init\":");
                        json_write_string(stdout, st.init);
                        printf(",\"leader\":%d,\"monitor\":%d,\"root\":", (int) st.leader, (int) st.monitor);
                        json_write_string(stdout, st.root);
                        printf(",\"uuid\":");
                        json_write_string(stdout, st.uuid);
                        printf(",\"os\":");
                        json_write_string(stdout, st.os);
                        printf(",\"cgroup\":");
                        json_write_string(stdout, st.cgroup);
                        list_print_userns_json(&st);
                        printf(",\"unit\":");
                        json_write_string(stdout, st.unit);
                        printf(",\"limits\":{");
                        STRV_FOREACH (l, limits) {
                                size_t k = strcspn(*l, "=");
                                _cleanup_free_ char *key = strndup(*l, k);
                                printf("%s", l == limits ? "" : ",");
                                json_write_string(stdout, key ?: "");
                                printf(":");
                                json_write_string(stdout, *l + k + (*(*l + k) ? 1 : 0));
                        }
                        printf("}");
                        stats_print_json_fields(&stats, false, 0);
                        printf(",\"since_usec\":%llu,\"uptime_usec\":%llu,\"processes\":[",
                               (unsigned long long) st.since_usec, (unsigned long long) up);
                        for (size_t k = 0; procs && k < n; k++) {
                                printf("%s{\"pid\":%d,\"ppid\":%d,\"command\":", k ? "," : "",
                                       (int) procs[k].pid, (int) procs[k].ppid);
                                json_write_string(stdout, procs[k].cmd);
                                printf("}");
                        }
                        printf("]}");
                } else {
                        printf("%s%s\n", i > optind ? "\n" : "", st.name);
                        printf("          State: %s%s%s%s\n", st.state ?: "running", freezer ? " (" : "",
                               freezer ?: "", freezer ? ")" : "");
                        printf("           Init: %s\n", st.init ?: "-");
                        printf("         Leader: %d\n", (int) st.leader);
                        printf("        Monitor: %d\n", (int) st.monitor);
                        printf("           Root: %s\n", st.root ?: "-");
                        printf("             OS: %s\n", st.os ?: "-");
                        printf("           UUID: %s\n", st.uuid ?: "-");
                        if (st.uid_count > 0)
                                printf("      UID range: %u-%u (%s, %s)\n", (unsigned) st.uid_base,
                                       (unsigned) (st.uid_base + st.uid_count - 1),
                                       st.private_users ?: "pick", list_ownership_description(st.ownership));
                        else
                                printf("      UID range: none (no user namespace: root inside is root "
                                       "outside)\n");
                        printf("          Since: %s (up %llus)\n", since,
                               (unsigned long long) (up / 1000000));
                        printf("         Cgroup: %s%s%s%s\n", st.cgroup ?: "-",
                               st.unit ? " (systemd unit " : "", st.unit ?: "", st.unit ? ")" : "");
                        if (limits) {
                                printf("         Limits:");
                                STRV_FOREACH (l, limits)
                                        printf(" %s", *l);
                                printf("\n");
                        }
                        stats_print_status_lines(&stats, 15);
                        printf("      Processes:\n");
                        if (procs)
                                print_tree(procs, n, 0, 0, true);
                }
                machine_state_done(&st);
                limits = strv_free(limits);
        }
        if (json)
                printf("]\n");
        return ret;
}
