#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "json.h"
#include "list.h"
#include "log.h"
#include "parse-util.h"
#include "state.h"
#include "strv.h"
#include "uid-range.h"

const char *list_ownership_description(const char *ownership) {
        if (streq_ptr(ownership, "map"))
                return "idmapped";
        if (streq_ptr(ownership, "chown"))
                return "tree shifted on disk";
        return "tree used as it is";
}

void list_print_userns_json(const MachineState *m) {
        printf(",\"private_users\":");
        json_write_string(stdout, m->uid_count > 0 ? (m->private_users ?: "pick") : "no");
        if (m->uid_count == 0)
                return;
        printf(",\"uid_base\":%u,\"uid_count\":%u,\"ownership\":", (unsigned) m->uid_base,
               (unsigned) m->uid_count);
        json_write_string(stdout, m->ownership ?: "off");
}

/* berth list --uid-ranges: the registry, and which of its machines run now. */
static int list_uid_ranges(bool json, bool legend) {
        _cleanup_strv_free_ char **running = NULL;
        UidRangeEntry *e = NULL;
        size_t n = 0, w_name = 4;
        int r;

        r = uid_range_registry_list(UID_RANGE_REGISTRY, &e, &n);
        if (r < 0) {
                log_error_errno(r, "list: cannot read the UID range registry " UID_RANGE_REGISTRY ": %m");
                return exit_code_from_errno(r);
        }
        /* Only a machine with a state file can be running: one directory read, not a file per
         * registered name. */
        (void) machine_state_list(BERTH_STATE_DIR, &running);
        for (size_t i = 0; i < n; i++)
                w_name = MAX(w_name, strlen(e[i].name));
        if (json)
                printf("[");
        else if (legend)
                printf("%-*s %-10s %-10s %-6s %s\n", (int) w_name, "NAME", "FIRST", "LAST", "COUNT",
                       "STATE");
        for (size_t i = 0; i < n; i++) {
                MachineState st = {};
                bool up = strv_contains(running, e[i].name) &&
                          machine_state_load(BERTH_STATE_DIR, e[i].name, &st) >= 0 && st.uid_count > 0 &&
                          st.uid_base == e[i].base;

                machine_state_done(&st);
                if (json) {
                        printf("%s{\"name\":", i ? "," : "");
                        json_write_string(stdout, e[i].name);
                        printf(",\"uid_base\":%u,\"uid_count\":%u,\"running\":%s}", (unsigned) e[i].base,
                               UID_RANGE_BLOCK, up ? "true" : "false");
                } else
                        printf("%-*s %-10u %-10u %-6u %s\n", (int) w_name, e[i].name, (unsigned) e[i].base,
                               (unsigned) (e[i].base + UID_RANGE_BLOCK - 1), UID_RANGE_BLOCK,
                               up ? "running" : "stopped");
        }
        if (json)
                printf("]\n");
        else if (legend)
                printf("\n%zu range%s registered in %s.\n", n, n == 1 ? "" : "s", UID_RANGE_REGISTRY);
        uid_range_entries_free(e, n);
        return 0;
}

int verb_list(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "no-legend", no_argument, NULL, 'n' },
                { "uid-ranges", no_argument, NULL, 'u' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_strv_free_ char **names = NULL;
        bool json = false, legend = true, uid_ranges = false;
        MachineState *machines = NULL;
        size_t n = 0, w_name = 4, w_leader = 6, w_root = 4;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'n':
                        legend = false;
                        break;
                case 'u':
                        uid_ranges = true;
                        break;
                case 'h':
                        printf("berth list [--json] [--no-legend] [--uid-ranges]\n\nList running machines; "
                               "with --uid-ranges, the UID range registry: which machine owns which "
                               "block of host UIDs.\n");
                        return 0;
                default:
                        log_error("list: option '%s' is unknown (see berth list --help)", argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        if (optind < argc) {
                log_error("list: unexpected argument '%s'", argv[optind]);
                return EXIT_BERTH_USAGE;
        }

        if (uid_ranges)
                return list_uid_ranges(json, legend);

        /* Whatever a killed monitor left is cleaned here, so the list only shows live machines. */
        r = machines_gc(BERTH_STATE_DIR);
        if (r < 0 && r != -EACCES && r != -EPERM)
                log_debug_errno(r, "Failed to clean up stale machines, ignoring: %m");
        r = machine_state_list(BERTH_STATE_DIR, &names);
        if (r < 0) {
                log_error_errno(r, "list: cannot read %s/machines: %m", BERTH_STATE_DIR);
                return exit_code_from_errno(r);
        }
        machines = calloc(strv_length(names) + 1, sizeof(MachineState));
        if (!machines) {
                log_oom();
                return EXIT_BERTH_INTERNAL;
        }
        STRV_FOREACH (name, names) {
                MachineState *m = &machines[n];
                char buf[32];

                if (machine_state_load(BERTH_STATE_DIR, *name, m) < 0)
                        continue;
                n++;
                w_name = MAX(w_name, strlen(m->name));
                snprintf(buf, sizeof(buf), "%d", (int) m->leader);
                w_leader = MAX(w_leader, strlen(buf));
                w_root = MAX(w_root, strlen(m->root ?: "-"));
        }

        if (json) {
                printf("[");
                for (size_t i = 0; i < n; i++) {
                        MachineState *m = &machines[i];
                        printf("%s{\"name\":", i ? "," : "");
                        json_write_string(stdout, m->name);
                        printf(",\"class\":");
                        json_write_string(stdout, m->class ?: "container");
                        printf(",\"leader\":%d,\"monitor\":%d,\"root\":", (int) m->leader, (int) m->monitor);
                        json_write_string(stdout, m->root);
                        printf(",\"uuid\":");
                        json_write_string(stdout, m->uuid);
                        printf(",\"cgroup\":");
                        json_write_string(stdout, m->cgroup);
                        printf(",\"state\":");
                        json_write_string(stdout, m->state ?: "running");
                        printf(",\"init\":");
                        json_write_string(stdout, m->init);
                        printf(",\"os\":");
                        json_write_string(stdout, m->os);
                        list_print_userns_json(m);
                        printf(",\"since_usec\":%llu}", (unsigned long long) m->since_usec);
                }
                printf("]\n");
        } else {
                if (legend)
                        printf("%-*s %-9s %-8s %-*s %-*s %-19s %s\n", (int) w_name, "NAME", "CLASS", "STATE",
                               (int) w_leader, "LEADER", (int) w_root, "ROOT", "SINCE", "OS");
                for (size_t i = 0; i < n; i++) {
                        MachineState *m = &machines[i];
                        char since[64];

                        format_timestamp_usec(m->since_usec, since, sizeof(since));
                        printf("%-*s %-9s %-8s %*d %-*s %-19s %s\n", (int) w_name, m->name,
                               m->class ?: "container", m->state ?: "running", (int) w_leader,
                               (int) m->leader, (int) w_root, m->root ?: "-", since, m->os ?: "-");
                }
                if (legend)
                        printf("\n%zu machine%s listed.\n", n, n == 1 ? "" : "s");
        }
        for (size_t i = 0; i < n; i++)
                machine_state_done(&machines[i]);
        free(machines);
        return 0;
}
