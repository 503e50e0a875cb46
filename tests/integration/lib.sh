# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Shared helpers for the integration tests. Each test script sources this file, then calls the
# assertion helpers below; they print TAP ("ok N - desc", "not ok N - desc", "# SKIP", and the plan
# "1..N" at the end from done_testing).
#
# Environment:
#   BERTH              the berth binary (required; meson sets it)
#   BERTH_STATE_DIR    berth's state directory (default /run/berth; meson passes the configured one)
#   BERTH_TEST_CACHE   where the busybox tree and the probe helper are kept (default /var/tmp/berth-test-cache)
#   BERTH_TEST_TIMEOUT seconds before a single berth invocation is given up on (default 60)

set -u
set -o pipefail

TAP_N=0
TAP_FAILED=0
BG_PIDS=()

if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP not root"
        exit 0
fi

BERTH=${BERTH:?set BERTH to the berth binary}
BERTH=$(realpath "$BERTH")
STATE_DIR=${BERTH_STATE_DIR:-/run/berth}
CACHE=${BERTH_TEST_CACHE:-/var/tmp/berth-test-cache}
TIMEOUT=${BERTH_TEST_TIMEOUT:-60}
INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_ROOT=$(cd "$INTEG_DIR/../.." && pwd)
PTY_RUN=$INTEG_DIR/pty-run.py
TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test-}
# Machine names of this script: a prefix no other script (or run) shares.
NAME_PREFIX="bt-${TEST_NAME:0:10}-$$"
NAME_SEQ=0

mkdir -p "$CACHE"
TEST_TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/berth-it-$TEST_NAME.XXXXXX")

# ---------------------------------------------------------------------------------------------------
# TAP

diag() {
        local l
        while IFS= read -r l; do
                printf '# %s\n' "$l"
        done <<<"$*"
}

# With TODO set, results are reported as TAP TODO: a known gap, shown but not counted as a failure.
pass() {
        TAP_N=$((TAP_N + 1))
        echo "ok $TAP_N - $*${TODO:+ # TODO $TODO}"
}

fail() {
        TAP_N=$((TAP_N + 1))
        [ -n "${TODO:-}" ] || TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_N - $*${TODO:+ # TODO $TODO}"
}

skip() { # skip DESC REASON
        TAP_N=$((TAP_N + 1))
        echo "ok $TAP_N - $1 # SKIP ${2:-}"
}

# ok STATUS DESC: passes when STATUS is 0 (use as `ok $? "desc"` or `cond; ok $? desc`)
ok() {
        local st=$1
        shift
        if [ "$st" -eq 0 ]; then pass "$*"; else fail "$*"; fi
        return "$st"
}

# check DESC CMD...: passes when CMD succeeds
check() {
        local desc=$1
        shift
        if "$@"; then
                pass "$desc"
        else
                fail "$desc"
                diag "command failed: $*"
                return 1
        fi
}

# is GOT EXPECTED DESC
is() {
        if [ "$1" == "$2" ]; then
                pass "$3"
        else
                fail "$3"
                diag "expected: '$2'"
                diag "got:      '$1'"
                return 1
        fi
}

# isnt GOT UNEXPECTED DESC
isnt() {
        if [ "$1" != "$2" ]; then
                pass "$3"
        else
                fail "$3"
                diag "got the unwanted value '$1'"
                return 1
        fi
}

# like GOT ERE DESC / unlike GOT ERE DESC
like() {
        if grep -Eq -- "$2" <<<"$1"; then
                pass "$3"
        else
                fail "$3"
                diag "expected a match for /$2/ in:"
                diag "$1"
                return 1
        fi
}

unlike() {
        if ! grep -Eq -- "$2" <<<"$1"; then
                pass "$3"
        else
                fail "$3"
                diag "expected no match for /$2/ in:"
                diag "$1"
                return 1
        fi
}

done_testing() {
        # Tests must not change the shared tree (mount points for --bind etc. go to copies or tmpfs).
        is "$(tree_listing)" "$TREE_LISTING" "the shared busybox tree is unchanged"
        is "$SETUP_RACES" 0 "no start failed with 'the machine's setup did not report its leader' (berth race)"
        echo "1..$TAP_N"
        # The TAP lines carry the verdict (meson reports an exit status != 0 as ERROR, not FAIL).
        [ "$TAP_FAILED" -eq 0 ] || echo "# $TAP_FAILED of $TAP_N failed" >&2
        exit 0
}

bail_out() {
        echo "Bail out! $*"
        exit 1
}

# ---------------------------------------------------------------------------------------------------
# Cleanup: only processes this script started (BG_PIDS), only its own temporary files, and the
# records of its own machines (by running `berth list`, which collects those of killed monitors).

CLEANUP_CMDS=()
# at_exit CMD: a shell command for the cleanup (for host objects a test made, e.g. a loop device).
at_exit() {
        CLEANUP_CMDS+=("$1")
}

cleanup() {
        local p c
        for p in "${BG_PIDS[@]}"; do
                if kill -0 "$p" 2>/dev/null; then
                        kill -KILL "$p" 2>/dev/null
                fi
        done
        for p in "${BG_PIDS[@]}"; do
                wait "$p" 2>/dev/null
        done
        for c in "${CLEANUP_CMDS[@]}"; do
                eval "$c" >/dev/null 2>&1
        done
        "$BERTH" list >/dev/null 2>&1
        # The UID range registry outlives machines by design: release the blocks of this script's names.
        for c in /var/lib/berth/uid-ranges/*; do
                case "$(readlink "$c" 2>/dev/null)" in "$NAME_PREFIX"*) rm -f "$c" ;; esac
        done
        rm -rf "$TEST_TMP" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# bg VAR CMD...: start CMD in the background (stdin from /dev/null), remember its PID for the
# cleanup and store it in VAR.
bg() {
        local __var=$1
        shift
        "$@" </dev/null &
        BG_PIDS+=("$!")
        printf -v "$__var" '%s' "$!"
}

# wait_until SECONDS CMD...: poll CMD every 50ms until it succeeds; fails after SECONDS.
wait_until() {
        local limit=$1 i=0
        shift
        while ! "$@"; do
                i=$((i + 1))
                [ "$i" -ge $((limit * 20)) ] && return 1
                sleep 0.05
        done
        return 0
}

# wait_pid_gone SECONDS PID: PID must be one we started (it is reaped by `wait`).
wait_pid_gone() {
        wait_until "$1" eval "! kill -0 $2 2>/dev/null"
}

# ---------------------------------------------------------------------------------------------------
# The tree and berth

TREE=$("$SRC_ROOT/tests/lib/make-busybox-tree.sh" "$CACHE/busybox") || {
        st=$?
        if [ "$st" -eq 77 ]; then
                echo "1..0 # SKIP no busybox-static on this host"
                exit 0
        fi
        bail_out "cannot build the busybox tree"
}

tree_listing() {
        find "$TREE" -maxdepth 2 -not -type l | sort | tr '\n' ' '
}
TREE_LISTING=$(tree_listing)

# The host's cgroup2 mount: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one.
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
        CGROUP_ROOT=/sys/fs/cgroup
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        CGROUP_ROOT=/sys/fs/cgroup/unified
else
        CGROUP_ROOT=
fi

# new_name: a fresh machine name of this script, in NAME (not a subshell function: it counts).
new_name() {
        NAME_SEQ=$((NAME_SEQ + 1))
        NAME="$NAME_PREFIX-$NAME_SEQ"
}

state_file() { echo "$STATE_DIR/machines/$1"; }
lock_file() { echo "$STATE_DIR/locks/machine-$1"; }
scope_dir() { echo "$CGROUP_ROOT/machine.slice/berth-$1.scope"; }

# bx ARGS...: run berth with ARGS, stdin from /dev/null (so the console defaults to pipe), and keep
# stdout in OUT, stderr in ERR and the exit status in RC.
#
# A start that fails with "the machine's setup did not report its leader" (70) is a known race in berth
# (see test-lifecycle's quick-start test). It is unrelated to what most tests check, so such a start is
# retried once, and done_testing then reports one failure for the race instead of a misleading one.
SETUP_RACES=0
setup_race() { # setup_race RC ERRTEXT: counts and reports the race; true when it was the race
        if [ "$1" = 70 ] && grep -q "did not report its leader" <<<"$2"; then
                SETUP_RACES=$((SETUP_RACES + 1))
                diag "berth hit the setup race (retrying): $2"
                return 0
        fi
        return 1
}
bx() {
        local try
        for try in 1 2; do
                timeout -k 10 "$TIMEOUT" "$BERTH" "$@" >"$TEST_TMP/.out" 2>"$TEST_TMP/.err" </dev/null
                RC=$?
                OUT=$(cat "$TEST_TMP/.out")
                ERR=$(cat "$TEST_TMP/.err")
                [ "$try" = 1 ] && setup_race "$RC" "$ERR" && continue
                break
        done
        return 0
}

# mrun [RUN OPTIONS] [--] CMD...: `berth run` of the busybox tree (or $RUN_TREE) under a fresh machine name (in
# NAME). Results in OUT, ERR, RC as with bx.
mrun() {
        new_name
        bx run -D "${RUN_TREE:-$TREE}" -M "$NAME" "$@"
}

# msh [RUN OPTIONS] -- SCRIPT: mrun with `sh -c SCRIPT`; everything before `--` goes to berth.
msh() {
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                opts+=("$1")
                shift
        done
        shift
        mrun "${opts[@]}" -- sh -c "$1"
}

# leftovers NAME: prints what machine NAME left behind (nothing when clean).
leftovers() {
        local f
        for f in "$(state_file "$1")" "$(lock_file "$1")"; do
                [ -e "$f" ] && echo "$f"
        done
        if [ -n "$CGROUP_ROOT" ] && [ -e "$(scope_dir "$1")" ]; then
                scope_dir "$1"
        fi
        return 0
}

# no_leftovers NAME DESC
no_leftovers() {
        is "$(leftovers "$1")" "" "$2"
}

# A copy of the tree that a test may change.
copy_tree() {
        local d
        d=$(mktemp -d "$TEST_TMP/tree.XXXXXX")
        cp -a "$TREE/." "$d/"
        echo "$d"
}

# probe_path [SOURCE]: a static helper built from SOURCE (default: probe.c here), once per source
# version, into the cache. Prints its path, or nothing when there is no C compiler or no static libc.
probe_path() {
        local src=${1:-$INTEG_DIR/probe.c} sum out
        sum=$(sha256sum "$src" | cut -c1-16)
        out="$CACHE/$(basename "$src" .c)-$sum"
        if [ ! -x "$out" ]; then
                command -v cc >/dev/null 2>&1 || return 0
                cc -static -O2 -o "$out.tmp.$$" "$src" 2>"$TEST_TMP/.cc-err" || {
                        # stderr: the caller reads the path from stdout
                        diag "cannot build $src: $(cat "$TEST_TMP/.cc-err")" >&2
                        rm -f "$out.tmp.$$"
                        return 0
                }
                mv "$out.tmp.$$" "$out"
        fi
        echo "$out"
}

# ns_inode PATH: the inode number of a namespace link (e.g. /proc/self/ns/mnt -> mnt:[4026531841])
ns_inode() {
        readlink "$1" | sed 's/.*\[\([0-9]*\)\]/\1/'
}

# pid_running PID: true while PID exists and is not a zombie.
pid_running() {
        local st
        st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
        [ -n "$st" ] && [ "$st" != Z ]
}

# A shell snippet for machine scripts: wait (at most about a minute) until the host creates /run/sync/go.
WAIT_GO='i=0; while [ ! -e /run/sync/go ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done'

# machine_bg NAME [RUN OPTIONS] -- SCRIPT: start `berth run ... sh -c SCRIPT` in the background with
# a fresh host directory (SYNC) bound at /run/sync for signalling. The machine's stdout and stderr go to
# $SYNC.out and $SYNC.err. Sets MPID to berth's PID. Stop it with machine_wait.
machine_bg() {
        local name=$1 opts=()
        shift
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                opts+=("$1")
                shift
        done
        shift
        SYNC=$TEST_TMP/sync-$name
        mkdir -p "$SYNC"
        "$BERTH" run -D "$TREE" -M "$name" --bind="$SYNC:/run/sync" "${opts[@]}" -- sh -c "$1" \
                >"$SYNC.out" 2>"$SYNC.err" </dev/null &
        MPID=$!
        BG_PIDS+=("$MPID")
}

# wait_ready [SECONDS]: wait until the machine started by machine_bg created /run/sync/ready.
wait_ready() {
        wait_until "${1:-30}" test -e "$SYNC/ready"
}

# machine_wait [PID]: wait (bounded) for the berth started by machine_bg to end; its exit status
# goes to RC (124 when it had to be killed).
machine_wait() {
        wait_exit_bounded "$TIMEOUT" "${1:-$MPID}"
}

# wait_exit_bounded SECONDS PID: wait for PID (ours) to end; its exit status goes to RC, or 124 after
# SECONDS, when it is SIGKILLed. Returns 1 on timeout.
wait_exit_bounded() {
        local limit=$1 pid=$2
        if ! wait_until "$limit" pid_running_not "$pid"; then
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                RC=124
                return 1
        fi
        wait "$pid"
        RC=$?
        return 0
}
pid_running_not() { ! pid_running "$1"; }
