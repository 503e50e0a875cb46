#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Console modes: pipe (stdio passed through), interactive, read-only and passive (a pty of the machine's
# own, relayed or not). The terminal cases run berth on a pty made by pty-run.py.
. "$(dirname "$0")/lib.sh"

# --- pipe ---------------------------------------------------------------------------------------------
new_name
out=$(echo piped-in | timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$TREE" -M "$NAME" -- cat)
is "$?|$out" "0|piped-in" "pipe: stdin reaches the command (echo x | berth run ... cat)"

new_name
out=$(timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$TREE" -M "$NAME" -- echo piped-out </dev/null | grep piped-out)
is "$?|$out" "0|piped-out" "pipe: stdout goes to the pipeline (berth run ... echo y | grep y)"

new_name
err=$(timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$TREE" -M "$NAME" -- sh -c 'echo to-stderr >&2; echo to-stdout' </dev/null 2>&1 >/dev/null)
is "$err" "to-stderr" "pipe: stderr stays separate from stdout"

# Large output through the pipe arrives complete.
new_name
sum=$(timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$TREE" -M "$NAME" -- sh -c 'seq 1 200000' </dev/null | sha256sum)
is "$sum" "$(seq 1 200000 | sha256sum)" "pipe: 1.3 MB of output arrives complete"

# Input that ends: the command sees EOF.
new_name
out=$(printf 'a\nb\nc\n' | timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$TREE" -M "$NAME" -- wc -l)
is "$out" 3 "pipe: the command sees the end of its input"

msh -- 'test -e /dev/console && echo yes || echo no; tty; echo "TERM=$TERM"'
is "$OUT" "$(printf 'no\nnot a tty\nTERM=dumb')" "pipe (the default without a terminal): no /dev/console, no tty, TERM=dumb"

msh --console=pipe -- 'test -e /dev/console && echo yes || echo no'
is "$OUT" "no" "--console=pipe: no /dev/console"

# --- the terminal modes -------------------------------------------------------------------------------
if ! python3 -c 'import pty' 2>/dev/null; then
        skip "console modes with a terminal" "no python3"
        done_testing
fi

# pty_berth [pty-run options] -- [run options] -- CMD...: berth run on a fresh pty; output in OUT, the
# status in RC, the termios report in TERMIOS.
pty_berth() {
        local popts=()
        while [ "$1" != -- ]; do
                popts+=("$1")
                shift
        done
        shift
        new_name
        rm -f "$TEST_TMP/termios"
        OUT=$(TERM=xterm-berth-test python3 "$PTY_RUN" --timeout "$TIMEOUT" --termios-report "$TEST_TMP/termios" \
                "${popts[@]}" -- "$BERTH" run -q -D "$TREE" -M "$NAME" "$@" 2>&1 | tr -d '\r')
        RC=$?
        TERMIOS=$(cat "$TEST_TMP/termios" 2>/dev/null)
}

# A script that announces itself, waits (boundedly) for a line of input and reports it.
# shellcheck disable=SC2016
reader='tty; echo "TERM=$TERM"; echo "console=$(test -c /dev/console && echo yes)"; echo READY; read -t 3 line; echo "got:[$line]"; exit 3'

# Interactive is the default when stdin and stdout are terminals.
pty_berth --send READY 'typed-in\r' -- -- sh -c "$reader"
is "$RC" 3 "interactive (default on a terminal): the exit status is passed on"
like "$OUT" "^/dev/console$" "interactive: the command's tty is /dev/console"
like "$OUT" "^console=yes$" "interactive: /dev/console exists"
like "$OUT" "^TERM=xterm-berth-test$" "interactive: TERM is the host's"
like "$OUT" '^got:\[typed-in\]$' "interactive: input reaches the machine"
is "$TERMIOS" restored "interactive: the terminal settings are restored afterwards"

pty_berth --send READY 'typed-in\r' -- --console=interactive -- sh -c "$reader"
like "$OUT" '^got:\[typed-in\]$' "--console=interactive: input reaches the machine"
like "$OUT" "^READY$" "--console=interactive: output appears"

pty_berth --rows 33 --cols 111 -- --console=interactive -- stty size
is "$(tail -n 1 <<<"$OUT")" "33 111" "interactive: the window size is passed on"

# A later change of the host terminal's size reaches the machine (SIGWINCH is relayed).
pty_berth --rows 20 --cols 70 --resize RESIZE-ME 41 132 -- --console=interactive -- \
        sh -c 'stty size; echo RESIZE-ME; i=0; while [ "$(stty size)" = "20 70" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo "now:$(stty size)"'
like "$OUT" '^20 70$' "interactive: the initial window size is passed on"
like "$OUT" '^now:41 132$' "interactive: a window size change is passed on while running"

pty_berth -- --console=interactive -- cut -d" " -f7 /proc/self/stat
# tty_nr of /dev/console: major 136 (pts) in the machine's devpts; 0 would mean no controlling tty.
isnt "$(tail -n 1 <<<"$OUT")" 0 "interactive: the command has a controlling terminal"

pty_berth --send READY 'typed-in\r' -- --console=read-only -- sh -c "$reader"
is "$RC" 3 "read-only: the exit status is passed on"
like "$OUT" "^READY$" "read-only: output appears"
like "$OUT" "^/dev/console$" "read-only: the command's tty is /dev/console"
like "$OUT" '^got:\[\]$' "read-only: input does not reach the machine"
is "$TERMIOS" restored "read-only: the terminal settings are unchanged afterwards"

mkdir -p "$TEST_TMP/passive"
pty_berth --send-now 'early\r' -- --console=passive --bind="$TEST_TMP/passive:/run/sync" -- \
        sh -c 'echo PASSIVE-OUT; { tty; echo "TERM=$TERM"; } >/run/sync/r 2>&1; read -t 2 l; echo "got:[$l]" >>/run/sync/r; exit 5'
is "$RC" 5 "passive: the exit status is passed on"
unlike "$OUT" "PASSIVE-OUT" "passive: output is not shown"
r=$(cat "$TEST_TMP/passive/r" 2>/dev/null)
like "$r" "^/dev/console$" "passive: the command's tty is /dev/console"
like "$r" '^got:\[\]$' "passive: input does not reach the machine"
like "$r" '^TERM=dumb$' "passive: TERM is dumb"
is "$TERMIOS" restored "passive: the terminal settings are unchanged afterwards"

# Pipe mode explicitly on a terminal: the command gets berth's own stdio.
pty_berth --send READY 'typed-in\r' -- --console=pipe -- sh -c 'test -e /dev/console && echo console=yes; echo READY; read -t 3 l; echo "got:[$l]"'
unlike "$OUT" "console=yes" "--console=pipe on a terminal: no /dev/console"
like "$OUT" '^got:\[typed-in\]$' "--console=pipe on a terminal: input reaches the command directly"

pty_berth -- -P -- sh -c 'test -e /dev/console && echo console=yes; tty'
unlike "$OUT" "console=yes" "-P (--pipe) on a terminal: pipe mode, no /dev/console"
pty_berth -- --pipe -- sh -c 'test -e /dev/console && echo console=yes; echo done'
unlike "$OUT" "console=yes" "--pipe on a terminal: pipe mode"

# --console=interactive without a terminal on stdin is refused.
mrun --console=interactive -- true
isnt "$RC" 0 "--console=interactive without a terminal fails"
like "$ERR" "terminal|tty" "... and says it needs a terminal"
no_leftovers "$NAME" "... leaving nothing behind"

# Output printed just before the command exits is not lost on the console.
pty_berth -- --console=interactive -- sh -c 'seq 1 3000 | tail -n 1; echo LAST-LINE'
like "$OUT" "^LAST-LINE$" "interactive: the last output before exit is shown"

done_testing
