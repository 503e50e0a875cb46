#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "settings.h"

/* The host side of a machine's console: the pty master from the machine, the terminal berth runs on. */
typedef struct Console Console;

/* interactive: input passed in, host terminal raw; read-only: output only; passive: output drained
 * and dropped. */
int console_new(sd_event *e, int master, ConsoleMode mode, Console **ret);
/* Copies the host terminal's size to the pty (at start and on SIGWINCH). */
void console_resize(Console *c);
/* Reads what is left in the pty after the machine ended. */
void console_drain(Console *c);
/* Restores the host terminal and frees. NULL-safe. */
Console *console_free(Console *c);

/* The mode to use when the user did not choose one: interactive on a terminal, pipe otherwise. */
ConsoleMode console_mode_pick(ConsoleMode asked);
