#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real distribution cannot get out either: the escape probe (escape-probe.c) runs in a Debian
# bookworm tree, once under `berth run` and once in the booted machine (systemd as PID 1) through
# `berth enter`; each of its probes is one TAP result per case. While the booted machine runs, the host
# checks that none of its processes has the host's uid 0 or user namespace, and that berth status /
# berth list --json report the UID base the probe saw.
. "$(dirname "$0")/../boot/lib.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

boot_copy debian-systemd
DEB=$COPY
escape_probe_setup
probe_args "$DEB" "$CACHE" "$TEST_TMP"

# --- berth run on the Debian tree ----------------------------------------------------------------------
RUN_TREE=$DEB mrun --bind-ro="$EPROBE:/probe" -- /probe "${PROBE_ARGS[@]}"
is "$RC" 0 "debian run: the probe exits 0"
[ "$RC" = 0 ] || diag "berth: $ERR"
probe_tap "debian run" "$OUT"
no_leftovers "$NAME" "debian run: nothing is left"

# --- the booted machine, probed through berth enter ------------------------------------------------------
new_name
M=$NAME
boot_bg "$M" "$DEB" --console=pipe --bind-ro="$EPROBE:/probe"
if wait_state "$M" running; then
        pass "debian boot: the machine reaches running"
        ebx "$M" /probe "${PROBE_ARGS[@]}"
        is "$RC" 0 "debian boot: berth enter runs the probe (exit 0)"
        [ "$RC" = 0 ] || diag "berth enter: $ERR"
        PROBE_OUT=$OUT

        PIDS=$(machine_pids "$M")
        # shellcheck disable=SC2086
        host_view_checks "debian boot" $PIDS
        BASE=$(probe_uid_base "$PROBE_OUT")
        if [ -n "$BASE" ]; then
                uid_reporting_checks "debian boot" "$M" "$BASE"
        else
                fail "debian boot: the probe reported a uid_map base"
        fi
        # What berth enter joins must be what the machine's init runs in.
        ebx "$M" cat /proc/1/uid_map
        is "$(tr -s ' \t' ' ' <<<"$OUT" | sed 's/^ //')" "$(tr -s ' \t' ' ' <"/proc/$(state_field "$M" LEADER)/uid_map" | sed 's/^ //')" \
                "debian boot: berth enter sees the uid map the host sees for the machine's init"

        bx poweroff "$M"
        is "$RC" 0 "debian boot: berth poweroff succeeds"
        monitor_wait "$BOOT_TIMEOUT"
        is "$RC" 0 "debian boot: the monitor exits 0 after poweroff"
        [ "$RC" = 0 ] || boot_diag "$M"
        # shellcheck disable=SC2086
        gone_after "$M" "debian boot" $PIDS
        probe_tap "debian boot" "$PROBE_OUT"
else
        fail "debian boot: the machine reaches running"
        diag "state: $(state_field "$M" STATE)"
        boot_diag "$M"
fi

done_testing
