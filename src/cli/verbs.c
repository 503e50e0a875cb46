#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "exit-codes.h"
#include "images.h"
#include "list.h"
#include "log.h"
#include "machines.h"
#include "run.h"
#include "service.h"
#include "set-limit.h"
#include "stats.h"
#include "verbs.h"

static const Verb verbs[] = {
        { "run", "Run a machine (foreground monitor)", "Run a command in a new machine rooted at an OS tree",
          verb_run },
        { "boot", "Run a machine (foreground monitor)", "Boot an OS tree with its own init as PID 1",
          verb_boot },
        { "list", "Machines", "List running machines", verb_list },
        { "status", "Machines", "Show a machine's state and processes", verb_status },
        { "start", "Machines", "Boot a machine in the background (berth@NAME.service with systemd)",
          verb_start },
        { "stop", "Machines", "Power a machine off cleanly and wait until it is gone", verb_stop },
        { "enter", "Machines", "Run a command in a running machine", verb_enter },
        { "shell", "Machines", "A login shell in a running machine", verb_shell },
        { "attach", "Machines", "Attach this terminal to a background machine's console", verb_attach },
        { "logs", "Machines", "Show the console log of a machine started in the background", verb_logs },
        { "poweroff", "Machines", "Ask a machine to power off", verb_poweroff },
        { "reboot", "Machines", "Ask a booted machine to reboot", verb_reboot },
        { "terminate", "Machines", "Kill every process of a machine at once", verb_terminate },
        { "kill", "Machines", "Send a signal to a machine's processes", verb_kill },
        { "stats", "Machines", "Show what machines use: CPU, memory, tasks, IO", verb_stats },
        { "freeze", "Machines", "Stop every process of a machine where it is", verb_freeze },
        { "thaw", "Machines", "Let a frozen machine run again", verb_thaw },
        { "set-limit", "Machines", "Change a running machine's resource limits", verb_set_limit },
        { "enable", "Machines", "Start a machine when the host boots (systemd)", verb_enable },
        { "disable", "Machines", "No longer start a machine when the host boots", verb_disable },
        { "images", "Images", "List the images in the store", verb_images },
        { "image-status", "Images", "Show an image's type, size, times and user", verb_image_status },
        { "create", "Images", "Make a new image from busybox or Debian (debootstrap)", verb_create },
        { "clone", "Images", "Copy an image (a snapshot on btrfs)", verb_clone },
        { "rename", "Images", "Rename an image", verb_rename },
        { "read-only", "Images", "Mark an image read-only or writable", verb_read_only },
        { "remove", "Images", "Remove images", verb_remove },
        { "import-tar", "Images", "Make an image from a tar archive", verb_import_tar },
        { "import-fs", "Images", "Make an image from a copy of a directory", verb_import_fs },
        { "export-tar", "Images", "Write an image as a tar archive", verb_export_tar },
};

const Verb *verb_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

void verbs_help(void) {
        const char *group = NULL;

        printf("berth [OPTIONS] VERB [OPTIONS] [ARGS...]\n\n"
               "Boot and run Linux machines: OS trees in their own namespaces and cgroups.\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!group || !streq(group, verbs[i].group)) {
                        group = verbs[i].group;
                        printf("\n%s:\n", group);
                }
                printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
        }
        printf("\nOptions:\n"
               "  -h --help            Show this help (berth VERB --help for a verb's)\n"
               "     --version         Show the version and compiled-in features\n"
               "     --log-level=LEVEL err, warning, notice, info or debug (also BERTH_LOG_LEVEL)\n"
               "     --image-path=DIR  The image store to use (also BERTH_IMAGE_PATH; "
               "default " BERTH_MACHINES_DIR " and machinectl's search paths)\n"
               "  -q --quiet           No notices\n");
}

static void version(void) {
        printf("berth %s\n+SECCOMP +CAPABILITIES +SD-EVENT +SD-BUS +CGROUP2 +TIMENS +USERNS +MACHINED "
               "+IMAGES +LIBARCHIVE +BLKID\n",
               PROJECT_VERSION);
}

int berth_main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "log-level", required_argument, NULL, 'l' },
                { "quiet", no_argument, NULL, 'q' },
                { "image-path", required_argument, NULL, 'i' },
                {},
        };
        const Verb *v;
        int c, r;

        log_parse_environment();
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+hq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        verbs_help();
                        return 0;
                case 'V':
                        version();
                        return 0;
                case 'l':
                        r = log_level_from_string(optarg);
                        if (r < 0) {
                                log_error("invalid --log-level '%s': expected err, warning, notice, info or "
                                          "debug",
                                          optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        log_set_max_level(r);
                        break;
                case 'q':
                        log_set_max_level(LOG_WARNING);
                        break;
                case 'i':
                        /* Through the environment, so the monitor of berth start sees the same store. */
                        if (optarg[0] != '/') {
                                log_error("--image-path='%s': the store must be an absolute path", optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        if (setenv("BERTH_IMAGE_PATH", optarg, 1) < 0)
                                return log_oom(), EXIT_BERTH_INTERNAL;
                        break;
                default:
                        log_error("option '%s' is unknown (see berth --help)", argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        if (optind >= argc) {
                log_error("no verb given (see berth --help)");
                return EXIT_BERTH_USAGE;
        }
        v = verb_find(argv[optind]);
        if (!v) {
                log_error("unknown verb '%s' (see berth --help)", argv[optind]);
                return EXIT_BERTH_USAGE;
        }
        return v->run(argc - optind, argv + optind);
}
