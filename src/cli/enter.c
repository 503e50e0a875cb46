#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "enter.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "log.h"
#include "machines.h"
#include "path-util.h"
#include "strv.h"

/* berth enter NAME [--] [COMMAND...] and berth shell NAME [USER]: the same mechanism; shell means a
 * login shell on a pty. */
static int enter_or_shell(int argc, char *argv[], bool shell) {
        static const struct option options[] = {
                { "user", required_argument, NULL, 'u' },
                { "chdir", required_argument, NULL, 'c' },
                { "setenv", required_argument, NULL, 'E' },
                { "no-cgroup", no_argument, NULL, 'n' },
                { "console", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *verb = shell ? "shell" : "enter";
        _cleanup_strv_free_ char **env = NULL;
        EnterRequest req = { .join_cgroup = true, .login = shell, .leader_pidfd = -EBADF };
        ConsoleMode console = _CONSOLE_MODE_INVALID;
        MachineState st = {};
        int c, r, status = 0;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+u:E:h", options, NULL)) >= 0)
                switch (c) {
                case 'u':
                        if (isempty(optarg) || strlen(optarg) > 256 || strpbrk(optarg, ":/\n")) {
                                log_error("%s: invalid --user '%s': expected a user name or UID", verb,
                                          optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        req.user = optarg;
                        break;
                case 'c':
                        if (!path_is_absolute(optarg)) {
                                log_error("%s: invalid --chdir '%s': expected an absolute path", verb,
                                          optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        req.working_directory = optarg;
                        break;
                case 'E':
                        if (!strchr(optarg, '=') || optarg[0] == '=' || strv_extend(&env, optarg) < 0) {
                                log_error("%s: invalid --setenv '%s': expected NAME=VALUE", verb, optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        break;
                case 'n':
                        req.join_cgroup = false;
                        break;
                case 'o':
                        console = console_mode_from_string(optarg);
                        if (console != CONSOLE_INTERACTIVE && console != CONSOLE_PIPE) {
                                log_error("%s: invalid --console '%s': expected interactive or pipe", verb,
                                          optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        break;
                case 'h':
                        if (shell)
                                printf("berth shell [OPTIONS] NAME [USER]\n\nA login shell in a running "
                                       "machine.\n");
                        else
                                printf("berth enter [OPTIONS] NAME [--] [COMMAND...]\n\n"
                                       "Run a command (default: a shell) in a running machine; exit with "
                                       "its status.\n"
                                       "  -u --user=NAME|UID   As this user of the machine's /etc/passwd\n"
                                       "     --chdir=DIR       Working directory\n"
                                       "  -E --setenv=NAME=VALUE\n"
                                       "     --no-cgroup       Stay out of the machine's cgroup (for a "
                                       "debugger)\n"
                                       "     --console=interactive|pipe  Default: interactive on a "
                                       "terminal\n");
                        return 0;
                default:
                        log_error("%s: option '%s' is unknown or misses its value (see berth %s --help)",
                                  verb, argv[optind - 1], verb);
                        return EXIT_BERTH_USAGE;
                }
        if (optind >= argc) {
                log_error("%s: no machine named (see berth %s --help)", verb, verb);
                return EXIT_BERTH_USAGE;
        }
        if (geteuid() != 0) {
                log_error("%s: joining a machine needs root (run it as root)", verb);
                return EXIT_BERTH_PERMISSION;
        }
        r = machine_open(verb, argv[optind], &st, &req.leader_pidfd);
        if (r != 0)
                return r;
        if (req.join_cgroup && machine_is_frozen(&st) > 0) {
                /* A process started in a frozen cgroup freezes at once: berth would hang with it. */
                log_error("%s: machine '%s' is frozen (berth thaw %s first, or --no-cgroup)", verb, st.name,
                          st.name);
                machine_state_done(&st);
                safe_close(req.leader_pidfd);
                return EXIT_BERTH_BUSY;
        }
        if (shell) {
                if (optind + 1 < argc)
                        req.user = argv[optind + 1];
                if (optind + 2 < argc) {
                        log_error("shell: too many arguments (berth shell NAME [USER])");
                        machine_state_done(&st);
                        safe_close(req.leader_pidfd);
                        return EXIT_BERTH_USAGE;
                }
        } else {
                int first = optind + 1;
                if (first < argc && streq(argv[first], "--"))
                        first++;
                if (first < argc)
                        req.argv = argv + first;
        }

        req.machine = &st;
        req.environment = env;
        req.console = console_mode_pick(console);
        r = machine_enter(&req, &status);
        machine_state_done(&st);
        safe_close(req.leader_pidfd);
        return r < 0 ? exit_code_from_errno(r) : status;
}

int verb_enter(int argc, char *argv[]) {
        return enter_or_shell(argc, argv, false);
}

int verb_shell(int argc, char *argv[]) {
        return enter_or_shell(argc, argv, true);
}
