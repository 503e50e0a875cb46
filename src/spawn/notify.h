#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What a guest's init says on /run/host/notify (sd_notify(3) format: KEY=VALUE lines). */
typedef struct NotifyUpdate {
        bool ready;
        bool stopping;
        bool reloading;
        char *status; /* STATUS=, control characters replaced, at most NOTIFY_STATUS_MAX bytes */
} NotifyUpdate;

#define NOTIFY_MESSAGE_MAX 4096U
#define NOTIFY_STATUS_MAX  256U

int notify_parse(const char *msg, size_t n, NotifyUpdate *ret);
void notify_update_done(NotifyUpdate *u);
