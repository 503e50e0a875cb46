#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run a command on a fresh pseudo-terminal, for the console tests.

usage: pty-run.py [--rows R --cols C] [--send MARKER TEXT]... [--send-now TEXT] [--resize MARKER R C]
                  [--termios-report FILE] [--timeout SEC] -- COMMAND...

The command gets a new session with the pty slave as its controlling terminal and as stdin, stdout
and stderr. Everything it writes is copied to our stdout. Each --send writes TEXT to the terminal
once MARKER has appeared in the output (in order). --resize changes the terminal's size (the kernel
then sends SIGWINCH to the command) once MARKER has appeared. --termios-report writes "restored" or "changed"
to FILE: whether the terminal settings after the command match those before it. Exits with the
command's status (128+N for signal N), or 124 after the timeout.
"""
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
import fcntl


def main():
    args = sys.argv[1:]
    sends, rows, cols, report, timeout, now, resizes = [], 24, 80, None, 60.0, [], []
    while args and args[0] != "--":
        a = args.pop(0)
        if a == "--send":
            sends.append((args.pop(0).encode(), args.pop(0).encode().decode("unicode_escape").encode()))
        elif a == "--resize":
            resizes.append((args.pop(0).encode(), int(args.pop(0)), int(args.pop(0))))
        elif a == "--send-now":
            now.append(args.pop(0).encode().decode("unicode_escape").encode())
        elif a == "--rows":
            rows = int(args.pop(0))
        elif a == "--cols":
            cols = int(args.pop(0))
        elif a == "--termios-report":
            report = args.pop(0)
        elif a == "--timeout":
            timeout = float(args.pop(0))
        else:
            sys.exit("pty-run: unknown option " + a)
    if not args or len(args) < 2:
        sys.exit("pty-run: no command")
    cmd = args[1:]

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    before = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            os.write(2, ("pty-run: %s: %s\n" % (cmd[0], e)).encode())
            os._exit(127)

    out = b""
    status = None
    deadline = time.monotonic() + timeout
    for t in now:
        os.write(master, t)
    while True:
        if status is None:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p == pid:
                status = st
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if data:
                out += data
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
                while sends and sends[0][0] in out:
                    os.write(master, sends.pop(0)[1])
                while resizes and resizes[0][0] in out:
                    _, r2, c2 = resizes.pop(0)
                    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", r2, c2, 0, 0))
                continue
        if status is not None:
            break  # exited, and nothing more to read
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGTERM)
            time.sleep(2)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            sys.stderr.write("pty-run: timed out\n")
            sys.exit(124)

    if report:
        after = termios.tcgetattr(slave)
        with open(report, "w") as f:
            f.write("restored\n" if after == before else "changed\n")
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
