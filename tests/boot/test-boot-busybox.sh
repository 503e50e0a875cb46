#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth boot of the busybox-init tree (INIT=busybox, "running" at once), berth enter, power-off by
# berth kill --signal=USR2 --kill-whom=leader (busybox init's power-off signal), berth terminate
# (cgroup.kill), and the monitor's escalation with an init that ignores every stop request
# (/bin/sleep as PID 1): --kill-timeout, and a second SIGTERM that kills at once.
. "$(dirname "$0")/lib.sh"

boot_copy busybox-init
BB=$COPY

# booted NAME DESC: wait until the busybox guest's rcS ran (/run/booted) or fail with diagnostics.
booted() {
        if wait_state "$1" running 30 && wait_until 30 "$BERTH" enter "$1" -- test -e /run/booted; then
                pass "$2"
                return 0
        fi
        fail "$2"
        diag "state: $(state_field "$1" STATE)"
        boot_diag "$1"
        return 1
}

# --- boot, enter, power off with kill --signal=USR2 -------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$BB" --console=pipe
if booted "$M" "busybox guest: running, rcS done"; then
        is "$(state_field "$M" INIT)" busybox "state file: INIT=busybox"
        is "$(state_field "$M" OS)" "BusyBox tree (berth tests)" "state file: OS is the tree's PRETTY_NAME"
        LEADER=$(state_field "$M" LEADER)
        ebx "$M" cat /proc/1/comm
        is "$OUT" init "inside: /proc/1/comm is init"
        ebx "$M" sh -c 'echo "$container $(cat /run/host/container-manager) $(hostname)"'
        is "$OUT" "berth berth $M" "inside: \$container, /run/host/container-manager, hostname"
        ebx "$M" sh -c 'exit 5'
        is "$RC" 5 "berth enter: exit status 5 propagates"
        OUT=$(echo piped | timeout -k 10 "$TIMEOUT" "$BERTH" enter "$M" -- cat 2>&1)
        is "$OUT" piped "berth enter: stdin is passed through"
        bx enter --user=nobody "$M" -- id -u
        is "$OUT" 65534 "berth enter --user=nobody: id -u is 65534"
        bx status "$M"
        like "$OUT" "sleep 3600" "berth status: the process tree shows init's respawned sleep"
        bx enter --chdir=/tmp -E FOO=bar "$M" -- sh -c 'echo "$PWD $FOO"'
        is "$OUT" "/tmp bar" "berth enter --chdir=/tmp -E FOO=bar"
        ebx "$M" sh -c 'grep "^0::" /proc/self/cgroup'
        is "$OUT" "0::/" "berth enter: the command joins the machine's cgroup (its namespace root)"
        bx enter --no-cgroup "$M" -- sh -c 'grep "^0::" /proc/self/cgroup'
        like "$OUT" '^0::/\.\.' "berth enter --no-cgroup: the command stays outside the machine's cgroup"
        # berth shell: a login shell on a pty; the typed exit status comes back.
        if command -v script >/dev/null; then
                mkfifo "$TEST_TMP/shell.in"
                exec {SH_IN}<>"$TEST_TMP/shell.in"
                TERM=xterm script -qfec "$(printf '%q ' "$BERTH" shell "$M")" "$TEST_TMP/shell.log" \
                        <&"$SH_IN" >/dev/null 2>&1 &
                SHPID=$!
                BG_PIDS+=("$SHPID")
                printf 'echo SHELL-$((6 * 7)) $(id -u) $0 $(tty)\r' >&"$SH_IN"
                wait_until 20 grep -qs "SHELL-42 " "$TEST_TMP/shell.log"
                ok $? "berth shell: a typed command runs"
                like "$(tr -d '\r' <"$TEST_TMP/shell.log")" "SHELL-42 0 -sh /dev/pts/[0-9]+" \
                        "berth shell: a root login shell (-sh) on a pty"
                printf 'exit 3\r' >&"$SH_IN"
                monitor_wait 20 "$SHPID"
                is "$RC" 3 "berth shell: the shell's exit status (3) propagates"
                exec {SH_IN}>&-
        else
                skip "berth shell" "no script (util-linux)"
        fi
        like "$(cat "$LOGOUT")" "berth-busybox-init: up" "the console (pipe) shows rcS's output"

        PIDS=$(machine_pids "$M")
        bx kill --signal=USR2 --kill-whom=leader "$M"
        is "$RC" 0 "berth kill --signal=USR2 --kill-whom=leader succeeds"
        monitor_wait "$BOOT_TIMEOUT"
        is "$RC" 0 "after SIGUSR2 to busybox init the monitor exits 0 (power-off)"
        [ "$RC" = 0 ] || boot_diag "$M"
        like "$(cat "$LOGOUT")" "shutting down" "the console shows init's shutdown action"
        # shellcheck disable=SC2086
        gone_after "$M" "after power-off by kill" $PIDS $LEADER
fi

# --- berth poweroff ------------------------------------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$BB" --console=pipe
if booted "$M" "second boot (poweroff): running"; then
        PIDS=$(machine_pids "$M")
        bx poweroff "$M"
        is "$RC" 0 "berth poweroff succeeds"
        monitor_wait "$BOOT_TIMEOUT"
        is "$RC" 0 "after berth poweroff the monitor exits 0"
        # shellcheck disable=SC2086
        gone_after "$M" "after poweroff" $PIDS
fi

# --- the machine's own seccomp additions and no_new_privs apply to berth enter ---------------------------
new_name
M=$NAME
boot_bg "$M" "$BB" --console=pipe "--system-call-filter=~mkdir mkdirat" --no-new-privileges
if booted "$M" "boot with --system-call-filter and --no-new-privileges: running"; then
        ebx "$M" sh -c 'mkdir /tmp/berth-enter-x 2>&1; grep NoNewPrivs /proc/self/status'
        like "$OUT" "Operation not permitted" "berth enter: the machine's own --system-call-filter applies"
        like "$OUT" "NoNewPrivs:[[:space:]]+1" "berth enter: the machine's --no-new-privileges applies"
        bx poweroff "$M"
        monitor_wait "$BOOT_TIMEOUT"
        is "$RC" 0 "... and it powers off"
fi

# --- berth terminate -----------------------------------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$BB" --console=pipe
if booted "$M" "third boot (terminate): running"; then
        PIDS=$(machine_pids "$M")
        bx terminate "$M"
        is "$RC" 0 "berth terminate succeeds"
        monitor_wait 30
        is "$RC" 137 "after berth terminate the monitor exits 137 (PID 1 killed)"
        # shellcheck disable=SC2086
        gone_after "$M" "after terminate" $PIDS
        like "$(cat "$LOGOUT")" "berth-busybox-init: up" "terminate: the guest had booted"
        unlike "$(cat "$LOGOUT")" "shutting down" "terminate: no orderly shutdown ran"
fi

# --- an init that ignores the stop request: --kill-timeout ----------------------------------------
# /bin/sleep as PID 1 has no signal handlers, so the kernel drops the monitor's SIGTERM (INIT=unknown).
new_name
M=$NAME
boot_bg "$M" "$BB" --console=pipe --init=/bin/sleep --kill-timeout=2 -- 1000
if wait_state "$M" running 30; then
        pass "--init=/bin/sleep: running"
        # /bin/sleep links to busybox, but busybox runs the applet named by the path (sleep), not init.
        is "$(state_field "$M" INIT)" unknown "--init=/bin/sleep (a busybox applet link): INIT=unknown, not busybox"
        LEADER=$(state_field "$M" LEADER)
        is "$(tr '\0' ' ' <"/proc/$LEADER/cmdline" 2>/dev/null)" "/bin/sleep 1000 " "the init arguments after -- reach the init"
        PIDS=$(machine_pids "$M")
        kill -TERM "$MPID"
        monitor_wait 10
        is "$RC" 137 "--kill-timeout=2: after SIGTERM the monitor kills the guest and exits 137 within 10 s"
        [ "$RC" = 137 ] || boot_diag "$M"
        like "$(cat "$LOGERR")" "kill|timeout|did not" "--kill-timeout: the monitor says why it killed the guest"
        # shellcheck disable=SC2086
        gone_after "$M" "after the kill timeout" $PIDS $LEADER
else
        fail "--init=/bin/sleep: running"
        boot_diag "$M"
fi

# --- a second SIGTERM kills at once -------------------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$BB" --console=pipe --init=/bin/sleep --kill-timeout=600 -- 1000
if wait_state "$M" running 30; then
        pass "--kill-timeout=600: running"
        PIDS=$(machine_pids "$M")
        kill -TERM "$MPID"
        wait_until 10 eval '[ "$(state_field "$M" STATE)" = stopping ]'
        ok $? "after one SIGTERM the state is stopping"
        bx list --no-legend
        like "$OUT" "^$M +container +stopping " "berth list shows stopping"
        sleep 0.5
        ok "$(pid_running "$MPID"; echo $?)" "after one SIGTERM the monitor still waits for the guest"
        kill -TERM "$MPID"
        monitor_wait 10
        is "$RC" 137 "a second SIGTERM kills the guest at once (exit 137 within 10 s)"
        [ "$RC" = 137 ] || boot_diag "$M"
        # shellcheck disable=SC2086
        gone_after "$M" "after the second SIGTERM" $PIDS
else
        fail "--kill-timeout=600: running"
        boot_diag "$M"
fi

# --- SIGKILL to the monitor of a busybox guest -----------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$BB" --console=pipe
if booted "$M" "fourth boot (SIGKILL): running"; then
        PIDS=$(machine_pids "$M")
        kill -KILL "$MPID"
        wait "$MPID" 2>/dev/null
        # shellcheck disable=SC2086
        wait_until 30 none_alive $PIDS
        ok $? "after SIGKILL to the monitor every process of the machine dies"
        bx list
        unlike "$OUT" "^$M " "after SIGKILL: berth list does not show the machine"
        no_leftovers "$M" "after SIGKILL: berth list removed the state file, lock and cgroup"
fi

done_testing
