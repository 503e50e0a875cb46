#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "cgroup-limits.h"

/* systemd as the host's cgroup manager, over D-Bus: transient scopes for machines and their limits as
 * unit properties, so systemctl, systemd-cgtop and systemctl set-property see what berth set. */

/* Connects to the system bus when systemd is the host's init (sd_booted()). -ENOMEDIUM when it is not;
 * other errors when its bus cannot be reached. */
int bus_connect_systemd(sd_bus **ret);

/* Starts UNIT (a .scope) in SLICE (a .slice unit name) holding pid, with Delegate=yes, accounting on and
 * the limits that are set, and waits for the job to finish. ret_error gets one line on failure. */
int systemd_scope_start(sd_bus *bus, const char *unit, const char *slice, const char *description, pid_t pid,
                        const CgroupLimits *limits, char **ret_error);

/* Sets the limits that are set on UNIT: for the running unit only (runtime) or lasting. */
int systemd_unit_set_limits(sd_bus *bus, const char *unit, const CgroupLimits *limits, bool runtime,
                            char **ret_error);

/* Appends the limits that are set as (sv) unit properties to an open a(sv) container. Pure but for
 * sd-bus; a list "0-3,6" becomes the CPU bitmask systemd takes. */
int bus_append_limit_properties(sd_bus_message *m, const CgroupLimits *limits);

/* "0-3,6" → the bytes of a bitmask (bit n of byte n/8 is CPU n), as AllowedCPUs= takes it. */
int cpu_list_to_mask(const char *list, uint8_t **ret, size_t *ret_size);
