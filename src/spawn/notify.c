#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "notify.h"

void notify_update_done(NotifyUpdate *u) {
        free(u->status);
        *u = (NotifyUpdate){};
}

int notify_parse(const char *msg, size_t n, NotifyUpdate *ret) {
        NotifyUpdate u = {};
        const char *end = msg + n;

        if (n > NOTIFY_MESSAGE_MAX)
                return -EMSGSIZE;
        for (const char *p = msg; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = (size_t) ((nl ? nl : end) - p);

                if (len == 7 && strneq(p, "READY=1", 7))
                        u.ready = true;
                else if (len == 10 && strneq(p, "STOPPING=1", 10))
                        u.stopping = true;
                else if (len == 11 && strneq(p, "RELOADING=1", 11))
                        u.reloading = true;
                else if (len >= 7 && strneq(p, "STATUS=", 7)) {
                        size_t l = MIN(len - 7, (size_t) NOTIFY_STATUS_MAX);
                        char *st = malloc(l + 1);

                        if (!st) {
                                notify_update_done(&u);
                                return -ENOMEM;
                        }
                        for (size_t i = 0; i < l; i++) {
                                unsigned char c = (unsigned char) p[7 + i];
                                st[i] = c < ' ' || c == 0x7f ? ' ' : (char) c;
                        }
                        st[l] = '\0';
                        free(u.status);
                        u.status = st;
                }
                /* Anything else (MAINPID=, WATCHDOG=, ...) is not for a container manager. */
                p = nl ? nl + 1 : end;
        }
        *ret = u;
        return 0;
}
