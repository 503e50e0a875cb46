#pragma once

/* The monitor's shared picture of one machine: monitor.c sets it up, monitor-loop.c lives with it. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "console.h"
#include "init-detect.h"
#include "payload.h"
#include "settings.h"

typedef struct Machine {
        const Settings *settings;
        char *root;
        char *name;
        char uuid[37];
        int lock_fd;
        int sync_fd;       /* the monitor's end */
        int child_sync_fd; /* the children's end, closed once they have it */
        int cgroup_fd;
        int monitor_pidfd;
        int leader_pidfd;
        pid_t netns_maker; /* the child making the network namespace, until it is done */
        int netns_maker_fd;
        pid_t leader;
        char *cgroup;
        OverlayDirs *overlays;
        Payload payload;
        Console *console;
        sd_event *event;
        bool state_written;
        bool ready;
        int exit_status;
        uint64_t since_usec;
        InitInfo init;     /* booting: what the tree's init is */
        char *os;          /* the guest's PRETTY_NAME */
        const char *state; /* starting, running, stopping */
        int notify_fd;     /* booting: /run/host/notify, bound by the outer child */
        bool stop_requested;
        sd_event_source *kill_timer;
} Machine;

/* Writes the state file from m (atomically). */
int monitor_write_state(Machine *m);

/* The event loop from the leader's start to its end; sets m->exit_status. */
int monitor_run_event_loop(Machine *m);

/* Ctrl-] hotkeys on an interactive console. */
void monitor_hotkey(ConsoleHotkey key, void *userdata);
