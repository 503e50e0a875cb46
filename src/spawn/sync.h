#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* The parent/child channel: one SOCK_SEQPACKET pair per machine. The monitor holds one end, the outer
 * and inner child (and the command, until its exec closes it) the other. Every message is one packet;
 * a file descriptor may ride along. */

typedef enum SyncType {
        SYNC_CONSOLE = 1, /* outer → monitor: the console's pty master (fd) */
        SYNC_INNER_PID,   /* outer → monitor: value = the inner child's pid */
        SYNC_READY,       /* inner → monitor: set up, about to start the command */
        SYNC_ERROR,       /* any → monitor: error = errno, text = what failed */
        SYNC_EXEC_FAILED, /* command → monitor: error = errno, value = exit status, text */
        SYNC_NOTIFY,      /* outer → monitor: the bound /run/host/notify socket (fd) */
        SYNC_NETNS,       /* monitor → outer: the machine's network namespace (fd) */
        SYNC_CGROUP,      /* monitor → outer: the payload's cgroup (fd), for CLONE_INTO_CGROUP */
        SYNC_USERNS,      /* namespace maker → monitor: the machine's user namespace (fd) */
} SyncType;

#define SYNC_TEXT_MAX 1024

typedef struct SyncMsg {
        uint32_t type;
        int32_t error;
        int64_t value;
        char text[SYNC_TEXT_MAX];
} SyncMsg;

int sync_send(int fd, SyncType type, int error, int64_t value, const char *text, int pass_fd);
/* ret_fd gets the passed fd or -EBADF. Returns 0 at EOF (all senders gone), 1 for a message; with
 * nonblock, -EAGAIN when nothing is waiting. */
int sync_recv(int fd, SyncMsg *ret, int *ret_fd, bool nonblock);

/* For a child: formats the reason (%m = error) and sends it as SYNC_ERROR. Returns -|error|, so a step
 * can end with `return sync_errorf(fd, r, "…: %m", …);`. */
int sync_errorf(int fd, int error, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* For a child: reports why it cannot go on, and ends it. */
#define fail(sync_fd, ...)                                \
        do {                                              \
                (void) sync_errorf(sync_fd, __VA_ARGS__); \
                _exit(EXIT_FAILURE);                      \
        } while (0)
