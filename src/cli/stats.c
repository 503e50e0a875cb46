#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-stats.h"
#include "cleanup.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "format-util.h"
#include "json.h"
#include "log.h"
#include "machines.h"
#include "parse-util.h"
#include "state.h"
#include "stats.h"
#include "strv.h"

/* Without --watch, CPU% is measured over this much time between two samples. */
#define STATS_SAMPLE_USEC        (250U * 1000U)
#define STATS_WATCH_DEFAULT_USEC (1000U * 1000U)
#define STATS_WATCH_MIN_USEC     (100U * 1000U)
#define STATS_WATCH_MAX_USEC     (86400ULL * 1000U * 1000U)

static void print_u64_or_null(const char *field, uint64_t v) {
        if (cgroup_stat_known(v))
                printf(",\"%s\":%" PRIu64, field, v);
        else
                printf(",\"%s\":null", field);
}

void stats_print_json_fields(const CgroupStats *s, bool with_percent, double cpu_percent) {
        print_u64_or_null("cpu_usage_usec", s->cpu_usage_usec);
        print_u64_or_null("cpu_user_usec", s->cpu_user_usec);
        print_u64_or_null("cpu_system_usec", s->cpu_system_usec);
        if (with_percent) {
                if (cpu_percent >= 0)
                        printf(",\"cpu_percent\":%.1f", cpu_percent);
                else
                        printf(",\"cpu_percent\":null");
        }
        print_u64_or_null("memory_current_bytes", s->memory_current);
        print_u64_or_null("memory_peak_bytes", s->memory_peak);
        print_u64_or_null("memory_swap_current_bytes", s->memory_swap_current);
        print_u64_or_null("pids_current", s->pids_current);
        print_u64_or_null("io_read_bytes", s->io_read_bytes);
        print_u64_or_null("io_write_bytes", s->io_write_bytes);
        print_u64_or_null("io_read_ops", s->io_read_ops);
        print_u64_or_null("io_write_ops", s->io_write_ops);
        print_u64_or_null("oom_events", s->memory_events_oom);
        print_u64_or_null("oom_kills", s->memory_events_oom_kill);
        printf(",\"frozen\":%s", s->frozen > 0 ? "true" : "false");
}

const char *stats_freezer_state(const CgroupStats *s) {
        if (s->frozen > 0)
                return "frozen";
        if (s->freeze > 0)
                return "freezing";
        return NULL;
}

/* Appends to the string in buf, truncating at its size. */
_printf_(3, 4) static void appendf(char *buf, size_t size, const char *format, ...) {
        size_t n = strlen(buf);
        va_list ap;

        if (n + 1 >= size)
                return;
        va_start(ap, format);
        vsnprintf(buf + n, size - n, format, ap);
        va_end(ap);
}

void stats_print_status_lines(const CgroupStats *s, int label_width) {
        char line[256] = "", t[FORMAT_TIMESPAN_MAX], b[FORMAT_BYTES_MAX];

        if (cgroup_stat_known(s->cpu_usage_usec))
                appendf(line, sizeof(line), "CPU: %s",
                        format_timespan_usec(s->cpu_usage_usec, t, sizeof(t)));
        if (cgroup_stat_known(s->memory_current)) {
                appendf(line, sizeof(line), "%sMemory: %s", *line ? "  " : "",
                        format_bytes(s->memory_current, b, sizeof(b)));
                if (cgroup_stat_known(s->memory_peak))
                        appendf(line, sizeof(line), " (peak %s)",
                                format_bytes(s->memory_peak, b, sizeof(b)));
        }
        if (cgroup_stat_known(s->pids_current))
                appendf(line, sizeof(line), "%sTasks: %" PRIu64, *line ? "  " : "", s->pids_current);
        if (cgroup_stat_known(s->io_read_bytes) && cgroup_stat_known(s->io_write_bytes)) {
                appendf(line, sizeof(line), "%sIO: %s read", *line ? "  " : "",
                        format_bytes(s->io_read_bytes, b, sizeof(b)));
                appendf(line, sizeof(line), ", %s written", format_bytes(s->io_write_bytes, b, sizeof(b)));
        }
        /* The first key takes the place of a label, so the line lines up with the others. */
        if (*line) {
                size_t key = strcspn(line, ":");
                printf("%*.*s%s\n", label_width, (int) key, line, line + key);
        }
        if (cgroup_stat_known(s->memory_events_oom_kill) && s->memory_events_oom_kill > 0)
                printf("%*s: %" PRIu64 "\n", label_width, "OOM kills", s->memory_events_oom_kill);
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

typedef struct StatsRow {
        MachineState machine;
        CgroupStats stats;
        uint64_t when_usec;
        double cpu_percent; /* negative: unknown */
} StatsRow;

typedef struct StatsSample {
        StatsRow *rows;
        size_t n;
} StatsSample;

static void sample_done(StatsSample *s) {
        for (size_t i = 0; i < s->n; i++)
                machine_state_done(&s->rows[i].machine);
        s->rows = mfree(s->rows);
        s->n = 0;
}

/* Reads the cgroup of a running machine into a new row; takes st. A machine that stopped meanwhile
 * (its cgroup is gone) is left out: -ENOENT or -ENODEV. */
static int sample_add(StatsSample *s, MachineState *st) {
        _cleanup_close_ int fd = -EBADF;
        StatsRow *rows, row = { .cpu_percent = -1 };
        int r;

        if (!machine_cgroup_is_own(st))
                r = -ENOENT;
        else {
                fd = open(st->cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
                r = fd < 0 ? negative_errno() : cgroup_stats_read(fd, &row.stats);
        }
        if (r < 0) {
                machine_state_done(st);
                return r;
        }
        rows = realloc(s->rows, sizeof(StatsRow) * (s->n + 1));
        if (!rows) {
                machine_state_done(st);
                return -ENOMEM;
        }
        row.when_usec = now_usec();
        row.machine = *st;
        *st = (MachineState){};
        s->rows = rows;
        s->rows[s->n++] = row;
        return 0;
}

/* One sample of the named machines, or of every running one (with a live leader: not starting, and not
 * left by a killed monitor). With report, a named machine that is not running is an error, said as berth
 * status says it, and its exit code goes to *exit_code; otherwise whatever stopped is left out,
 * quietly. */
static int sample_take(const char *verb, char **names, bool report, StatsSample *ret, int *exit_code) {
        _cleanup_strv_free_ char **all = NULL;
        StatsSample s = {};
        int r;

        if (!names) {
                r = machine_state_list(BERTH_STATE_DIR, &all);
                if (r < 0 && r != -ENOENT) {
                        log_error_errno(r, "%s: cannot read %s/machines: %m", verb, BERTH_STATE_DIR);
                        *exit_code = exit_code_from_errno(r);
                        return r;
                }
        }
        STRV_FOREACH (name, names ?: all) {
                MachineState st = {};

                if (report && names) {
                        int pidfd = -EBADF;

                        r = machine_open(verb, *name, &st, &pidfd);
                        safe_close(pidfd);
                        if (r != 0) {
                                if (*exit_code == 0)
                                        *exit_code = r;
                                continue;
                        }
                } else if (machine_state_load(BERTH_STATE_DIR, *name, &st) < 0)
                        continue;
                else if (machine_state_leader_alive(&st) <= 0) {
                        /* Starting (no leader yet), or its monitor was killed and took it along. */
                        machine_state_done(&st);
                        continue;
                }

                r = sample_add(&s, &st);
                if (r == -ENOMEM) {
                        sample_done(&s);
                        *exit_code = EXIT_BERTH_INTERNAL;
                        return log_oom();
                }
                if (r < 0 && report && names) {
                        log_error_errno(r, "%s: cannot read the cgroup of machine '%s': %m", verb, *name);
                        if (*exit_code == 0)
                                *exit_code = exit_code_from_errno(r);
                }
        }
        *ret = s;
        return 0;
}

/* CPU% of each row over the time since the same machine's row in prev (a machine that restarted under
 * the same name is another machine: its leader differs). */
static void sample_compute_percent(StatsSample *cur, const StatsSample *prev) {
        for (size_t i = 0; i < cur->n; i++) {
                StatsRow *c = &cur->rows[i];

                for (size_t j = 0; j < prev->n; j++) {
                        const StatsRow *p = &prev->rows[j];

                        if (!streq(p->machine.name, c->machine.name) ||
                            p->machine.leader != c->machine.leader ||
                            p->machine.leader_starttime != c->machine.leader_starttime)
                                continue;
                        if (cgroup_stat_known(c->stats.cpu_usage_usec) &&
                            cgroup_stat_known(p->stats.cpu_usage_usec) &&
                            c->stats.cpu_usage_usec >= p->stats.cpu_usage_usec &&
                            c->when_usec > p->when_usec)
                                c->cpu_percent =
                                        (double) (c->stats.cpu_usage_usec - p->stats.cpu_usage_usec) *
                                        100.0 / (double) (c->when_usec - p->when_usec);
                        break;
                }
        }
}

static void print_json(const StatsSample *s) {
        printf("{\"machines\":[");
        for (size_t i = 0; i < s->n; i++) {
                const StatsRow *r = &s->rows[i];

                printf("%s{\"name\":", i ? "," : "");
                json_write_string(stdout, r->machine.name);
                printf(",\"cgroup\":");
                json_write_string(stdout, r->machine.cgroup);
                stats_print_json_fields(&r->stats, true, r->cpu_percent);
                printf("}");
        }
        printf("]}\n");
}

enum {
        COL_NAME,
        COL_CPU,
        COL_CPU_PERCENT,
        COL_MEMORY,
        COL_PEAK,
        COL_PIDS,
        COL_IO_READ,
        COL_IO_WRITE,
        COL_OOM,
        COL_STATE,
        _COL_MAX,
};

#define CELL_MAX 72 /* a machine name (64) and its NUL fit */

static void cell_bytes(char *cell, uint64_t v) {
        if (cgroup_stat_known(v))
                format_bytes(v, cell, CELL_MAX);
        else
                snprintf(cell, CELL_MAX, "-");
}

static void cell_count(char *cell, uint64_t v) {
        if (cgroup_stat_known(v))
                snprintf(cell, CELL_MAX, "%" PRIu64, v);
        else
                snprintf(cell, CELL_MAX, "-");
}

static int print_table(const StatsSample *s, bool legend) {
        static const char *const headers[_COL_MAX] = {
                "NAME", "CPU", "CPU%", "MEMORY", "PEAK", "PIDS", "IO-READ", "IO-WRITE", "OOM", "STATE",
        };
        _cleanup_free_ char(*cells)[_COL_MAX][CELL_MAX] = calloc(s->n + 1, sizeof(*cells));
        int width[_COL_MAX];

        if (!cells)
                return -ENOMEM;
        for (size_t c = 0; c < _COL_MAX; c++)
                width[c] = legend ? (int) strlen(headers[c]) : 1;
        for (size_t i = 0; i < s->n; i++) {
                const StatsRow *r = &s->rows[i];
                const CgroupStats *st = &r->stats;
                char(*row)[CELL_MAX] = cells[i];

                snprintf(row[COL_NAME], CELL_MAX, "%s", r->machine.name);
                if (cgroup_stat_known(st->cpu_usage_usec))
                        format_timespan_usec(st->cpu_usage_usec, row[COL_CPU], CELL_MAX);
                else
                        snprintf(row[COL_CPU], CELL_MAX, "-");
                if (r->cpu_percent >= 0)
                        snprintf(row[COL_CPU_PERCENT], CELL_MAX, "%.1f", r->cpu_percent);
                else
                        snprintf(row[COL_CPU_PERCENT], CELL_MAX, "-");
                cell_bytes(row[COL_MEMORY], st->memory_current);
                cell_bytes(row[COL_PEAK], st->memory_peak);
                cell_count(row[COL_PIDS], st->pids_current);
                cell_bytes(row[COL_IO_READ], st->io_read_bytes);
                cell_bytes(row[COL_IO_WRITE], st->io_write_bytes);
                cell_count(row[COL_OOM], st->memory_events_oom_kill);
                snprintf(row[COL_STATE], CELL_MAX, "%s",
                         stats_freezer_state(st) ?: r->machine.state ?: "running");
                for (size_t c = 0; c < _COL_MAX; c++)
                        width[c] = MAX(width[c], (int) strlen(row[c]));
        }

        /* Names and states left-aligned, figures right-aligned. */
        for (size_t i = legend ? 0 : 1; i <= s->n; i++) {
                for (size_t c = 0; c < _COL_MAX; c++) {
                        const char *text = i == 0 ? headers[c] : cells[i - 1][c];
                        bool left = c == COL_NAME || c == COL_STATE;

                        if (c == _COL_MAX - 1)
                                printf("%s\n", text);
                        else
                                printf(left ? "%-*s " : "%*s ", width[c], text);
                }
        }
        return 0;
}

typedef struct StatsOptions {
        bool json;
        bool legend;
        uint64_t watch_usec; /* 0: one sample */
} StatsOptions;

/* Sleeps for usec, or until SIGINT or SIGTERM arrives while blocked by the caller: then returns 1. */
static int sleep_or_signal(const sigset_t *mask, uint64_t usec) {
        uint64_t end = now_usec() + usec;

        for (;;) {
                uint64_t now = now_usec(), left = end > now ? end - now : 0;
                struct timespec ts = { .tv_sec = (time_t) (left / 1000000U),
                                       .tv_nsec = (long) (left % 1000000U * 1000U) };

                if (sigtimedwait(mask, NULL, &ts) > 0)
                        return 1;
                if (errno == EAGAIN)
                        return 0;
                if (errno != EINTR)
                        return negative_errno();
        }
}

static int print_sample(const StatsSample *s, const StatsOptions *o, bool tty, unsigned block) {
        int r = 0;

        if (o->watch_usec > 0 && !o->json) {
                /* On a terminal each refresh replaces the last, like top; in a pipe, blocks follow
                 * each other, an empty line apart. */
                if (tty)
                        printf("\033[H\033[2J");
                else if (block > 0)
                        printf("\n");
        }
        if (o->json)
                print_json(s);
        else
                r = print_table(s, o->legend);
        fflush(stdout);
        return r;
}

static int stats_run(char **names, const StatsOptions *o) {
        _cleanup_strv_free_ char **found = NULL;
        StatsSample prev = {}, cur = {};
        bool tty = isatty(STDOUT_FILENO);
        sigset_t mask;
        int exit_code = 0, r;

        /* Steps: with --watch, block SIGINT and SIGTERM so they end the loop instead of the process →
         * without names, collect what killed monitors left (as berth list does) → first sample (named
         * machines that are not running are errors here) → wait → then, as often as asked: sample,
         * CPU% since the previous sample, print, wait. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (o->watch_usec > 0 && sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                log_error_errno(errno, "stats: cannot block SIGINT: %m");
                return EXIT_BERTH_INTERNAL;
        }
        if (!names) {
                r = machines_gc(BERTH_STATE_DIR);
                if (r < 0 && r != -EACCES && r != -EPERM && r != -ENOENT)
                        log_debug_errno(r, "Failed to clean up stale machines, ignoring: %m");
        }
        r = sample_take("stats", names, true, &prev, &exit_code);
        if (r < 0)
                return exit_code;
        if (exit_code != 0 && (o->watch_usec > 0 || prev.n == 0)) {
                /* Nothing to watch for a name that is not there, and nothing to show when no name is:
                 * better to say so at once. */
                sample_done(&prev);
                return exit_code;
        }
        if (names && exit_code != 0) {
                /* The machines that were not there stay out of the second sample too: one answer per
                 * name. */
                for (size_t i = 0; i < prev.n; i++)
                        if (strv_extend(&found, prev.rows[i].machine.name) < 0) {
                                sample_done(&prev);
                                log_oom();
                                return EXIT_BERTH_INTERNAL;
                        }
                names = found;
        }

        for (unsigned block = 0;; block++) {
                /* Without --watch the signals are not blocked: this is a plain sleep. */
                r = sleep_or_signal(&mask, block == 0 ? STATS_SAMPLE_USEC : o->watch_usec);
                if (r < 0) {
                        log_error_errno(r, "stats: cannot wait for the next sample: %m");
                        exit_code = EXIT_BERTH_INTERNAL;
                }
                if (r != 0)
                        break;
                r = sample_take("stats", names, false, &cur, &exit_code);
                if (r < 0)
                        break;
                sample_compute_percent(&cur, &prev);
                r = print_sample(&cur, o, tty, block);
                if (r < 0) {
                        log_oom();
                        exit_code = EXIT_BERTH_INTERNAL;
                        break;
                }
                sample_done(&prev);
                prev = cur;
                cur = (StatsSample){};
                if (o->watch_usec == 0)
                        break;
        }
        sample_done(&prev);
        sample_done(&cur);
        /* Ending --watch with SIGINT or SIGTERM is how it is meant to end. */
        return r > 0 ? 0 : exit_code;
}

int verb_stats(int argc, char *argv[]) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "no-legend", no_argument, NULL, 'n' },
                { "watch", optional_argument, NULL, 'w' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        StatsOptions o = { .legend = true };
        int64_t ns;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        o.json = true;
                        break;
                case 'n':
                        o.legend = false;
                        break;
                case 'w':
                        if (!optarg) {
                                o.watch_usec = STATS_WATCH_DEFAULT_USEC;
                                break;
                        }
                        if (parse_sec_signed_ns(optarg, &ns) < 0 ||
                            ns < (int64_t) STATS_WATCH_MIN_USEC * 1000 ||
                            ns > (int64_t) STATS_WATCH_MAX_USEC * 1000) {
                                log_error("stats: invalid --watch '%s': expected seconds between 0.1 and "
                                          "86400",
                                          optarg);
                                return EXIT_BERTH_USAGE;
                        }
                        o.watch_usec = (uint64_t) ns / 1000U;
                        break;
                case 'h':
                        printf("berth stats [--json] [--watch[=SECONDS]] [--no-legend] [NAME...]\n\n"
                               "What running machines use, from their cgroups: CPU time, CPU%% (over 0.25s, "
                               "or\n"
                               "between refreshes), memory, tasks, IO, OOM kills, frozen or not. Without "
                               "names,\n"
                               "every running machine. --watch refreshes every SECONDS (default 1) until\n"
                               "interrupted. \"-\" (null in JSON) is a figure this host does not "
                               "account.\n");
                        return 0;
                default:
                        log_error("stats: option '%s' is unknown (see berth stats --help)",
                                  argv[optind - 1]);
                        return EXIT_BERTH_USAGE;
                }
        return stats_run(optind < argc ? argv + optind : NULL, &o);
}
