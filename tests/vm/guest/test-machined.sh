#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Registration with systemd-machined, and the real machinectl and systemd-run -M driving a Debian
# machine that berth booted: list, show, status, shell, systemd-run --wait, poweroff and terminate,
# each leaving berth's state clean; berth's own poweroff unregisters; --register=no does not register.
. "$(dirname "$0")/lib.sh"

D="registration"
need_debian "$D: machinectl list shows the machine" "$D: poweroff" "$D: terminate" || { rm -rf /var/log/journal
done_testing; exit 0; }
command -v machinectl >/dev/null || { skip "$D" "no machinectl in the guest"; rm -rf /var/log/journal
done_testing; exit 0; }

# boot_debian NAME [OPTIONS]: boots the Debian tree in the background and waits for running.
boot_debian() {
        local name=$1
        shift
        boot_bg "$name" "$VM_DEBIAN" --console=passive "$@"
        if wait_state "$name" running 120; then
                return 0
        fi
        boot_diag "$name"
        return 1
}

listed() { machinectl list --no-legend --no-pager 2>/dev/null | awk '{ print $1 }' | grep -qx "$1"; }
not_listed() { ! listed "$1"; }

# --link-journal= needs the host's /var/log/journal.
mkdir -p /var/log/journal
# journal_id UUID: the machine ID (the UUID's hex digits).
journal_id() { tr -d '-' <<<"$1"; }

# --- registered: list, show, status, shell, systemd-run ---------------------------------------------
new_name
M=$NAME
if boot_debian "$M" --link-journal=host; then
        pass "$D: a Debian machine boots to running"
        wait_until 10 listed "$M"
        line=$(machinectl list --no-legend --no-pager | awk -v n="$M" '$1 == n')
        like "$line" "^$M +container +berth" "$D: machinectl list shows it with class container and service berth"
        leader=$(state_field "$M" LEADER)
        is "$(machinectl show --value -p Leader "$M")" "$leader" "$D: machinectl show: its Leader is berth's leader ($leader)"
        is "$(machinectl show --value -p Unit "$M")" "berth-$M.scope" "$D: machinectl show: its Unit is berth's scope"
        is "$(machinectl show --value -p RootDirectory "$M")" "$(realpath "$VM_DEBIAN")" "$D: machinectl show: its RootDirectory is the tree"
        uuid=$(state_field "$M" UUID)
        is "$(machinectl show --value -p Id "$M")" "${uuid//-/}" "$D: machinectl show: its Id is the machine's UUID"
        st=$(machinectl status --no-pager "$M" 2>&1)
        like "$st" "Leader: $leader" "$D: machinectl status shows the leader"
        like "$st" "OS: Debian GNU/Linux 12" "$D: machinectl status shows the guest's os-release"
        timeout 60 systemd-run -M "$M" --wait -q /bin/true
        is "$?" 0 "$D: systemd-run -M NAME --wait /bin/true exits 0"
        timeout 60 systemd-run -M "$M" --wait -q -p User=nobody /bin/false
        is "$?" 1 "$D: systemd-run -M NAME --wait -p User=nobody /bin/false exits 1"
        out=$(timeout 60 machinectl shell "$M" /bin/sh -c 'echo inside-$(cat /etc/hostname)' 2>/dev/null | tr -d '\r')
        like "$out" "inside-" "$D: machinectl shell NAME runs a command in it"
        # Into the guest's /tmp (a tmpfs of the machine's): machined creates files as the host's root
        # and then gives them to the machine's UID range. In the idmapped tree itself the host's root
        # owns nothing, so there a copy-to fails (EOVERFLOW): the known gap, reported as TODO.
        echo "from-the-host-$$" >"$TEST_TMP/copy-in"
        timeout 60 machinectl copy-to "$M" "$TEST_TMP/copy-in" /tmp/copied
        is "$?" 0 "$D: machinectl copy-to NAME FILE /tmp/... succeeds"
        ebx "$M" cat /tmp/copied
        is "$OUT" "from-the-host-$$" "$D: ... and the file is inside"
        ebx "$M" stat -c %u:%g /tmp/copied
        is "$OUT" "0:0" "$D: ... owned by the guest's root"
        ebx "$M" sh -c 'echo from-the-guest >/tmp/out'
        timeout 60 machinectl copy-from "$M" /tmp/out "$TEST_TMP/copy-out"
        is "$?" 0 "$D: machinectl copy-from succeeds"
        is "$(cat "$TEST_TMP/copy-out" 2>&1)" "from-the-guest" "$D: ... and the guest's file is on the host"
        TODO="machined creates files as the host's root, which an idmapped tree cannot own" \
                timeout 60 machinectl copy-to "$M" "$TEST_TMP/copy-in" /root/copied 2>/dev/null
        rc=$?
        TODO="machined creates files as the host's root, which an idmapped tree cannot own" \
                is "$rc" 0 "$D: machinectl copy-to into the idmapped tree succeeds"
        # machined (v252 and later) refuses to bind into a machine with a user namespace, as it does
        # for systemd-nspawn -U; berth bind does it (tested below).
        mkdir -p "$TEST_TMP/bind-src"
        out=$(timeout 60 machinectl bind "$M" "$TEST_TMP/bind-src" /mnt 2>&1)
        isnt "$?" 0 "$D: machinectl bind into a user-namespaced machine is refused by machined"
        like "$out" "user namespac" "$D: ... saying why ($out)"
        is "$(state_field "$M" STATE)" running "$D: ... and the machine is still running"
        jid=$(journal_id "$(state_field "$M" UUID)")
        ok "$([ -d "/var/log/journal/$jid" ] && [ ! -L "/var/log/journal/$jid" ]; echo $?)" \
                "$D: --link-journal=host: the host has the directory /var/log/journal/ID"
        wait_until 20 sh -c "ls /var/log/journal/$jid/*.journal >/dev/null 2>&1"
        ok "$(ls "/var/log/journal/$jid"/*.journal >/dev/null 2>&1; echo $?)" "$D: ... and the guest's journald writes there"
        like "$(journalctl -D "/var/log/journal/$jid" --no-pager -q 2>&1 | tail -n 50)" "systemd|Started|Reached" \
                "$D: ... readable by the host's journalctl"
        out=$(timeout 60 journalctl -M "$M" --no-pager -q 2>&1 | tail -n 200)
        like "$out" "systemd|Started|Reached target" "$D: journalctl -M NAME shows the guest's journal"
        [[ $out =~ systemd|Started|Reached ]] || diag "journalctl -M: $(head -n 5 <<<"$out")"
        MP=$MPID
        machinectl poweroff "$M"
        is "$?" 0 "$D: machinectl poweroff succeeds"
        monitor_wait 120 "$MP"
        is "$RC" 0 "$D: after machinectl poweroff berth's monitor exits 0"
        gone_after "$M" "$D: after machinectl poweroff"
        wait_until 10 not_listed "$M"
        ok "$(not_listed "$M"; echo $?)" "$D: ... and machinectl list no longer shows it"
        # The tree keeps its machine ID: the next boots' --link-journal=guest wants the place free.
        rm -rf "/var/log/journal/$jid"
else
        fail "$D: a Debian machine boots to running"
fi

# --- machinectl reboot (with --restart=on-reboot), kill, login ---------------------------------------------
new_name
M=$NAME
if boot_debian "$M" --restart=on-reboot --link-journal=guest; then
        jid=$(journal_id "$(state_field "$M" UUID)")
        is "$(readlink "/var/log/journal/$jid")" "$(realpath "$VM_DEBIAN")/var/log/journal/$jid" \
                "$D: --link-journal=guest: the host's /var/log/journal/ID is a symlink to the guest's"
        wait_until 20 sh -c "ls /var/log/journal/$jid/*.journal >/dev/null 2>&1"
        ok "$(ls "/var/log/journal/$jid"/*.journal >/dev/null 2>&1; echo $?)" "$D: ... and the guest's journal files are seen through it"
        if ! ls "/var/log/journal/$jid"/*.journal >/dev/null 2>&1; then
                diag "host: $(ls -la "$VM_DEBIAN/var/log/journal/" "$VM_DEBIAN/var/log/journal/$jid" 2>&1)"
                ebx "$M" sh -c 'cat /etc/machine-id; ls -la /var/log/journal /var/log/journal/*; journalctl --header -n0 2>&1 | head -5; findmnt /var/log/journal'
                diag "guest: $OUT $ERR"
        fi
        wait_until 10 listed "$M"
        old=$(state_field "$M" LEADER)
        out=$(timeout 30 script -qfec "machinectl login $M" /dev/null </dev/null 2>&1 | tr -d '\r' | head -c 4000)
        like "$out" "login:" "$D: machinectl login NAME reaches the guest's getty (login:)"
        [[ $out == *login:* ]] || diag "machinectl login: $(head -n 5 <<<"$out")"
        machinectl reboot "$M"
        is "$?" 0 "$D: machinectl reboot succeeds"
        wait_until 120 sh -c "[ \"\$(sed -n 's/^LEADER=//p' '$(state_file "$M")')\" != '$old' ] && grep -qx STATE=running '$(state_file "$M")'"
        new=$(state_field "$M" LEADER)
        ok "$([ -n "$new" ] && [ "$new" != "$old" ] && [ "$(state_field "$M" STATE)" = running ]; echo $?)" \
                "$D: the machine rebooted in place (--restart=on-reboot): a new leader ($old -> $new), running"
        [ -n "$new" ] || diag "berth boot's stderr: $(tail -n 8 "$LOGERR" 2>/dev/null)"
        wait_until 10 sh -c "[ \"\$(machinectl show --value -p Leader $M 2>/dev/null)\" = '$new' ]"
        is "$(machinectl show --value -p Leader "$M")" "$new" "$D: ... and it is registered again with the new leader"
        machinectl kill --signal=SIGRTMIN+4 --kill-whom=leader "$M"
        is "$?" 0 "$D: machinectl kill --signal=SIGRTMIN+4 (poweroff) to the leader succeeds"
        monitor_wait 120
        is "$RC" 0 "$D: ... and the machine powers off, berth's monitor exits 0"
        gone_after "$M" "$D: after machinectl kill"
else
        fail "$D: a Debian machine with --restart=on-reboot boots to running"
fi

# --- machinectl bind (a machine without a user namespace) --------------------------------------------------
new_name
M=$NAME
if boot_debian "$M" --private-users=no; then
        wait_until 10 listed "$M"
        ok "$([ -d "/run/systemd/nspawn/propagate/$M" ]; echo $?)" "$D: the host's propagation directory exists"
        ebx "$M" findmnt -n -o OPTIONS /run/host/incoming
        like "$OUT" "^ro," "$D: /run/host/incoming is mounted read-only in the machine"
        mkdir -p "$TEST_TMP/bind-src"
        echo "bound-$$" >"$TEST_TMP/bind-src/file"
        out=$(timeout 60 machinectl bind --mkdir "$M" "$TEST_TMP/bind-src" /srv/x 2>&1)
        is "$?" 0 "$D: machinectl bind --mkdir NAME DIR /srv/x succeeds"
        [ -z "$out" ] || diag "machinectl bind: $out"
        ebx "$M" cat /srv/x/file
        is "$OUT" "bound-$$" "$D: ... and the host's directory appears inside at /srv/x"
        echo "later-$$" >"$TEST_TMP/bind-src/later"
        ebx "$M" cat /srv/x/later
        is "$OUT" "later-$$" "$D: ... live: a file the host adds later is seen"
        ebx "$M" sh -c 'echo from-inside >/srv/x/back'
        is "$(cat "$TEST_TMP/bind-src/back" 2>&1)" "from-inside" "$D: ... and writable by the guest's root"
        ok "$(findmnt -n "$TEST_TMP/bind-src" >/dev/null; [ $? -ne 0 ]; echo $?)" "$D: ... with nothing left mounted on the host"
        timeout 60 machinectl bind --read-only --mkdir "$M" "$TEST_TMP/bind-src" /srv/ro
        is "$?" 0 "$D: machinectl bind --read-only succeeds"
        ebx "$M" sh -c 'echo no >/srv/ro/nope'
        isnt "$RC" 0 "$D: ... and the guest cannot write there"
        MP=$MPID
        bx poweroff "$M"
        monitor_wait 120 "$MP"
        is "$RC" 0 "$D: the machine with binds powers off, the monitor exits 0"
        gone_after "$M" "$D: after the bind test"
        ok "$([ ! -e "/run/systemd/nspawn/propagate/$M" ]; echo $?)" "$D: ... and the propagation directory is removed"
else
        fail "$D: a Debian machine without a user namespace boots to running (bind)"
fi

# --- machinectl terminate -------------------------------------------------------------------------------
new_name
M=$NAME
if boot_debian "$M" --log-level=debug; then
        wait_until 10 listed "$M"
        # The pidfd-based call where machined has it, the older one where it has not.
        if busctl introspect org.freedesktop.machine1 /org/freedesktop/machine1 2>/dev/null | grep -q RegisterMachineEx; then
                want=RegisterMachineEx
        else
                want=RegisterMachineWithNetwork
        fi
        like "$(cat "$LOGERR")" "registered with systemd-machined \\($want\\)" "$D: registered through $want, what this machined offers"
        MP=$MPID
        timeout 120 machinectl terminate "$M"
        is "$?" 0 "$D: machinectl terminate succeeds"
        monitor_wait 120 "$MP"
        isnt "$RC" 124 "$D: after machinectl terminate berth's monitor ends ($RC)"
        gone_after "$M" "$D: after machinectl terminate"
        wait_until 10 not_listed "$M"
        ok "$(not_listed "$M"; echo $?)" "$D: ... and machinectl list no longer shows it"
        is "$(berth_scopes)" "" "$D: ... and no berth-*.scope is left"
else
        fail "$D: a Debian machine boots to running (terminate)"
fi

# --- berth poweroff unregisters; --register=no ----------------------------------------------------------
new_name
M=$NAME
if boot_debian "$M"; then
        wait_until 10 listed "$M"
        ok "$(listed "$M"; echo $?)" "$D: registered again for berth poweroff"
        MP=$MPID
        bx poweroff "$M"
        monitor_wait 120 "$MP"
        is "$RC" 0 "$D: berth poweroff: the monitor exits 0"
        ok "$(not_listed "$M"; echo $?)" "$D: after berth poweroff machinectl list no longer shows it"
fi
new_name
bx run -D "$TREE" -M "$NAME" --register=no -- sh -c 'sleep 1'
is "$RC" 0 "$D: berth run --register=no runs"
new_name
M=$NAME
BOOT_NAMES+=("$M")
machine_bg "$M" --register=no -- 'touch /run/sync/ready; exec sleep 600'
if wait_until 60 test -e "$SYNC/ready"; then
        ok "$(not_listed "$M"; echo $?)" "$D: --register=no: machinectl list does not show the machine"
        bx terminate "$M"
        wait_exit_bounded 30 "$MPID"
fi
new_name
M=$NAME
BOOT_NAMES+=("$M")
machine_bg "$M" -- 'touch /run/sync/ready; exec sleep 600'
if wait_until 60 test -e "$SYNC/ready"; then
        wait_until 10 listed "$M"
        ok "$(listed "$M"; echo $?)" "$D: a busybox berth run is registered too (--register=auto)"
        is "$(machinectl show --value -p Class "$M")" container "$D: ... as a container"
        bx terminate "$M"
        wait_exit_bounded 30 "$MPID"
        wait_until 10 not_listed "$M"
        ok "$(not_listed "$M"; echo $?)" "$D: ... and berth terminate unregisters it"
fi
rm -rf /var/log/journal
done_testing
