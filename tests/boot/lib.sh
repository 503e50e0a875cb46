# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the boot tests: sources the integration helpers (TAP, cleanup, berth, cgroup paths,
# machine names) and adds what booting a tree needs: fixture trees copied per script, a monitor in
# the background, waiting for a state, the machine's processes, and a cleanup that stops machines
# this script booted.
#
# Environment (besides what ../integration/lib.sh reads):
#   BERTH_BOOT_TIMEOUT  seconds a guest may take to reach a state or to power off (default 60)

BOOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
. "$BOOT_DIR/../integration/lib.sh"

BOOT_TIMEOUT=${BERTH_BOOT_TIMEOUT:-60}
BOOT_NAMES=()

[ -n "$CGROUP_ROOT" ] || bail_out "no cgroup2 mount on this host"

# Before the integration cleanup (which SIGKILLs our background PIDs and runs `berth list`): kill
# what is left of every machine this script booted, by its cgroup. A SIGKILLed monitor takes its
# guest along (PR_SET_PDEATHSIG), but a test that failed half-way may leave a monitor that waits
# for a guest's slow shutdown; cgroup.kill ends that at once.
boot_cleanup() {
        local n
        for n in "${BOOT_NAMES[@]}"; do
                if [ -e "$(state_file "$n")" ]; then
                        timeout -k 5 20 "$BERTH" terminate "$n" >/dev/null 2>&1
                fi
                if [ -e "$(scope_dir "$n")/cgroup.kill" ]; then
                        echo 1 >"$(scope_dir "$n")/cgroup.kill" 2>/dev/null
                fi
        done
        cleanup
}
trap boot_cleanup EXIT

# fixture_tree KIND: sets FIXTURE to the cached tree of KIND (debian-systemd, debian-sysvinit,
# busybox-init, busybox), building it when needed; skips the whole script when it cannot be built
# here (the fixture exits 77).
fixture_tree() {
        local kind=$1 st
        case "$kind" in
        debian-systemd) FIXTURE=$("$SRC_ROOT/tests/lib/make-debian-tree.sh" --init=systemd "$CACHE/$kind") ;;
        debian-sysvinit) FIXTURE=$("$SRC_ROOT/tests/lib/make-debian-tree.sh" --init=sysvinit "$CACHE/$kind") ;;
        busybox-init) FIXTURE=$("$SRC_ROOT/tests/lib/make-busybox-init-tree.sh" "$CACHE/$kind") ;;
        busybox) FIXTURE=$("$SRC_ROOT/tests/lib/make-busybox-tree.sh" "$CACHE/$kind") ;;
        *) bail_out "unknown fixture $kind" ;;
        esac
        st=$?
        if [ "$st" -eq 77 ]; then
                echo "1..0 # SKIP cannot build the $kind tree on this host"
                exit 0
        fi
        [ "$st" -eq 0 ] && [ -d "$FIXTURE" ] || bail_out "cannot build the $kind tree (status $st)"
}

# boot_copy KIND: sets COPY to a private copy of the fixture tree KIND under $TEST_TMP (booting
# writes to the tree: journal, /var/log, ...; the cached tree must stay as built).
boot_copy() {
        fixture_tree "$1"
        COPY=$TEST_TMP/$1
        rm -rf "$COPY"
        cp -a --reflink=auto "$FIXTURE" "$COPY" || bail_out "cannot copy $FIXTURE"
}

# boot_bg NAME TREE [BOOT OPTIONS] [-- INIT-ARGS]: `berth boot -D TREE -M NAME ...` in the
# background, stdin /dev/null, stdout in $TEST_TMP/NAME.out, stderr in $TEST_TMP/NAME.err. Sets
# MPID (the monitor's PID) and LOGOUT/LOGERR.
boot_bg() {
        local name=$1 tree=$2
        shift 2
        BOOT_NAMES+=("$name")
        LOGOUT=$TEST_TMP/$name.out
        LOGERR=$TEST_TMP/$name.err
        "$BERTH" boot -D "$tree" -M "$name" "$@" </dev/null >"$LOGOUT" 2>"$LOGERR" &
        MPID=$!
        BG_PIDS+=("$MPID")
}

# state_field NAME FIELD: FIELD of the machine's state file (empty when there is none).
state_field() {
        sed -n "s/^$2=//p" "$(state_file "$1")" 2>/dev/null
}

# wait_state NAME STATE [SECONDS] [MONITOR]: wait until the state file says STATE; fails early
# when MONITOR (default $MPID) has exited.
wait_state() {
        local name=$1 want=$2 limit=${3:-$BOOT_TIMEOUT} mon=${4:-$MPID}
        wait_until "$limit" state_reached_or_monitor_gone "$name" "$want" "$mon" || return 1
        [ "$(state_field "$name" STATE)" = "$want" ]
}

state_reached_or_monitor_gone() { # NAME STATE MONITOR
        [ "$(state_field "$1" STATE)" = "$2" ] || ! pid_running "$3"
}

# monitor_wait SECONDS [PID]: wait (bounded) for the monitor to end; its exit status goes to RC
# (124 when it had not ended after SECONDS and was SIGKILLed). Returns 1 on timeout.
monitor_wait() {
        wait_exit_bounded "$1" "${2:-$MPID}"
}

# machine_pids NAME: host PIDs of every process of the machine (its payload cgroup subtree; the
# monitor in the scope's supervisor cgroup is berth's), one a line.
machine_pids() {
        local d
        d=$(scope_dir "$1")/payload
        [ -d "$d" ] || return 0
        find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -n
}

# pids_alive PID...: prints those of PID... that still run (not zombies).
pids_alive() {
        local p
        for p in "$@"; do
                pid_running "$p" && echo "$p"
        done
        return 0
}

# boot_diag NAME: the monitor's stderr and the tail of its stdout, as TAP diagnostics.
boot_diag() {
        diag "monitor stderr: $(cat "$TEST_TMP/$1.err" 2>/dev/null)"
        diag "monitor stdout (tail): $(tail -n 20 "$TEST_TMP/$1.out" 2>/dev/null)"
}

# json_field JSON FIELD: FIELD of the first object of a JSON array (berth status --json).
json_field() {
        python3 -c '
import json, sys
try:
    a = json.loads(sys.argv[1])
except Exception:
    print("<invalid>"); sys.exit()
if isinstance(a, list):
    a = a[0] if a else {}
print(a.get(sys.argv[2], "<no field>"))' "$1" "$2"
}

# ebx NAME ARGS...: `berth enter NAME -- ARGS...` with bx (OUT, ERR, RC).
ebx() {
        local name=$1
        shift
        bx enter "$name" -- "$@"
}

# gone_after NAME DESC PID...: after a machine has stopped: none of PID... runs, and no state file,
# lock or cgroup is left.
gone_after() {
        local name=$1 desc=$2
        shift 2
        is "$(pids_alive "$@" | tr '\n' ' ')" "" "$desc: no process of the machine is left"
        no_leftovers "$name" "$desc: no state file, lock or cgroup is left"
}

# none_alive PID...: true when none of PID... runs.
none_alive() {
        [ -z "$(pids_alive "$@")" ]
}

# guest_has NAME COMM: true when a process of machine NAME has the command name COMM.
guest_has() {
        local p
        for p in $(machine_pids "$1"); do
                [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && return 0
        done
        return 1
}

# done_testing, without the integration check that the shared busybox tree is unchanged: these
# scripts boot private copies only (and other work may use that tree meanwhile).
done_testing() {
        is "$SETUP_RACES" 0 "no start failed with 'the machine's setup did not report its leader' (berth race)"
        echo "1..$TAP_N"
        [ "$TAP_FAILED" -eq 0 ] || echo "# $TAP_FAILED of $TAP_N failed" >&2
        exit 0
}
