#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Machines as services on a host without systemd: berth start runs the monitor detached (its console in
# LOG_DIR/NAME.log and on the console socket), berth logs, berth attach (through a pty: the console both
# ways, Ctrl-] three times detaches and the machine runs on, a second client is refused with 75), berth
# stop (a clean power-off, nothing left), a start that fails (a missing image: 66 and nothing made; a
# monitor that dies: its status and its log's end), enable/disable (69: they need systemd), and
# --keep-unit in a cgroup that stands in for a service's.
# Uses the boot helpers (the busybox-init tree, wait_state, the cleanup that stops booted machines).
# shellcheck source=../boot/lib.sh
. "$(dirname "$0")/../boot/lib.sh"

LOG_DIR=${BERTH_LOG_DIR:-/var/log/berth}
MACHINES_DIR=${BERTH_MACHINES_DIR:-/var/lib/machines}
[ -d /run/systemd/system ] && HOST_SYSTEMD=1 || HOST_SYSTEMD=

if [ -n "$HOST_SYSTEMD" ]; then
        echo "1..0 # SKIP systemd is this host's init: berth start uses berth@.service (tests/vm/guest/test-units.sh)"
        exit 0
fi
if ! python3 -c 'import pty' 2>/dev/null; then
        echo "1..0 # SKIP no python3 (the attach tests drive a pty)"
        exit 0
fi

# The busybox-init tree with a shell on its console, so an attached client has something to talk to.
boot_copy busybox-init
BB=$COPY
echo '::respawn:-/bin/sh' >>"$BB/etc/inittab"

# service_name: a fresh machine name (NAME) that the cleanup stops and whose log it removes.
service_name() {
        new_name
        BOOT_NAMES+=("$NAME")
        at_exit "rm -f '$LOG_DIR/$NAME.log'"
}

log_of() { cat "$LOG_DIR/$1.log" 2>/dev/null; }
console_socket() { echo "$STATE_DIR/consoles/$1"; }
monitor_of() { state_field "$1" MONITOR; }

# attach_pty OUTFILE [pty-run options]: berth attach $M on a fresh pty, its output in OUTFILE.
attach_pty() {
        local out=$1
        shift
        python3 "$PTY_RUN" --timeout "$TIMEOUT" "$@" -- "$BERTH" attach "$M" >"$out" 2>&1
}

# --- start ----------------------------------------------------------------------------------------------
service_name
M=$NAME
T0=$SECONDS
bx start "$M" -D "$BB"
is "$RC" 0 "berth start of the busybox-init tree succeeds"
[ "$RC" = 0 ] || diag "$ERR"
is "$OUT$ERR" "" "... and prints nothing"
is "$(state_field "$M" STATE)" running "... and returns with the machine running"
MON=$(monitor_of "$M")
ok "$(pid_running "$MON"; echo $?)" "... its monitor runs on after berth start returned"
is "$(ps -o sid= -p "$MON" 2>/dev/null | tr -d ' ')" "$MON" "... in a session of its own"
is "$(readlink "/proc/$MON/fd/0")" /dev/null "... stdin /dev/null"
is "$(readlink "/proc/$MON/fd/1")|$(readlink "/proc/$MON/fd/2")" "$LOG_DIR/$M.log|$LOG_DIR/$M.log" \
        "... stdout and stderr in $LOG_DIR/$M.log"
is "$(stat -c %a "$LOG_DIR/$M.log" 2>/dev/null)" 640 "... which is mode 0640"
ok "$([ -S "$(console_socket "$M")" ]; echo $?)" "... and its console socket is there"
wait_until 30 grep -qs "berth-busybox-init: up" "$LOG_DIR/$M.log"
ok $? "the log has the guest's boot output (rcS on the console)"
like "$(head -n 1 "$LOG_DIR/$M.log")" "^-- berth start $M, " "the log starts with berth start's line"

bx start "$M" -D "$BB"
is "$RC" 75 "berth start of a running machine: busy (75)"
like "$ERR" "running already" "... saying it runs already"

# --- logs -----------------------------------------------------------------------------------------------
bx logs "$M"
is "$RC" 0 "berth logs succeeds"
like "$OUT" "berth-busybox-init: up" "berth logs shows the boot output"
bx logs -n 1 "$M"
is "$(wc -l <<<"$OUT")" 1 "berth logs -n 1 prints one line"
is "$OUT" "$(tail -n 1 "$LOG_DIR/$M.log")" "... the log's last"
bx logs --lines=x "$M"
is "$RC" 64 "berth logs --lines=x: usage error"

# --- attach ---------------------------------------------------------------------------------------------
# shellcheck disable=SC2016 # for the shell in the machine
attach_pty "$TEST_TMP/attach1" --send "detach." 'echo ATTACH-$((6*7))\r' --send "ATTACH-42" '\x1d\x1d\x1d'
is "$?" 0 "berth attach through a pty: exits 0 after Ctrl-] three times"
A=$(tr -d '\r' <"$TEST_TMP/attach1")
like "$A" "^berth: Attached to the console of machine '$M'" "... said it attached"
like "$A" "(^|[^-])ATTACH-42" "... a command typed into the console ran, and its output came back"
like "$A" "Detached from the console of machine '$M'" "... and said it detached"
is "$(state_field "$M" STATE)" running "... the machine runs on"
ok "$(pid_running "$MON"; echo $?)" "... its monitor too"
like "$(log_of "$M")" "ATTACH-42" "what the attached client saw is in the log too"

# A second client while one is attached: 75. The first detaches when the console shows a marker.
attach_pty "$TEST_TMP/attach2" --send "RELEASE-MARK" '\x1d\x1d\x1d' &
APID=$!
BG_PIDS+=("$APID")
wait_until 20 grep -qs "detach\\." "$TEST_TMP/attach2"
ok $? "a first client attaches"
bx attach "$M"
is "$RC" 75 "a second client meanwhile: busy (75)"
like "$ERR" "busy" "... saying the console is busy"
ebx "$M" sh -c 'echo RELEASE-MARK >/dev/console'
wait_exit_bounded 20 "$APID"
is "$RC" 0 "the first client saw what berth enter wrote to /dev/console, and detached"
attach_pty "$TEST_TMP/attach3" --send "detach." '\x1d\x1d\x1d'
is "$?" 0 "once it has gone, another client attaches (and detaches)"

# logs -f follows until the machine ends.
"$BERTH" logs -f "$M" >"$TEST_TMP/follow" 2>&1 </dev/null &
FPID=$!
BG_PIDS+=("$FPID")
sleep 0.5

# --- stop -----------------------------------------------------------------------------------------------
PIDS=$(machine_pids "$M")
bx stop "$M"
is "$RC" 0 "berth stop: exits 0 (a clean power-off)"
[ "$RC" = 0 ] || diag "$ERR"
ok "$(! pid_running "$MON"; echo $?)" "... the monitor has ended when berth stop returns"
# shellcheck disable=SC2086
gone_after "$M" "after berth stop" $PIDS
ok "$([ ! -e "$(console_socket "$M")" ]; echo $?)" "... and no console socket is left"
like "$(log_of "$M")" "berth-busybox-init: shutting down" "the log shows the guest's shutdown"
wait_exit_bounded 10 "$FPID"
is "$RC" 0 "berth logs -f ended with the machine"
like "$(cat "$TEST_TMP/follow")" "shutting down" "... after showing the shutdown"
bx stop "$M"
is "$RC" 66 "berth stop of a machine that is not running: 66"
bx attach "$M"
is "$RC" 66 "berth attach of a machine that is not running: 66"

# --- stop of a guest that does not power off: the monitor kills it after --kill-timeout= -------------------
cp -a "$BB" "$TEST_TMP/hang-tree"
echo '::shutdown:/bin/sleep 600' >>"$TEST_TMP/hang-tree/etc/inittab"
service_name
H=$NAME
bx start "$H" -D "$TEST_TMP/hang-tree" --kill-timeout=2
is "$RC" 0 "berth start of a guest that will not power off"
HMON=$(state_field "$H" MONITOR)
bx stop "$H"
is "$RC" 1 "berth stop: the monitor had to kill it after --kill-timeout=2: a failure (1)"
like "$ERR" "machine '$H' did not power off cleanly: its monitor killed it" "... saying so"
ok "$(! pid_running "$HMON"; echo $?)" "... and the monitor has ended"
no_leftovers "$H" "... leaving no state file, lock or cgroup"

# --- failures -------------------------------------------------------------------------------------------
service_name
bx start "$NAME"
is "$RC" 66 "berth start of a missing image: not found (66)"
like "$ERR" "no image '$NAME' \\($MACHINES_DIR/$NAME does not exist" "... naming the image and where it was looked for"
ok "$([ ! -e "$LOG_DIR/$NAME.log" ]; echo $?)" "... no log was made"
no_leftovers "$NAME" "... and nothing of the machine"

service_name
bx start "$NAME" -D "$BB" --init=/no/such/init
is "$RC" 66 "berth start whose monitor fails (no such init): the monitor's status (66)"
like "$ERR" "did not start" "... saying so"
like "$ERR" "init '/no/such/init' not found" "... with the end of its log"
no_leftovers "$NAME" "... and nothing of the machine is left"

service_name
bx start "$NAME" -D "$BB" --no-such-option
is "$RC" 64 "berth start with a bad boot option: usage error (64)"
ok "$([ ! -e "$LOG_DIR/$NAME.log" ]; echo $?)" "... found before anything started"

bx start
is "$RC" 64 "berth start without a name: usage error"
bx start ../x
is "$RC" 64 "berth start with an invalid name: usage error"

# --- enable, disable -----------------------------------------------------------------------------------
bx enable "$M"
is "$RC" 69 "berth enable without systemd: unsupported (69)"
like "$ERR" "needs systemd as the host's init" "... saying it needs systemd"
bx disable "$M"
is "$RC" 69 "berth disable without systemd: 69"

# --- --keep-unit ---------------------------------------------------------------------------------------
# A cgroup named like a service stands in for the one systemd gives berth@NAME.service.
UNIT="bt-service-$$-keep.service"
KCG=$CGROUP_ROOT/$UNIT
mkdir "$KCG" && at_exit "rmdir '$KCG/supervisor' '$KCG'"
service_name
K=$NAME
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$KCG" \
        "$BERTH" boot --keep-unit -D "$BB" -M "$K" --console=passive </dev/null >"$TEST_TMP/$K.out" 2>"$TEST_TMP/$K.err" &
MPID=$!
BG_PIDS+=("$MPID")
if wait_state "$K" running 30; then
        pass "--keep-unit: the machine runs"
        is "$(state_field "$K" UNIT)" "$UNIT" "... the state's UNIT= is the cgroup's unit name"
        is "$(state_field "$K" CGROUP)" "$KCG" "... and its CGROUP= that cgroup"
        like "$(cat "$KCG/supervisor/cgroup.procs")" "^$MPID\$" "... the monitor is in its supervisor child"
        is "$(cat "$KCG/cgroup.procs")" "" "... and nothing in the unit's cgroup itself"
        like "$(cat "$KCG/payload/cgroup.procs")" "^$(state_field "$K" LEADER)\$" "... the guest's init is in its payload child"
        is "$(ls -d "$CGROUP_ROOT"/machine.slice/berth-"$K".scope 2>/dev/null)" "" "... and no berth-NAME.scope was made"
        bx stop "$K"
        is "$RC" 0 "... berth stop powers it off"
        monitor_wait 20
        is "$RC" 0 "... the monitor exits 0"
        ok "$([ ! -e "$KCG/payload" ]; echo $?)" "... the payload cgroup is gone, the unit's stays (its manager's)"
        no_leftovers "$K" "... nothing of the machine is left"
else
        fail "--keep-unit: the machine runs"
        diag "$(cat "$TEST_TMP/$K.err")"
fi

# Not in a unit's cgroup: refused, nothing made.
PCG=$CGROUP_ROOT/bt-service-$$-plain
mkdir "$PCG" && at_exit "rmdir '$PCG'"
new_name
ERR=$(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$PCG" \
        timeout -k 5 "$TIMEOUT" "$BERTH" run --keep-unit -D "$TREE" -M "$NAME" -- true 2>&1 </dev/null)
RC=$?
is "$RC" 69 "--keep-unit outside a service or scope: unsupported (69)"
like "$ERR" "no service or scope of its own" "... saying why"
is "$(find "$PCG" -mindepth 1 -type d | wc -l)" 0 "... and no child cgroup was made"
no_leftovers "$NAME" "... nor anything of the machine"

diag "took $((SECONDS - T0)) s"
done_testing
