#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "fs-util.h"
#include "limit-options.h"
#include "log.h"
#include "machine-name.h"
#include "machines.h"
#include "set-limit.h"
#include "settings-file.h"
#include "state.h"
#include "strv.h"
#include "systemd-scope.h"

#define SETTINGS_DIR "/etc/berth"

static void help(void) {
        printf("berth set-limit NAME [--persist] LIMIT...\n\n"
               "Change a running machine's resource limits at once, without a restart. With --persist,\n"
               "also write them to its settings file's [Resources] (a machine that is not running only\n"
               "gets the file).\n\n"
               "  -h --help                  Show this help\n"
               "     --persist               Also keep them in the settings file for the next start\n"
               "\nLimits (an empty value, e.g. --memory-max=, removes the key with --persist):\n");
        limit_options_help();
}

/* The trusted settings file of the machine to edit: the one it is read from if that is trusted, else a
 * new one in /etc/berth (which then comes first). */
static int persist(const char *name, const char *image_dir, const CgroupLimits *l, char **resets) {
        _cleanup_strv_free_ char **lines = NULL;
        _cleanup_free_ char *path = NULL, *old = NULL, *text = NULL;
        bool trusted = false;
        int r;

        r = cgroup_limits_to_strv(l, &lines);
        if (r < 0)
                return log_error_errno(r, "set-limit: cannot format the limits: %m");
        STRV_FOREACH (k, resets)
                if (strv_push(&lines, strjoin3(*k, "=", NULL)) < 0)
                        return log_oom();
        r = settings_file_find(name, image_dir, &path, &trusted);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "set-limit: cannot look for the settings file of '%s': %m", name);
        if (r < 0 || !trusted) {
                if (path)
                        log_warning("set-limit: the settings file beside the image (%s) is not trusted; the "
                                    "limits "
                                    "go to " SETTINGS_DIR
                                    "/%s.nspawn, which from now on is read instead of it.",
                                    path, name);
                free(path);
                path = NULL;
                if (mkdir(SETTINGS_DIR, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(errno, "set-limit: cannot create " SETTINGS_DIR ": %m");
                if (asprintf(&path, SETTINGS_DIR "/%s.nspawn", name) < 0)
                        return log_oom();
        } else {
                r = read_small_file_at(AT_FDCWD, path, SETTINGS_FILE_SIZE_MAX, &old, NULL);
                if (r < 0 && r != -ENOENT)
                        return log_error_errno(r, "set-limit: cannot read '%s': %m", path);
        }
        r = settings_file_set_keys(old, "Resources", lines, &text);
        if (r < 0)
                return log_error_errno(r, "set-limit: cannot edit '%s' (%m): fix or remove it first", path);
        r = write_file_atomic(path, text, 0644);
        if (r < 0)
                return log_error_errno(r, "set-limit: cannot write '%s': %m", path);
        log_notice("Limits of '%s' kept in %s.", name, path);
        return 0;
}

static int apply_live(const MachineState *st, const CgroupLimits *l) {
        _cleanup_free_ char *error = NULL, *payload = NULL;
        _cleanup_close_ int scope_fd = -EBADF, payload_fd = -EBADF;
        const char *file = NULL;
        int r;

        r = cgroup_check_limits_supported(l, &error);
        if (r >= 0)
                r = cgroup_limits_check_host(l, &error);
        if (r < 0) {
                log_error("set-limit: %s", error ?: "the limits cannot be checked");
                return exit_code_from_errno(r);
        }
        if (!machine_cgroup_is_own(st)) {
                log_error("set-limit: machine '%s' has no cgroup of its own on record", st->name);
                return EXIT_BERTH_FAILURE;
        }
        scope_fd = open(st->cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (scope_fd < 0)
                return log_error_errno(errno, "set-limit: cannot open the cgroup '%s': %m", st->cgroup),
                       exit_code_from_errno(-errno);
        if (st->unit) {
                /* systemd's scope: through systemd, so systemctl show and set-property agree. */
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

                r = bus_connect_systemd(&bus);
                if (r < 0) {
                        log_error_errno(r,
                                        "set-limit: machine '%s' is in systemd's unit %s, but systemd's bus "
                                        "cannot be reached: %m",
                                        st->name, st->unit);
                        return exit_code_from_errno(r);
                }
                r = systemd_unit_set_limits(bus, st->unit, l, true, &error);
                if (r < 0) {
                        log_error("set-limit: %s", error ?: "systemd refused the limits");
                        return exit_code_from_errno(r);
                }
        } else {
                /* Controllers the scope was made without (a first cpuset, say) are enabled first. */
                r = cgroup_enable_along(st->cgroup, cgroup_limits_controllers(l));
                if (r < 0) {
                        log_error_errno(
                                r, "set-limit: cannot enable the controllers the limits need above '%s': %m",
                                st->cgroup);
                        return exit_code_from_errno(r);
                }
                r = cgroup_limits_write(l, scope_fd, &file);
                if (r < 0) {
                        log_error_errno(r, "set-limit: cannot write %s of machine '%s' (%s): %m",
                                        file ?: "a limit", st->name, st->cgroup);
                        return exit_code_from_errno(r);
                }
        }
        payload_fd = openat(scope_fd, "payload", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (payload_fd >= 0) {
                r = cgroup_limits_write_payload(l, payload_fd, &file);
                if (r < 0) {
                        log_error_errno(r, "set-limit: cannot write %s of machine '%s': %m",
                                        file ?: "a limit", st->name);
                        return exit_code_from_errno(r);
                }
        }
        return 0;
}

int verb_set_limit(int argc, char *argv[]) {
        enum { ARG_PERSIST = 0x100 };
        static const struct option base[] = {
                { "help", no_argument, NULL, 'h' },
                { "persist", no_argument, NULL, ARG_PERSIST },
                {},
        };
        _cleanup_free_ struct option *options = limit_options_append(base);
        _cleanup_strv_free_ char **resets = NULL;
        CgroupLimits l;
        MachineState st = {};
        bool do_persist = false, any = false;
        const char *name;
        int c, r, pidfd = -EBADF;

        if (!options)
                return log_oom(), EXIT_BERTH_INTERNAL;
        cgroup_limits_init(&l);
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (limit_option_is(c)) {
                        r = limit_option_parse(c, optarg, &l);
                        if (r != 0)
                                goto out;
                        if (optarg[0] == 0) {
                                const char *key = cgroup_limit_options[c - LIMIT_OPTION_FIRST].key;
                                if (strv_extend(&resets, key) < 0) {
                                        r = EXIT_BERTH_INTERNAL;
                                        goto out;
                                }
                        }
                        any = true;
                        continue;
                }
                switch (c) {
                case 'h':
                        help();
                        r = 0;
                        goto out;
                case ARG_PERSIST:
                        do_persist = true;
                        break;
                default:
                        log_error("set-limit: option '%s' is unknown or misses its value (see berth "
                                  "set-limit --help)",
                                  argv[optind - 1]);
                        r = EXIT_BERTH_USAGE;
                        goto out;
                }
        }
        if (optind + 1 != argc) {
                log_error("set-limit: expected one machine name (see berth set-limit --help)");
                r = EXIT_BERTH_USAGE;
                goto out;
        }
        if (!any) {
                log_error("set-limit: no limit given (e.g. --memory-max=1G; see berth set-limit --help)");
                r = EXIT_BERTH_USAGE;
                goto out;
        }
        name = argv[optind];
        if (!machine_name_is_valid(name)) {
                log_error("set-limit: '%s' is not a valid machine name", name);
                r = EXIT_BERTH_USAGE;
                goto out;
        }
        if (resets && !do_persist) {
                log_error("set-limit: an empty value removes a key from the settings file, which needs "
                          "--persist; "
                          "to lift a live limit, give it as infinity");
                r = EXIT_BERTH_USAGE;
                goto out;
        }

        /* A machine that is not running can still have its settings file edited. */
        if (do_persist && machine_state_load(BERTH_STATE_DIR, name, &st) == -ENOENT) {
                r = persist(name, NULL, &l, resets) < 0 ? EXIT_BERTH_FAILURE : 0;
                if (r == 0)
                        log_notice("Machine '%s' is not running: the limits apply from its next start.",
                                   name);
                goto out;
        }
        machine_state_done(&st);
        r = machine_open("set-limit", name, &st, &pidfd);
        if (r != 0)
                goto out;
        safe_close(pidfd);
        r = apply_live(&st, &l);
        if (r == 0 && do_persist && persist(name, st.root, &l, resets) < 0)
                r = EXIT_BERTH_FAILURE;
out:
        machine_state_done(&st);
        cgroup_limits_done(&l);
        return r;
}
