#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "log.h"
#include "machined.h"
#include "monitor-internal.h"
#include "strv.h"
#include "systemd-scope.h"

int monitor_register_check(const Settings *s) {
        if (s->register_mode != REGISTER_YES)
                return 0;
        if (sd_booted() <= 0)
                return log_error_errno(EOPNOTSUPP,
                                       "--register=yes: systemd is not this host's init, so there is no "
                                       "systemd-machined to register with (use --register=auto or no)");
        if (s->cgroup_manager == CGROUP_MANAGER_BERTH)
                return log_error_errno(EOPNOTSUPP,
                                       "--register=yes needs the machine's scope to be systemd's: it "
                                       "cannot go with --cgroup-manager=berth");
        return 0;
}

/* Why registration is skipped, at debug level with --register=auto: one line. */
static int skip(const Settings *s, int r, const char *why) {
        if (s->register_mode == REGISTER_YES)
                return log_error_errno(r, "--register=yes: cannot register with systemd-machined: %s", why);
        log_debug("Not registering machine with systemd-machined: %s.", why);
        return 0;
}

int monitor_register(Machine *m) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *error = NULL;
        const Settings *s = m->settings;
        MachineRegistration reg = {
                .name = m->name,
                .uuid = m->uuid,
                .root = m->root,
                .leader = m->leader,
                .leader_pidfd = m->leader_pidfd,
        };
        const char *method = NULL;
        int r;

        if (s->register_mode == REGISTER_NO)
                return 0;
        if (!m->scope.unit)
                return skip(s, EOPNOTSUPP,
                            sd_booted() <= 0
                                    ? "systemd is not this host's init"
                                    : "the machine's scope is berth's own (--cgroup-manager=berth)");
        r = bus_connect_systemd(&bus);
        if (r < 0)
                return skip(s, r, "the system bus cannot be reached");
        r = machined_available(bus);
        if (r < 0)
                return skip(s, r, "it is neither running nor activatable");
        r = machined_register(bus, &reg, &method, &error);
        if (r < 0) {
                if (s->register_mode == REGISTER_YES)
                        return log_error_errno(r, "%s", error ?: "cannot register with systemd-machined");
                log_warning("%s; going on without.", error ?: "cannot register with systemd-machined");
                return 0;
        }
        m->registered = true;
        log_debug("Machine '%s' registered with systemd-machined (%s).", m->name, method);
        return 0;
}

void monitor_unregister(Machine *m) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (!m->registered)
                return;
        m->registered = false;
        r = bus_connect_systemd(&bus);
        if (r >= 0)
                r = machined_unregister(bus, m->name);
        if (r < 0)
                log_debug_errno(r, "Cannot unregister machine '%s' from systemd-machined, ignoring: %m",
                                m->name);
}

/* systemd-machined's convention, shared with systemd-nspawn: `machinectl bind` mounts the source in
 * PROPAGATE_DIR/NAME/ on the host; the mount propagates to /run/host/incoming/ in the machine, from where
 * machined moves it to its destination inside the machine's mount namespace. */
#define PROPAGATE_DIR "/run/systemd/nspawn/propagate"

int monitor_prepare_propagation(Machine *m) {
        _cleanup_free_ char *dir = NULL;

        if (m->settings->register_mode == REGISTER_NO || sd_booted() <= 0)
                return 0;
        dir = strjoin3(PROPAGATE_DIR, "/", m->name);
        if (!dir)
                return log_oom();
        (void) mkdir("/run/systemd/nspawn", 0755);
        (void) mkdir(PROPAGATE_DIR, 0700);
        /* A killed monitor's leftover is ours: the name's lock is held. */
        (void) rm_rf(dir);
        if (mkdir(dir, 0700) < 0) {
                log_warning_errno(errno, "Cannot create '%s', machinectl bind will not work: %m", dir);
                return 0;
        }
        m->propagate_dir = TAKE_PTR(dir);
        m->payload.propagate_dir = m->propagate_dir;
        return 0;
}

void monitor_remove_propagation(Machine *m) {
        monitor_remove_scratch(&m->propagate_dir);
        m->payload.propagate_dir = NULL;
}
