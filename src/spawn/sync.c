#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "macro.h"
#include "sync.h"

int sync_send(int fd, SyncType type, int error, int64_t value, const char *text, int pass_fd) {
        SyncMsg m = { .type = type, .error = error, .value = value };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (text)
                snprintf(m.text, sizeof(m.text), "%s", text);
        if (pass_fd >= 0) {
                struct cmsghdr *c;
                mh.msg_control = &control;
                mh.msg_controllen = sizeof(control.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        for (;;) {
                if (sendmsg(fd, &mh, MSG_NOSIGNAL) >= 0)
                        return 0;
                if (errno != EINTR)
                        return negative_errno();
        }
}

int sync_recv(int fd, SyncMsg *ret, int *ret_fd, bool nonblock) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = ret, .iov_len = sizeof(*ret) };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control.buf),
        };
        ssize_t k;

        *ret_fd = -EBADF;
        for (;;) {
                k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | (nonblock ? MSG_DONTWAIT : 0));
                if (k >= 0)
                        break;
                if (errno != EINTR)
                        return negative_errno();
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                    c->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        if (k == 0)
                return 0;
        if ((size_t) k != sizeof(*ret) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
                return -EBADMSG;
        ret->text[SYNC_TEXT_MAX - 1] = '\0';
        return 1;
}

int sync_errorf(int fd, int error, const char *format, ...) {
        char text[SYNC_TEXT_MAX];
        va_list ap;

        error = error < 0 ? -error : error;
        if (error == 0)
                error = EIO;
        errno = error;
        va_start(ap, format);
        vsnprintf(text, sizeof(text), format, ap);
        va_end(ap);
        (void) sync_send(fd, SYNC_ERROR, error, 0, text, -EBADF);
        return -error;
}
