#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capability-util.h"
#include "exit-codes.h"
#include "log.h"
#include "machine-name.h"
#include "monitor.h"
#include "parse-util.h"
#include "path-util.h"
#include "run.h"
#include "run-image.h"
#include "image-use.h"
#include "image-store.h"
#include "fd-util.h"
#include "limit-options.h"
#include "settings-file.h"
#include "slice.h"
#include "strv.h"

static void boot_help(void) {
        printf("berth boot [OPTIONS] [--] [INIT-ARGS...]\n\n"
               "Boot a machine: the tree's init runs as PID 1; berth stays as its monitor until it powers "
               "off.\n"
               "Takes the options of berth run (see berth run --help), and:\n\n"
               "     --init=PATH             The init inside the tree (default: systemd, /sbin/init, "
               "/init)\n"
               "     --kill-timeout=SEC      How long a guest may take to power off (default 30)\n"
               "     --restart=no|on-reboot  Start the guest again when it reboots (default no: exit 133)\n"
               "     --notify-ready[=BOOL]   Tell our own service manager READY=1 when the guest is up\n"
               "\nResource limits (--memory-max=, --cpu-quota=, --slice=, ...) as for berth run.\n");
}

static void run_help(void) {
        printf("berth run [OPTIONS] [--] [COMMAND [ARGS...]]\n\n"
               "Run a command in a new machine rooted at an OS tree; exit with its status.\n\n"
               "  -D --directory=PATH        The tree to use as the root\n"
               "  -i --image=FILE            A raw disk image (GPT with DPS partitions, or a bare file\n"
               "                             system) to use as the root instead\n"
               "  -M --machine=NAME          Machine name (without -D: the tree in " BERTH_MACHINES_DIR
               "/NAME)\n"
               "     --no-os-check           Accept a tree without /usr or os-release\n"
               "     --read-only             Mount the root read-only\n"
               "  -x --ephemeral             Run on a throwaway copy of the image (a btrfs snapshot,\n"
               "                             else an overlay on a tmpfs), gone when the machine ends\n"
               "     --template=IMAGE|DIR    With -M NAME: make image NAME from this one the first time\n"
               "     --volatile[=MODE]       yes: a tmpfs root with the image's /usr; state: /var a tmpfs;\n"
               "                             overlay: changes on a tmpfs over the image; no\n"
               "     --bind=SRC[:DST[:OPTS]] Bind mount a host path (OPTS: [no]rbind, [no]idmap)\n"
               "     --bind-ro=SRC[:DST[:OPTS]]  The same, read-only\n"
               "     --tmpfs=PATH[:OPTS]     Mount a tmpfs\n"
               "     --overlay=LOWER[:...]:UPPER:DST  Mount an overlayfs (empty UPPER: throwaway)\n"
               "     --overlay-ro=LOWER[:...]:DST     Mount a read-only overlayfs\n"
               "     --hostname=NAME         Hostname (default: the machine name)\n"
               "     --uuid=UUID             The machine's UUID\n"
               "  -u --user=NAME|UID         Run as this user of the tree's /etc/passwd\n"
               "     --chdir=DIR             Working directory inside (default /)\n"
               "  -E --setenv=NAME[=VALUE]   Set an environment variable\n"
               "     --as-pid1               Run the command as PID 1 (no reaper)\n"
               "  -a --as-pid2               Run it as PID 2 under the reaper (the default)\n"
               "     --network=private|host  Network namespace (default private: loopback only)\n"
               "     --private-network       Same as --network=private\n"
               "     --time-offset=monotonic=SEC,boottime=SEC  A time namespace with shifted clocks\n"
               "     --capability=CAPS       Add capabilities (comma list, or all)\n"
               "     --drop-capability=CAPS  Drop capabilities\n"
               "     --no-new-privileges=BOOL  no_new_privs for the command (default: yes for run; for\n"
               "                             boot, yes only with busybox init, see berth(1))\n"
               "  -U --private-users=MODE    pick (default: a 64K UID block of its own), identity,\n"
               "                             UID[:COUNT], or no (root inside is root outside)\n"
               "     --private-users-ownership=MODE  auto, map (idmapped mounts), chown, off\n"
               "     --allow-nesting         Allow nested user namespaces, userfaultfd and io_uring\n"
               "     --system-call-filter=[~]LIST  Allow (or with ~, deny) system calls and @groups\n"
               "  -b --boot                  Boot the tree's init instead (as berth boot)\n"
               "     --resolv-conf=MODE      auto, off, bind-host, copy-host (/etc/resolv.conf)\n"
               "     --timezone=MODE         auto, off, bind, copy (/etc/localtime)\n"
               "     --console=MODE          interactive, read-only, passive or pipe\n"
               "  -P --pipe                  Same as --console=pipe\n"
               "     --register=WHEN         yes, no or auto: register with systemd-machined\n"
               "     --link-journal=MODE     no, host, try-host, guest, try-guest, auto (booting)\n"
               "  -j                         Same as --link-journal=try-guest\n"
               "  -q --quiet                 No notices\n"
               "  -h --help                  Show this help\n"
               "\nResource limits (cgroup v2; the [Resources] keys of a settings file, see berth(1)):\n"
               "     --slice=NAME            The slice: NAME for machine-NAME.slice, or X-Y.slice\n"
               "     --cgroup-manager=WHO    auto, systemd or berth: who makes the machine's scope\n"
               "     --keep-unit             The service berth runs in is the machine's scope (for\n"
               "                             berth@.service, with Delegate=yes)\n");
        limit_options_help();
}

enum {
        ARG_NO_OS_CHECK = 0x100,
        ARG_READ_ONLY,
        ARG_TEMPLATE,
        ARG_VOLATILE,
        ARG_BIND,
        ARG_BIND_RO,
        ARG_TMPFS,
        ARG_OVERLAY,
        ARG_OVERLAY_RO,
        ARG_HOSTNAME,
        ARG_UUID,
        ARG_CHDIR,
        ARG_AS_PID1,
        ARG_NETWORK,
        ARG_PRIVATE_NETWORK,
        ARG_TIME_OFFSET,
        ARG_CAPABILITY,
        ARG_DROP_CAPABILITY,
        ARG_NO_NEW_PRIVILEGES,
        ARG_SYSCALL_FILTER,
        ARG_CONSOLE,
        ARG_LOG_LEVEL,
        ARG_INIT,
        ARG_KILL_TIMEOUT,
        ARG_RESTART,
        ARG_NOTIFY_READY,
        ARG_RESOLV_CONF,
        ARG_TIMEZONE,
        ARG_PRIVATE_USERS,
        ARG_PRIVATE_USERS_OWNERSHIP,
        ARG_ALLOW_NESTING,
        ARG_SLICE,
        ARG_CGROUP_MANAGER,
        ARG_REGISTER,
        ARG_LINK_JOURNAL,
        ARG_KEEP_UNIT,
};

static int usage_error(const char *option, const char *value, const char *why) {
        log_error("run: invalid %s '%s': %s", option, value, why);
        return EXIT_BERTH_USAGE;
}

static bool env_name_is_valid(const char *s, size_t n) {
        if (n == 0 || n > 256 || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        return false;
        return true;
}

static int set_string(char **field, const char *v) {
        char *c = strdup(v);
        if (!c) {
                log_oom();
                return EXIT_BERTH_INTERNAL;
        }
        free(*field);
        *field = c;
        return 0;
}

int run_parse_args(int argc, char *argv[], bool boot, Settings *base, Settings **ret) {
        static const struct option options[] = {
                { "directory", required_argument, NULL, 'D' },
                { "image", required_argument, NULL, 'i' },
                { "machine", required_argument, NULL, 'M' },
                { "no-os-check", no_argument, NULL, ARG_NO_OS_CHECK },
                { "read-only", no_argument, NULL, ARG_READ_ONLY },
                { "ephemeral", no_argument, NULL, 'x' },
                { "template", required_argument, NULL, ARG_TEMPLATE },
                { "volatile", optional_argument, NULL, ARG_VOLATILE },
                { "bind", required_argument, NULL, ARG_BIND },
                { "bind-ro", required_argument, NULL, ARG_BIND_RO },
                { "tmpfs", required_argument, NULL, ARG_TMPFS },
                { "overlay", required_argument, NULL, ARG_OVERLAY },
                { "overlay-ro", required_argument, NULL, ARG_OVERLAY_RO },
                { "hostname", required_argument, NULL, ARG_HOSTNAME },
                { "uuid", required_argument, NULL, ARG_UUID },
                { "user", required_argument, NULL, 'u' },
                { "chdir", required_argument, NULL, ARG_CHDIR },
                { "setenv", required_argument, NULL, 'E' },
                { "as-pid1", no_argument, NULL, ARG_AS_PID1 },
                { "as-pid2", no_argument, NULL, 'a' },
                { "pipe", no_argument, NULL, 'P' },
                { "network", required_argument, NULL, ARG_NETWORK },
                { "private-network", no_argument, NULL, ARG_PRIVATE_NETWORK },
                { "time-offset", required_argument, NULL, ARG_TIME_OFFSET },
                { "capability", required_argument, NULL, ARG_CAPABILITY },
                { "drop-capability", required_argument, NULL, ARG_DROP_CAPABILITY },
                { "no-new-privileges", optional_argument, NULL, ARG_NO_NEW_PRIVILEGES },
                { "private-users", optional_argument, NULL, ARG_PRIVATE_USERS },
                { "private-users-ownership", required_argument, NULL, ARG_PRIVATE_USERS_OWNERSHIP },
                { "allow-nesting", optional_argument, NULL, ARG_ALLOW_NESTING },
                { "system-call-filter", required_argument, NULL, ARG_SYSCALL_FILTER },
                { "console", required_argument, NULL, ARG_CONSOLE },
                { "quiet", no_argument, NULL, 'q' },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                { "boot", no_argument, NULL, 'b' },
                { "init", required_argument, NULL, ARG_INIT },
                { "kill-timeout", required_argument, NULL, ARG_KILL_TIMEOUT },
                { "restart", required_argument, NULL, ARG_RESTART },
                { "notify-ready", optional_argument, NULL, ARG_NOTIFY_READY },
                { "resolv-conf", required_argument, NULL, ARG_RESOLV_CONF },
                { "timezone", required_argument, NULL, ARG_TIMEZONE },
                { "slice", required_argument, NULL, ARG_SLICE },
                { "cgroup-manager", required_argument, NULL, ARG_CGROUP_MANAGER },
                { "register", required_argument, NULL, ARG_REGISTER },
                { "link-journal", required_argument, NULL, ARG_LINK_JOURNAL },
                { "keep-unit", no_argument, NULL, ARG_KEEP_UNIT },
                {},
        };
        _cleanup_(settings_freep) Settings *s = NULL;
        _cleanup_free_ struct option *all_options = NULL;
        int c, r;

        s = base ?: settings_new();
        all_options = limit_options_append(options);
        if (!s || !all_options) {
                log_oom();
                return EXIT_BERTH_INTERNAL;
        }
        s->boot = s->boot || boot;
        optind = 0;
        opterr = 0;
        /* '+': the first non-option starts the command, whose own options are not ours. */
        while ((c = getopt_long(argc, argv, "+D:i:M:u:E:qhaPbUjx", all_options, NULL)) >= 0) {
                CustomMount m = {};

                if (optarg && strlen(optarg) > SETTINGS_VALUE_MAX)
                        return usage_error(argv[optind - 1], "…", "value too long");
                /* Over what a settings file set: one limit replaced, the others kept. */
                if (limit_option_is(c)) {
                        r = limit_option_parse(c, optarg, &s->limits);
                        if (r)
                                return r;
                        continue;
                }
                switch (c) {
                case 'h':
                        if (s->boot)
                                boot_help();
                        else
                                run_help();
                        *ret = NULL;
                        return 0;
                case 'D':
                        if (isempty(optarg))
                                return usage_error("--directory", optarg, "empty path");
                        r = set_string(&s->directory, optarg);
                        if (r)
                                return r;
                        break;
                case 'i':
                        if (isempty(optarg))
                                return usage_error("--image", optarg, "empty path");
                        r = set_string(&s->image, optarg);
                        if (r)
                                return r;
                        break;
                case 'M':
                        if (!machine_name_is_valid(optarg))
                                return usage_error(
                                        "--machine", optarg,
                                        "names are 1-64 of A-Z a-z 0-9 . _ -, not starting with . or -");
                        r = set_string(&s->machine_name, optarg);
                        if (r)
                                return r;
                        break;
                case ARG_NO_OS_CHECK:
                        s->no_os_check = true;
                        break;
                case ARG_READ_ONLY:
                        s->read_only = true;
                        break;
                case 'x':
                        s->ephemeral = true;
                        break;
                case ARG_VOLATILE: {
                        VolatileMode vm = optarg ? volatile_mode_from_string(optarg) : VOLATILE_YES;
                        if (vm < 0)
                                return usage_error("--volatile", optarg,
                                                   "expected yes, no, state or overlay");
                        s->volatile_mode = vm;
                        break;
                }
                case ARG_TEMPLATE:
                        if (!path_is_absolute(optarg) && !machine_name_is_valid(optarg))
                                return usage_error("--template", optarg,
                                                   "expected an image name or an absolute directory path");
                        r = set_string(&s->template_name, optarg);
                        if (r)
                                return r;
                        break;
                case ARG_BIND:
                case ARG_BIND_RO:
                        r = custom_mount_parse_bind(optarg, c == ARG_BIND_RO, &m);
                        if (r < 0)
                                return usage_error(
                                        c == ARG_BIND ? "--bind" : "--bind-ro", optarg,
                                        "expected SRC[:DST[:OPTS]] with absolute paths (SRC may start "
                                        "with +), no . or .. components, OPTS rbind, norbind, idmap, "
                                        "noidmap");
                        goto add_mount;
                case ARG_TMPFS:
                        r = custom_mount_parse_tmpfs(optarg, &m);
                        if (r < 0)
                                return usage_error("--tmpfs", optarg, "expected an absolute PATH[:OPTIONS]");
                        goto add_mount;
                case ARG_OVERLAY:
                case ARG_OVERLAY_RO:
                        r = custom_mount_parse_overlay(optarg, c == ARG_OVERLAY_RO, &m);
                        if (r < 0)
                                return usage_error(
                                        c == ARG_OVERLAY ? "--overlay" : "--overlay-ro", optarg,
                                        "expected LOWER[:LOWER...][:UPPER]:DST with absolute paths");
                add_mount:
                        r = settings_add_mount(s, &m);
                        if (r < 0) {
                                custom_mount_done(&m);
                                return usage_error("mount", optarg, "too many mounts");
                        }
                        break;
                case ARG_HOSTNAME:
                        if (!hostname_is_valid(optarg))
                                return usage_error("--hostname", optarg, "not a valid hostname");
                        r = set_string(&s->hostname, optarg);
                        if (r)
                                return r;
                        break;
                case ARG_UUID:
                        if (!uuid_is_valid(optarg))
                                return usage_error("--uuid", optarg,
                                                   "expected 32 hex digits, dashes optional");
                        r = set_string(&s->uuid, optarg);
                        if (r)
                                return r;
                        break;
                case 'u':
                        if (isempty(optarg) || strlen(optarg) > 256 || strpbrk(optarg, ":/\n") ||
                            string_has_cc(optarg))
                                return usage_error("--user", optarg, "expected a user name or UID");
                        r = set_string(&s->user, optarg);
                        if (r)
                                return r;
                        break;
                case ARG_CHDIR:
                        if (!path_is_absolute(optarg) || string_has_cc(optarg))
                                return usage_error("--chdir", optarg, "expected an absolute path");
                        r = set_string(&s->working_directory, optarg);
                        if (r)
                                return r;
                        break;
                case 'E': {
                        const char *eq = strchr(optarg, '=');
                        size_t n = eq ? (size_t) (eq - optarg) : strlen(optarg);

                        if (!env_name_is_valid(optarg, n))
                                return usage_error("--setenv", optarg, "expected NAME=VALUE or NAME");
                        if (eq)
                                r = strv_extend(&s->environment, optarg);
                        else {
                                const char *v = getenv(optarg);
                                char *kv;
                                if (!v)
                                        return usage_error("--setenv", optarg,
                                                           "not set in berth's environment");
                                kv = strjoin3(optarg, "=", v);
                                r = kv ? strv_push(&s->environment, kv) : -ENOMEM;
                        }
                        if (r < 0) {
                                log_oom();
                                return EXIT_BERTH_INTERNAL;
                        }
                        break;
                }
                case ARG_AS_PID1:
                        s->as_pid1 = true;
                        break;
                case 'a':
                        s->as_pid1 = false;
                        break;
                case 'P':
                        s->console = CONSOLE_PIPE;
                        break;
                case ARG_NETWORK:
                        s->network = network_mode_from_string(optarg);
                        if (s->network < 0)
                                return usage_error("--network", optarg, "expected private or host");
                        break;
                case ARG_PRIVATE_NETWORK:
                        s->network = NETWORK_PRIVATE;
                        break;
                case ARG_TIME_OFFSET:
                        r = time_offset_parse(optarg, &s->monotonic_offset_ns, &s->boottime_offset_ns);
                        if (r < 0)
                                return usage_error(
                                        "--time-offset", optarg,
                                        "expected monotonic=SEC,boottime=SEC (either alone), within ten "
                                        "years");
                        s->time_namespace = true;
                        break;
                case ARG_CAPABILITY:
                case ARG_DROP_CAPABILITY: {
                        uint64_t set;
                        r = capability_list_parse(optarg, &set);
                        if (r < 0)
                                return usage_error(
                                        c == ARG_CAPABILITY ? "--capability" : "--drop-capability", optarg,
                                        "expected capability names (CAP_SYS_ADMIN,...) or all");
                        if (c == ARG_CAPABILITY) {
                                s->capability_add |= set;
                                s->capability_drop &= ~set;
                        } else {
                                s->capability_drop |= set;
                                s->capability_add &= ~set;
                        }
                        break;
                }
                case ARG_NO_NEW_PRIVILEGES:
                        r = optarg ? parse_boolean(optarg) : 1;
                        if (r < 0)
                                return usage_error("--no-new-privileges", optarg, "expected yes or no");
                        s->no_new_privileges = r;
                        break;
                case 'U':
                        s->private_users = PRIVATE_USERS_PICK;
                        break;
                case ARG_PRIVATE_USERS:
                        if (!optarg) {
                                s->private_users = PRIVATE_USERS_PICK;
                                break;
                        }
                        r = private_users_parse(optarg, &s->private_users, &s->uid_shift, &s->uid_range);
                        if (r < 0)
                                return usage_error("--private-users", optarg,
                                                   "expected pick, identity, no, or UID[:COUNT] within 32 "
                                                   "bits");
                        break;
                case ARG_PRIVATE_USERS_OWNERSHIP:
                        s->ownership = userns_ownership_from_string(optarg);
                        if (s->ownership < 0)
                                return usage_error("--private-users-ownership", optarg,
                                                   "expected auto, map, chown or off");
                        break;
                case ARG_ALLOW_NESTING:
                        r = optarg ? parse_boolean(optarg) : 1;
                        if (r < 0)
                                return usage_error("--allow-nesting", optarg, "expected yes or no");
                        s->allow_nesting = r;
                        break;
                case ARG_SYSCALL_FILTER: {
                        _cleanup_strv_free_ char **names = NULL;
                        bool deny;
                        r = syscall_filter_parse(optarg, &deny, &names);
                        if (r < 0)
                                return usage_error("--system-call-filter", optarg,
                                                   "expected [~]NAME|@GROUP separated by spaces");
                        STRV_FOREACH (n, names)
                                if (strv_extend(deny ? &s->syscall_deny : &s->syscall_allow, *n) < 0) {
                                        log_oom();
                                        return EXIT_BERTH_INTERNAL;
                                }
                        break;
                }
                case ARG_CONSOLE:
                        s->console = console_mode_from_string(optarg);
                        if (s->console < 0)
                                return usage_error("--console", optarg,
                                                   "expected interactive, read-only, passive or pipe");
                        break;
                case 'b':
                        s->boot = true;
                        break;
                case ARG_INIT:
                        if (!path_is_normalized_absolute(optarg) || string_has_cc(optarg))
                                return usage_error("--init", optarg,
                                                   "expected an absolute path inside the tree");
                        r = set_string(&s->init, optarg);
                        if (r)
                                return r;
                        break;
                case ARG_KILL_TIMEOUT: {
                        int64_t ns;
                        r = parse_sec_signed_ns(optarg, &ns);
                        if (r < 0 || ns < 0 || ns > 24LL * 3600 * 1000000000LL)
                                return usage_error("--kill-timeout", optarg, "expected seconds, 0 to 86400");
                        s->kill_timeout_usec = (uint64_t) ns / 1000;
                        break;
                }
                case ARG_RESTART:
                        if (streq(optarg, "no"))
                                s->restart_on_reboot = false;
                        else if (streq(optarg, "on-reboot"))
                                s->restart_on_reboot = true;
                        else
                                return usage_error("--restart", optarg, "expected no or on-reboot");
                        break;
                case ARG_NOTIFY_READY:
                        r = optarg ? parse_boolean(optarg) : 1;
                        if (r < 0)
                                return usage_error("--notify-ready", optarg, "expected yes or no");
                        s->notify_ready = r;
                        break;
                case ARG_RESOLV_CONF:
                        s->resolv_conf = resolv_conf_mode_from_string(optarg);
                        if (s->resolv_conf < 0)
                                return usage_error("--resolv-conf", optarg,
                                                   "expected auto, off, bind-host or copy-host");
                        break;
                case ARG_TIMEZONE:
                        s->timezone = timezone_mode_from_string(optarg);
                        if (s->timezone < 0)
                                return usage_error("--timezone", optarg, "expected auto, off, bind or copy");
                        break;
                case ARG_SLICE: {
                        char *n = NULL;

                        if (!isempty(optarg) && slice_name_normalize(optarg, &n) < 0) {
                                log_error("--slice=%s: " SLICE_NAME_EXPECTED,
                                          string_has_cc(optarg) ? "…" : optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        free(s->slice);
                        s->slice = n; /* empty: machine.slice, the default */
                        break;
                }
                case ARG_LINK_JOURNAL:
                        s->link_journal = link_journal_from_string(optarg);
                        if (s->link_journal < 0)
                                return usage_error("--link-journal", optarg,
                                                   "expected no, host, try-host, guest, try-guest or auto");
                        break;
                case 'j':
                        s->link_journal = LINK_JOURNAL_TRY_GUEST;
                        break;
                case ARG_REGISTER:
                        s->register_mode = register_mode_from_string(optarg);
                        if (s->register_mode < 0)
                                return usage_error("--register", optarg, "expected yes, no or auto");
                        break;
                case ARG_CGROUP_MANAGER:
                        s->cgroup_manager = cgroup_manager_from_string(optarg);
                        if (s->cgroup_manager < 0)
                                return usage_error("--cgroup-manager", optarg,
                                                   "expected auto, systemd or berth");
                        break;
                case ARG_KEEP_UNIT:
                        s->keep_unit = true;
                        break;
                case 'q':
                        log_set_max_level(LOG_WARNING);
                        break;
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0)
                                return usage_error("--log-level", optarg,
                                                   "expected err, warning, notice, info or debug");
                        log_set_max_level(r);
                        break;
                case '?':
                default:
                        if (optopt && optopt < 0x100 && c == '?')
                                log_error("run: option '-%c' %s (see berth run --help)", optopt,
                                          strchr("DiMuE", optopt) ? "needs a value" : "is unknown");
                        else
                                log_error("run: option '%s' is unknown or misses its value (see berth run "
                                          "--help)",
                                          argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        }

        if (!s->directory && !s->image && !s->machine_name) {
                log_error("%s: no tree given: use -D DIR, -i IMAGE or -M NAME (see berth %s --help)",
                          s->boot ? "boot" : "run", s->boot ? "boot" : "run");
                return EXIT_BERTH_USAGE;
        }
        if (s->directory && s->image) {
                log_error("%s: -D/--directory= and -i/--image= exclude each other (give one)",
                          s->boot ? "boot" : "run");
                return EXIT_BERTH_USAGE;
        }
        if (optind < argc) {
                strv_free(s->command);
                s->command = strv_copy(argv + optind);
                if (!s->command) {
                        log_oom();
                        return EXIT_BERTH_INTERNAL;
                }
        }
        if (!s->boot && (s->init || s->restart_on_reboot)) {
                log_error("run: --init= and --restart= are for booting (berth boot, or -b)");
                return EXIT_BERTH_USAGE;
        }
        if (!s->boot && s->command && isempty(s->command[0])) {
                log_error("run: the command is empty");
                return EXIT_BERTH_USAGE;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* The settings file of the machine, if it has one, under the command line: parse the command line once
 * to learn the machine's name and tree, apply the file to fresh settings, then the command line again
 * on top. */
static int load_settings_file(int argc, char *argv[], bool boot, Settings **s) {
        _cleanup_free_ char *path = NULL, *text = NULL, *name = NULL, *error = NULL, *beside = NULL;
        _cleanup_strv_free_ char **ignored = NULL;
        Settings *base;
        unsigned line = 0;
        bool trusted;
        int r;

        if ((*s)->machine_name)
                name = strdup((*s)->machine_name);
        else {
                _cleanup_free_ char *dir = strdup((*s)->directory ?: (*s)->image);
                if (dir)
                        name = strdup(path_basename(path_simplify(dir)));
                /* NAME.raw is machine NAME, as the monitor names it. */
                if (name && (*s)->image && strlen(name) > 4 && streq(name + strlen(name) - 4, ".raw"))
                        name[strlen(name) - 4] = '\0';
        }
        if (!name)
                return log_oom(), EXIT_BERTH_INTERNAL;
        if (!machine_name_is_valid(name))
                return 0; /* the monitor reports the bad name */
        if (!(*s)->directory && !(*s)->image) {
                /* -M NAME: its settings may be beside it in the store. */
                beside = strjoin3(image_store_dir(), "/", name);
                if (!beside)
                        return log_oom(), EXIT_BERTH_INTERNAL;
        }
        r = settings_file_find(name, (*s)->directory ?: (*s)->image ?: beside, &path, &trusted);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                log_error_errno(r, "cannot look for the settings of machine '%s': %m", name);
                return exit_code_from_errno(r);
        }
        r = read_small_file_at(AT_FDCWD, path, SETTINGS_FILE_SIZE_MAX, &text, NULL);
        if (r < 0) {
                log_error_errno(r, "cannot read settings file '%s': %m", path);
                return exit_code_from_errno(r);
        }
        base = settings_new();
        if (!base)
                return log_oom(), EXIT_BERTH_INTERNAL;
        r = settings_file_apply_full(base, text, trusted, NULL, &ignored, &line, &error);
        if (r < 0) {
                settings_free(base);
                log_error_errno(r, "settings file '%s', line %u: %s", path, line,
                                error           ? error
                                : r == -EBADMSG ? "not a [Section] or KEY=VALUE line"
                                                : "invalid value");
                return EXIT_BERTH_USAGE;
        }
        STRV_FOREACH (i, ignored)
                log_warning("settings file '%s': %s", path, *i);
        log_debug("Using settings file '%s'%s.", path, trusted ? "" : " (untrusted)");
        *s = settings_free(*s);
        return run_parse_args(argc, argv, boot, base, s);
}

static int run_or_boot(int argc, char *argv[], bool boot) {
        /* The loop device outlives the settings (and the image's devices in them): freed last. */
        _cleanup_(loop_device_freep) LoopDevice *loop = NULL;
        _cleanup_(settings_freep) Settings *s = NULL;
        _cleanup_(image_use_done) ImageUse use = IMAGE_USE_NULL;
        int r, status = 0;

        r = run_parse_args(argc, argv, boot, NULL, &s);
        if (r != 0 || !s)
                return r;
        r = load_settings_file(argc, argv, boot, &s);
        if (r != 0 || !s)
                return r;
        if (s->boot && (s->as_pid1 || s->user)) {
                log_error("boot: init is PID 1 and runs as root; --as-pid1 and --user= (User=) are for "
                          "berth run");
                return EXIT_BERTH_USAGE;
        }
        if (s->keep_unit && s->slice)
                log_warning("--keep-unit: the unit's own Slice= places the machine; --slice=%s (Slice=) is "
                            "ignored",
                            s->slice);
        if (s->network == NETWORK_HOST)
                log_warning(
                        "--network=host: the machine shares the host's network, including its abstract unix "
                        "sockets (CAP_NET_ADMIN is dropped)");
        if (geteuid() != 0) {
                log_error("%s: berth needs root to create a machine (run it as root)",
                          s->boot ? "boot" : "run");
                return EXIT_BERTH_PERMISSION;
        }
        r = image_use_prepare(s, &use);
        if (r != 0)
                return r;
        if (s->image) {
                r = run_image_prepare(s, &loop);
                if (r != 0)
                        return r;
        }
        r = machine_run(s, &status);
        if (r < 0)
                return exit_code_from_errno(r);
        return status;
}

int verb_run(int argc, char *argv[]) {
        return run_or_boot(argc, argv, false);
}

int verb_boot(int argc, char *argv[]) {
        return run_or_boot(argc, argv, true);
}
