#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Who makes the machine's scope, on a systemd host with a pure cgroup v2 tree: set-limit through
# systemd (systemctl show agrees), --cgroup-manager=berth (berth makes the cgroups itself, enables the
# controllers along its path, enforces and removes them, slices included), OOMPolicy=kill taking the
# whole machine, limits that are refused before anything is made, and status/--json showing the
# limits the scope has.
. "$(dirname "$0")/lib.sh"

HOG=$(helper hog)
TREE=$(copy_tree)
[ -n "$HOG" ] && install -m 0755 "$HOG" "$TREE/usr/bin/hog"
# shellcheck disable=SC2034 # read by mrun
RUN_TREE=$TREE
MIB=$((1024 * 1024))

ready_or_gone() { [ -e "$SYNC/ready" ] || ! pid_running "$MPID"; }
up() {
        wait_until 60 ready_or_gone
        if [ -e "$SYNC/ready" ]; then
                pass "$1"
                return 0
        fi
        fail "$1"
        diag "berth run: $(head -n 5 "$SYNC.err" 2>/dev/null)"
        return 1
}
stop() {
        timeout -k 5 30 "$BERTH" terminate "$1" >/dev/null 2>&1
        wait_exit_bounded 30 "$MPID" 2>/dev/null
}

# --- set-limit through systemd -------------------------------------------------------------------------
new_name
M=$NAME
BOOT_NAMES+=("$M")
machine_bg "$M" --memory-max=100M -- 'touch /run/sync/ready; exec sleep 600'
if up "systemd scope: a machine with --memory-max=100M runs"; then
        bx set-limit "$M" --memory-max=50M --cpu-weight=42 --pids-max=77
        is "$RC" 0 "set-limit on a systemd scope succeeds"
        is "$(systemctl show -P MemoryMax "berth-$M.scope")" $((50 * MIB)) "... systemctl show says MemoryMax=50M"
        is "$(systemctl show -P CPUWeight "berth-$M.scope")" 42 "... and CPUWeight=42"
        is "$(systemctl show -P TasksMax "berth-$M.scope")" 77 "... and TasksMax=77"
        is "$(cat "$(scope_of "$M")/memory.max")" $((50 * MIB)) "... and the scope's memory.max is 50M"
        bx status "$M"
        like "$OUT" "Cgroup: .*berth-$M\\.scope \\(systemd unit berth-$M\\.scope\\)" "status names the systemd unit"
        like "$OUT" "Limits:.*MemoryMax=$((50 * MIB))" "status shows the live MemoryMax"
        like "$OUT" "Limits:.*TasksMax=77" "... and TasksMax"
        bx status --json "$M"
        like "$OUT" "\"limits\":\\{[^}]*\"CPUWeight\":\"42\"" "status --json has the limits"
        like "$OUT" "\"unit\":\"berth-$M\\.scope\"" "... and the unit"
        like "$(cat "/proc/$MPID/cgroup")" "^0::/machine\\.slice/berth-$M\\.scope/supervisor\$" "the monitor is in the scope's supervisor from the start"
        bx stats --json "$M"
        P=$(json_num "$OUT" pids_current)
        ok "$([ "${P:-0}" -ge 1 ] 2>/dev/null; echo $?)" "stats --json counts the machine's tasks ($P)"
        mkdir -p /etc/berth
        bx set-limit "$M" --persist --memory-max=60M
        is "$RC" 0 "set-limit --persist succeeds"
        like "$(cat "/etc/berth/$M.nspawn" 2>/dev/null)" "MemoryMax=$((60 * MIB))" "... and the settings file has MemoryMax"
        rm -f "/etc/berth/$M.nspawn"
fi
stop "$M"
wait_until 10 test "$(systemctl show -P ActiveState "berth-$M.scope")" = inactive
is "$(systemctl show -P ActiveState "berth-$M.scope")" inactive "after terminate the systemd scope is gone"

# --- --cgroup-manager=berth --------------------------------------------------------------------------
new_name
M=$NAME
BOOT_NAMES+=("$M")
machine_bg "$M" --cgroup-manager=berth --slice=btown-a.slice --memory-max=64M --pids-max=20 --cpu-weight=30 -- \
        'touch /run/sync/ready; exec sleep 600'
if up "--cgroup-manager=berth: a machine with limits runs"; then
        S=$CG/btown.slice/btown-a.slice/berth-$M.scope
        ok "$([ -d "$S" ]; echo $?)" "its scope is btown.slice/btown-a.slice/berth-NAME.scope, made by berth"
        is "$(systemctl show -P LoadState "berth-$M.scope")" not-found "... and it is no unit of systemd's"
        is "$(cat "$S/memory.max")" $((64 * MIB)) "... memory.max is 64M"
        is "$(cat "$S/pids.max")" 20 "... pids.max is 20"
        is "$(cat "$S/cpu.weight")" 30 "... cpu.weight is 30"
        for c in memory pids cpu; do
                like "$(cat "$CG/btown.slice/cgroup.subtree_control")" "(^| )$c( |\$)" "... berth enabled $c on the way down (btown.slice)"
        done
        like "$(cat "$S/cgroup.subtree_control")" "(^| )pids( |\$)" "... and for the scope's children"
        wait_until 10 grep -qx "$MPID" "$S/supervisor/cgroup.procs"
        like "$(cat "$S/supervisor/cgroup.procs")" "^$MPID\$" "the monitor moves into the supervisor cgroup"
        if [ -n "$HOG" ]; then
                bx enter "$M" -- hog procs 30
                ok "$([ "$RC" = 0 ] && [ -n "$OUT" ] && [ "$OUT" -lt 20 ]; echo $?)" \
                        "pids.max is enforced: fewer than 20 of 30 forks succeed ($OUT)"
        else
                skip "pids.max is enforced" "no hog helper"
        fi
        bx set-limit "$M" --pids-max=40
        is "$RC" 0 "set-limit on berth's own scope succeeds"
        is "$(cat "$S/pids.max")" 40 "... pids.max is now 40"
        # cpuset was not enabled when the scope was made (no limit needed it): set-limit enables it.
        bx set-limit "$M" --cpuset-cpus=1
        is "$RC" 0 "set-limit --cpuset-cpus=1 on berth's own scope made without cpuset succeeds"
        [ "$RC" = 0 ] || diag "$ERR"
        is "$(cat "$S/cpuset.cpus" 2>/dev/null)" 1 "... cpuset.cpus is 1"
        bx enter "$M" -- grep Cpus_allowed_list /proc/self/status
        like "$OUT" "Cpus_allowed_list:[[:space:]]*1\$" "... and a process entering the machine runs on CPU 1 only"
fi
stop "$M"
ok "$([ ! -e "$CG/btown.slice" ]; echo $?)" "after terminate the scope and the slices berth made are gone"

# --- OOMPolicy=kill -------------------------------------------------------------------------------------
if [ -n "$HOG" ]; then
        new_name
        bx run -D "$TREE" -M "$NAME" --memory-max=48M --memory-swap-max=0 --oom-policy=kill -- \
                sh -c 'sleep 600 & hog mem 256; echo survived; wait'
        ok "$([ "$RC" -gt 128 ]; echo $?)" "--oom-policy=kill: the OOM kill takes the whole machine (status $RC)"
        unlike "$OUT" "survived" "... and no process of it goes on"
        is "$(scope_of "$NAME")" "" "... and its scope is gone"
else
        skip "--oom-policy=kill takes the whole machine" "no hog helper"
fi

# --- refused before anything is made -------------------------------------------------------------------
cpus=$(nproc)
new_name
bx run -D "$TREE" -M "$NAME" --cpuset-cpus="$cpus" -- /bin/true
is "$RC" 64 "--cpuset-cpus=$cpus (this host has CPUs 0-$((cpus - 1))): usage error (64)"
like "$ERR" "cpuset-cpus|AllowedCPUs" "... the message names the option"
is "$(scope_of "$NAME")" "" "... and no scope was made"
new_name
bx run -D "$TREE" -M "$NAME" --io-read-bandwidth-max="/nonexistent 1M" -- /bin/true
isnt "$RC" 0 "an IO limit on a missing device is refused ($RC)"
like "$ERR" "/nonexistent" "... naming the device"
is "$(scope_of "$NAME")" "" "... and no scope was made"
new_name
bx run -D "$TREE" -M "$NAME" --cgroup-manager=nobody -- /bin/true
is "$RC" 64 "--cgroup-manager=nobody: usage error (64)"

# --- a Debian machine with limits, in a slice ---------------------------------------------------------
D="Debian with limits"
if need_debian "$D: running" "$D: limits on its scope" "$D: controllers delegated" "$D: poweroff"; then
        new_name
        M=$NAME
        boot_bg "$M" "$VM_DEBIAN" --console=passive --memory-max=512M --pids-max=512 --cpu-weight=50 --slice=tenants
        if wait_state "$M" running 120; then
                pass "$D: boots to running under --memory-max=512M --pids-max=512 --cpu-weight=50 --slice=tenants"
                ebx "$M" systemctl is-system-running --wait
                is "$OUT" running "$D: systemctl is-system-running --wait prints running"
                is "$(systemctl show -P MemoryMax "berth-$M.scope")/$(systemctl show -P TasksMax "berth-$M.scope")/$(systemctl show -P Slice "berth-$M.scope")" \
                        "$((512 * MIB))/512/machine-tenants.slice" "$D: limits on its scope, in machine-tenants.slice"
                ebx "$M" cat /sys/fs/cgroup/cgroup.controllers
                like "$OUT" "memory" "$D: controllers delegated: the guest's cgroup root offers memory"
                like "$OUT" "pids" "... and pids"
                ebx "$M" systemctl show -P TasksMax systemd-journald.service
                isnt "$OUT" "" "$D: systemd inside manages its units' limits ($OUT)"
                PIDS=$(machine_pids "$M")
                bx poweroff "$M"
                monitor_wait 120
                is "$RC" 0 "$D: poweroff, the monitor exits 0"
                # shellcheck disable=SC2086
                gone_after "$M" "$D: after poweroff" $PIDS
        else
                fail "$D: boots to running"
                boot_diag "$M"
        fi
fi

bx list
is "$(berth_scopes)" "" "no berth-*.scope is left anywhere under /sys/fs/cgroup"
done_testing
