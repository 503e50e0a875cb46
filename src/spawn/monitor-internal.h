#pragma once

/* The monitor's shared picture of one machine: monitor.c sets it up, monitor-loop.c lives with it. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "cgroup.h"
#include "console.h"
#include "init-detect.h"
#include "payload.h"
#include "settings.h"

typedef struct Machine {
        const Settings *settings;
        char *root;  /* the tree's absolute path, or the image file's (-i) */
        int tree_fd; /* -i: a detached, read-only mount of the image's root, until the payload starts */
        char *name;
        char uuid[37];
        int lock_fd;
        int sync_fd;       /* the monitor's end */
        int child_sync_fd; /* the children's end, closed once they have it */
        int cgroup_fd;     /* the payload cgroup of the current boot */
        int monitor_pidfd;
        int leader_pidfd;
        pid_t ns_maker; /* the child making the user and network namespaces, until it is done */
        int ns_maker_fd;
        int userns_fd; /* the machine's user namespace, maps written */
        uid_t uid_base;
        uint32_t uid_count;
        UserNsOwnership ownership; /* what was done about the tree's owners: map, chown or off */
        pid_t leader;
        CgroupScope scope;
        char *slice_path; /* relative to the cgroup2 mount */
        OverlayDirs *overlays;
        char *volatile_scratch; /* --volatile=overlay: made here, the upper layer's tmpfs goes over it */
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
        bool registered;        /* with systemd-machined */
        char *journal_host_dir; /* --link-journal=host: the host's directory bound into the tree */
        char *journal_dest;
        char *propagate_dir; /* the host's end of /run/host/incoming (machinectl bind), or NULL */
        sd_event_source *kill_timer;
} Machine;

/* Removes a directory the monitor made for the machine (rm -rf, staying on its file system), warning
 * when it cannot, and frees and clears the path. */
void monitor_remove_scratch(char **path);

/* monitor-register.c: registration with systemd-machined (--register=). The check comes before
 * anything is made; registering once the leader is known; unregistering when it has ended. */
int monitor_register_check(const Settings *s);
int monitor_register(Machine *m);
void monitor_unregister(Machine *m);
/* The host's directory whose mounts propagate to /run/host/incoming in the machine: machined's `bind`
 * mounts there and moves the mount into place from inside. Made only where machined may be asked. */
int monitor_prepare_propagation(Machine *m);
void monitor_remove_propagation(Machine *m);

/* monitor-journal.c: --link-journal= (booting only): the host's side of the guest's journal. */
int monitor_link_journal(Machine *m);

/* Writes the state file from m (atomically). */
int monitor_write_state(Machine *m);

/* The event loop from the leader's start to its end; sets m->exit_status. */
int monitor_run_event_loop(Machine *m);

/* monitor-userns.c: the namespace maker, a child that makes the user namespace (when there is one)
 * and the network namespace (with a private network) first thing, in parallel with everything else,
 * so that the network namespace is the user namespace's. */
int monitor_ns_maker_start(Machine *m);
/* The user namespace from the maker, with the machine's UID range picked and written as its maps. */
int monitor_userns_setup(Machine *m);
/* The network namespace from the maker (fd), after which the maker ends. */
int monitor_netns_take(Machine *m);
void monitor_ns_maker_stop(Machine *m);
/* Resolves --private-users-ownership= for the tree: map, chown (done here, once) or off. */
int monitor_prepare_ownership(Machine *m);

/* Ctrl-] hotkeys on an interactive console. */
void monitor_hotkey(ConsoleHotkey key, void *userdata);
