#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "macro.h"
#include "strv.h"
#include "systemd-scope.h"
#include "time-util.h"

#define SYSTEMD_DEST     "org.freedesktop.systemd1"
#define SYSTEMD_PATH     "/org/freedesktop/systemd1"
#define SYSTEMD_IFACE    "org.freedesktop.systemd1.Manager"
#define JOB_TIMEOUT_USEC (30ULL * 1000000ULL)
#define CPU_LIST_MAX     8192U /* CPUs, as systemd's own limit for CPU sets */

int bus_connect_systemd(sd_bus **ret) {
        if (sd_booted() <= 0)
                return -ENOMEDIUM;
        return sd_bus_open_system(ret);
}

/* systemd has no "max" of its own: infinity is UINT64_MAX there. */
static uint64_t to_bus(uint64_t v) {
        return v == CGROUP_LIMIT_MAX ? UINT64_MAX : v;
}

int cpu_list_to_mask(const char *list, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *mask = NULL;
        size_t size = 0;
        const char *p = list;

        while (*p) {
                unsigned long a, b;
                char *e;

                if (*p == ',' || *p == ' ') {
                        p++;
                        continue;
                }
                errno = 0;
                a = strtoul(p, &e, 10);
                if (e == p || errno || a >= CPU_LIST_MAX)
                        return -EINVAL;
                b = a;
                if (*e == '-') {
                        p = e + 1;
                        b = strtoul(p, &e, 10);
                        if (e == p || errno || b >= CPU_LIST_MAX || b < a)
                                return -EINVAL;
                }
                if (*e && *e != ',' && *e != ' ')
                        return -EINVAL;
                if (b / 8 + 1 > size) {
                        uint8_t *n = realloc(mask, b / 8 + 1);
                        if (!n)
                                return -ENOMEM;
                        memset(n + size, 0, b / 8 + 1 - size);
                        mask = n;
                        size = b / 8 + 1;
                }
                for (unsigned long i = a; i <= b; i++)
                        mask[i / 8] |= (uint8_t) (1U << (i % 8));
                p = e;
        }
        *ret = TAKE_PTR(mask);
        *ret_size = size;
        return 0;
}

/* Opens the (sv) of property NAME with a variant of type TYPE; close_property() closes both. */
static int open_property(sd_bus_message *m, const char *name, const char *type) {
        int r = sd_bus_message_open_container(m, 'r', "sv");

        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', type);
        return r;
}

static int close_property(sd_bus_message *m) {
        int r = sd_bus_message_close_container(m);

        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_mask(sd_bus_message *m, const char *name, const char *list) {
        _cleanup_free_ uint8_t *mask = NULL;
        size_t size = 0;
        int r;

        r = cpu_list_to_mask(list, &mask, &size);
        if (r < 0)
                return r;
        r = open_property(m, name, "ay");
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, 'y', mask ?: (const uint8_t *) "", size);
        if (r < 0)
                return r;
        return close_property(m);
}

static int append_io(sd_bus_message *m, const char *name, const CgroupLimits *l, size_t field) {
        size_t n = 0;
        int r;

        for (size_t i = 0; i < l->n_io_devices; i++)
                if (*(const uint64_t *) ((const char *) &l->io_devices[i] + field) != CGROUP_LIMIT_UNSET)
                        n++;
        if (n == 0)
                return 0;
        r = open_property(m, name, "a(st)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(st)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < l->n_io_devices; i++) {
                uint64_t v = *(const uint64_t *) ((const char *) &l->io_devices[i] + field);
                if (v == CGROUP_LIMIT_UNSET)
                        continue;
                r = sd_bus_message_append(m, "(st)", l->io_devices[i].path, to_bus(v));
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return close_property(m);
}

int bus_append_limit_properties(sd_bus_message *m, const CgroupLimits *l) {
        static const struct {
                const char *name;
                size_t field;
        } numbers[] = {
                { "MemoryMax", offsetof(CgroupLimits, memory_max) },
                { "MemoryHigh", offsetof(CgroupLimits, memory_high) },
                { "MemorySwapMax", offsetof(CgroupLimits, memory_swap_max) },
                { "CPUWeight", offsetof(CgroupLimits, cpu_weight) },
                { "CPUQuotaPerSecUSec", offsetof(CgroupLimits, cpu_quota_usec) },
                { "CPUQuotaPeriodUSec", offsetof(CgroupLimits, cpu_period_usec) },
                { "TasksMax", offsetof(CgroupLimits, pids_max) },
                { "IOWeight", offsetof(CgroupLimits, io_weight) },
        };
        static const struct {
                const char *name;
                size_t field;
        } io[] = {
                { "IOReadBandwidthMax", offsetof(CgroupIODeviceLimit, rbps) },
                { "IOWriteBandwidthMax", offsetof(CgroupIODeviceLimit, wbps) },
                { "IOReadIOPSMax", offsetof(CgroupIODeviceLimit, riops) },
                { "IOWriteIOPSMax", offsetof(CgroupIODeviceLimit, wiops) },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(numbers); i++) {
                uint64_t v = *(const uint64_t *) ((const char *) l + numbers[i].field);
                if (v == CGROUP_LIMIT_UNSET)
                        continue;
                r = sd_bus_message_append(m, "(sv)", numbers[i].name, "t", to_bus(v));
                if (r < 0)
                        return r;
        }
        if (l->cpuset_cpus) {
                r = append_mask(m, "AllowedCPUs", l->cpuset_cpus);
                if (r < 0)
                        return r;
        }
        if (l->cpuset_mems) {
                r = append_mask(m, "AllowedMemoryNodes", l->cpuset_mems);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(io); i++) {
                r = append_io(m, io[i].name, l, io[i].field);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct JobWait {
        const char *path;
        char *result;
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        JobWait *w = userdata;
        const char *path = NULL, *unit = NULL, *result = NULL;
        uint32_t id;

        (void) error;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->path && streq(path, w->path) && !w->result)
                w->result = strdup(result);
        return 0;
}

#define set_error(ret_error, ...)                                          \
        do {                                                               \
                if ((ret_error) && asprintf((ret_error), __VA_ARGS__) < 0) \
                        *(ret_error) = NULL;                               \
        } while (0)

int systemd_scope_start(sd_bus *bus, const char *unit, const char *slice, const char *description, pid_t pid,
                        const CgroupLimits *limits, char **ret_error) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        JobWait w = {};
        uint64_t deadline;
        const char *job;
        int r;

        /* Subscribe first, so the job's end cannot come before we listen. */
        r = sd_bus_match_signal(bus, &slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_IFACE, "JobRemoved",
                                on_job_removed, &w);
        if (r < 0)
                goto fail;
        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_IFACE,
                                           "StartTransientUnit");
        if (r < 0)
                goto fail;
        r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r < 0)
                goto fail;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                goto fail;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s", description,
                                  "Slice", "s", slice, "Delegate", "b", 1, "CollectMode", "s",
                                  "inactive-or-failed", "PIDs", "au", 1, (uint32_t) pid, "MemoryAccounting",
                                  "b", 1, "CPUAccounting", "b", 1, "TasksAccounting", "b", 1, "IOAccounting",
                                  "b", 1);
        if (r < 0)
                goto fail;
        r = bus_append_limit_properties(m, limits);
        if (r < 0)
                goto fail;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                goto fail;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                goto fail;
        r = sd_bus_call(bus, m, JOB_TIMEOUT_USEC, &error, &reply);
        if (r < 0) {
                set_error(ret_error, "systemd refused to start the scope %s: %s", unit,
                          error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                goto fail;
        w.path = job;
        deadline = now_usec(CLOCK_MONOTONIC) + JOB_TIMEOUT_USEC;
        while (!w.result) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline) {
                        set_error(ret_error, "systemd did not start the scope %s within %s", unit, "30 s");
                        return -ETIMEDOUT;
                }
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        goto fail;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        goto fail;
        }
        if (!streq(w.result, "done")) {
                set_error(ret_error, "systemd could not start the scope %s: the job's result is '%s'", unit,
                          w.result);
                free(w.result);
                return -EIO;
        }
        free(w.result);
        return 0;
fail:
        free(w.result);
        set_error(ret_error, "cannot ask systemd for the scope %s: %s", unit, strerror(-r));
        return r;
}

int systemd_unit_set_limits(sd_bus *bus, const char *unit, const CgroupLimits *limits, bool runtime,
                            char **ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_IFACE,
                                           "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", unit, runtime);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = bus_append_limit_properties(m, limits);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                set_error(ret_error, "cannot build the request for %s: %s", unit, strerror(-r));
                return r;
        }
        r = sd_bus_call(bus, m, JOB_TIMEOUT_USEC, &error, NULL);
        if (r < 0) {
                set_error(ret_error, "systemd refused the limits for %s: %s", unit,
                          error.message ?: strerror(-r));
                sd_bus_error_free(&error);
        }
        return r;
}
