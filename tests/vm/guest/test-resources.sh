#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Resource control on a systemd host with a pure cgroup v2 hierarchy, against berth's options on run
# and boot (--memory-max= --memory-swap-max= --cpu-weight= --cpuset-cpus= --pids-max= --oom-policy=
# --slice=) and the verbs set-limit, stats, freeze, thaw, terminate and status. Every machine is a
# busybox tree with the static hog helper (guest/hog.c) in /usr/local/bin; the measurements are the
# kernel's, read from the machine's scope: /sys/fs/cgroup/<slice path>/berth-NAME.scope, with the
# children payload (the machine) and supervisor (berth's monitor).
. "$(dirname "$0")/lib.sh"

HOG=$(helper hog)
if [ -z "$HOG" ]; then
        echo "1..0 # SKIP the host could not build the hog helper (no static C toolchain)"
        exit 0
fi
# A private copy of the busybox tree with the helper in it (machine_bg and mrun run $TREE/$RUN_TREE).
TREE=$(copy_tree)
install -m 0755 "$HOG" "$TREE/usr/bin/hog"
# shellcheck disable=SC2034 # read by mrun
RUN_TREE=$TREE
STARTED=()

# start NAME [RUN OPTIONS] -- SCRIPT: machine_bg that the cleanup and end_all know about. The script
# should touch /run/sync/ready once it is set up.
start() {
        STARTED+=("$1")
        BOOT_NAMES+=("$1")
        machine_bg "$@"
        eval "MPID_${1//-/_}=$MPID"
}

# ready_or_gone: the machine_bg machine is ready, or its monitor has exited (then no use waiting).
ready_or_gone() {
        [ -e "$SYNC/ready" ] || ! pid_running "$MPID"
}
# up DESC [SECONDS]: waits for the machine of the last start; a TAP line either way. On failure the
# machine's stderr is shown.
up() {
        wait_until "${2:-60}" ready_or_gone
        if [ -e "$SYNC/ready" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "berth run: $(cat "$SYNC.err" 2>/dev/null | head -n 5)"
        return 1
}

# stop NAME: berth terminate, and wait for its monitor.
stop() {
        local v="MPID_${1//-/_}"
        timeout -k 5 30 "$BERTH" terminate "$1" >/dev/null 2>&1
        wait_exit_bounded 30 "${!v}" 2>/dev/null
}

# poll_max FILE SECONDS: the highest number FILE held while polled for SECONDS (whole seconds, by the
# clock; the reads are builtins, so a guest busy with a fork bomb still polls often).
poll_max() {
        local f=$1 max=0 v end=$((${EPOCHREALTIME/[.,]/} / 1000 + $2 * 1000))
        while [ $((${EPOCHREALTIME/[.,]/} / 1000)) -lt "$end" ]; do
                read -r v <"$f" 2>/dev/null || break
                [ "$v" -gt "$max" ] 2>/dev/null && max=$v
                sleep 0.05
        done
        echo "$max"
}

MIB=$((1024 * 1024))

# --- 1. a memory hog is OOM-killed; the guest and another machine live on -----------------------------
new_name
BYSTANDER=$NAME
start "$BYSTANDER" -- 'touch /run/sync/ready; exec sleep 600'
up "oom: a bystander machine runs"
BY_MPID=$MPID

new_name
bx run -D "$TREE" -M "$NAME" --memory-max=64M --memory-swap-max=0 -- hog mem 256
# Killed by a signal: berth's own failures (a bad option, say) are below 128.
ok "$([ "$RC" -gt 128 ]; echo $?)" "oom: hog mem 256 under --memory-max=64M --memory-swap-max=0 is killed (status $RC)"
[ "$RC" -gt 128 ] || diag "stdout: $OUT; stderr: $ERR"

new_name
O=$NAME
start "$O" --memory-max=64M --memory-swap-max=0 --oom-policy=continue -- \
        'hog mem 256 >/run/sync/hog.out 2>&1; echo $? >/run/sync/hog.status; touch /run/sync/ready; exec sleep 600'
if up "oom: a machine with --oom-policy=continue runs the hog"; then
        is "$(cat "$SYNC/hog.status")" 137 "oom: the hog was killed by SIGKILL (status 137)"
        S=$(scope_of "$O")
        is "$(cat "$S/memory.max" 2>/dev/null)" $((64 * MIB)) "oom: the scope's memory.max is 64M"
        is "$(cat "$S/memory.swap.max" 2>/dev/null)" 0 "oom: the scope's memory.swap.max is 0"
        KILLS=$(cg_read "$S/memory.events" oom_kill)
        ok "$([ "${KILLS:-0}" -gt 0 ]; echo $?)" "oom: the scope's memory.events counts the kill (oom_kill $KILLS)"
        bx stats --json "$O"
        is "$RC" 0 "oom: berth stats --json succeeds"
        SK=$(json_num "$OUT" oom_kills)
        ok "$([ "${SK:-0}" -gt 0 ] 2>/dev/null; echo $?)" "oom: berth stats --json: oom_kills > 0 ($SK)"
        [ "$RC" = 0 ] && [ -n "$SK" ] || diag "stats: $OUT $ERR"
        MC=$(json_num "$OUT" memory_current_bytes)
        ok "$([ "${MC:-0}" -gt 0 ] 2>/dev/null && [ "$MC" -le $((64 * MIB)) ]; echo $?)" \
                "oom: berth stats --json: 0 < memory_current_bytes <= 64M ($MC)"
        bx status "$O"
        like "$OUT" "Cgroup: .*/machine\.slice/berth-$O\.scope" "oom: berth status shows the scope in its Cgroup: line"
        ok "$(pid_running "$(state_field "$O" LEADER)"; echo $?)" "oom: the machine itself lives on (--oom-policy=continue)"
fi
ok "$(pid_running "$BY_MPID" && [ "$(state_field "$BYSTANDER" STATE)" = running ]; echo $?)" \
        "oom: the bystander machine is still running"
stop "$O"
stop "$BYSTANDER"

# --- 2. a fork bomb stops at --pids-max -------------------------------------------------------------------
new_name
F=$NAME
start "$F" --pids-max=64 -- 'touch /run/sync/ready; exec hog bomb'
if up "pids: a fork bomb starts under --pids-max=64"; then
        S=$(scope_of "$F")
        is "$(cat "$S/pids.max" 2>/dev/null)" 64 "pids: the scope's pids.max is 64"
        MAX=$(poll_max "$S/pids.current" 2)
        ok "$([ "$MAX" -gt 0 ] && [ "$MAX" -le 64 ]; echo $?)" "pids: pids.current never went above 64 (highest seen: $MAX)"
        # Linux counts a refused fork in the pids.events of the forking task's cgroup (the payload
        # or below), not in that of the cgroup whose limit refused it: add up the scope's subtree.
        HITS=$(find "$S" -name pids.events -exec awk '$1 == "max" { n += $2 } END { print n + 0 }' {} +)
        ok "$([ "${HITS:-0}" -gt 0 ]; echo $?)" "pids: the bomb hit the limit (pids.events max $HITS in the scope's subtree)"
        bx status "$F"
        is "$RC" 0 "pids: berth status still answers for the machine"
        PIDS=$(machine_pids "$F")
        bx terminate "$F"
        is "$RC" 0 "pids: berth terminate ends the bomb"
        wait_exit_bounded 60 "$MPID"
        # shellcheck disable=SC2086
        gone_after "$F" "pids: after terminate" $PIDS
fi
stop "$F"

# --- 3. CPU weights share one CPU about 1:3 -----------------------------------------------------------
new_name
C1=$NAME
start "$C1" --cpuset-cpus=0 --cpu-weight=100 -- 'touch /run/sync/ready; while :; do :; done'
up "cpu: a busy machine with --cpuset-cpus=0 --cpu-weight=100 runs"
new_name
C3=$NAME
start "$C3" --cpuset-cpus=0 --cpu-weight=300 -- 'touch /run/sync/ready; while :; do :; done'
up "cpu: a busy machine with --cpuset-cpus=0 --cpu-weight=300 runs"
S1=$(scope_of "$C1")
S3=$(scope_of "$C3")
is "$(cat "$S1/cpu.weight" 2>/dev/null)/$(cat "$S3/cpu.weight" 2>/dev/null)" 100/300 "cpu: the scopes' cpu.weight are 100 and 300"
if [ -n "$S1" ] && [ -n "$S3" ]; then
        sleep 0.5
        a1=$(cg_read "$S1/cpu.stat" usage_usec)
        a3=$(cg_read "$S3/cpu.stat" usage_usec)
        sleep 3
        b1=$(cg_read "$S1/cpu.stat" usage_usec)
        b3=$(cg_read "$S3/cpu.stat" usage_usec)
        d1=$((b1 - a1))
        d3=$((b3 - a3))
        # ratio x100, within 2..4.5
        r=$((d1 > 0 ? d3 * 100 / d1 : 0))
        ok "$([ "$r" -ge 200 ] && [ "$r" -le 450 ]; echo $?)" \
                "cpu: CPU time of weight 300 : weight 100 is near 3 (usage_usec $d3 : $d1 = $((r / 100)).$(printf %02d $((r % 100))))"
else
        fail "cpu: CPU time of weight 300 : weight 100 is near 3"
fi
stop "$C1"
stop "$C3"

# --- 4. --cpuset-cpus shows in the machine ------------------------------------------------------------------
mrun --cpuset-cpus=1 -- grep Cpus_allowed_list /proc/self/status
like "$OUT" "^Cpus_allowed_list:[[:space:]]+1$" "cpuset: --cpuset-cpus=1: the machine's /proc/self/status says Cpus_allowed_list: 1"
[ "$RC" = 0 ] || diag "status $RC: $ERR"

# --- 5. set-limit changes a running machine's limits -------------------------------------------------------------
new_name
L=$NAME
start "$L" --oom-policy=continue -- 'touch /run/sync/ready; exec sleep 600'
if up "set-limit: a machine runs"; then
        S=$(scope_of "$L")
        bx enter "$L" -- hog mem 64
        is "$RC/$OUT" "0/allocated 64" "set-limit: before, hog mem 64 succeeds in the machine"
        bx set-limit "$L" --memory-max=32M
        is "$RC" 0 "set-limit: berth set-limit --memory-max=32M succeeds"
        [ "$RC" = 0 ] || diag "$ERR"
        is "$(cat "$S/memory.max" 2>/dev/null)" $((32 * MIB)) "set-limit: the scope's memory.max is now 32M"
        bx enter "$L" -- hog mem 64
        ok "$([ "$RC" -gt 128 ]; echo $?)" "set-limit: then hog mem 64 is killed (status $RC)"
        bx set-limit "$L" --pids-max=10
        is "$RC" 0 "set-limit: berth set-limit --pids-max=10 succeeds"
        is "$(cat "$S/pids.max" 2>/dev/null)" 10 "set-limit: the scope's pids.max is now 10"
        bx enter "$L" -- hog procs 20
        ok "$([ "$RC" = 0 ] && [ -n "$OUT" ] && [ "$OUT" -lt 10 ]; echo $?)" \
                "set-limit: then fewer than 10 of 20 forks succeed in the machine ($OUT)"
        ok "$(pid_running "$(state_field "$L" LEADER)"; echo $?)" "set-limit: the machine lives on"
fi
stop "$L"

# --- 6. freeze and thaw ------------------------------------------------------------------------------------
new_name
Z=$NAME
start "$Z" -- 'i=0; touch /run/sync/ready
        while :; do i=$((i + 1)); echo $i >/run/sync/c.tmp; mv /run/sync/c.tmp /run/sync/counter; sleep 0.05; done'
if up "freeze: a counting machine runs"; then
        ZSYNC=$SYNC
        wait_until 10 test -e "$ZSYNC/counter"
        bx freeze "$Z"
        is "$RC" 0 "freeze: berth freeze succeeds"
        [ "$RC" = 0 ] || diag "$ERR"
        S=$(scope_of "$Z")
        # The payload, not the whole scope: berth's monitor must go on running.
        wait_until 10 grep -qx "frozen 1" "$S/payload/cgroup.events"
        ok $? "freeze: the payload's cgroup.events says frozen 1"
        bx stats --json "$Z"
        is "$(json_num "$OUT" frozen)" true "freeze: berth stats --json: frozen is true"
        c1=$(cat "$ZSYNC/counter")
        sleep 1
        c2=$(cat "$ZSYNC/counter")
        is "$c2" "$c1" "freeze: the counter stands still for 1 s ($c1)"
        bx thaw "$Z"
        is "$RC" 0 "freeze: berth thaw succeeds"
        TRC=$RC
        sleep 1
        c3=$(cat "$ZSYNC/counter")
        ok "$([ "$TRC" = 0 ] && [ "$c3" -gt "$c2" ] 2>/dev/null; echo $?)" "freeze: after thaw the counter goes on ($c2 -> $c3)"
        bx stats --json "$Z"
        is "$(json_num "$OUT" frozen)" false "freeze: berth stats --json: frozen is false after thaw"
fi
stop "$Z"

# --- 7. terminate leaves nothing ------------------------------------------------------------------------------
new_name
T=$NAME
start "$T" -- 'sleep 600 & sleep 600 & touch /run/sync/ready; wait'
if up "terminate: a machine with three processes runs"; then
        S=$(scope_of "$T")
        ok "$([ -d "$S/payload" ] && [ -d "$S/supervisor" ]; echo $?)" "terminate: the scope has the children payload and supervisor"
        [ -d "$S/supervisor" ] || diag "scope $S: $(find "$S" -mindepth 1 -maxdepth 1 -type d -printf '%f ')"
        PIDS=$(machine_pids "$T")
        bx terminate "$T"
        is "$RC" 0 "terminate: berth terminate succeeds"
        wait_exit_bounded 30 "$MPID"
        # shellcheck disable=SC2086
        gone_after "$T" "terminate" $PIDS
        is "$(scope_of "$T")" "" "terminate: no cgroup of the machine is left anywhere"
fi
stop "$T"

# --- 8. a transient unit of the guest's systemd ------------------------------------------------------------------
new_name
U=$NAME
start "$U" --memory-max=100M --cpu-weight=200 --pids-max=50 -- 'touch /run/sync/ready; exec sleep 600'
if up "systemd: a machine with --memory-max=100M --cpu-weight=200 --pids-max=50 runs"; then
        is "$(systemctl show -P LoadState "berth-$U.scope")" loaded "systemd: berth-NAME.scope is a unit of the guest's systemd"
        is "$(systemctl is-active "berth-$U.scope")" active "systemd: the unit is active"
        systemctl status --no-pager "berth-$U.scope" >/dev/null 2>&1
        is "$?" 0 "systemd: systemctl status of the unit succeeds (active)"
        is "$(systemctl show -P MemoryMax "berth-$U.scope")" $((100 * MIB)) "systemd: MemoryMax is 100M"
        is "$(systemctl show -P CPUWeight "berth-$U.scope")" 200 "systemd: CPUWeight is 200"
        is "$(systemctl show -P TasksMax "berth-$U.scope")" 50 "systemd: TasksMax is 50"
        is "$(systemctl show -P ControlGroup "berth-$U.scope")" "/machine.slice/berth-$U.scope" "systemd: its ControlGroup is /machine.slice/berth-NAME.scope"
        stop "$U"
        is "$(systemctl show -P ActiveState "berth-$U.scope")" inactive "systemd: after terminate the unit is gone (inactive)"
fi
stop "$U"

# --- 9. --slice ------------------------------------------------------------------------------------------
new_name
SL=$NAME
start "$SL" --slice=tenants -- 'touch /run/sync/ready; exec sleep 600'
if up "slice: a machine with --slice=tenants runs"; then
        P=$CG/machine.slice/machine-tenants.slice/berth-$SL.scope
        ok "$([ -d "$P" ]; echo $?)" "slice: its scope is machine.slice/machine-tenants.slice/berth-NAME.scope"
        [ -d "$P" ] || diag "the scope is at '$(scope_of "$SL")'"
        bx status "$SL"
        like "$OUT" "Cgroup: .*/machine\.slice/machine-tenants\.slice/berth-$SL\.scope" "slice: berth status's Cgroup: line shows it"
        is "$(systemctl show -P Slice "berth-$SL.scope")" machine-tenants.slice "slice: systemd puts the unit in machine-tenants.slice"
fi
stop "$SL"

# --- 10. nothing is left ------------------------------------------------------------------------------------
for n in "${STARTED[@]}"; do
        stop "$n"
done
bx list
is "$(berth_scopes)" "" "after every machine ended, no berth-*.scope is left anywhere under /sys/fs/cgroup"

done_testing
