#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth boot of a Debian bookworm tree with systemd as PID 1: it reaches "running" (READY=1 on
# /run/host/notify), the container interface systemd sees (machine-id from container_uuid,
# systemd-detect-virt, /run/host), berth enter/status against it, and every way of stopping it:
# berth poweroff (exit 0), berth reboot (133), SIGTERM to the monitor (0), SIGKILL to the monitor
# (the guest dies with it, the next berth list collects the records), and the interactive console
# under script(1).
. "$(dirname "$0")/lib.sh"

boot_copy debian-systemd
DEB=$COPY
DEB_PRETTY=$(sed -n 's/^PRETTY_NAME=//p' "$DEB/usr/lib/os-release" | tr -d '"')
HOST_NAMES='^(bash|berth|timeout|sleep|script|meson|ninja|python3?|sh)$'

# --- boot with a passive console ------------------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$DEB" --console=passive
if wait_state "$M" running; then
        pass "systemd guest: the state becomes running (READY=1 received)"
else
        fail "systemd guest: the state becomes running (READY=1 received)"
        diag "state: $(state_field "$M" STATE)"
        boot_diag "$M"
        bail_out "the systemd tree did not boot"
fi
LEADER=$(state_field "$M" LEADER)
is "$(state_field "$M" INIT)" systemd "state file: INIT=systemd"
is "$(state_field "$M" OS)" "$DEB_PRETTY" "state file: OS is the tree's PRETTY_NAME"
is "$(state_field "$M" MONITOR)" "$MPID" "state file: MONITOR is the boot process"
is "$(cat "/proc/$LEADER/comm" 2>/dev/null)" systemd "the leader is systemd"
is "$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$LEADER/status" 2>/dev/null | tr -s '\t ' ' ')" "$LEADER 1" \
        "the leader is PID 1 of the machine's PID namespace"

bx list --json
is "$RC" 0 "berth list --json succeeds"
is "$(python3 -c '
import json, sys
for m in json.loads(sys.argv[1]):
    if m.get("name") == sys.argv[2]:
        print(m.get("state"), m.get("init")); break
else:
    print("<absent>")' "$OUT" "$M")" "running systemd" "berth list --json: state running, init systemd"

ebx "$M" systemctl is-system-running --wait
if [ "$OUT" = running ]; then
        pass "systemctl is-system-running --wait prints running"
else
        fail "systemctl is-system-running --wait prints running"
        diag "got '$OUT' (status $RC) $ERR"
        ebx "$M" systemctl --failed --no-pager
        diag "systemctl --failed: $OUT"
fi

ebx "$M" cat /proc/1/comm
is "$OUT" systemd "inside: /proc/1/comm is systemd"
ebx "$M" ps -e -o pid=,comm=
PS=$(sed 's/^ *//' <<<"$OUT")
like "$PS" "^1 systemd$" "inside: ps -e shows systemd as PID 1"
unlike "$(awk '{ print $2 }' <<<"$PS")" "$HOST_NAMES" "inside: ps -e shows no host process (bash, berth, sleep, ...)"
n_in=$(wc -l <<<"$PS")
ok "$([ "$n_in" -ge 3 ] && [ "$n_in" -le 30 ]; echo $?)" "inside: ps -e lists the guest's few processes ($n_in)"
ebx "$M" hostname
is "$OUT" "$M" "inside: the hostname is the machine name"
ebx "$M" cat /run/host/container-manager
is "$OUT" berth "inside: /run/host/container-manager is berth"
ebx "$M" cat /run/host/container-uuid
CUUID=$OUT
bx status --json "$M"
is "$RC" 0 "berth status --json succeeds"
SJSON=$OUT
UUID=$(json_field "$SJSON" uuid)
like "$UUID" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "berth status --json: uuid is a UUID"
is "$CUUID" "$UUID" "inside: /run/host/container-uuid is the status uuid"
ebx "$M" cat /etc/machine-id
is "$OUT" "${UUID//-/}" "inside: /etc/machine-id is the UUID without dashes (systemd's transient id from container_uuid)"
ebx "$M" sh -c "tr '\\0' '\\n' </proc/1/environ"
ENV1=$OUT
like "$ENV1" "^container=berth$" "PID 1's environment: container=berth"
like "$ENV1" "^container_uuid=$UUID$" "PID 1's environment: container_uuid"
like "$ENV1" "^NOTIFY_SOCKET=/run/host/notify$" "PID 1's environment: NOTIFY_SOCKET=/run/host/notify"
ebx "$M" systemd-detect-virt -c
DETECT=$OUT
diag "systemd-detect-virt -c printed '$DETECT' (status $RC)"
isnt "$DETECT" none "inside: systemd-detect-virt -c detects a container ($DETECT)"
is "$RC" 0 "inside: systemd-detect-virt -c exits 0"
ebx "$M" cat /run/host/os-release
is "$OUT" "$(cat /etc/os-release)" "inside: /run/host/os-release is the host's os-release"
ebx "$M" stat -f -c %T /sys/fs/cgroup
is "$OUT" cgroup2fs "inside: /sys/fs/cgroup is cgroup2"
ebx "$M" test -d /sys/fs/cgroup/init.scope -a -d /sys/fs/cgroup/system.slice
is "$RC" 0 "inside: systemd made init.scope and system.slice in its delegated cgroup"

ebx "$M" true
is "$RC" 0 "berth enter: exit status 0 propagates"
ebx "$M" false
is "$RC" 1 "berth enter: exit status 1 propagates"
ebx "$M" sh -c 'exit 42'
is "$RC" 42 "berth enter: exit status 42 propagates"
OUT=$(echo hello | timeout -k 10 "$TIMEOUT" "$BERTH" enter "$M" -- cat 2>"$TEST_TMP/.err")
RC=$?
is "$OUT/$RC" "hello/0" "berth enter: stdin and stdout are pipes (echo hello | berth enter -- cat)"
bx enter --user=nobody "$M" -- id -u
is "$OUT" 65534 "berth enter --user=nobody: id -u is 65534"

bx status "$M"
is "$RC" 0 "berth status succeeds"
like "$OUT" "^ *State: running$" "berth status: State: running"
like "$OUT" "^ *Init: systemd$" "berth status: Init: systemd"
like "$(sed -n '/^ *Processes:/{n;p;q}' <<<"$OUT" | sed 's/^ *//')" "^$LEADER /(usr/)?lib/systemd/systemd$" \
        "berth status: the process tree's root is the leader, /usr/lib/systemd/systemd"
like "$OUT" "systemd-journald" "berth status: the process tree shows systemd-journald"
like "$(python3 -c '
import json, sys
a = json.loads(sys.argv[1])[0]
print(" ".join(p["command"] for p in a["processes"] if p["pid"] == int(sys.argv[2])))' "$SJSON" "$LEADER")" \
        "^/(usr/)?lib/systemd/systemd$" "berth status --json: the leader's command is /usr/lib/systemd/systemd"

PIDS=$(machine_pids "$M")
ok "$([ "$(wc -l <<<"$PIDS")" -ge 3 ]; echo $?)" "the machine's cgroup holds its processes"
bx poweroff "$M"
is "$RC" 0 "berth poweroff succeeds"
monitor_wait "$BOOT_TIMEOUT"
is "$RC" 0 "after berth poweroff the monitor exits 0"
[ "$RC" = 0 ] || boot_diag "$M"
# shellcheck disable=SC2086
gone_after "$M" "after poweroff" $PIDS $LEADER
bx list
unlike "$OUT" "^$M " "after poweroff: berth list does not show the machine"

# --- berth reboot -----------------------------------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$DEB" --console=pipe
if wait_state "$M" running; then
        pass "second boot (reboot test): running"
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

# --- "starting" until READY=1, then SIGTERM to the monitor ----------------------------------------
# A oneshot service (only wanted on this boot, through systemd.wants= among the init arguments) holds
# systemd's start-up until /run/berth-go exists: until then systemd sends no READY=1 and the machine
# must stay "starting".
cat >"$DEB/etc/systemd/system/berth-hold.service" <<'UNIT'
[Unit]
Description=berth test: hold the start-up until /run/berth-go exists

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'i=0; while [ ! -e /run/berth-go ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done'
UNIT
new_name
M=$NAME
boot_bg "$M" "$DEB" --console=pipe -- systemd.wants=berth-hold.service
if wait_until "$BOOT_TIMEOUT" eval '[ "$(timeout 20 "$BERTH" enter "$M" -- systemctl is-active berth-hold.service 2>/dev/null)" = activating ]'; then
        pass "held boot: the hold service runs (systemd.wants= from the init arguments reached systemd)"
        is "$(state_field "$M" STATE)" starting "held boot: the state is starting while systemd has not sent READY=1"
        bx status "$M"
        like "$OUT" "^ *State: starting$" "held boot: berth status shows State: starting"
        bx list --no-legend
        like "$OUT" "^$M +container +starting " "held boot: berth list shows starting"
        ebx "$M" touch /run/berth-go
        if wait_state "$M" running; then
                pass "held boot: once the hold ends, the state becomes running"
        else
                fail "held boot: once the hold ends, the state becomes running"
                diag "state: $(state_field "$M" STATE)"
        fi
        ebx "$M" systemctl is-system-running
        is "$OUT" running "held boot: systemd then says running"
        PIDS=$(machine_pids "$M")
        kill -TERM "$MPID"
        monitor_wait "$BOOT_TIMEOUT"
        is "$RC" 0 "after SIGTERM to the monitor it exits 0 (the guest powered off)"
        [ "$RC" = 0 ] || boot_diag "$M"
        # shellcheck disable=SC2086
        gone_after "$M" "after SIGTERM" $PIDS
else
        fail "held boot: the hold service runs (systemd.wants= from the init arguments reached systemd)"
        diag "state: $(state_field "$M" STATE)"
        boot_diag "$M"
fi
rm -f "$DEB/etc/systemd/system/berth-hold.service"

# --- SIGKILL to the monitor -------------------------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$DEB" --console=pipe
if wait_state "$M" running; then
        pass "fourth boot (SIGKILL test): running"
        PIDS=$(machine_pids "$M")
        kill -KILL "$MPID"
        wait "$MPID" 2>/dev/null
        # shellcheck disable=SC2086
        if wait_until 30 none_alive $PIDS; then
                pass "after SIGKILL to the monitor every process of the machine dies"
        else
                fail "after SIGKILL to the monitor every process of the machine dies"
                # shellcheck disable=SC2086
                diag "still running: $(for p in $(pids_alive $PIDS); do echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline")"; done)"
        fi
        bx list
        is "$RC" 0 "after SIGKILL: berth list succeeds"
        unlike "$OUT" "^$M " "after SIGKILL: berth list does not show the machine"
        no_leftovers "$M" "after SIGKILL: berth list removed the state file, lock and cgroup"
else
        fail "fourth boot (SIGKILL test): running"
        boot_diag "$M"
fi

# --- the interactive console under script(1) -----------------------------------------------------
# With the default (interactive) console, systemd's boot messages and console-getty's login prompt
# reach the terminal, keystrokes reach the guest (a user name typed at the prompt), and berth poweroff ends script(1) with status 0.
if command -v script >/dev/null; then
        new_name
        M=$NAME
        BOOT_NAMES+=("$M")
        LOG=$TEST_TMP/script.log
        : >"$LOG"
        # script's stdin: a FIFO this shell keeps open, so script never sees EOF (it would pass ^D on).
        mkfifo "$TEST_TMP/script.in"
        exec {SCRIPT_IN}<>"$TEST_TMP/script.in"
        TERM=xterm script -qfec "$(printf '%q ' "$BERTH" boot -D "$DEB" -M "$M")" "$LOG" \
                <&"$SCRIPT_IN" >"$TEST_TMP/script.out" 2>&1 &
        SPID=$!
        BG_PIDS+=("$SPID")
        if wait_state "$M" running "$BOOT_TIMEOUT" "$SPID"; then
                pass "interactive console: the machine reaches running"
                like "$(cat "$LOG")" "Welcome to .*Debian" "interactive console: the terminal shows systemd's boot messages"
                # console-getty runs once the guest is up; its prompt then needs only a moment.
                wait_until 30 guest_has "$M" agetty
                ok $? "interactive console: console-getty runs in the guest"
                if wait_until 10 grep -qs 'login:' "$LOG"; then
                        pass "interactive console: the terminal shows the console-getty login prompt"
                        # Keystrokes reach the guest: agetty echoes a user name and login asks for
                        # the password. (No log-in: login(1) refuses the fixture's empty root
                        # password, under systemd-nspawn as well.)
                        printf 'berthtest\r' >&"$SCRIPT_IN"
                        wait_until 20 grep -qs "Password:" "$LOG"
                        ok $? "interactive console: a user name typed at the prompt reaches the guest (login asks for the password)"
                        like "$(tr -d '\r' <"$LOG")" "login: berthtest" "interactive console: the guest echoes the typed user name"
                else
                        fail "interactive console: the terminal shows the console-getty login prompt"
                        diag "typescript (tail): $(tail -c 600 "$LOG" | tr -d '\r')"
                        skip "interactive console: typed input reaches the guest" "no login prompt"
                        skip "interactive console: the guest echoes the typed user name" "no login prompt"
                fi
                bx poweroff "$M"
                is "$RC" 0 "interactive console: berth poweroff succeeds"
                monitor_wait "$BOOT_TIMEOUT" "$SPID"
                is "$RC" 0 "interactive console: script (berth boot) exits 0 after poweroff"
                like "$(tail -c 300 "$LOG")" 'COMMAND_EXIT_CODE="0"' "interactive console: script recorded exit code 0"
                no_leftovers "$M" "interactive console: nothing is left after poweroff"
        else
                fail "interactive console: the machine reaches running"
                diag "typescript (tail): $(tail -c 1000 "$LOG" 2>/dev/null | tr -d '\r')"
        fi
        exec {SCRIPT_IN}>&-
else
        skip "interactive console under script(1)" "no script (util-linux)"
fi

done_testing
