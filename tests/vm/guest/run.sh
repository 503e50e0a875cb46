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
: >"$R/tap"
emit() {
        printf '%s\n' "$1" >>"$R/tap"
        printf '%s\n' "$1"
}

emit "# berth VM test bed: $(uname -r), $(systemctl --version | head -n 1), berth $BERTH"
if [ -n "${BERTH_VM_DEBIAN_DISK:-}" ]; then
        mkdir -p /srv/debian
        if mount -o rw "$BERTH_VM_DEBIAN_DISK" /srv/debian; then
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
        emit "# --- $name"
        plan='' ended='' failed_before=$FAILED
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
                elif [[ $line == \#* ]]; then
                        emit "$line"
                else
                        emit "# $line"
                fi
        done < <(
                cd /
                # One script that hangs must not take the others' results with it.
                timeout -k 10 "${BERTH_VM_SCRIPT_TIMEOUT:-600}" bash "$t" 2>"$R/$name.err" </dev/null
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
done

emit "1..$N"
[ "$FAILED" = 0 ]
echo $? >"$R/status"
sync
exit 0
