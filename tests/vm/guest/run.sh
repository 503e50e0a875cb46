#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs in the test guest (berth-test.service, systemd as PID 1): every tests/vm/guest/test-*.sh in
# turn (test-smoke.sh first), as one TAP stream numbered across the scripts ("ok 7 - resources:
# ..."), written to /berth/result/tap as it comes and to the console; then the verdict to
# /berth/result/status (0 when nothing failed, 1 otherwise). The service powers the guest off when this script ends.
#
# /berth/result/vm.env (from the host's vm-test.sh) sets BERTH, BERTH_STATE_DIR, BERTH_VM_HELPERS,
# BERTH_VM_DEBIAN_DISK (the Debian tree's disk, when there is one: mounted here at /srv/debian) and
# BERTH_VM_TESTS (names of the scripts to run, e.g. "smoke"; empty: all).
# Each script's stderr goes to /berth/result/NAME.err; the end of it is shown when the script fails.
# A script still running after BERTH_VM_SCRIPT_TIMEOUT seconds (default 600) is killed (status 124).
#
# Rebooting the guest: a script that prints the line `berth-vm-reboot` asks for it. When the script has
# ended, the counts and the script's name go to /berth/result/resume, and the guest reboots (the disk
# keeps its changes: qemu's snapshot lives as long as qemu). The next boot runs this again, which
# runs that script once more with BERTH_VM_AFTER_REBOOT=1 and then the scripts after it. Any other
# second boot (a kernel panic, a crash) is reported as a failure and ends the run.
set -u
R=${BERTH_VM_RESULT:-/berth/result}
GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# (What is set already wins: BERTH_VM_TESTS=smoke run.sh in the bed's debug shell.)
while IFS='=' read -r k v; do
        case $k in
        [A-Z]*) [ -n "${!k:-}" ] || export "$k=$v" ;;
        esac
done <"$R/vm.env"
export SRC_ROOT=${SRC_ROOT:-$(cd "$GUEST_DIR/../../.." && pwd)}
export BERTH_TEST_CACHE=${BERTH_TEST_CACHE:-/var/tmp/berth-test-cache}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

N=0
FAILED=0
RESUME=
emit() {
        printf '%s\n' "$1" >>"$R/tap"
        printf '%s\n' "$1"
}
boots=$(($(cat "$R/boots" 2>/dev/null || echo 0) + 1))
echo "$boots" >"$R/boots"
if [ -f "$R/resume" ]; then
        # shellcheck source=/dev/null
        . "$R/resume" # N, FAILED, RESUME
        rm -f "$R/resume"
        emit "# --- the guest rebooted (boot $boots), as $RESUME asked"
elif [ "$boots" -gt 1 ]; then
        N=$(grep -Ec '^(not )?ok ' "$R/tap")
        emit "not ok $((N + 1)) - the guest rebooted without a test asking for it (boot $boots)"
        emit "1..$((N + 1))"
        echo 1 >"$R/status"
        sync
        exit 0
else
        : >"$R/tap"
fi

emit "# berth VM test bed: $(uname -r), $(systemctl --version | head -n 1), berth $BERTH"
if [ -n "${BERTH_VM_DEBIAN_DISK:-}" ]; then
        mkdir -p /srv/debian
        # After a reboot the guest's fstab may mount it already (for machines started at boot).
        if mountpoint -q /srv/debian || mount -o rw "$BERTH_VM_DEBIAN_DISK" /srv/debian; then
                export BERTH_VM_DEBIAN=/srv/debian
        else
                emit "# cannot mount the Debian tree's disk $BERTH_VM_DEBIAN_DISK: its tests skip"
        fi
fi

wanted() {
        [ -z "${BERTH_VM_TESTS:-}" ] && return 0
        local w
        for w in $BERTH_VM_TESTS; do
                [ "$w" = "$1" ] && return 0
        done
        return 1
}

# BERTH_VM_BENCH=NAME: run tests/bench/NAME in the guest instead of the tests; its report comes back
# as TAP comments, and one line says whether it ran.
if [ -n "${BERTH_VM_BENCH:-}" ]; then
        while IFS= read -r line; do
                emit "# $line"
        done < <(cd / && timeout -k 10 "${BERTH_VM_SCRIPT_TIMEOUT:-600}" "$SRC_ROOT/tests/bench/$BERTH_VM_BENCH" 2>&1
                echo "bench exit status $?")
        if grep -q "^# bench exit status 0$" "$R/tap"; then
                emit "ok 1 - bench $BERTH_VM_BENCH ran in the guest"
        else
                emit "not ok 1 - bench $BERTH_VM_BENCH ran in the guest"
        fi
        emit "1..1"
        grep -q "^ok 1 " "$R/tap"
        echo $? >"$R/status"
        sync
        exit 0
fi

# The bed's own checks first: when they fail, the rest says little.
scripts=("$GUEST_DIR"/test-smoke.sh)
for t in "$GUEST_DIR"/test-*.sh; do
        [ "$t" = "$GUEST_DIR/test-smoke.sh" ] || scripts+=("$t")
done
for t in "${scripts[@]}"; do
        name=$(basename "$t" .sh)
        name=${name#test-}
        wanted "$name" || continue
        after_reboot=
        if [ -n "$RESUME" ]; then
                [ "$name" = "$RESUME" ] || continue # ran before the reboot
                RESUME='' after_reboot=1
        fi
        emit "# --- $name${after_reboot:+ (after the reboot)}"
        plan='' ended='' failed_before=$FAILED reboot=''
        while IFS= read -r line; do
                if [[ $line =~ ^(not\ )?ok\ [0-9]+(\ -)?\ ?(.*)$ ]]; then
                        N=$((N + 1))
                        rest=${BASH_REMATCH[3]}
                        if [ -n "${BASH_REMATCH[1]}" ]; then
                                grep -Eiq '#[[:space:]]*TODO' <<<"$rest" || FAILED=$((FAILED + 1))
                                emit "not ok $N - $name: $rest"
                        else
                                emit "ok $N - $name: $rest"
                        fi
                elif [[ $line =~ ^1\.\.0\ *#\ *[Ss][Kk][Ii][Pp]\ *(.*)$ ]]; then
                        plan=0
                        N=$((N + 1))
                        emit "ok $N - $name # SKIP ${BASH_REMATCH[1]}"
                elif [[ $line =~ ^1\.\.([0-9]+) ]]; then
                        plan=${BASH_REMATCH[1]}
                elif [[ $line =~ ^Bail\ out!\ *(.*)$ ]]; then
                        N=$((N + 1))
                        FAILED=$((FAILED + 1))
                        emit "not ok $N - $name: bailed out: ${BASH_REMATCH[1]}"
                        plan=bail
                elif [[ $line =~ ^berth-vm-script-exit\ ([0-9]+)$ ]]; then
                        ended=${BASH_REMATCH[1]}
                elif [ "$line" = berth-vm-reboot ] && [ -z "$after_reboot" ]; then
                        reboot=1
                elif [[ $line == \#* ]]; then
                        emit "$line"
                else
                        emit "# $line"
                fi
        done < <(
                cd /
                # One script that hangs must not take the others' results with it.
                BERTH_VM_AFTER_REBOOT=$after_reboot \
                        timeout -k 10 "${BERTH_VM_SCRIPT_TIMEOUT:-600}" bash "$t" 2>>"$R/$name.err" </dev/null
                echo "berth-vm-script-exit $?"
        )
        if [ -z "$plan" ]; then
                N=$((N + 1))
                FAILED=$((FAILED + 1))
                emit "not ok $N - $name: ended without a plan (exit status ${ended:-?})"
        fi
        if [ "$FAILED" != "$failed_before" ] && [ -s "$R/$name.err" ]; then
                emit "# $name: the end of its stderr:"
                while IFS= read -r line; do
                        emit "#   $line"
                done < <(tail -n 15 "$R/$name.err")
        fi
        if [ -n "$reboot" ]; then
                printf 'N=%s\nFAILED=%s\nRESUME=%s\n' "$N" "$FAILED" "$name" >"$R/resume"
                sync
                # At once, as the service's poweroff-immediate would: stopping this service would
                # count as its failure. What the test changed is on the disk: synced above.
                systemctl reboot -ff
                exit 0
        fi
done

emit "1..$N"
[ "$FAILED" = 0 ]
echo $? >"$R/status"
sync
exit 0
