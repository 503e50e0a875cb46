#pragma once

#include <errno.h>
#include <stdbool.h>

/* What a tree's init is, and how to ask it to stop. Found beneath the tree's root only: symlinks are
 * followed as the machine will see them, never out of the tree. */

typedef enum InitKind {
        INIT_SYSTEMD,
        INIT_SYSVINIT,
        INIT_BUSYBOX,
        INIT_UNKNOWN,
        _INIT_KIND_MAX,
        _INIT_KIND_INVALID = -EINVAL,
} InitKind;

typedef struct InitInfo {
        InitKind kind;
        char *path; /* the path inside the tree that is exec'd */
} InitInfo;

/* Looks for init in the tree (or checks `override`, a path inside the tree): /usr/lib/systemd/systemd,
 * /lib/systemd/systemd, /sbin/init, /init. -ENOENT when there is none, -EACCES when it is not an
 * executable regular file. */
int init_detect(int root_fd, const char *override, InitInfo *ret);
void init_info_done(InitInfo *i);

/* Kind from what the init path resolves to (its target's name), with hints from the tree. Pure. */
InitKind init_kind_from_target(const char *resolved_target, bool has_telinit);

/* The signals that ask an init to power off, reboot or halt. systemd: SIGRTMIN+4, SIGINT, SIGRTMIN+3;
 * busybox init: SIGUSR2, SIGTERM, SIGUSR1; sysvinit: SIGINT (ctrlaltdel, a reboot the monitor takes as
 * power-off when it asked for one), SIGINT, SIGPWR; unknown: SIGTERM, SIGINT, SIGPWR. */
int init_poweroff_signal(InitKind k);
int init_reboot_signal(InitKind k);
int init_halt_signal(InitKind k);

const char *init_kind_to_string(InitKind k);
InitKind init_kind_from_string(const char *s);
