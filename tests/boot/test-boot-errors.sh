#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What berth boot and the machine verbs refuse, with which status and message, and that a refused
# boot leaves no state file, lock or cgroup: a tree without init, --init that is missing, relative or
# not executable, options that do not fit (--as-pid1 for boot, --init for run, a bad --kill-timeout),
# verbs on an unknown machine (66), reboot of a `berth run` machine (69), a name in use (75).
. "$(dirname "$0")/lib.sh"

# The plain busybox tree: /bin/init exists (a busybox applet link), but none of the paths berth
# looks in (/usr/lib/systemd/systemd, /lib/systemd/systemd, /sbin/init, /init).
boot_copy busybox
PLAIN=$COPY
check "fixture: the plain busybox tree has none of the init paths" \
        test ! -e "$PLAIN/sbin/init" -a ! -e "$PLAIN/init" -a ! -e "$PLAIN/lib/systemd/systemd" -a ! -e "$PLAIN/usr/lib/systemd/systemd"

# refused DESC STATUS ERE BERTH-ARGS...: berth exits STATUS, its stderr matches ERE, and the machine
# ($NAME) left nothing behind.
refused() {
        local desc=$1 want=$2 ere=$3
        shift 3
        bx "$@"
        is "$RC" "$want" "$desc: exit status $want"
        like "$ERR" "$ere" "$desc: the message says why"
        no_leftovers "$NAME" "$desc: no state file, lock or cgroup"
}

new_name
refused "boot of a tree without init" 66 "no init.*--init" boot -D "$PLAIN" -M "$NAME"
like "$ERR" "/sbin/init" "boot of a tree without init: the message lists where it looked"
new_name
refused "boot --init=/nonexistent" 66 "'/nonexistent'.*not found|not found.*'/nonexistent'" \
        boot -D "$PLAIN" -M "$NAME" --init=/nonexistent
new_name
bx boot -D "$PLAIN" -M "$NAME" --init=/etc/passwd
isnt "$RC" 0 "boot --init=/etc/passwd (not executable): fails (status $RC)"
like "$ERR" "/etc/passwd.*not an executable|not executable" "boot --init=/etc/passwd: the message says it is not executable"
no_leftovers "$NAME" "boot --init=/etc/passwd: no state file, lock or cgroup"
new_name
bx boot -D "$PLAIN" -M "$NAME" --init=/bin
isnt "$RC" 0 "boot --init=/bin (a directory): fails (status $RC)"
like "$ERR" "'/bin'" "boot --init=/bin: the message names it"
no_leftovers "$NAME" "boot --init=/bin: no state file, lock or cgroup"
new_name
refused "boot --init=sbin/init (relative)" 64 "--init" boot -D "$PLAIN" -M "$NAME" --init=sbin/init
new_name
refused "boot --as-pid1" 64 "as-pid1" boot -D "$PLAIN" -M "$NAME" --as-pid1
new_name
refused "run --init=/sbin/init" 64 "--init" run -D "$PLAIN" -M "$NAME" --init=/sbin/init -- true
new_name
refused "boot --kill-timeout=abc" 64 "kill-timeout" boot -D "$PLAIN" -M "$NAME" --kill-timeout=abc
new_name
refused "boot --console=bogus" 64 "console" boot -D "$PLAIN" -M "$NAME" --console=bogus
new_name
refused "boot of a missing tree" 66 "/nonexistent-tree" boot -D /nonexistent-tree -M "$NAME"
NAME=bad/name
bx boot -D "$PLAIN" -M "$NAME"
is "$RC" 64 "boot -M bad/name: exit status 64"
like "$ERR" "bad/name" "boot -M bad/name: the message names it"

# --- verbs on an unknown machine ----------------------------------------------------------------
NAME=nosuch-$$
for verb in "enter $NAME -- true" "poweroff $NAME" "reboot $NAME" "terminate $NAME" "status $NAME" "kill $NAME" "shell $NAME"; do
        # shellcheck disable=SC2086
        bx $verb
        is "$RC" 66 "berth ${verb%% *} of an unknown machine: exit status 66"
        like "$ERR" "$NAME" "berth ${verb%% *} of an unknown machine: the message names it"
done
no_leftovers "$NAME" "verbs on an unknown machine: no state file, lock or cgroup"

# --- berth reboot of a `berth run` machine: 69 -----------------------------------------------------
new_name
RM=$NAME
BOOT_NAMES+=("$RM")
"$BERTH" run -D "$PLAIN" -M "$RM" -- sleep 300 </dev/null >"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err" &
RPID=$!
BG_PIDS+=("$RPID")
if wait_state "$RM" running 30 "$RPID"; then
        bx reboot "$RM"
        is "$RC" 69 "berth reboot of a berth run machine: exit status 69"
        like "$ERR" "$RM" "berth reboot of a berth run machine: the message names it"
        check "berth reboot of a berth run machine: the machine still runs" pid_running "$RPID"
        bx status "$RM"
        like "$OUT" "^ *State: running$" "berth reboot of a berth run machine: still State: running"
        bx terminate "$RM"
        is "$RC" 0 "berth terminate of the run machine succeeds"
        monitor_wait 30 "$RPID"
        isnt "$RC" 124 "berth terminate: the run machine ended (status $RC)"
        no_leftovers "$RM" "after terminate of the run machine: no state file, lock or cgroup"
else
        fail "a berth run machine for the reboot test starts"
        diag "$(cat "$TEST_TMP/run.err")"
fi

# --- a name in use: 75, and the running machine is not disturbed ---------------------------------
boot_copy busybox-init
BB=$COPY
new_name
M=$NAME
boot_bg "$M" "$BB" --console=pipe
if wait_state "$M" running 30; then
        LEADER=$(state_field "$M" LEADER)
        bx boot -D "$BB" -M "$M"
        is "$RC" 75 "boot with a name in use: exit status 75"
        like "$ERR" "$M" "boot with a name in use: the message names it"
        is "$(state_field "$M" LEADER)" "$LEADER" "boot with a name in use: the running machine's state is unchanged"
        check "boot with a name in use: the running machine's monitor still runs" pid_running "$MPID"
        bx poweroff "$M"
        monitor_wait "$BOOT_TIMEOUT"
        is "$RC" 0 "the first machine still powers off cleanly (exit 0)"
        no_leftovers "$M" "after poweroff: no state file, lock or cgroup"
else
        fail "busybox-init machine for the name-in-use test starts"
        boot_diag "$M"
fi

done_testing
