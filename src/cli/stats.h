#pragma once

#include <stdbool.h>

#include "cgroup-stats.h"

int verb_stats(int argc, char *argv[]);

/* The accounting fields of a machine's JSON object (",\"cpu_usage_usec\":…,\"frozen\":…"), shared by
 * stats and status: numbers, null where unknown. cpu_percent (null when negative) only with
 * with_percent. */
void stats_print_json_fields(const CgroupStats *s, bool with_percent, double cpu_percent);

/* The freezer state for people: "frozen", "freezing" (asked for, not reached yet), or NULL. */
const char *stats_freezer_state(const CgroupStats *s);

/* The lines status shows: "CPU: 1.2s  Memory: 12.0M (peak 30.1M)  Tasks: 5  IO: 1.2M read, 0B
 * written" with what is known, right-aligned to label_width, and "OOM kills: N" when there were any. */
void stats_print_status_lines(const CgroupStats *s, int label_width);
