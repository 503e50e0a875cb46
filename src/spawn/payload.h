#pragma once

#include <stdint.h>

#include "seccomp-setup.h"
#include "settings.h"

/* Everything the children need, prepared by the monitor before it clones: the children only read it. */
typedef struct OverlayDirs {
        char *work;           /* a directory the monitor made for the work dir (or NULL) */
        bool temporary_upper; /* work is a scratch dir to cover with a tmpfs holding upper/ and work/ */
} OverlayDirs;

typedef struct Payload {
        const Settings *settings;
        const char *root; /* the tree, an absolute host path */
        const char *machine_name;
        const char *hostname;
        const char *uuid;
        const char *journal_host_dir; /* --link-journal=host: the host's directory to bind, or NULL */
        const char *journal_dest;     /* … over this one in the tree (/var/log/journal/ID) */
        const char *propagate_dir;    /* the host's directory shown as /run/host/incoming, or NULL */
        ConsoleMode console;
        uint64_t capabilities;
        SeccompProgram seccomp;
        SeccompProgram seccomp_args;
        OverlayDirs *overlays;        /* parallel to settings->mounts */
        const char *volatile_scratch; /* --volatile=overlay: the dir the upper layer's tmpfs goes over */
        int monitor_pidfd;            /* to notice a monitor that died before PDEATHSIG was armed */
        int sync_fd;                  /* the children's end */
        const char *term;             /* TERM for the command */
        char **argv;      /* what to exec: init and its arguments when booting; NULL: the command */
        char **extra_env; /* container_host_*, NOTIFY_SOCKET, ... before the user's --setenv= */
        bool no_new_privileges;
        /* With a user namespace: the machine's, made by the monitor with its maps written. */
        int userns_fd;
        uid_t uid_base;
        bool idmap; /* the root (and binds by default) are idmapped mounts through userns_fd */
} Payload;

/* The outer child: runs in a new mount namespace, still in the host's user namespace, builds the mount
 * tree, and clones the inner child into the machine's user namespace; a mounter it forks (still of the
 * host's user namespace) then adds /proc and /sys from inside the machine's PID and network namespaces
 * and pivots into the tree. Never returns. */
_Noreturn void payload_outer_child(const Payload *p);
