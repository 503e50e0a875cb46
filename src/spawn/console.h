#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "settings.h"

/* The host side of a machine's console: the pty master from the machine, the terminal berth runs on. */
typedef struct Console Console;

/* interactive: input passed in, host terminal raw; read-only: output only; passive: output drained
 * and dropped. */
int console_new(sd_event *e, int master, ConsoleMode mode, Console **ret);
/* The console hotkeys of systemd-nspawn, on an interactive console: Ctrl-] three times within a second
 * kills the machine; Ctrl-] twice and then p or r asks it to power off or reboot. */
typedef enum ConsoleHotkey {
        CONSOLE_HOTKEY_KILL,
        CONSOLE_HOTKEY_POWEROFF,
        CONSOLE_HOTKEY_REBOOT,
} ConsoleHotkey;
typedef void (*ConsoleHotkeyFunc)(ConsoleHotkey key, void *userdata);
void console_set_hotkeys(Console *c, ConsoleHotkeyFunc f, void *userdata);

/* Pure: feeds one byte of keyboard input to the hotkey state machine (state starts at {}). Returns the
 * hotkey it completes, or -1; *ret_forward gets how many bytes to pass on to the machine now (the byte,
 * preceded by Ctrl-]s held back that turned out not to be a hotkey), which are written to forward. */
typedef struct HotkeyState {
        unsigned pending; /* Ctrl-]s seen in a row and held back */
        uint64_t first_usec;
} HotkeyState;
int console_hotkey_feed(HotkeyState *h, unsigned char c, uint64_t now_usec, char forward[static 4],
                        size_t *ret_forward);

/* Copies the host terminal's size to the pty (at start and on SIGWINCH). */
void console_resize(Console *c);
/* Reads what is left in the pty after the machine ended. */
void console_drain(Console *c);
/* Restores the host terminal and frees. NULL-safe. */
Console *console_free(Console *c);

/* The console socket, for berth attach: the monitor serves the console to one client at a time on a unix
 * socket, STATE_DIR/consoles/NAME (SOCK_SEQPACKET, root only). Each packet starts with its type:
 *   monitor → client: ATTACHED first, or BUSY (with a reason) when another client is attached; then
 *                     OUTPUT, what the machine writes (also sent where the console mode sends it, a
 *                     read-only console's log).
 *   client → monitor: INPUT, for the machine as if typed on the monitor's terminal (the client handles
 *                     its own hotkeys); WINDOW, a struct winsize for the pty.
 * The client sees the end of the socket when the machine's console goes (it stopped or rebooted). */
#define CONSOLE_SOCKET_DIR      "consoles"
#define CONSOLE_PACKET_DATA_MAX 4096U
enum {
        CONSOLE_PACKET_ATTACHED = 'A',
        CONSOLE_PACKET_BUSY = 'B',
        CONSOLE_PACKET_OUTPUT = 'O',
        CONSOLE_PACKET_INPUT = 'I',
        CONSOLE_PACKET_WINDOW = 'W',
};

/* STATE_DIR/consoles/NAME; -EINVAL when it does not fit a socket address. */
int console_socket_path(const char *state_dir, const char *name, char **ret);
/* Serves c on the socket for machine name (see above); the socket goes with c. */
int console_serve(Console *c, sd_event *e, const char *state_dir, const char *name);

/* The mode to use when the user did not choose one: interactive on a terminal, pipe otherwise. */
ConsoleMode console_mode_pick(ConsoleMode asked);
