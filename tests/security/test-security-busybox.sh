#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A machine started with `berth run` in the default mode cannot get out: the escape probe
# (escape-probe.c) runs inside a busybox machine, and each of its probes is one TAP result. While the
# machine runs, the host checks that none of its processes has the host's uid 0 or user namespace, and
# that berth status / berth list --json report the UID base the probe saw. Last, with the user
# namespace turned off (--private-users=no), the probe must report escapes: the probes can fail.
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

escape_probe_setup
probe_args "$TREE" "$CACHE" "$TEST_TMP"

# --- the default mode, probed while the machine runs -----------------------------------------------
# The probe runs first; then the machine idles until it is terminated, so the host can look at it.
new_name
M=$NAME
MOUT=$TEST_TMP/$M.out
"$BERTH" run -D "$TREE" -M "$M" --bind-ro="$EPROBE:/probe" -- \
        sh -c "/probe $(printf '%q ' "${PROBE_ARGS[@]}"); echo probe-done; exec sleep 300" \
        >"$MOUT" 2>"$TEST_TMP/$M.err" </dev/null &
MPID=$!
BG_PIDS+=("$MPID")
wait_until "$TIMEOUT" eval "grep -qs '^probe-done\$' '$MOUT' || ! pid_running $MPID"
PROBE_OUT=$(grep -v '^probe-done$' "$MOUT")
if grep -q '^probe-done$' "$MOUT"; then
        pass "default run: the probe ran to the end"
else
        fail "default run: the probe ran to the end"
        diag "berth's stderr: $(cat "$TEST_TMP/$M.err")"
        diag "machine output: $PROBE_OUT"
fi

if pid_running "$MPID"; then
        PIDS=$(cgroup_pids "$M")
        # shellcheck disable=SC2086
        host_view_checks "default run" $PIDS
        BASE=$(probe_uid_base "$PROBE_OUT")
        if [ -n "$BASE" ]; then
                uid_reporting_checks "default run" "$M" "$BASE"
        else
                fail "default run: the probe reported a uid_map base"
        fi
        bx terminate "$M"
        is "$RC" 0 "default run: berth terminate succeeds"
        wait_exit_bounded 30 "$MPID"
        ok "$([ "$RC" != 124 ]; echo $?)" "default run: the monitor ends after berth terminate (status $RC)"
else
        fail "default run: the machine still runs after the probe"
fi
no_leftovers "$M" "default run: no state file, lock or cgroup is left"
probe_tap "default run" "$PROBE_OUT"

# --- --private-users=no: the probes can fail ---------------------------------------------------------
# With the user namespace off, root in the machine is root on the host: uid-map and remount-proc-sys
# (or at least one of them) must say ESCAPE, or the probes could not tell a good machine from a bad one.
mrun --private-users=no --bind-ro="$EPROBE:/probe" -- /probe uid-map remount-proc-sys umount-masks nested-userns
is "$RC" 0 "--private-users=no: the probe exits 0"
like "$OUT" "^ESCAPE (uid-map|remount-proc-sys):" \
        "--private-users=no: the probe reports an escape (uid-map or remount-proc-sys), so it can fail"
diag "--private-users=no: $(grep -c '^ESCAPE' <<<"$OUT") of 4 probes report ESCAPE"
no_leftovers "$NAME" "--private-users=no: nothing is left"

done_testing
