#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "console.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "log.h"
#include "monitor.h"
#include "machine-name.h"
#include "machines.h"
#include "parse-util.h"
#include "process-util.h"
#include "run.h"
#include "service.h"
#include "state.h"
#include "strv.h"
#include "time-util.h"

/* Machines as services: berth start, stop, enable, disable and logs. With systemd as the host's init a
 * machine's service is berth@NAME.service (units/), and these verbs are systemctl's and journalctl's.
 * Without it berth start runs the monitor detached itself: its console and messages go to
 * LOG_DIR/NAME.log, its console is served for berth attach, and berth stop powers it off. */

#define SERVICE_TIMEOUT_DEFAULT_USEC (90ULL * 1000000ULL)
#define SERVICE_TIMEOUT_MAX_USEC     (24ULL * 3600ULL * 1000000ULL)
/* After the timeout of berth stop (or of a start that is given up on): the monitor's second SIGTERM kills
 * the guest at once; this is how long that may take. */
#define SERVICE_KILL_WAIT_USEC (15ULL * 1000000ULL)
#define MACHINES_TARGET        "berth-machines.target"
#define LOG_TAIL_LINES         20U
/* The monitor serves the console just after it reports the machine running. */
#define CONSOLE_SERVE_WAIT_USEC (1000ULL * 1000ULL)

extern char **environ;

static bool have_systemd(void) {
        return sd_booted() > 0;
}

static char *unit_name(const char *name) {
        return strjoin3("berth@", name, ".service");
}

static char *log_path(const char *name) {
        return strjoin3(BERTH_LOG_DIR "/", name, ".log");
}

/* Runs a program found in PATH and waits for it. Returns its exit status, or an exit code after saying why
 * it could not be run. */
static int run_program(const char *verb, char *const *argv) {
        siginfo_t si;
        pid_t pid;
        int r;

        r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
        if (r == ENOENT) {
                log_error("%s: %s is not installed (systemd is this host's init, so berth needs it)", verb,
                          argv[0]);
                return EXIT_BERTH_UNSUPPORTED;
        }
        if (r != 0) {
                log_error_errno(r, "%s: cannot run %s: %m", verb, argv[0]);
                return exit_code_from_errno(-r);
        }
        r = wait_pid(pid, &si);
        if (r < 0) {
                log_error_errno(r, "%s: cannot wait for %s: %m", verb, argv[0]);
                return EXIT_BERTH_INTERNAL;
        }
        return exit_status_from_siginfo(&si);
}

static int parse_timeout(const char *verb, const char *s, uint64_t *ret) {
        int64_t ns;

        if (parse_sec_signed_ns(s, &ns) < 0 || ns <= 0 || (uint64_t) ns / 1000 > SERVICE_TIMEOUT_MAX_USEC) {
                log_error("%s: invalid --timeout '%s': expected seconds, more than 0 and at most a day",
                          verb, s);
                return EXIT_BERTH_USAGE;
        }
        *ret = (uint64_t) ns / 1000;
        return 0;
}

static int check_name(const char *verb, const char *name) {
        if (machine_name_is_valid(name))
                return 0;
        log_error(
                "%s: '%s' is not a valid machine name (1-64 of A-Z a-z 0-9 . _ -, not starting with . or -)",
                verb, name);
        return EXIT_BERTH_USAGE;
}

/* The machine's tree: directory (-D) when given, else NAME in the image store. 0, or an exit code after
 * saying why not. */
static int check_image(const char *verb, const char *name, const char *directory) {
        _cleanup_free_ char *path = directory ? strdup(directory) : strjoin3(BERTH_MACHINES_DIR, "/", name);
        struct stat st;

        if (!path)
                return log_oom(), EXIT_BERTH_INTERNAL;
        if (stat(path, &st) < 0) {
                int r = -errno;

                if (r == -ENOENT && directory)
                        log_error("%s: tree '%s' does not exist", verb, path);
                else if (r == -ENOENT)
                        log_error("%s: there is no image '%s' (%s does not exist: make the machine's tree "
                                  "there%s)",
                                  verb, name, path, have_systemd() ? "" : ", or give it with -D DIR");
                else
                        log_error_errno(r, "%s: cannot look at the tree of machine '%s' (%s): %m", verb,
                                        name, path);
                return exit_code_from_errno(r);
        }
        if (!S_ISDIR(st.st_mode)) {
                log_error("%s: the tree of machine '%s' (%s) is not a directory", verb, name, path);
                return EXIT_BERTH_NOT_FOUND;
        }
        return 0;
}

/* A pidfd for the monitor of machine name when it runs (its state names a live one), else -ESRCH. */
static int open_running_monitor(const char *name, MachineState *ret_state) {
        MachineState st = {};
        int fd, r;

        r = machine_state_load(BERTH_STATE_DIR, name, &st);
        if (r < 0)
                return r;
        r = machine_state_open_monitor(&st, &fd);
        if (r < 0) {
                machine_state_done(&st);
                return r;
        }
        if (ret_state)
                *ret_state = st;
        else
                machine_state_done(&st);
        return fd;
}

/* Waits (bounded) for a pidfd to report its process's end. 1 when it ended, 0 on timeout. */
static int wait_pidfd(int pidfd, uint64_t usec) {
        uint64_t end = now_usec(CLOCK_MONOTONIC) + usec;

        for (;;) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                int k;

                if (now >= end)
                        return 0;
                k = poll(&p, 1, (int) MIN((end - now + 999) / 1000, (uint64_t) 1000));
                if (k > 0)
                        return 1;
                if (k < 0 && errno != EINTR)
                        return negative_errno();
        }
}

/* The last lines of what the monitor wrote to its log since offset from, to stderr. */
static void print_log_tail(const char *path, uint64_t from) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        uint64_t start = 0;

        if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t) st.st_size <= from)
                return;
        if (file_tail_offset(fd, (uint64_t) st.st_size, LOG_TAIL_LINES, &start) < 0)
                return;
        (void) file_copy_range(fd, MAX(start, from), (uint64_t) st.st_size, STDERR_FILENO);
}

/* The size of a file, 0 when it cannot be read. */
static uint64_t file_size(const char *path) {
        struct stat st;
        return stat(path, &st) >= 0 ? (uint64_t) st.st_size : 0;
}

/* Whether the monitor wrote that it killed the guest to its log after offset from (the log of a machine
 * berth start ran; others have none, and count as clean). */
static bool log_says_killed(const char *path, uint64_t from) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[64 * 1024 + 1];
        struct stat st;
        ssize_t n;

        if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t) st.st_size <= from)
                return false;
        /* The monitor's last words: what it wrote after the request to power off, at most the end. */
        from = MAX(from,
                   (uint64_t) st.st_size > sizeof(buf) - 1 ? (uint64_t) st.st_size - (sizeof(buf) - 1) : 0);
        n = pread(fd, buf, sizeof(buf) - 1, (off_t) from);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        return memmem(buf, (size_t) n, MONITOR_KILLED_MESSAGE, strlen(MONITOR_KILLED_MESSAGE)) != NULL;
}

/* berth's own exit codes pass through; anything else (a guest's status) is a plain failure. */
static int monitor_failure_code(int status) {
        switch (status) {
        case EXIT_BERTH_USAGE:
        case EXIT_BERTH_NOT_FOUND:
        case EXIT_BERTH_UNSUPPORTED:
        case EXIT_BERTH_INTERNAL:
        case EXIT_BERTH_BUSY:
        case EXIT_BERTH_PERMISSION:
                return status;
        default:
                return EXIT_BERTH_FAILURE;
        }
}

/* Whether the monitor pid has reported the machine running. */
static bool detached_is_running(const char *name, pid_t pid) {
        MachineState st = {};
        bool up;

        if (machine_state_load(BERTH_STATE_DIR, name, &st) < 0)
                return false;
        up = st.monitor == pid && streq_ptr(st.state, "running");
        machine_state_done(&st);
        return up;
}

static int start_detached(const char *name, char **boot_args, uint64_t timeout_usec) {
        _cleanup_(settings_freep) Settings *s = NULL;
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_free_ char *path = log_path(name), *console = NULL;
        _cleanup_close_ int log_fd = -EBADF, running = -EBADF;
        char since[64];
        uint64_t offset, deadline, running_since = 0;
        off_t end;
        pid_t pid;
        int r;

        /* The steps: build boot's command line and check it here, so usage errors and a missing tree are
         * reported before anything starts; open the log; fork the monitor into a session of its own, with
         * its output in the log; wait until it reports the machine running (and serves its console), or
         * until it ends, or the time is up, when it is stopped again. */
        if (!path || strv_extend(&args, "berth") < 0 || strv_extend(&args, "boot") < 0 ||
            strv_extend(&args, "-M") < 0 || strv_extend(&args, name) < 0 ||
            strv_extend(&args, "--console=read-only") < 0)
                return log_oom(), EXIT_BERTH_INTERNAL;
        STRV_FOREACH (a, boot_args)
                if (strv_extend(&args, *a) < 0)
                        return log_oom(), EXIT_BERTH_INTERNAL;
        r = run_parse_args((int) strv_length(args) - 1, args + 1, true, NULL, &s);
        if (r != 0 || !s)
                return r;
        r = check_image("start", name, s->directory);
        if (r != 0)
                return r;
        running = open_running_monitor(name, NULL);
        if (running >= 0) {
                log_error("start: machine '%s' is running already (berth stop %s stops it)", name, name);
                return EXIT_BERTH_BUSY;
        }
        if ((s->console == CONSOLE_PASSIVE || s->console == CONSOLE_READ_ONLY) &&
            console_socket_path(BERTH_STATE_DIR, name, &console) < 0)
                return log_oom(), EXIT_BERTH_INTERNAL;

        if (mkdir(BERTH_LOG_DIR, 0750) < 0 && errno != EEXIST) {
                r = log_error_errno(errno, "start: cannot create %s for the machine's log: %m",
                                    BERTH_LOG_DIR);
                return exit_code_from_errno(r);
        }
        log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC, 0640);
        if (log_fd < 0) {
                r = log_error_errno(errno, "start: cannot open the log '%s': %m", path);
                return exit_code_from_errno(r);
        }
        end = lseek(log_fd, 0, SEEK_END);
        offset = end > 0 ? (uint64_t) end : 0;
        format_timestamp_usec(now_usec(CLOCK_REALTIME), since, sizeof(since));
        (void) dprintf(log_fd, "-- berth start %s, %s --\n", name, since);

        pid = fork();
        if (pid < 0) {
                r = log_error_errno(errno, "start: cannot fork the monitor: %m");
                return exit_code_from_errno(r);
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                /* A session of its own: no terminal can reach it, and it outlives ours. */
                if (null < 0 || setsid() < 0 || dup2(null, STDIN_FILENO) < 0 ||
                    dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
                        _exit(EXIT_BERTH_INTERNAL);
                (void) close_all_fds_except(NULL, 0);
                execv("/proc/self/exe", args);
                fprintf(stderr, "berth: cannot execute berth for the monitor: %m\n");
                _exit(127);
        }

        deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;
        for (;;) {
                struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
                siginfo_t si = {};

                if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG) >= 0 && si.si_pid == pid) {
                        int status = exit_status_from_siginfo(&si);

                        log_error(
                                "start: machine '%s' did not start (its monitor exited with status %d). The "
                                "end of its log, %s:",
                                name, status, path);
                        print_log_tail(path, offset);
                        return monitor_failure_code(status);
                }
                /* Running, and (a moment later) serving its console for berth attach; a monitor that
                 * could not serve it said why in the log, and the machine runs anyway. */
                if (running_since == 0 && detached_is_running(name, pid))
                        running_since = now_usec(CLOCK_MONOTONIC);
                if (running_since > 0 &&
                    (!console || access(console, F_OK) >= 0 ||
                     now_usec(CLOCK_MONOTONIC) > running_since + CONSOLE_SERVE_WAIT_USEC))
                        return 0;
                if (now_usec(CLOCK_MONOTONIC) > deadline)
                        break;
                nanosleep(&ts, NULL);
        }

        /* Still our child, so its PID cannot have been reused: signalling it by PID is safe. */
        log_error("start: machine '%s' was not running after %llu s: stopping it again (berth logs %s shows "
                  "how far it got)",
                  name, (unsigned long long) (timeout_usec / 1000000), name);
        (void) kill(pid, SIGTERM);
        for (unsigned i = 0; i < 3; i++) {
                int k = pidfd_open_pid(pid);
                int gone = k >= 0 ? wait_pidfd(k, SERVICE_KILL_WAIT_USEC) : 1;

                safe_close(k);
                if (gone)
                        break;
                /* The second SIGTERM kills the guest at once; the last resort is the monitor itself. */
                (void) kill(pid, i == 0 ? SIGTERM : SIGKILL);
        }
        (void) wait_pid(pid, NULL);
        return EXIT_BERTH_FAILURE;
}

static int start_unit(const char *name) {
        _cleanup_free_ char *unit = unit_name(name);
        int r;

        if (!unit)
                return log_oom(), EXIT_BERTH_INTERNAL;
        r = check_image("start", name, NULL);
        if (r != 0)
                return r;
        r = run_program("start", (char *const *) STRV_MAKE("systemctl", "start", unit));
        if (r == EXIT_BERTH_UNSUPPORTED || r == EXIT_BERTH_INTERNAL)
                return r;
        if (r != 0) {
                log_error("start: %s did not start (journalctl -u %s shows why)", unit, unit);
                return EXIT_BERTH_FAILURE;
        }
        return 0;
}

static void start_help(void) {
        printf("berth start [--timeout=SEC] NAME [BOOT OPTIONS] [-- INIT-ARGS...]\n\n"
               "Boot machine NAME in the background and return once it is running.\n"
               "With systemd as the host's init this is systemctl start berth@NAME.service (the machine's\n"
               "options come from its settings file); otherwise berth runs the monitor detached, with the\n"
               "console in " BERTH_LOG_DIR
               "/NAME.log (berth logs) and served for berth attach, and takes the\n"
               "options of berth boot.\n\n"
               "     --timeout=SEC   How long to wait for it to run, without systemd (default 90)\n"
               "  -h --help          Show this help\n");
}

int verb_start(int argc, char *argv[]) {
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_strv_free_ char **rest = NULL;
        uint64_t timeout = SERVICE_TIMEOUT_DEFAULT_USEC;
        bool options_done = false;
        const char *name;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        r = parse_timeout("start", optarg, &timeout);
                        if (r != 0)
                                return r;
                        break;
                case 'h':
                        start_help();
                        return 0;
                default:
                        log_error("start: option '%s' is unknown or misses its value (see berth start "
                                  "--help; boot's "
                                  "options come after the name)",
                                  argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        if (optind >= argc) {
                log_error("start: no machine named (see berth start --help)");
                return EXIT_BERTH_USAGE;
        }
        name = argv[optind];
        r = check_name("start", name);
        if (r != 0)
                return r;
        /* After the name, boot's options, and --timeout= too (it is ours). */
        for (int i = optind + 1; i < argc; i++) {
                if (!options_done && strneq(argv[i], "--timeout=", 10)) {
                        r = parse_timeout("start", argv[i] + strlen("--timeout="), &timeout);
                        if (r != 0)
                                return r;
                        continue;
                }
                options_done = options_done || streq(argv[i], "--");
                if (strv_extend(&rest, argv[i]) < 0)
                        return log_oom(), EXIT_BERTH_INTERNAL;
        }
        if (geteuid() != 0) {
                log_error("start: berth needs root to start a machine (run it as root)");
                return EXIT_BERTH_PERMISSION;
        }
        if (!have_systemd())
                return start_detached(name, rest, timeout);
        if (rest) {
                log_error("start: with systemd, machine '%s' runs as berth@%s.service, which takes its "
                          "options "
                          "from its settings file (/etc/berth/%s.nspawn), not from the command line",
                          name, name, name);
                return EXIT_BERTH_USAGE;
        }
        return start_unit(name);
}

static int stop_one(const char *name, uint64_t timeout_usec) {
        _cleanup_free_ char *unit = unit_name(name), *log = NULL;
        uint64_t log_offset;
        _cleanup_close_ int leader = -EBADF, monitor = -EBADF;
        MachineState st = {};
        int r;

        if (!unit)
                return log_oom(), EXIT_BERTH_INTERNAL;
        r = machine_open("stop", name, &st, &leader);
        if (r != 0)
                return r;
        /* Its own unit's: systemctl stop, whose SIGTERM to the monitor (KillMode=mixed) powers it off. */
        if (have_systemd() && streq_ptr(st.unit, unit)) {
                machine_state_done(&st);
                r = run_program("stop", (char *const *) STRV_MAKE("systemctl", "stop", unit));
                if (r == EXIT_BERTH_UNSUPPORTED || r == EXIT_BERTH_INTERNAL)
                        return r;
                if (r != 0) {
                        log_error("stop: systemctl stop %s failed (journalctl -u %s shows why)", unit, unit);
                        return EXIT_BERTH_FAILURE;
                }
                /* Stopped, but a guest that had to be killed leaves the unit failed (status 137). */
                if (run_program("stop",
                                (char *const *) STRV_MAKE("systemctl", "is-failed", "--quiet", unit)) == 0) {
                        log_error("stop: %s stopped, but not cleanly (journalctl -u %s shows why)", unit,
                                  unit);
                        return EXIT_BERTH_FAILURE;
                }
                return 0;
        }

        /* Otherwise what berth poweroff does, and then wait for the monitor to end: it removes what the
         * machine had (state, lock, cgroup, console socket) before it exits. */
        r = machine_state_open_monitor(&st, &monitor);
        if (r < 0) {
                log_error_errno(r, "stop: cannot find the monitor of machine '%s': %m", name);
                machine_state_done(&st);
                return exit_code_from_errno(r);
        }
        log = log_path(name);
        if (!log) {
                machine_state_done(&st);
                return log_oom(), EXIT_BERTH_INTERNAL;
        }
        log_offset = file_size(log);
        r = machine_ask_poweroff("stop", &st);
        machine_state_done(&st);
        if (r != 0)
                return r;
        r = wait_pidfd(monitor, timeout_usec);
        if (r > 0 && log_says_killed(log, log_offset)) {
                log_error("stop: machine '%s' did not power off cleanly: its monitor killed it after its "
                          "--kill-timeout= (%s has its console)",
                          name, log);
                return EXIT_BERTH_FAILURE;
        }
        if (r > 0)
                return 0;
        log_error("stop: machine '%s' did not power off within %llu s: killing it", name,
                  (unsigned long long) (timeout_usec / 1000000));
        /* The monitor's second request kills the guest at once. */
        (void) pidfd_signal(monitor, SIGTERM);
        if (wait_pidfd(monitor, SERVICE_KILL_WAIT_USEC) <= 0)
                log_error("stop: the monitor of machine '%s' does not end", name);
        return EXIT_BERTH_FAILURE;
}

int verb_stop(int argc, char *argv[]) {
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        uint64_t timeout = SERVICE_TIMEOUT_DEFAULT_USEC;
        int c, r, ret = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        r = parse_timeout("stop", optarg, &timeout);
                        if (r != 0)
                                return r;
                        break;
                case 'h':
                        printf("berth stop [--timeout=SEC] NAME...\n\n"
                               "Power machines off cleanly and wait until they are gone: systemctl stop for "
                               "one\n"
                               "started by its berth@NAME.service, otherwise what berth poweroff does.\n\n"
                               "     --timeout=SEC   How long to wait before killing it (default 90; with "
                               "systemd\n"
                               "                     the unit's TimeoutStopSec= applies)\n"
                               "  -h --help          Show this help\n");
                        return 0;
                default:
                        log_error("stop: option '%s' is unknown or misses its value (see berth stop --help)",
                                  argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        if (optind >= argc) {
                log_error("stop: no machine named (see berth stop --help)");
                return EXIT_BERTH_USAGE;
        }
        for (int i = optind; i < argc; i++) {
                r = stop_one(argv[i], timeout);
                if (r != 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/* berth enable and disable: systemctl enable berth@NAME.service (WantedBy=berth-machines.target), and the
 * target itself (WantedBy=multi-user.target), so the machine starts when the host boots. */
static int enable_disable(int argc, char *argv[], bool enable) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *verb = enable ? "enable" : "disable";
        _cleanup_strv_free_ char **cmd = NULL;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        printf("berth %s NAME...\n\n%s\n", verb,
                               enable ? "Start machines when the host boots: systemctl enable "
                                        "berth@NAME.service."
                                      : "No longer start machines when the host boots.");
                        return 0;
                }
                log_error("%s: option '%s' is unknown (see berth %s --help)", verb, argv[optind - 1], verb);
                return EXIT_BERTH_USAGE;
        }
        if (optind >= argc) {
                log_error("%s: no machine named (see berth %s --help)", verb, verb);
                return EXIT_BERTH_USAGE;
        }
        if (!have_systemd()) {
                log_error("%s: needs systemd as the host's init, and this host has none (start machines at "
                          "boot "
                          "with its own init's means, running berth start NAME)",
                          verb);
                return EXIT_BERTH_UNSUPPORTED;
        }
        if (strv_extend(&cmd, "systemctl") < 0 || strv_extend(&cmd, verb) < 0 ||
            (log_get_max_level() < LOG_NOTICE && strv_extend(&cmd, "--quiet") < 0) ||
            (enable && strv_extend(&cmd, MACHINES_TARGET) < 0))
                return log_oom(), EXIT_BERTH_INTERNAL;
        for (int i = optind; i < argc; i++) {
                r = check_name(verb, argv[i]);
                if (r == 0 && enable)
                        r = check_image(verb, argv[i], NULL);
                if (r != 0)
                        return r;
                if (strv_push(&cmd, unit_name(argv[i])) < 0)
                        return log_oom(), EXIT_BERTH_INTERNAL;
        }
        r = run_program(verb, cmd);
        if (r != 0 && r != EXIT_BERTH_UNSUPPORTED && r != EXIT_BERTH_INTERNAL) {
                log_error("%s: systemctl %s failed (is berth@.service installed?)", verb, verb);
                r = EXIT_BERTH_FAILURE;
        }
        return r;
}

int verb_enable(int argc, char *argv[]) {
        return enable_disable(argc, argv, true);
}

int verb_disable(int argc, char *argv[]) {
        return enable_disable(argc, argv, false);
}
