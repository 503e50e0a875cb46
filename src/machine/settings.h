#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

/* One struct for every knob of a machine. The CLI fills it; everything below takes a Settings *. */

typedef enum ConsoleMode {
        CONSOLE_INTERACTIVE,
        CONSOLE_READ_ONLY,
        CONSOLE_PASSIVE,
        CONSOLE_PIPE,
        _CONSOLE_MODE_MAX,
        _CONSOLE_MODE_INVALID = -EINVAL,
} ConsoleMode;

typedef enum NetworkMode {
        NETWORK_PRIVATE,
        NETWORK_HOST,
        _NETWORK_MODE_MAX,
        _NETWORK_MODE_INVALID = -EINVAL,
} NetworkMode;

/* /etc/resolv.conf and /etc/localtime of a machine, as systemd-nspawn offers them (a subset). */
typedef enum ResolvConfMode {
        RESOLV_CONF_AUTO, /* bind-host with the host's network, off with a private one */
        RESOLV_CONF_OFF,
        RESOLV_CONF_BIND_HOST, /* the host's file bound read-only over the tree's */
        RESOLV_CONF_COPY_HOST, /* the host's file copied into the tree */
        _RESOLV_CONF_MODE_MAX,
        _RESOLV_CONF_MODE_INVALID = -EINVAL,
} ResolvConfMode;

typedef enum TimezoneMode {
        TIMEZONE_AUTO, /* bind when the tree has an /etc/localtime, else off */
        TIMEZONE_OFF,
        TIMEZONE_BIND,
        TIMEZONE_COPY,
        _TIMEZONE_MODE_MAX,
        _TIMEZONE_MODE_INVALID = -EINVAL,
} TimezoneMode;

/* --volatile=: what of the image the machine may change, as systemd-nspawn defines it. */
typedef enum VolatileMode {
        VOLATILE_NO,      /* the image as it is */
        VOLATILE_YES,     /* a tmpfs root with the image's /usr read-only: only /usr is the image */
        VOLATILE_STATE,   /* the image read-only, /var a tmpfs */
        VOLATILE_OVERLAY, /* an overlayfs: the image read-only below, changes on a tmpfs above */
        _VOLATILE_MODE_MAX,
        _VOLATILE_MODE_INVALID = -EINVAL,
} VolatileMode;

/* --private-users=: the machine's user namespace. */
typedef enum PrivateUsersMode {
        PRIVATE_USERS_PICK,     /* a 64K block of its own from the registry (the default) */
        PRIVATE_USERS_NO,       /* no user namespace: root inside is root outside */
        PRIVATE_USERS_IDENTITY, /* 0..65535 inside are 0..65535 outside, without host capabilities */
        PRIVATE_USERS_FIXED,    /* UID[:COUNT] as given */
        _PRIVATE_USERS_MODE_MAX,
        _PRIVATE_USERS_MODE_INVALID = -EINVAL,
} PrivateUsersMode;

/* --private-users-ownership=: how the tree's files get owners the guest can use. */
typedef enum UserNsOwnership {
        OWNERSHIP_AUTO,  /* map where the file system can, else chown */
        OWNERSHIP_MAP,   /* idmapped mounts: the tree stays as it is on disk */
        OWNERSHIP_CHOWN, /* the tree's owners shifted on disk, once */
        OWNERSHIP_OFF,   /* the tree is used as it is (already shifted, or on purpose) */
        _OWNERSHIP_MAX,
        _OWNERSHIP_INVALID = -EINVAL,
} UserNsOwnership;

/* --link-journal=: the guest's journal directory and the host's /var/log/journal (systemd-nspawn's). */
typedef enum LinkJournal {
        LINK_JOURNAL_AUTO, /* host, when the host's /var/log/journal/ID exists; else nothing */
        LINK_JOURNAL_NO,
        LINK_JOURNAL_HOST,      /* the host's /var/log/journal/ID bound over the guest's */
        LINK_JOURNAL_TRY_HOST,  /* host, where the host has a /var/log/journal */
        LINK_JOURNAL_GUEST,     /* the host's /var/log/journal/ID a symlink to the guest's */
        LINK_JOURNAL_TRY_GUEST, /* guest, where the host has a /var/log/journal */
        _LINK_JOURNAL_MAX,
        _LINK_JOURNAL_INVALID = -EINVAL,
} LinkJournal;

/* --register=: registration with systemd-machined. */
typedef enum RegisterMode {
        REGISTER_AUTO, /* when machined is reachable; one notice line when it is not */
        REGISTER_YES,  /* a missing machined is an error */
        REGISTER_NO,
        _REGISTER_MODE_MAX,
        _REGISTER_MODE_INVALID = -EINVAL,
} RegisterMode;

#define UID_RANGE_DEFAULT_COUNT 0x10000U

typedef enum CustomMountType {
        CUSTOM_MOUNT_BIND,
        CUSTOM_MOUNT_TMPFS,
        CUSTOM_MOUNT_OVERLAY,
        _CUSTOM_MOUNT_TYPE_MAX,
        _CUSTOM_MOUNT_TYPE_INVALID = -EINVAL,
} CustomMountType;

typedef struct CustomMount {
        CustomMountType type;
        bool read_only;
        bool recursive;      /* bind: rbind (default) or norbind */
        char *source;        /* bind: host path, or a path in the tree when source_in_tree */
        bool source_in_tree; /* "+PATH" */
        char *destination;   /* inside the tree */
        char *options;       /* tmpfs mount options */
        int idmap;           /* bind: 1 idmap, 0 noidmap, -1 as the root is mapped */
        char **lower;        /* overlay: lower dirs, "+PATH" means in the tree */
        char *upper;         /* overlay: upper dir; "" = a throwaway one on a tmpfs */
} CustomMount;

/* -i: one file system of a disk image. The CLI attaches and dissects the image before the monitor starts
 * and hands over the devices; the outer child mounts them (root first), so nothing of the image is ever
 * mounted in the host's mount namespace. */
typedef struct ImageMount {
        int fd;       /* the block device: a loop device or one of its partitions, O_CLOEXEC; owned */
        char *where;  /* the mount point in the tree: "/" for the root */
        char *fstype; /* as blkid named it */
        bool read_only;
} ImageMount;

#define IMAGE_MOUNTS_MAX 8U

typedef struct Settings {
        char *machine_name;
        char *directory;
        char *image;         /* -i: the disk image file, an absolute path; directory is NULL then */
        char *template_name; /* --template=: the image (or directory) -M NAME is made from on first use */
        bool ephemeral;      /* --ephemeral: run on a throwaway copy of the image */
        VolatileMode volatile_mode;
        ImageMount image_mounts[IMAGE_MOUNTS_MAX]; /* in mount order; filled from image before the start */
        size_t n_image_mounts;
        char *hostname;
        char *uuid; /* 36-character textual form */
        char *user;
        char *working_directory;
        char **environment; /* extra NAME=VALUE */
        char **command;

        bool boot;                  /* run the tree's init as PID 1 (berth boot, -b) */
        char *init;                 /* --init=: init's path inside the tree, instead of looking for it */
        uint64_t kill_timeout_usec; /* how long a guest may take to power off before it is killed */
        bool restart_on_reboot;     /* --restart=on-reboot: a guest's reboot starts it again in place */
        bool notify_ready;          /* --notify-ready: pass the guest's READY=1 on to our own manager */
        bool as_pid1;
        bool read_only;
        bool no_os_check;
        int no_new_privileges; /* -1: the default (on for run; for boot, per init, see berth(1)) */
        PrivateUsersMode private_users;
        uid_t uid_shift;    /* PRIVATE_USERS_FIXED: the first host UID */
        uint32_t uid_range; /* PRIVATE_USERS_FIXED: how many */
        UserNsOwnership ownership;
        bool allow_nesting; /* nested user namespaces, userfaultfd and io_uring */
        NetworkMode network;
        ConsoleMode console; /* _CONSOLE_MODE_INVALID = pick from the terminal */
        ResolvConfMode resolv_conf;
        TimezoneMode timezone;

        bool time_namespace;
        int64_t monotonic_offset_ns;
        int64_t boottime_offset_ns;

        uint64_t capability_add;
        uint64_t capability_drop;
        char **syscall_allow;
        char **syscall_deny;

        CustomMount *mounts;
        size_t n_mounts;

        CgroupLimits limits; /* [Resources], --memory-max= …: what the machine's cgroup gets */
        char *slice;         /* Slice=, --slice=: a full unit name ("machine-tenants.slice"); NULL for
                              * machine.slice. slice_to_path() gives its cgroup. */
        CgroupManager cgroup_manager; /* --cgroup-manager= */
        RegisterMode register_mode;   /* --register= */
        LinkJournal link_journal;     /* --link-journal=, booting only */
        bool keep_unit;               /* --keep-unit: the service berth runs in is the machine's scope */
} Settings;

#define CUSTOM_MOUNTS_MAX         256U
#define SETTINGS_VALUE_MAX        4096U
#define KILL_TIMEOUT_DEFAULT_USEC (30ULL * 1000000ULL)

Settings *settings_new(void);
Settings *settings_free(Settings *s);
static inline void settings_freep(Settings **s) {
        settings_free(*s);
}

void custom_mount_done(CustomMount *m);

/* "SRC[:DST[:OPTS]]"; read_only for --bind-ro. */
int custom_mount_parse_bind(const char *s, bool read_only, CustomMount *ret);
/* "PATH[:OPTS]" */
int custom_mount_parse_tmpfs(const char *s, CustomMount *ret);
/* "LOWER[:LOWER…]:UPPER:DST", or "LOWER[:LOWER…]:DST" when read_only. */
int custom_mount_parse_overlay(const char *s, bool read_only, CustomMount *ret);
int settings_add_mount(Settings *s, CustomMount *m); /* takes m's contents */
/* Takes fd on success. The root ("/") must come first, parents before what is mounted beneath them. */
int settings_add_image_mount(Settings *s, int fd, const char *where, const char *fstype, bool read_only);

/* "pick", "yes", "no", "identity", "UID[:COUNT]". */
int private_users_parse(const char *s, PrivateUsersMode *ret_mode, uid_t *ret_shift, uint32_t *ret_range);

/* "monotonic=SEC,boottime=SEC", either key alone. */
int time_offset_parse(const char *s, int64_t *ret_monotonic_ns, int64_t *ret_boottime_ns);

/* "a b @group", a leading '~' denies instead. */
int syscall_filter_parse(const char *s, bool *ret_deny, char ***ret_names);

const char *link_journal_to_string(LinkJournal m);
LinkJournal link_journal_from_string(const char *s);
const char *register_mode_to_string(RegisterMode m);
RegisterMode register_mode_from_string(const char *s);
const char *console_mode_to_string(ConsoleMode m);
ConsoleMode console_mode_from_string(const char *s);
const char *network_mode_to_string(NetworkMode m);
NetworkMode network_mode_from_string(const char *s);
const char *private_users_mode_to_string(PrivateUsersMode m);
const char *userns_ownership_to_string(UserNsOwnership o);
UserNsOwnership userns_ownership_from_string(const char *s);
const char *custom_mount_type_to_string(CustomMountType t);
const char *resolv_conf_mode_to_string(ResolvConfMode m);
ResolvConfMode resolv_conf_mode_from_string(const char *s);
const char *timezone_mode_to_string(TimezoneMode m);
const char *volatile_mode_to_string(VolatileMode m);
/* yes/no and the other boolean words too, as nspawn takes them. */
VolatileMode volatile_mode_from_string(const char *s);
TimezoneMode timezone_mode_from_string(const char *s);
