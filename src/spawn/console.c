#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "fd-util.h"
#include "strv.h"

#define CONSOLE_BUFFER 16384

struct Console {
        ConsoleMode mode;
        int master;
        int peer; /* our own handle on the pty's other side, see console_new() */
        sd_event_source *master_source;
        sd_event_source *stdin_source;
        bool termios_saved;
        struct termios saved;
        char in[CONSOLE_BUFFER]; /* host keyboard → machine, waiting for the pty to take it */
        size_t in_len;
        HotkeyState hotkey;
        ConsoleHotkeyFunc hotkey_func;
        void *hotkey_userdata;
        /* berth attach: the listening socket and the one client */
        char *socket_path;
        int listen_fd;
        sd_event_source *listen_source;
        int client_fd;
        sd_event_source *client_source;
};

#define CTRL_RIGHT_BRACKET 0x1d

int console_hotkey_feed(HotkeyState *h, unsigned char c, uint64_t now_usec, char forward[static 4],
                        size_t *ret_forward) {
        size_t n = 0;

        /* Ctrl-]s count only within a second of the first. */
        if (h->pending > 0 && now_usec - h->first_usec > 1000000) {
                for (unsigned i = 0; i < h->pending; i++)
                        forward[n++] = CTRL_RIGHT_BRACKET;
                h->pending = 0;
        }
        if (c == CTRL_RIGHT_BRACKET) {
                if (h->pending == 0)
                        h->first_usec = now_usec;
                if (++h->pending == 3) {
                        *h = (HotkeyState){};
                        *ret_forward = n;
                        return CONSOLE_HOTKEY_KILL;
                }
                *ret_forward = n;
                return -1;
        }
        if (h->pending == 2 && (c == 'p' || c == 'r')) {
                *h = (HotkeyState){};
                *ret_forward = n;
                return c == 'p' ? CONSOLE_HOTKEY_POWEROFF : CONSOLE_HOTKEY_REBOOT;
        }
        for (unsigned i = 0; i < h->pending; i++)
                forward[n++] = CTRL_RIGHT_BRACKET;
        h->pending = 0;
        forward[n++] = (char) c;
        *ret_forward = n;
        return -1;
}

void console_set_hotkeys(Console *c, ConsoleHotkeyFunc f, void *userdata) {
        c->hotkey_func = f;
        c->hotkey_userdata = userdata;
}

ConsoleMode console_mode_pick(ConsoleMode asked) {
        if (asked >= 0)
                return asked;
        return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? CONSOLE_INTERACTIVE : CONSOLE_PIPE;
}

static void update_events(Console *c) {
        if (c->master_source)
                (void) sd_event_source_set_io_events(c->master_source,
                                                     EPOLLIN | (c->in_len > 0 ? EPOLLOUT : 0));
        if (c->stdin_source)
                (void) sd_event_source_set_enabled(
                        c->stdin_source, c->in_len + 2 < sizeof(c->in) ? SD_EVENT_ON : SD_EVENT_OFF);
        if (c->client_source)
                (void) sd_event_source_set_enabled(
                        c->client_source,
                        c->in_len + CONSOLE_PACKET_DATA_MAX <= sizeof(c->in) ? SD_EVENT_ON : SD_EVENT_OFF);
}

static void client_drop(Console *c) {
        c->client_source = sd_event_source_disable_unref(c->client_source);
        c->client_fd = safe_close(c->client_fd);
}

static int client_send(int fd, char type, const void *data, size_t n) {
        char pkt[CONSOLE_PACKET_DATA_MAX + 1];

        pkt[0] = type;
        memcpy(pkt + 1, data, MIN(n, (size_t) CONSOLE_PACKET_DATA_MAX));
        if (send(fd, pkt, MIN(n, (size_t) CONSOLE_PACKET_DATA_MAX) + 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return negative_errno();
        return 0;
}

/* What the machine wrote, to the attached client. A client that cannot keep up misses output rather than
 * stall the monitor (the socket's buffer holds a few screens). */
static void client_output(Console *c, const char *buf, size_t n) {
        for (size_t done = 0; c->client_fd >= 0 && done < n; done += CONSOLE_PACKET_DATA_MAX) {
                int r = client_send(c->client_fd, CONSOLE_PACKET_OUTPUT, buf + done, n - done);
                if (r == -EAGAIN)
                        return;
                if (r < 0)
                        client_drop(c);
        }
}

static void master_read(Console *c) {
        char buf[CONSOLE_BUFFER];
        ssize_t k = read(c->master, buf, sizeof(buf));

        if (k > 0) {
                if (c->mode != CONSOLE_PASSIVE)
                        (void) loop_write(STDOUT_FILENO, buf, (size_t) k);
                client_output(c, buf, (size_t) k);
                return;
        }
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        /* EIO: nobody in the machine holds the console any more. */
        c->master_source = sd_event_source_disable_unref(c->master_source);
}

static int on_master(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Console *c = userdata;

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                master_read(c);
        if (c->master_source && (revents & EPOLLOUT) && c->in_len > 0) {
                ssize_t k = write(c->master, c->in, c->in_len);
                if (k > 0) {
                        memmove(c->in, c->in + k, c->in_len - (size_t) k);
                        c->in_len -= (size_t) k;
                }
        }
        update_events(c);
        return 0;
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Console *c = userdata;
        char buf[CONSOLE_BUFFER / 4];
        /* Room for every byte plus up to two held-back Ctrl-]s. */
        size_t room = sizeof(c->in) - c->in_len;
        ssize_t k;

        if (room <= 2) {
                update_events(c);
                return 0;
        }
        k = read(STDIN_FILENO, buf, MIN(sizeof(buf), room - 2));

        if (k > 0) {
                struct timespec ts;
                uint64_t now;

                clock_gettime(CLOCK_MONOTONIC, &ts);
                now = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
                for (ssize_t i = 0; i < k; i++) {
                        char fwd[4];
                        size_t n;
                        int key = console_hotkey_feed(&c->hotkey, (unsigned char) buf[i], now, fwd, &n);

                        memcpy(c->in + c->in_len, fwd, n);
                        c->in_len += n;
                        if (key >= 0 && c->hotkey_func)
                                c->hotkey_func((ConsoleHotkey) key, c->hotkey_userdata);
                }
        } else if (k == 0 || (errno != EAGAIN && errno != EINTR))
                c->stdin_source = sd_event_source_disable_unref(c->stdin_source);
        update_events(c);
        return 0;
}

void console_resize(Console *c) {
        struct winsize ws;

        if (!c || c->mode == CONSOLE_PASSIVE)
                return;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
                return;
        (void) ioctl(c->master, TIOCSWINSZ, &ws);
}

int console_new(sd_event *e, int master, ConsoleMode mode, Console **ret) {
        Console *c;
        int r;

        c = calloc(1, sizeof(Console));
        if (!c)
                return -ENOMEM;
        c->mode = mode;
        c->master = master;
        c->listen_fd = c->client_fd = -EBADF;
        /* Keep the other side open ourselves: a guest's init closes and reopens its console (systemd
         * does, handing over to journald, before getty opens it again), and a pty whose other side
         * nobody holds answers the master with EIO. */
        c->peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fcntl(master, F_SETFL, O_NONBLOCK) < 0) {
                r = negative_errno();
                goto fail;
        }
        r = sd_event_add_io(e, &c->master_source, master, EPOLLIN, on_master, c);
        if (r < 0)
                goto fail;

        if (mode == CONSOLE_INTERACTIVE) {
                struct termios raw;

                if (tcgetattr(STDIN_FILENO, &c->saved) < 0) {
                        r = negative_errno();
                        goto fail;
                }
                c->termios_saved = true;
                raw = c->saved;
                cfmakeraw(&raw);
                if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
                        r = negative_errno();
                        goto fail;
                }
                r = sd_event_add_io(e, &c->stdin_source, STDIN_FILENO, EPOLLIN, on_stdin, c);
                if (r < 0)
                        goto fail;
        }
        console_resize(c);
        *ret = c;
        return 0;
fail:
        console_free(c);
        return r;
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Console *c = userdata;
        char pkt[CONSOLE_PACKET_DATA_MAX + 1];
        ssize_t n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                client_drop(c); /* detached */
                return 0;
        }
        if (pkt[0] == CONSOLE_PACKET_INPUT && c->master_source) {
                size_t k = MIN((size_t) n - 1, sizeof(c->in) - c->in_len);
                memcpy(c->in + c->in_len, pkt + 1, k);
                c->in_len += k;
        } else if (pkt[0] == CONSOLE_PACKET_WINDOW && (size_t) n == 1 + sizeof(struct winsize)) {
                struct winsize ws;
                memcpy(&ws, pkt + 1, sizeof(ws));
                (void) ioctl(c->master, TIOCSWINSZ, &ws);
        }
        update_events(c);
        return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        static const char busy[] = "another client is attached to this console";
        Console *c = userdata;
        _cleanup_close_ int client = -EBADF;
        struct ucred cred;
        socklen_t l = sizeof(cred);

        client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0)
                return 0;
        /* The directory is root's alone; this keeps it so should its mode ever change. */
        if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0 || cred.uid != 0)
                return 0;
        if (c->client_fd >= 0) {
                (void) client_send(client, CONSOLE_PACKET_BUSY, busy, sizeof(busy) - 1);
                return 0;
        }
        if (client_send(client, CONSOLE_PACKET_ATTACHED, NULL, 0) < 0 ||
            sd_event_add_io(sd_event_source_get_event(s), &c->client_source, client, EPOLLIN, on_client, c) <
                    0)
                return 0;
        c->client_fd = TAKE_FD(client);
        update_events(c);
        return 0;
}

int console_socket_path(const char *state_dir, const char *name, char **ret) {
        _cleanup_free_ char *dir = strjoin3(state_dir, "/" CONSOLE_SOCKET_DIR "/", name);

        if (!dir)
                return -ENOMEM;
        if (strlen(dir) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return -EINVAL;
        *ret = TAKE_PTR(dir);
        return 0;
}

int console_serve(Console *c, sd_event *e, const char *state_dir, const char *name) {
        _cleanup_free_ char *dir = strjoin3(state_dir, "/" CONSOLE_SOCKET_DIR, NULL), *path = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        if (!dir)
                return -ENOMEM;
        r = console_socket_path(state_dir, name, &path);
        if (r < 0)
                return r;
        if ((mkdir(state_dir, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 0700) < 0 && errno != EEXIST))
                return negative_errno();
        c->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->listen_fd < 0)
                return negative_errno();
        /* A socket left by a killed monitor of this name: the caller holds the name's lock. */
        (void) unlink(path);
        strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
        if (bind(c->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = negative_errno();
                c->listen_fd = safe_close(c->listen_fd);
                return r;
        }
        c->socket_path = TAKE_PTR(path);
        r = RET_NERRNO(listen(c->listen_fd, 4));
        if (r >= 0)
                r = sd_event_add_io(e, &c->listen_source, c->listen_fd, EPOLLIN, on_listen, c);
        if (r < 0) {
                c->listen_fd = safe_close(c->listen_fd);
                (void) unlink(c->socket_path);
                c->socket_path = mfree(c->socket_path);
        }
        return r;
}

void console_drain(Console *c) {
        if (!c)
                return;
        while (c->master_source) {
                char buf[CONSOLE_BUFFER];
                ssize_t k = read(c->master, buf, sizeof(buf));
                if (k <= 0)
                        break;
                if (c->mode != CONSOLE_PASSIVE)
                        (void) loop_write(STDOUT_FILENO, buf, (size_t) k);
                client_output(c, buf, (size_t) k);
        }
}

Console *console_free(Console *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->master_source);
        sd_event_source_disable_unref(c->stdin_source);
        client_drop(c);
        sd_event_source_disable_unref(c->listen_source);
        safe_close(c->listen_fd);
        if (c->socket_path)
                (void) unlink(c->socket_path);
        free(c->socket_path);
        if (c->termios_saved)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
        safe_close(c->peer);
        safe_close(c->master);
        free(c);
        return NULL;
}
