#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Machines as services on a systemd host: berth@.service and berth-machines.target from the build,
# with the Debian tree as /var/lib/machines/NAME. berth start is systemctl start (active (running) once
# the guest sent READY=1, STATUS= from the monitor, the machine in the service's own cgroup through
# --keep-unit), berth logs is the unit's journal, berth attach reaches its console, berth stop is
# systemctl stop (nothing left). berth enable/disable add and remove the target's wants; starting the
# target (what the host's boot does) starts the machine; a reboot inside restarts it through
# RestartForceExitStatus=133; stopping the target stops it (PartOf=). Last, the machine is enabled
# again and the script asks run.sh to reboot the guest; run again after the reboot
# (BERTH_VM_AFTER_REBOOT=1), it checks that the guest's boot started the machine.
. "$(dirname "$0")/lib.sh"

# A Debian boot or power-off under TCG takes tens of seconds, and berth start and stop wait for them.
# shellcheck disable=SC2034 # read by bx
TIMEOUT=300
D="berth@.service"
if ! need_debian "$D: berth start" "$D: berth stop" "$D: berth enable" "$D: reboot restarts" "$D: berth disable"; then
        done_testing
fi

new_name
M=$NAME
AFTER_REBOOT=${BERTH_VM_AFTER_REBOOT:-}
REBOOT_NOTE=/var/lib/berth-vm-units-reboot
# shellcheck source=/dev/null
[ -z "$AFTER_REBOOT" ] || . "$REBOOT_NOTE" # M
BOOT_NAMES+=("$M")
UNIT="berth@$M.service"
UNIT_CG=$CG/machine.slice/$UNIT
BUILD_UNITS=$(dirname "$BERTH")/units
MACHINES=/var/lib/machines

# The units as meson configured them, with the build's berth in ExecStart= (it is not installed here).
if [ ! -f "$BUILD_UNITS/berth@.service" ]; then
        fail "$D: the build has units/berth@.service"
        done_testing
fi
sed "s|^ExecStart=[^ ]*/berth |ExecStart=$BERTH |" "$BUILD_UNITS/berth@.service" >/etc/systemd/system/berth@.service
cp "$SRC_ROOT/units/berth-machines.target" /etc/systemd/system/
systemctl daemon-reload
mkdir -p "$MACHINES"
ln -sfn "$VM_DEBIAN" "$MACHINES/$M"
KEEP_FOR_REBOOT=
units_cleanup() {
        if [ -n "$KEEP_FOR_REBOOT" ]; then
                boot_cleanup
                return
        fi
        rm -rf /etc/systemd/system/berth-test.target.d "/etc/systemd/system/${UNIT:?}.d" "$REBOOT_NOTE"
        sed -i '\|^[^ ]* /srv/debian |d' /etc/fstab
        systemctl stop berth-machines.target "$UNIT" >/dev/null 2>&1
        systemctl disable berth-machines.target "$UNIT" >/dev/null 2>&1
        rm -f "$MACHINES/${M:?}" /etc/systemd/system/berth@.service /etc/systemd/system/berth-machines.target
        rm -rf "/run/systemd/system/${UNIT:?}.d"
        systemctl daemon-reload
        boot_cleanup
}
trap units_cleanup EXIT

# unit_pids: the machine's processes (the payload below the service's cgroup).
unit_pids() {
        [ -d "$UNIT_CG/payload" ] || return 0
        find "$UNIT_CG/payload" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -n
}
unit_prop() { systemctl show -P "$2" "$1" 2>/dev/null; }
is_active() { [ "$(systemctl is-active "$UNIT" 2>/dev/null)" = "$1" ]; }
# back_up OLD-MONITOR: a new monitor reports the machine running, and has told systemd (READY=1).
back_up() {
        [ "$(state_field "$M" STATE)" = running ] && [ "$(state_field "$M" MONITOR)" != "$1" ] && is_active active
}
unit_diag() {
        diag "systemctl status: $(systemctl status --no-pager -n 30 "$UNIT" 2>&1)"
}

# --- after the guest's reboot: the enabled machine came up with the guest ------------------------------
if [ -n "$AFTER_REBOOT" ]; then
        is "$(systemctl is-enabled "$UNIT")" enabled "$D: after the guest's reboot $UNIT is still enabled"
        if wait_until 300 is_active active; then
                pass "$D: the guest's boot started the enabled machine (multi-user.target -> berth-machines.target -> $UNIT)"
                is "$(systemctl is-active berth-machines.target)" active "$D: ... berth-machines.target is active"
                wait_until 120 sh -c "grep -qx STATE=running '$(state_file "$M")'"
                is "$(state_field "$M" STATE)" running "$D: ... and the machine is running"
                ebx "$M" systemctl is-system-running --wait
                is "$OUT" running "$D: ... its systemd says running"
                if command -v machinectl >/dev/null; then
                        is "$(machinectl show --value -p Unit "$M" 2>&1)" "$UNIT" "$D: ... registered with machined at the service"
                fi
                PIDS=$(unit_pids)
                bx stop "$M"
                is "$RC" 0 "$D: berth stop after the reboot succeeds"
                # shellcheck disable=SC2086
                gone_after "$M" "$D: after berth stop (after the reboot)" $PIDS
        else
                fail "$D: the guest's boot started the enabled machine"
                unit_diag
                diag "$(systemctl list-units --no-pager --all 'berth*' 2>&1)"
        fi
        bx disable "$M"
        is "$RC" 0 "$D: berth disable after the reboot"
        done_testing
        exit 0
fi

# --- the image store is machinectl's: list-images sees the tree ------------------------------------------
if command -v machinectl >/dev/null; then
        like "$(machinectl list-images --no-legend --no-pager 2>&1)" "(^|[[:space:]])$M[[:space:]]" \
                "$D: machinectl list-images shows the image berth boots ($MACHINES/$M)"
fi

# --- berth start ----------------------------------------------------------------------------------------
# A short watchdog for this instance (the unit's own is 3 minutes), to see the monitor feed it.
like "$(grep '^WatchdogSec=' /etc/systemd/system/berth@.service)" "^WatchdogSec=3min\$" "$D: the unit has a watchdog of 3 min"
mkdir -p "/run/systemd/system/$UNIT.d"
printf '[Service]\nWatchdogSec=5s\n' >"/run/systemd/system/$UNIT.d/watchdog.conf"
systemctl daemon-reload
STARTED=$SECONDS
bx start "$M"
is "$RC" 0 "$D: berth start $M (systemctl start $UNIT) succeeds"
[ "$RC" = 0 ] || { diag "$ERR"; unit_diag; }
is "$(systemctl is-active "$UNIT")" active "$D: $UNIT is active when berth start returns"
STATUS=$(systemctl status --no-pager "$UNIT" 2>&1)
like "$STATUS" "Active: active \\(running\\)" "$D: systemctl status says active (running) after READY=1"
like "$STATUS" 'Status: "Running"' "$D: ... and Status: \"Running\" (the monitor's STATUS=)"
is "$(state_field "$M" STATE)" running "$D: the machine's state is running (READY=1 from its systemd)"
is "$(state_field "$M" UNIT)" "$UNIT" "$D: its UNIT= is the service"
is "$(state_field "$M" CGROUP)" "$UNIT_CG" "$D: its cgroup is the service's own (--keep-unit)"
is "$(unit_prop "$UNIT" MainPID)" "$(state_field "$M" MONITOR)" "$D: the service's main PID is the monitor"
like "$(cat "$UNIT_CG/supervisor/cgroup.procs" 2>/dev/null)" "^$(state_field "$M" MONITOR)\$" "$D: the monitor is in the service's supervisor cgroup"
is "$(berth_scopes)" "" "$D: no berth-*.scope was made beside it"
if command -v machinectl >/dev/null; then
        is "$(machinectl show --value -p Unit "$M" 2>&1)" "$UNIT" "$D: registered with systemd-machined, at the service (machinectl show)"
else
        skip "$D: registered with systemd-machined, at the service" "no machinectl in the guest"
fi
ebx "$M" systemctl is-system-running --wait
is "$OUT" running "$D: inside, systemctl is-system-running --wait prints running"
bx status "$M"
like "$OUT" "\\(systemd unit $UNIT\\)" "$D: berth status names the unit"
# The image lock is machined's and nspawn's: machinectl refuses to remove an image berth runs.
if command -v machinectl >/dev/null; then
        out=$(machinectl remove "$M" 2>&1)
        isnt "$?" 0 "$D: machinectl remove of the image a running berth machine uses is refused"
        like "$out" "in use|busy" "$D: ... as in use ($out)"
        ok "$([ -L "$MACHINES/$M" ]; echo $?)" "$D: ... and the image is still there"
fi
bx logs "$M"
is "$RC" 0 "$D: berth logs (journalctl -u) succeeds"
like "$OUT" "Reached target|Started |Welcome to" "$D: ... and shows the guest's console"
bx attach "$M"
is "$RC" 0 "$D: berth attach (input at its end at once) attaches and detaches"
like "$ERR" "Attached to the console of machine '$M'" "$D: ... through the console socket the service's monitor serves"
bx start "$M"
is "$RC" 0 "$D: berth start of the running machine: systemctl start of an active unit, nothing to do"
bx start "$M" --memory-max=1G
is "$RC" 64 "$D: berth start with boot options under systemd: usage error (the settings file has them)"
MON=$(state_field "$M" MONITOR)
[ $((SECONDS - STARTED)) -ge 15 ] || sleep $((15 - (SECONDS - STARTED)))
is "$(unit_prop "$UNIT" WatchdogUSec)" 5s "$D: with WatchdogSec=5s (a drop-in) ..."
is "$(systemctl is-active "$UNIT")/$(unit_prop "$UNIT" MainPID)/$(unit_prop "$UNIT" NRestarts)" "active/$MON/0" \
        "$D: ... 15 s after the start the service is still active with the same monitor: it feeds the watchdog"
rm -rf "/run/systemd/system/$UNIT.d"
systemctl daemon-reload

# --- berth stop -----------------------------------------------------------------------------------------
PIDS=$(unit_pids)
bx stop "$M"
is "$RC" 0 "$D: berth stop (systemctl stop) succeeds"
[ "$RC" = 0 ] || { diag "$ERR"; unit_diag; }
is "$(systemctl is-active "$UNIT")" inactive "$D: the unit is inactive afterwards"
is "$(unit_prop "$UNIT" Result)" success "$D: ... with Result=success (a clean power-off)"
# shellcheck disable=SC2086
gone_after "$M" "$D: after berth stop" $PIDS
ok "$([ ! -e "$STATE_DIR/consoles/$M" ] && [ ! -e "$UNIT_CG" ]; echo $?)" "$D: no console socket and no cgroup of the unit are left"

# --- enable, and the target starts it as the host's boot would -------------------------------------------
bx enable "$M"
is "$RC" 0 "$D: berth enable succeeds"
[ "$RC" = 0 ] || diag "$ERR"
is "$(readlink "/etc/systemd/system/berth-machines.target.wants/$UNIT")" /etc/systemd/system/berth@.service \
        "$D: the wants symlink is in berth-machines.target.wants"
is "$(systemctl is-enabled "$UNIT")" enabled "$D: systemctl is-enabled $UNIT: enabled"
is "$(systemctl is-enabled berth-machines.target)" enabled "$D: ... and the target is enabled (WantedBy=multi-user.target)"
bx enable "bt-units-no-such-image"
is "$RC" 66 "$D: berth enable of a missing image: 66"
like "$ERR" "no image 'bt-units-no-such-image'" "$D: ... naming it"

systemctl start berth-machines.target
ok $? "$D: systemctl start berth-machines.target"
if wait_until 180 is_active active; then
        pass "$D: starting the target started the enabled machine"
        like "$(systemctl status --no-pager "$UNIT" 2>&1)" "Active: active \\(running\\)" "$D: ... active (running)"

        # --- a reboot inside: RestartForceExitStatus=133 brings it back ------------------------------
        MON=$(state_field "$M" MONITOR)
        ebx "$M" systemctl reboot
        if wait_until 240 back_up "$MON"; then
                pass "$D: after systemctl reboot inside, the unit started it again, and it is active and running"
                is "$(unit_prop "$UNIT" NRestarts)" 1 "$D: ... the unit restarted once (exit 133)"
                is "$(unit_prop "$UNIT" MainPID)" "$(state_field "$M" MONITOR)" "$D: ... with the new monitor as its main PID"
        else
                fail "$D: after systemctl reboot inside, the unit started it again, and it is active and running"
                unit_diag
        fi

        # --- stopping the target stops the machine (PartOf=) ---------------------------------------
        PIDS=$(unit_pids)
        systemctl stop berth-machines.target
        if wait_until 120 is_active inactive; then
                pass "$D: systemctl stop berth-machines.target stopped the machine"
        else
                fail "$D: systemctl stop berth-machines.target stopped the machine"
                unit_diag
        fi
        # shellcheck disable=SC2086
        gone_after "$M" "$D: after the target stopped" $PIDS
else
        fail "$D: starting the target started the enabled machine"
        unit_diag
fi

# --- disable --------------------------------------------------------------------------------------------
bx disable "$M"
is "$RC" 0 "$D: berth disable succeeds"
ok "$([ ! -e "/etc/systemd/system/berth-machines.target.wants/$UNIT" ]; echo $?)" "$D: the wants symlink is gone"
is "$(systemctl is-enabled "$UNIT")" disabled "$D: systemctl is-enabled $UNIT: disabled"

is "$(berth_scopes)" "" "$D: no berth-*.scope is left anywhere"

# --- enabled, across a reboot of the guest --------------------------------------------------------------
bx enable "$M"
is "$RC" 0 "$D: berth enable again, then the guest reboots"
# What the machine needs at the guest's boot: the disk of its tree (fstab) and the build's berth (a 9p
# share); and a boot that reaches multi-user.target, as a host's does (the bed's target alone does not).
echo "${BERTH_VM_DEBIAN_DISK:-/dev/vdb} /srv/debian ext4 rw,nofail 0 0" >>/etc/fstab
mkdir -p /etc/systemd/system/berth-test.target.d "/etc/systemd/system/$UNIT.d"
printf '[Unit]\nWants=multi-user.target\n' >/etc/systemd/system/berth-test.target.d/reboot.conf
printf '[Unit]\nRequiresMountsFor=/berth/build /srv/debian\n' >"/etc/systemd/system/$UNIT.d/mounts.conf"
echo "M=$M" >"$REBOOT_NOTE"
KEEP_FOR_REBOOT=1
echo berth-vm-reboot
done_testing
