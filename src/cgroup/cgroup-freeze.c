#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-freeze.h"
#include "cgroup-stats.h"
#include "fd-util.h"

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

/* "frozen" of an open cgroup.events, read from its start: 1, 0, or a negative errno. */
static int events_frozen(int events_fd) {
        char buf[256];
        uint64_t v;
        ssize_t k;
        int r;

        if (lseek(events_fd, 0, SEEK_SET) < 0)
                return negative_errno();
        k = loop_read(events_fd, buf, sizeof(buf) - 1);
        if (k < 0)
                return (int) k;
        buf[k] = '\0';
        r = cgroup_parse_flat_keyed(buf, "frozen", &v);
        if (r == -ENOENT)
                return -EOPNOTSUPP;
        if (r < 0)
                return r;
        return v > 0;
}

int cgroup_freeze_requested(int cgroup_fd) {
        _cleanup_free_ char *text = NULL;
        uint64_t v;
        int r;

        r = read_small_file_at(cgroup_fd, "cgroup.freeze", 64, &text, NULL);
        if (r == -ENOENT)
                return -EOPNOTSUPP;
        if (r < 0)
                return r;
        r = cgroup_parse_single_value(text, &v);
        if (r < 0)
                return r;
        return v > 0;
}

int cgroup_freeze(int cgroup_fd, bool freeze, uint64_t timeout_usec) {
        _cleanup_close_ int events = -EBADF;
        uint64_t deadline;
        int r;

        /* Steps: open cgroup.events first (so no notification is missed) → write cgroup.freeze → until
         * the deadline, read "frozen" and wait for the next notification → on a timed out freeze, thaw
         * again. */
        events = openat(cgroup_fd, "cgroup.events", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (events < 0)
                return negative_errno();
        r = write_string_file_at(cgroup_fd, "cgroup.freeze", freeze ? "1" : "0");
        if (r == -ENOENT)
                return -EOPNOTSUPP;
        if (r < 0)
                return r;

        deadline = now_usec() + timeout_usec;
        for (;;) {
                struct pollfd p = { .fd = events, .events = POLLPRI };
                uint64_t now;

                r = events_frozen(events);
                if (r < 0)
                        return r;
                if (r == freeze)
                        return 0;
                now = now_usec();
                if (now >= deadline)
                        break;
                if (poll(&p, 1, (int) ((MIN(deadline - now, 100000U) + 999U) / 1000U)) < 0 && errno != EINTR)
                        return negative_errno();
        }
        if (freeze)
                (void) write_string_file_at(cgroup_fd, "cgroup.freeze", "0");
        return -ETIMEDOUT;
}
