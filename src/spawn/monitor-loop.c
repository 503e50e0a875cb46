#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "cgroup-freeze.h"
#include "boot.h"
#include "fd-util.h"
#include "log.h"
#include "monitor-internal.h"
#include "monitor.h"
#include "notify.h"
#include "process-util.h"
#include "sync.h"

static const int monitor_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGWINCH };

static int on_leader_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Machine *m = userdata;

        m->exit_status = m->settings->boot ? boot_exit_status(si) : exit_status_from_siginfo(si);
        /* A guest that reboots after we asked it to power off (sysvinit's ctrlaltdel) has stopped. */
        if (m->settings->boot && m->stop_requested && m->exit_status == BOOT_EXIT_REBOOT)
                m->exit_status = 0;
        m->leader_pidfd = safe_close(m->leader_pidfd);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void kill_machine(Machine *m) {
        /* Everything of the machine at once, PID 1 included; not the monitor, which is the scope's too. */
        if (m->cgroup_fd >= 0 && write_string_file_at(m->cgroup_fd, "cgroup.kill", "1") >= 0)
                return;
        if (m->leader_pidfd >= 0)
                (void) pidfd_signal(m->leader_pidfd, SIGKILL);
}

static int on_kill_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Machine *m = userdata;

        log_warning("Machine '%s' " MONITOR_KILLED_MESSAGE " %llu s: killing it.", m->name,
                    (unsigned long long) (m->settings->kill_timeout_usec / 1000000));
        kill_machine(m);
        return 0;
}

/* For our own service manager (berth@.service's systemctl status); nothing without NOTIFY_SOCKET. */
static void notify_status(const char *state) {
        (void) sd_notifyf(false, "STATUS=%s",
                          streq(state, "starting")   ? "Booting…"
                          : streq(state, "stopping") ? "Powering off…"
                                                     : "Running");
}

static void set_state(Machine *m, const char *state) {
        if (m->state && streq(m->state, state))
                return;
        m->state = state;
        notify_status(state);
        if (m->state_written)
                (void) monitor_write_state(m);
}

static void request_poweroff(Machine *m) {
        int sig = init_poweroff_signal(m->init.kind);
        int r;

        m->stop_requested = true;
        set_state(m, "stopping");
        log_info("Asking machine '%s' to power off (SIG%s to its %s).", m->name, signal_name(sig),
                 init_kind_to_string(m->init.kind));
        /* A frozen guest cannot act on the signal: thaw it first (berth freeze leaves it frozen). No
         * waiting for the thaw to complete: the signal is pending until it does. */
        if (m->cgroup_fd >= 0 && cgroup_freeze_requested(m->cgroup_fd) > 0)
                (void) write_string_file_at(m->cgroup_fd, "cgroup.freeze", "0");
        if (m->leader_pidfd >= 0)
                (void) pidfd_signal(m->leader_pidfd, sig);
        r = sd_event_add_time_relative(m->event, &m->kill_timer, CLOCK_MONOTONIC,
                                       m->settings->kill_timeout_usec, 0, on_kill_timeout, m);
        if (r < 0) {
                log_warning_errno(r, "cannot arm the kill timeout, killing now: %m");
                kill_machine(m);
        }
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Machine *m = userdata;
        char buf[NOTIFY_MESSAGE_MAX + 1];
        NotifyUpdate u = {};
        ssize_t n;

        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 || n > (ssize_t) NOTIFY_MESSAGE_MAX)
                return 0; /* nothing, or too long to be honest: dropped */
        if (notify_parse(buf, (size_t) n, &u) < 0)
                return 0;
        if (u.status)
                log_info("%s: %s", m->name, u.status);
        if (u.stopping)
                set_state(m, "stopping");
        else if (u.ready && !m->stop_requested) {
                set_state(m, "running");
                if (m->settings->notify_ready)
                        (void) sd_notify(false, "READY=1");
        }
        notify_update_done(&u);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Machine *m = userdata;

        if (si->ssi_signo == SIGWINCH) {
                console_resize(m->console);
                return 0;
        }
        if (m->settings->boot) {
                /* SIGTERM, SIGINT, SIGHUP: power the guest off the way its init understands; a
                 * second request does not wait any more. */
                if (m->stop_requested) {
                        log_notice("Killing machine '%s' now.", m->name);
                        kill_machine(m);
                } else
                        request_poweroff(m);
                return 0;
        }
        /* SIGTERM, SIGINT, SIGHUP: the machine decides what they mean; its PID 1 gets them. */
        if (m->leader_pidfd >= 0)
                (void) pidfd_signal(m->leader_pidfd, (int) si->ssi_signo);
        return 0;
}

static int on_sync(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        SyncMsg msg;
        int passed, r;

        r = sync_recv(fd, &msg, &passed, true);
        if (r == -EAGAIN)
                return 0;
        safe_close(passed);
        if (r <= 0) {
                /* Every sender is gone (the command exec'd): nothing more will come. */
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        if (msg.type == SYNC_ERROR || msg.type == SYNC_EXEC_FAILED)
                log_error_errno(msg.error ?: EIO, "%s", msg.text);
        return 0;
}

static int on_move_monitor(sd_event_source *s, uint64_t usec, void *userdata) {
        Machine *m = userdata;
        int r = cgroup_scope_move_monitor(&m->scope);

        if (r < 0)
                log_warning_errno(r, "cannot move the monitor into '%s/supervisor', ignoring: %m",
                                  m->scope.path);
        return 0;
}

int monitor_run_event_loop(Machine *m) {
        sd_event_source *src = NULL;
        int r;

        r = sd_event_add_child_pidfd(m->event, &src, m->leader_pidfd, WEXITED, on_leader_exit, m);
        if (r < 0)
                return log_error_errno(r, "cannot watch the machine's leader: %m");
        (void) sd_event_source_set_floating(src, true);
        sd_event_source_unref(src);
        for (size_t i = 0; i < ELEMENTSOF(monitor_signals); i++) {
                r = sd_event_add_signal(m->event, NULL, monitor_signals[i], on_signal, m);
                if (r < 0)
                        return log_error_errno(r, "cannot watch signals: %m");
        }
        r = sd_event_add_io(m->event, NULL, m->sync_fd, EPOLLIN, on_sync, m);
        if (r < 0)
                return log_error_errno(r, "cannot watch the sync socket: %m");
        if (m->notify_fd >= 0) {
                r = sd_event_add_io(m->event, NULL, m->notify_fd, EPOLLIN, on_notify, m);
                if (r < 0)
                        return log_error_errno(r, "cannot watch the notify socket: %m");
        }

        if (m->scope.path && !m->scope.monitor_moved) {
                r = sd_event_add_time_relative(m->event, &src, CLOCK_MONOTONIC,
                                               CGROUP_MONITOR_MOVE_DELAY_USEC, 0, on_move_monitor, m);
                if (r < 0)
                        return log_error_errno(r, "cannot arm a timer: %m");
                (void) sd_event_source_set_floating(src, true);
                sd_event_source_unref(src);
        }

        /* berth attach: a console that is not the terminal's (passive, read-only) is served on a socket. */
        if (m->console && m->payload.console != CONSOLE_INTERACTIVE) {
                r = console_serve(m->console, m->event, BERTH_STATE_DIR, m->name);
                if (r < 0)
                        log_warning_errno(
                                r, "cannot serve the console of machine '%s' for berth attach, ignoring: %m",
                                m->name);
        }

        notify_status(m->state);
        /* The unit's WatchdogSec=: sd-event pings at half the interval while the loop runs. */
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r,
                                  "cannot set up the watchdog our service manager asks for, ignoring: %m");

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "event loop failed: %m");
        /* What the machine printed last, and why the command could not start, if so. */
        console_drain(m->console);
        for (;;) {
                SyncMsg msg;
                int passed;
                if (sync_recv(m->sync_fd, &msg, &passed, true) <= 0)
                        break;
                safe_close(passed);
                if (msg.type == SYNC_ERROR || msg.type == SYNC_EXEC_FAILED)
                        log_error_errno(msg.error ?: EIO, "%s", msg.text);
        }
        return 0;
}

void monitor_hotkey(ConsoleHotkey key, void *userdata) {
        Machine *m = userdata;

        switch (key) {
        case CONSOLE_HOTKEY_KILL:
                log_notice("Killing machine '%s' (Ctrl-] three times).", m->name);
                kill_machine(m);
                break;
        case CONSOLE_HOTKEY_POWEROFF:
                if (m->settings->boot)
                        request_poweroff(m);
                else if (m->leader_pidfd >= 0)
                        (void) pidfd_signal(m->leader_pidfd, SIGTERM);
                break;
        case CONSOLE_HOTKEY_REBOOT:
                if (m->settings->boot && m->leader_pidfd >= 0) {
                        log_notice("Asking machine '%s' to reboot.", m->name);
                        (void) pidfd_signal(m->leader_pidfd, init_reboot_signal(m->init.kind));
                }
                break;
        }
}
