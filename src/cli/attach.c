#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "console.h"
#include "exit-codes.h"
#include "fd-util.h"
#include "log.h"
#include "machines.h"
#include "state.h"
#include "time-util.h"

/* berth attach NAME: the console of a machine that is not on a terminal (berth start, berth@.service,
 * --console=passive or read-only), through the socket its monitor serves (console.h has the packets). */

/* The monitor serves the socket a moment after it writes the state file. */
#define ATTACH_CONNECT_WAIT_USEC (2ULL * 1000000ULL)
#define ATTACH_ANSWER_TIMEOUT_MS 5000

typedef struct Terminal {
        bool saved;
        struct termios old;
} Terminal;

static void terminal_restore(Terminal *t) {
        if (t->saved)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &t->old);
        t->saved = false;
}

static int terminal_raw(Terminal *t) {
        struct termios raw;

        if (!isatty(STDIN_FILENO))
                return 0;
        if (tcgetattr(STDIN_FILENO, &t->old) < 0)
                return negative_errno();
        raw = t->old;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
                return negative_errno();
        t->saved = true;
        return 0;
}

static int connect_console(const char *path, int *ret_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return negative_errno();
        strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static void send_window(int fd) {
        char pkt[1 + sizeof(struct winsize)];
        struct winsize ws;

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
                return;
        pkt[0] = CONSOLE_PACKET_WINDOW;
        memcpy(pkt + 1, &ws, sizeof(ws));
        (void) send(fd, pkt, sizeof(pkt), MSG_NOSIGNAL);
}

typedef enum AttachEnd {
        ATTACH_DETACHED,
        ATTACH_CLOSED, /* the machine's console went: it stopped or rebooted */
        ATTACH_SIGNAL,
} AttachEnd;

/* Keyboard → machine through the hotkey filter (Ctrl-] three times detaches, twice and p or r power off
 * or reboot), machine → terminal, until one of them ends. */
static int relay(const MachineState *st, int leader_pidfd, int fd, int signal_fd, AttachEnd *ret_end) {
        struct pollfd p[3] = {
                { .fd = STDIN_FILENO, .events = POLLIN },
                { .fd = fd, .events = POLLIN },
                { .fd = signal_fd, .events = POLLIN },
        };
        HotkeyState hotkey = {};

        for (;;) {
                char pkt[CONSOLE_PACKET_DATA_MAX + 1];
                ssize_t n;

                if (poll(p, ELEMENTSOF(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (p[1].revents) {
                        n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT);
                        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) {
                                *ret_end = ATTACH_CLOSED;
                                return 0;
                        }
                        if (n > 1 && pkt[0] == CONSOLE_PACKET_OUTPUT)
                                (void) loop_write(STDOUT_FILENO, pkt + 1, (size_t) n - 1);
                }
                if (p[0].revents) {
                        char in[1024], out[1 + 3 * sizeof(in)];
                        size_t o = 1;
                        bool detach = false;

                        n = read(STDIN_FILENO, in, sizeof(in));
                        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        if (n <= 0) {
                                *ret_end = ATTACH_DETACHED; /* end of input */
                                return 0;
                        }
                        out[0] = CONSOLE_PACKET_INPUT;
                        for (ssize_t i = 0; i < n && !detach; i++) {
                                char fwd[4];
                                size_t k;
                                int key = console_hotkey_feed(&hotkey, (unsigned char) in[i],
                                                              now_usec(CLOCK_MONOTONIC), fwd, &k);

                                memcpy(out + o, fwd, k);
                                o += k;
                                if (key == CONSOLE_HOTKEY_KILL)
                                        detach = true;
                                else if (key == CONSOLE_HOTKEY_POWEROFF)
                                        (void) machine_ask_poweroff("attach", st);
                                else if (key == CONSOLE_HOTKEY_REBOOT)
                                        (void) machine_ask_reboot("attach", st, leader_pidfd);
                        }
                        if (o > 1 && send(fd, out, o, MSG_NOSIGNAL) < 0) {
                                *ret_end = ATTACH_CLOSED;
                                return 0;
                        }
                        if (detach) {
                                *ret_end = ATTACH_DETACHED;
                                return 0;
                        }
                }
                if (p[2].revents) {
                        struct signalfd_siginfo si;

                        if (read(signal_fd, &si, sizeof(si)) != sizeof(si))
                                continue;
                        if (si.ssi_signo == SIGWINCH) {
                                send_window(fd);
                                continue;
                        }
                        *ret_end = ATTACH_SIGNAL;
                        return 0;
                }
        }
}

static void attach_help(void) {
        printf("berth attach NAME\n\n"
               "Attach this terminal to the console of a machine started in the background (berth start,\n"
               "berth@.service, --console=passive or read-only). One client at a time.\n\n"
               "Keys: Ctrl-] three times within a second detaches (the machine runs on);\n"
               "      Ctrl-] twice and p powers the machine off, r reboots it.\n\n"
               "  -h --help   Show this help\n");
}

int verb_attach(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF, leader = -EBADF, signal_fd = -EBADF;
        MachineState st = {};
        Terminal term = {};
        AttachEnd end = ATTACH_DETACHED;
        struct pollfd answer;
        char pkt[CONSOLE_PACKET_DATA_MAX + 1];
        const char *name;
        uint64_t deadline;
        sigset_t mask;
        ssize_t n;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        attach_help();
                        return 0;
                }
                log_error("attach: option '%s' is unknown (see berth attach --help)", argv[optind - 1]);
                return EXIT_BERTH_USAGE;
        }
        if (optind + 1 != argc) {
                log_error("attach: expected one machine name (see berth attach --help)");
                return EXIT_BERTH_USAGE;
        }
        name = argv[optind];
        if (geteuid() != 0) {
                log_error("attach: a machine's console is root's (run berth attach as root)");
                return EXIT_BERTH_PERMISSION;
        }
        r = machine_open("attach", name, &st, &leader);
        if (r != 0)
                return r;

        /* The steps: connect to the monitor's console socket, wait for it to say attached (or busy), make
         * the terminal raw, relay until a detach, the console's end or a signal, restore the terminal. */
        r = console_socket_path(BERTH_STATE_DIR, name, &path);
        if (r < 0) {
                log_error_errno(r, "attach: no console socket path for machine '%s': %m", name);
                goto finish;
        }
        deadline = now_usec(CLOCK_MONOTONIC) + ATTACH_CONNECT_WAIT_USEC;
        for (;;) {
                struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

                r = connect_console(path, &fd);
                if (r >= 0 || (r != -ENOENT && r != -ECONNREFUSED) || now_usec(CLOCK_MONOTONIC) > deadline)
                        break;
                nanosleep(&ts, NULL);
        }
        if (r == -ENOENT || r == -ECONNREFUSED) {
                log_error("attach: machine '%s' has no console to attach to: it is on the terminal of the "
                          "berth "
                          "that runs it, or a pipe (berth start and berth@.service serve theirs)",
                          name);
                r = EXIT_BERTH_UNSUPPORTED;
                goto finish;
        }
        if (r < 0) {
                log_error_errno(r, "attach: cannot connect to the console of machine '%s' (%s): %m", name,
                                path);
                r = exit_code_from_errno(r);
                goto finish;
        }
        answer = (struct pollfd){ .fd = fd, .events = POLLIN };
        n = poll(&answer, 1, ATTACH_ANSWER_TIMEOUT_MS) > 0 ? recv(fd, pkt, sizeof(pkt) - 1, 0) : -1;
        if (n > 0 && pkt[0] == CONSOLE_PACKET_BUSY) {
                pkt[n] = '\0';
                log_error(
                        "attach: the console of machine '%s' is busy: %s (one client at a time; it detaches "
                        "with Ctrl-] three times)",
                        name, pkt + 1);
                r = EXIT_BERTH_BUSY;
                goto finish;
        }
        if (n <= 0 || pkt[0] != CONSOLE_PACKET_ATTACHED) {
                log_error("attach: the monitor of machine '%s' did not let us attach to its console", name);
                r = EXIT_BERTH_FAILURE;
                goto finish;
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
            (signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
                r = log_error_errno(errno, "attach: cannot watch signals: %m");
                r = exit_code_from_errno(r);
                goto finish;
        }
        r = terminal_raw(&term);
        if (r < 0) {
                log_error_errno(r, "attach: cannot put the terminal into raw mode: %m");
                r = exit_code_from_errno(r);
                goto finish;
        }
        /* (A raw terminal needs the carriage return.) */
        log_notice("Attached to the console of machine '%s'. Press Ctrl-] three times within a second to "
                   "detach.%s",
                   name, term.saved ? "\r" : "");
        send_window(fd);
        r = relay(&st, leader, fd, signal_fd, &end);
        if (term.saved)
                (void) loop_write(STDOUT_FILENO, "\r\n", 2); /* after the console's last, partial line */
        terminal_restore(&term);
        if (r < 0) {
                log_error_errno(r, "attach: relaying the console of machine '%s' failed: %m", name);
                r = EXIT_BERTH_FAILURE;
                goto finish;
        }
        if (end == ATTACH_CLOSED)
                log_notice("The console of machine '%s' closed: the machine stopped or rebooted.", name);
        else
                log_notice("Detached from the console of machine '%s' (it runs on).", name);
        r = 0;
finish:
        terminal_restore(&term);
        machine_state_done(&st);
        return r;
}
