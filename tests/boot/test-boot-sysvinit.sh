#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth boot of a Debian bookworm tree with sysvinit as PID 1: "running" at once (sysvinit sends no
# READY=1), INIT=sysvinit, berth enter, berth poweroff (sysvinit reboots on ctrl-alt-del, which
# berth takes as the power-off it asked for: exit 0) and berth reboot (exit 133).
. "$(dirname "$0")/lib.sh"

boot_copy debian-sysvinit
DEB=$COPY

# --- boot, power off ----------------------------------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$DEB" --console=pipe
if wait_until 30 test -f "$(state_file "$M")"; then
        pass "sysvinit guest: the state file appears"
        is "$(state_field "$M" STATE)" running "sysvinit guest: the state is running at once (no READY=1 wait)"
        is "$(state_field "$M" INIT)" sysvinit "state file: INIT=sysvinit"
        like "$(state_field "$M" OS)" "^Debian GNU/Linux 12" "state file: OS is the tree's PRETTY_NAME"
else
        fail "sysvinit guest: the state file appears"
        boot_diag "$M"
        bail_out "the sysvinit tree did not boot"
fi
LEADER=$(state_field "$M" LEADER)
is "$(cat "/proc/$LEADER/comm" 2>/dev/null)" init "the leader is init"

ebx "$M" cat /proc/1/comm
is "$OUT" init "inside: /proc/1/comm is init"
is "$RC" 0 "inside: berth enter exits 0"
ebx "$M" hostname
is "$OUT" "$M" "inside: the hostname is the machine name"
ebx "$M" sh -c 'exit 7'
is "$RC" 7 "berth enter: exit status 7 propagates"
# Wait until the boot scripts have finished (runlevel 2) before stopping: a power-off while rcS
# still runs is a different test.
wait_until 60 eval '[ "$(timeout 20 "$BERTH" enter "$M" -- runlevel 2>/dev/null | cut -d" " -f2)" = 2 ]'
ok $? "inside: runlevel reaches 2"
bx status "$M"
like "$OUT" "^ *Init: sysvinit$" "berth status: Init: sysvinit"
like "$OUT" "^ *State: running$" "berth status: State: running"

PIDS=$(machine_pids "$M")
bx poweroff "$M"
is "$RC" 0 "berth poweroff succeeds"
monitor_wait "$BOOT_TIMEOUT"
is "$RC" 0 "after berth poweroff the monitor exits 0 (sysvinit's ctrl-alt-del reboot taken as power-off)"
[ "$RC" = 0 ] || boot_diag "$M"
# shellcheck disable=SC2086
gone_after "$M" "after poweroff" $PIDS $LEADER

# --- berth reboot -----------------------------------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$DEB" --console=pipe
if wait_state "$M" running; then
        pass "second boot (reboot test): running"
        wait_until 60 eval '[ "$(timeout 20 "$BERTH" enter "$M" -- runlevel 2>/dev/null | cut -d" " -f2)" = 2 ]'
        ok $? "second boot: runlevel reaches 2"
        PIDS=$(machine_pids "$M")
        bx reboot "$M"
        is "$RC" 0 "berth reboot succeeds"
        monitor_wait "$BOOT_TIMEOUT"
        is "$RC" 133 "after berth reboot the monitor exits 133"
        [ "$RC" = 133 ] || boot_diag "$M"
        # shellcheck disable=SC2086
        gone_after "$M" "after reboot" $PIDS
else
        fail "second boot (reboot test): running"
        boot_diag "$M"
fi

done_testing
