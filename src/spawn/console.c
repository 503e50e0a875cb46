#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "fd-util.h"

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
}

static void master_read(Console *c) {
        char buf[CONSOLE_BUFFER];
        ssize_t k = read(c->master, buf, sizeof(buf));

        if (k > 0) {
                if (c->mode != CONSOLE_PASSIVE)
                        (void) loop_write(STDOUT_FILENO, buf, (size_t) k);
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
        }
}

Console *console_free(Console *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->master_source);
        sd_event_source_disable_unref(c->stdin_source);
        if (c->termios_saved)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
        safe_close(c->peer);
        safe_close(c->master);
        free(c);
        return NULL;
}
