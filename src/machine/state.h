#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The state of a running machine, kept in STATE_DIR/machines/NAME as KEY=VALUE lines, written atomically
 * by its monitor and removed when it ends. A lock file per name (STATE_DIR/locks/machine-NAME) is held
 * by the monitor for its whole life: whoever can take it knows the monitor is gone. */

typedef struct MachineState {
        char *name;
        char *class;
        char *root;
        char *uuid;
        char *cgroup; /* the scope's absolute path in the cgroup2 file system */
        char *unit;   /* the scope's systemd unit, when systemd manages it */
        char *state;  /* starting, running (ready, or an init that does not notify), stopping */
        char *init;   /* what PID 1 is: systemd, sysvinit, busybox, unknown (boot); reaper, command (run) */
        char *os;     /* the guest's PRETTY_NAME */
        pid_t leader; /* 0 while the machine is starting */
        uint64_t leader_starttime;
        pid_t monitor;
        uint64_t monitor_starttime;
        uint64_t since_usec;
        uint64_t capabilities;
        /* the bounding set, for processes entering the machine */ /* CLOCK_REALTIME */
        char **syscall_allow; /* the machine's --system-call-filter= additions, for processes entering it */
        char **syscall_deny;
        bool no_new_privileges;
        bool allow_nesting;   /* nested user namespaces, userfaultfd, io_uring allowed */
        char *private_users;  /* with a user namespace: pick, identity or fixed; NULL without one */
        uint32_t uid_base;    /* the host UID of root inside */
        uint32_t uid_count;   /* 0 without a user namespace */
        char *ownership;      /* map, chown or off: how the tree's owners were made the guest's */
        char **cleanup_paths; /* directories the monitor made and must remove (overlay work dirs) */
} MachineState;

#define MACHINE_STATE_SIZE_MAX (64U * 1024U)

void machine_state_done(MachineState *s);

/* Pure functions: text in, struct out and back. */
int machine_state_serialize(const MachineState *s, char **ret);
int machine_state_parse(const char *text, MachineState *ret);

int machine_state_write(const char *state_dir, const MachineState *s);
int machine_state_load(const char *state_dir, const char *name, MachineState *ret);
int machine_state_remove(const char *state_dir, const char *name);

/* Returns an fd holding the name's lock, -EBUSY when a live monitor holds it. */
int machine_lock(const char *state_dir, const char *name, int *ret_fd);

/* Writes a note into the held lock file (the machine's cgroup scope), for whoever cleans up after a
 * killed monitor; and reads it back. */
int machine_lock_note(int fd, const char *note);
int machine_lock_read_note(const char *state_dir, const char *name, char **ret);

/* Removes the lock file and releases the lock. */
void machine_unlock(const char *state_dir, const char *name, int fd);

/* Names with a state file, sorted. */
int machine_state_list(const char *state_dir, char ***ret);
/* An image's lock, by its inode (STATE_DIR/locks/image-DEV-INO, or on a systemd host the one systemd-nspawn
 * and machined use, /run/systemd/nspawn/locks/inode-DEV:INO; never removed, so two users always meet on
 * the same file): exclusive for a writable boot and for changing the image (remove, rename, ...), shared
 * for read-only and ephemeral boots and for copying it. The kernel drops it with its last holder. -EBUSY
 * when it is held the other way; *ret_holder (may be NULL) then says by whom, when the holder is
 * exclusive. */
int image_lock(const char *state_dir, const char *path, bool exclusive, const char *holder, int *ret_fd,
               char **ret_holder);

/* Names with a lock file, sorted (a monitor killed before it wrote its state leaves only that). */
int machine_lock_list(const char *state_dir, char ***ret);

/* Whether the machine's leader is still the process that was recorded. */
int machine_state_leader_alive(const MachineState *s);
/* A pidfd for the recorded leader, checked against its start time after opening, so a recycled PID never
 * gets a signal. -ESRCH when the leader is gone. */
int machine_state_open_leader(const MachineState *s, int *ret_pidfd);
/* The same for the machine's monitor. */
int machine_state_open_monitor(const MachineState *s, int *ret_pidfd);
