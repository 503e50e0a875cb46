#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bed itself and berth's basics on a systemd host with a pure cgroup v2 hierarchy: systemd is
# PID 1, /sys/fs/cgroup is cgroup2 with the controllers limits need, the shared berth runs, a busybox
# command runs, and a Debian tree boots with `berth boot`, reaches "running", manages its own units in
# its delegated subtree, and leaves no cgroup behind when it powers off.
. "$(dirname "$0")/lib.sh"

# --- the guest ----------------------------------------------------------------------------------------
is "$(cat /proc/1/comm)" systemd "PID 1 is systemd"
is "$(stat -f -c %T /sys/fs/cgroup)" cgroup2fs "/sys/fs/cgroup is cgroup2"
unlike "$(awk '$3 == "cgroup" { print $2 }' /proc/mounts)" . "no cgroup v1 hierarchy is mounted"
CONTROLLERS=" $(cat /sys/fs/cgroup/cgroup.controllers) "
for c in cpu memory pids io cpuset; do
        like "$CONTROLLERS" " $c " "cgroup.controllers has $c"
done

# --- berth runs -------------------------------------------------------------------------------------
bx --version
is "$RC" 0 "berth --version exits 0"
like "$OUT" "^berth [0-9]" "berth --version prints berth's version"

mrun /bin/true
is "$RC" 0 "berth run -D <busybox tree> /bin/true exits 0"
[ "$RC" = 0 ] || diag "stderr: $ERR"
no_leftovers "$NAME" "berth run: nothing of the machine is left"

# --- a Debian tree boots ----------------------------------------------------------------------------
D="berth boot of a Debian tree"
if need_debian "$D: running" "$D: systemctl is-system-running" "$D: systemd manages its delegated subtree" \
        "$D: poweroff" "$D: no berth-*.scope is left"; then
        new_name
        M=$NAME
        boot_bg "$M" "$VM_DEBIAN" --console=passive
        if wait_state "$M" running 120; then
                pass "$D: the state becomes running (READY=1)"
                ebx "$M" systemctl is-system-running --wait
                if [ "$OUT" = running ]; then
                        pass "$D: systemctl is-system-running --wait prints running"
                else
                        fail "$D: systemctl is-system-running --wait prints running"
                        diag "got '$OUT' (status $RC) $ERR"
                        ebx "$M" systemctl --failed --no-pager
                        diag "systemctl --failed: $OUT"
                fi
                # Its journald runs in a cgroup systemd made below the machine's own, which is what
                # the guest's cgroup tree shows for it (the scope's payload is the machine's root).
                ebx "$M" systemctl show -P ControlGroup systemd-journald.service
                JCG=$OUT
                is "$JCG" /system.slice/systemd-journald.service "$D: inside, journald's cgroup is /system.slice/systemd-journald.service"
                S=$(scope_of "$M")
                P="$S/payload$JCG"
                # (cgroup files have no size: -s cannot tell an empty one.)
                ok "$([ -n "$S" ] && [ -n "$(cat "$P/cgroup.procs" 2>/dev/null)" ]; echo $?)" \
                        "$D: the guest's hierarchy has that cgroup, with journald in it, in the machine's scope"
                [ -n "$(cat "$P/cgroup.procs" 2>/dev/null)" ] || diag "scope '$S'; tree: $(find "$S" -maxdepth 3 -type d 2>/dev/null | head -n 20)"
                ebx "$M" systemd-cgls --no-pager
                like "$OUT" "system\.slice" "$D: systemd-cgls inside shows its system.slice"
                like "$OUT" "init\.scope" "$D: systemd-cgls inside shows its init.scope"
                [ "$RC" = 0 ] || diag "systemd-cgls: status $RC: $ERR"
                PIDS=$(machine_pids "$M")
                bx poweroff "$M"
                is "$RC" 0 "$D: berth poweroff succeeds"
                monitor_wait 120
                is "$RC" 0 "$D: the monitor exits 0 after poweroff"
                [ "$RC" = 0 ] || boot_diag "$M"
                # shellcheck disable=SC2086
                gone_after "$M" "$D: after poweroff" $PIDS
        else
                fail "$D: the state becomes running (READY=1)"
                diag "state: $(state_field "$M" STATE)"
                boot_diag "$M"
        fi
        is "$(berth_scopes)" "" "$D: no berth-*.scope is left anywhere under /sys/fs/cgroup"
fi

done_testing
