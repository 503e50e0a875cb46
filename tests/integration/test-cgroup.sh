#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The machine's cgroup on a host where berth manages it: the scope with its supervisor (the monitor)
# and payload (the machine) children, slices, terminate through the payload, the cleanup of a killed
# monitor's scope in another slice. On a host whose cgroup2 tree lacks a controller (hybrid or v1, like
# the development hosts), every limit that needs it fails before anything is made, naming the controller
# and why. Where the tree has the controller, enforcement is the VM test bed's (tests/vm).
. "$(dirname "$0")/lib.sh"

[ -n "$CGROUP_ROOT" ] || bail_out "no cgroup2 mount on this host"
CONTROLLERS=" $(cat "$CGROUP_ROOT/cgroup.controllers" 2>/dev/null) "
had_machine_slice=0
[ -d "$CGROUP_ROOT/machine.slice" ] && had_machine_slice=1

# v1_mount CONTROLLER: where a cgroup v1 hierarchy has it mounted (nothing when none).
v1_mount() {
        awk -v c="$1" '{ for (i = 1; i <= NF; i++) if ($i == "-") break;
                if ($(i + 1) != "cgroup") next;
                n = split($(i + 3), o, ","); for (k = 1; k <= n; k++) if (o[k] == c) { print $5; exit } }' \
                /proc/self/mountinfo
}

# --- a limit the host cannot enforce ------------------------------------------------------------------
limits=(
        "memory --memory-max=64M"
        "memory --memory-high=48M"
        "memory --memory-swap-max=0"
        "memory --oom-policy=kill"
        "cpu --cpu-weight=50"
        "cpu --cpu-quota=150%"
        "cpuset --cpuset-cpus=0"
        "cpuset --cpuset-mems=0"
        "pids --pids-max=256"
        "io --io-weight=100"
)
for entry in "${limits[@]}"; do
        controller=${entry%% *}
        option=${entry#* }
        if [[ $CONTROLLERS == *" $controller "* ]]; then
                skip "$option fails where $controller is missing" "this host's cgroup2 tree has $controller"
                continue
        fi
        mrun "$option" -- /bin/true
        is "$RC" 69 "$option without the $controller controller: unsupported (69)"
        like "$ERR" "needs the $controller controller" "... the message names the controller"
        v1=$(v1_mount "$controller")
        if [ -n "$v1" ]; then
                like "$ERR" "bound to a cgroup v1 hierarchy on this host \\($v1\\)" "... and says it is bound to v1 at $v1"
        fi
        no_leftovers "$NAME" "... and nothing is left behind"
done

# The same from a settings file's [Resources].
new_name
M=$NAME
if [[ $CONTROLLERS != *" pids "* ]]; then
        printf '[Resources]\nTasksMax=100\n' >"$STATE_DIR/$M.nspawn"
        bx run -D "$TREE" -M "$M" -- /bin/true
        is "$RC" 69 "TasksMax= in a settings file without the pids controller: unsupported (69)"
        like "$ERR" "TasksMax=.*needs the pids controller" "... the message names the key and the controller"
        no_leftovers "$M" "... and nothing is left behind"
        rm -f "$STATE_DIR/$M.nspawn"
fi

# --- bad values: usage errors, nothing made ----------------------------------------------------------
for option in --memory-max=12Q --memory-max=-1 --cpu-weight=0 --cpu-weight=10001 --cpu-quota=abc \
        --cpuset-cpus=3-1 --pids-max=lots --io-weight=0 --oom-policy=sometimes --slice=-bad \
        --slice=a--b.slice --slice=x/y; do
        mrun "$option" -- /bin/true
        is "$RC" 64 "$option is a usage error (64)"
        like "$ERR" "${option%%=*}" "... the message names the option"
        no_leftovers "$NAME" "... and nothing is left behind"
done

# --- the scope: supervisor and payload -----------------------------------------------------------------
new_name
M=$NAME
machine_bg "$M" -- "touch /run/sync/ready; sleep 300"
if wait_ready; then
        scope=$(scope_dir "$M")
        check "the scope exists" test -d "$scope"
        # berth's own scope gets its monitor a moment after the start (cgroup.h says why).
        wait_until 5 grep -qx "$MPID" "$scope/supervisor/cgroup.procs"
        like "$(cat "$scope/supervisor/cgroup.procs")" "^$MPID\$" "the monitor moves into the scope's supervisor cgroup"
        bx status "$M"
        leader=$(sed -n 's/^LEADER=//p' "$(state_file "$M")")
        like "$(cat "$scope/payload/cgroup.procs")" "^$leader\$" "the leader is in the payload cgroup"
        is "$(cat "$scope/cgroup.procs")" "" "the scope itself holds no process"
        like "$(cat "/proc/$leader/cgroup")" "^0::/machine.slice/berth-$M.scope/payload\$" "the leader's cgroup, seen from the host"
        bx terminate "$M"
        is "$RC" 0 "terminate succeeds"
        machine_wait
        isnt "$RC" 0 "the terminated machine's monitor reports a failure ($RC)"
        isnt "$RC" 124 "... and exits by itself after terminate"
        no_leftovers "$M" "terminate: the monitor cleaned up (state, lock, scope)"
else
        bail_out "the machine did not start: $(cat "$SYNC.err")"
fi

# --- set-limit ---------------------------------------------------------------------------------------
bx set-limit "bt-nosuch-$$" --pids-max=10
is "$RC" 66 "set-limit of a machine that is not running: not found (66)"
bx set-limit --memory-max=1G
is "$RC" 64 "set-limit without a name: usage error (64)"
bx set-limit "bt-nosuch-$$"
is "$RC" 64 "set-limit without a limit: usage error (64)"
bx set-limit "bt-nosuch-$$" --memory-max=lots
is "$RC" 64 "set-limit with a bad value: usage error (64)"
like "$ERR" "memory-max" "... naming the option"

new_name
M=$NAME
printf '# kept\n[Exec]\nHostname=keepme\n\n[Resources]\nTasksMax=100\nCPUWeight=20\n' >"$STATE_DIR/$M.nspawn"
bx set-limit "$M" --persist --memory-max=256M --cpu-weight=
is "$RC" 0 "set-limit --persist of a stopped machine edits its settings file"
is "$(cat "$STATE_DIR/$M.nspawn")" "$(printf '# kept\n[Exec]\nHostname=keepme\n\n[Resources]\nTasksMax=100\nMemoryMax=268435456')" \
        "... adding MemoryMax=, removing CPUWeight=, keeping the rest"
rm -f "$STATE_DIR/$M.nspawn"

machine_bg "$M" -- "touch /run/sync/ready; sleep 300"
if wait_ready; then
        printf '[Resources]\n' >"$STATE_DIR/$M.nspawn"
        for entry in "pids --pids-max=10" "memory --memory-max=32M" "cpu --cpu-weight=10"; do
                controller=${entry%% *}
                option=${entry#* }
                [[ $CONTROLLERS == *" $controller "* ]] && continue
                bx set-limit "$M" --persist "$option"
                is "$RC" 69 "set-limit $option of a running machine without the $controller controller: 69"
                like "$ERR" "needs the $controller controller" "... naming the controller"
        done
        is "$(cat "$STATE_DIR/$M.nspawn")" "[Resources]" "... and --persist wrote nothing after the failure"
        rm -f "$STATE_DIR/$M.nspawn"
        bx terminate "$M"
        machine_wait
        no_leftovers "$M" "the machine is gone after terminate"
else
        fail "set-limit: the machine did not start: $(cat "$SYNC.err")"
fi

# --- slices --------------------------------------------------------------------------------------------
new_name
M=$NAME
machine_bg "$M" --slice=bttenants -- "touch /run/sync/ready; sleep 300"
if wait_ready; then
        slice="$CGROUP_ROOT/machine.slice/machine-bttenants.slice"
        check "--slice=NAME: the scope is under machine.slice/machine-NAME.slice" test -d "$slice/berth-$M.scope"
        bx status "$M"
        like "$OUT" "Cgroup: $slice/berth-$M.scope" "status shows the scope in its slice"
        kill -KILL "$MPID"
        wait "$MPID" 2>/dev/null
        bx list
        check "a killed monitor's scope in another slice is removed by the next berth call" test ! -e "$slice/berth-$M.scope"
        check "... and the slice it emptied goes too" test ! -e "$slice"
        no_leftovers "$M" "... and nothing else is left"
else
        fail "--slice: the machine did not start: $(cat "$SYNC.err")"
fi

mrun --slice=bt-outer-inner.slice -- cat /proc/self/cgroup
is "$RC" 0 "--slice=a-b.slice runs"
like "$OUT" "^0::/\$" "... and the machine sees only its own cgroup"
check "... and its slices are gone afterwards" test ! -e "$CGROUP_ROOT/bt.slice" -a ! -e "$CGROUP_ROOT/bt-outer.slice"

if [ "$had_machine_slice" = 0 ]; then
        check "machine.slice, which berth made, is gone with the last machine" test ! -e "$CGROUP_ROOT/machine.slice"
else
        skip "machine.slice is removed with the last machine" "it existed before this test"
fi
done_testing
