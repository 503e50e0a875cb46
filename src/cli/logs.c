#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "exit-codes.h"
#include "fd-util.h"
#include "log.h"
#include "machine-name.h"
#include "parse-util.h"
#include "service.h"
#include "state.h"
#include "strv.h"

/* berth logs NAME: what a machine started in the background wrote (its console and its monitor's
 * messages). With systemd that is berth@NAME.service's journal; without, the log berth start keeps in
 * LOG_DIR/NAME.log. */

#define LOGS_FOLLOW_LINES_DEFAULT 10U
#define LOGS_POLL_MS              250

static int logs_journal(const char *name, bool follow, const char *lines) {
        _cleanup_free_ char *unit = strjoin3("berth@", name, ".service");
        _cleanup_strv_free_ char **argv = NULL;

        if (!unit || strv_extend(&argv, "journalctl") < 0 || strv_extend(&argv, "--no-pager") < 0 ||
            strv_extend(&argv, "-u") < 0 || strv_extend(&argv, unit) < 0 ||
            (follow && strv_extend(&argv, "-f") < 0) ||
            (lines && (strv_extend(&argv, "-n") < 0 || strv_extend(&argv, lines) < 0)))
                return log_oom(), EXIT_BERTH_INTERNAL;
        execvp(argv[0], argv);
        if (errno == ENOENT) {
                log_error("logs: journalctl is not installed (systemd is this host's init: machines log to "
                          "the "
                          "journal)");
                return EXIT_BERTH_UNSUPPORTED;
        }
        log_error_errno(errno, "logs: cannot run journalctl: %m");
        return EXIT_BERTH_FAILURE;
}

/* Copies what the log has beyond *pos to stdout; a log that shrank (rotated, truncated) starts over. */
static int copy_new(int fd, uint64_t *pos) {
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if ((uint64_t) st.st_size < *pos)
                *pos = 0;
        r = file_copy_range(fd, *pos, (uint64_t) st.st_size, STDOUT_FILENO);
        if (r < 0)
                return r;
        *pos = (uint64_t) st.st_size;
        return 0;
}

static int logs_file(const char *name, bool follow, unsigned lines, bool lines_given) {
        _cleanup_free_ char *path = strjoin3(BERTH_LOG_DIR "/", name, ".log");
        _cleanup_close_ int fd = -EBADF, monitor = -EBADF;
        MachineState st = {};
        struct stat sb;
        uint64_t pos = 0;
        int r;

        if (!path)
                return log_oom(), EXIT_BERTH_INTERNAL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                log_error("logs: machine '%s' has no log (%s): berth start keeps one for the machines it "
                          "starts",
                          name, path);
                return EXIT_BERTH_NOT_FOUND;
        }
        if (fd < 0) {
                r = log_error_errno(errno, "logs: cannot open '%s': %m", path);
                return exit_code_from_errno(r);
        }
        /* Following ends with the machine: watch its monitor from before the first read, so nothing written
         * between the two is missed. */
        if (follow && machine_state_load(BERTH_STATE_DIR, name, &st) >= 0) {
                (void) machine_state_open_monitor(&st, &monitor);
                machine_state_done(&st);
        }
        if (fstat(fd, &sb) < 0) {
                r = log_error_errno(errno, "logs: cannot read '%s': %m", path);
                return exit_code_from_errno(r);
        }
        if (!lines_given && follow)
                lines = LOGS_FOLLOW_LINES_DEFAULT;
        if (lines_given || follow) {
                r = file_tail_offset(fd, (uint64_t) sb.st_size, lines, &pos);
                if (r < 0) {
                        log_error_errno(r, "logs: cannot read '%s': %m", path);
                        return exit_code_from_errno(r);
                }
        }
        for (;;) {
                struct pollfd p = { .fd = monitor, .events = POLLIN };
                bool ended;

                r = copy_new(fd, &pos);
                if (r == -EPIPE)
                        return 0;
                if (r < 0) {
                        log_error_errno(r, "logs: cannot copy '%s': %m", path);
                        return exit_code_from_errno(r);
                }
                if (monitor < 0)
                        return 0;
                ended = poll(&p, 1, LOGS_POLL_MS) > 0;
                if (ended) {
                        /* What it wrote last, then done. */
                        monitor = safe_close(monitor);
                }
        }
}

static void logs_help(void) {
        printf("berth logs [-f] [-n N] NAME\n\n"
               "Show what a machine started with berth start wrote: its console and berth's messages.\n"
               "With systemd as the host's init, journalctl -u berth@NAME.service; otherwise "
               "" BERTH_LOG_DIR "/NAME.log.\n\n"
               "  -f --follow      Go on showing what it writes until the machine ends (with systemd,\n"
               "                   until interrupted)\n"
               "  -n --lines=N     Only the last N lines (-f alone: 10)\n"
               "  -h --help        Show this help\n");
}

int verb_logs(int argc, char *argv[]) {
        static const struct option options[] = {
                { "follow", no_argument, NULL, 'f' },
                { "lines", required_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *lines_arg = NULL, *name;
        bool follow = false;
        uint32_t lines = 0;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "hfn:", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        follow = true;
                        break;
                case 'n':
                        if (safe_atou32(optarg, &lines) < 0 || lines > 1000000) {
                                log_error("logs: invalid --lines '%s': expected a number of lines, at most "
                                          "1000000",
                                          optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        lines_arg = optarg;
                        break;
                case 'h':
                        logs_help();
                        return 0;
                default:
                        log_error("logs: option '%s' is unknown or misses its value (see berth logs --help)",
                                  argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        if (optind + 1 != argc) {
                log_error("logs: expected one machine name (see berth logs --help)");
                return EXIT_BERTH_USAGE;
        }
        name = argv[optind];
        if (!machine_name_is_valid(name)) {
                log_error("logs: '%s' is not a valid machine name", name);
                return EXIT_BERTH_USAGE;
        }
        if (sd_booted() > 0)
                return logs_journal(name, follow, lines_arg);
        return logs_file(name, follow, lines, lines_arg != NULL);
}
