#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A machine's records while it runs (state file, lock, cgroup, berth list) and their removal: after a
# normal exit, after death by a signal, after the monitor is SIGKILLed (the next list/run cleans up),
# a name in use, and ten machines at once.
. "$(dirname "$0")/lib.sh"

[ -n "$CGROUP_ROOT" ] || bail_out "no cgroup2 mount on this host"
UUID=5d1c2a3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d
ROOT_REAL=$(realpath "$TREE")
HAVE_PY=0
python3 -c 'import json' 2>/dev/null && HAVE_PY=1

# json_get JSON NAME FIELD: FIELD of the object named NAME in `berth list --json` output ("<absent>"
# when there is no such machine, "<invalid>" when the JSON does not parse).
json_get() {
        python3 -c '
import json, sys
try:
    a = json.loads(sys.argv[1])
except Exception:
    print("<invalid>"); sys.exit()
for m in a:
    if m.get("name") == sys.argv[2]:
        print(m.get(sys.argv[3], "<no field>")); sys.exit()
print("<absent>")' "$1" "$2" "$3"
}

# --- while running ------------------------------------------------------------------------------------
new_name
M1=$NAME
machine_bg "$M1" --uuid=$UUID -- "(sleep 300 &) ; touch /run/sync/ready; $WAIT_GO; exit 3"
if ! wait_ready; then
        bail_out "the machine did not start: $(cat "$SYNC.err")"
fi
check "while running: the state file exists" test -f "$(state_file "$M1")"
check "while running: the lock file exists" test -e "$(lock_file "$M1")"
check "while running: the cgroup scope exists" test -d "$(scope_dir "$M1")"
check "while running: the scope has a payload child" test -d "$(scope_dir "$M1")/payload"

bx list
is "$RC" 0 "berth list succeeds"
like "$OUT" "^NAME +CLASS +STATE +LEADER +ROOT +SINCE +OS" "berth list has the documented columns NAME CLASS STATE LEADER ROOT SINCE OS"
like "$OUT" "^$M1 +container +running +[0-9]+ " "berth list shows the machine, running"
like "$OUT" "$ROOT_REAL" "berth list shows the tree"
like "$OUT" "^[0-9]+ machines? listed\.$" "berth list ends with a count"
leader=$(awk -v n="$M1" '$1 == n { print $4 }' <<<"$OUT")

bx list --no-legend
unlike "$OUT" "NAME|listed" "berth list --no-legend leaves out header and footer"
like "$OUT" "^$M1 " "berth list --no-legend shows the machine"

if [ "$HAVE_PY" = 1 ]; then
        bx list --json
        is "$RC" 0 "berth list --json succeeds"
        is "$(json_get "$OUT" "$M1" name)" "$M1" "--json: the machine is listed by name"
        is "$(json_get "$OUT" "$M1" class)" container "--json: class"
        is "$(json_get "$OUT" "$M1" leader)" "$leader" "--json: leader matches the table"
        is "$(json_get "$OUT" "$M1" monitor)" "$MPID" "--json: monitor is berth's PID"
        is "$(json_get "$OUT" "$M1" root)" "$ROOT_REAL" "--json: root is the tree"
        is "$(json_get "$OUT" "$M1" uuid)" "$UUID" "--json: uuid is the one given with --uuid"
        like "$(json_get "$OUT" "$M1" cgroup)" "machine\.slice/berth-$M1\.scope$" "--json: cgroup is the machine's scope"
        since=$(json_get "$OUT" "$M1" since_usec)
        now_usec=$(($(date +%s) * 1000000 + 1000000))
        ok "$([ "$since" -gt 1000000000000000 ] && [ "$since" -le "$now_usec" ]; echo $?)" "--json: since_usec is a plausible time"
else
        skip "berth list --json" "no python3 to parse JSON"
fi

if [ -n "$leader" ] && [ "$leader" -gt 0 ]; then
        is "$(cat "/proc/$leader/comm" 2>/dev/null)" berth "the leader is the reaper"
        is "$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$leader/status" | tr -s '\t ' ' ')" "$leader 1" \
                "the leader is PID 1 of the machine's PID namespace"
        like "$(cat "/proc/$leader/cgroup")" "^0::/machine\.slice/berth-$M1\.scope/payload$" \
                "the leader runs in machine.slice/berth-NAME.scope/payload"
        like "$(cat "$(scope_dir "$M1")/payload/cgroup.procs")" "^$leader$" "the payload cgroup holds the leader"
        n_procs=$(wc -l <"$(scope_dir "$M1")/payload/cgroup.procs")
        ok "$([ "$n_procs" -ge 3 ]; echo $?)" "the payload cgroup holds all machine processes ($n_procs)"
        is "$(cat "$(scope_dir "$M1")/cgroup.procs")" "" "no process sits directly in the scope"
        wait_until 5 grep -qx "$MPID" "$(scope_dir "$M1")/supervisor/cgroup.procs"
        like "$(cat /proc/$MPID/cgroup)" "^0::.*/berth-$M1.scope/supervisor\$" "the monitor moves into the scope's supervisor cgroup"
        unlike "$(cat "$(scope_dir "$M1")/payload/cgroup.procs")" "^$MPID\$" "... not in the machine's payload"
else
        fail "no leader found in berth list"
fi
machine_procs=$(cat "$(scope_dir "$M1")/payload/cgroup.procs" 2>/dev/null)

# --- normal exit --------------------------------------------------------------------------------------
touch "$SYNC/go"
machine_wait
is "$RC" 3 "the machine's exit status is passed on"
no_leftovers "$M1" "after a normal exit: no state file, lock or cgroup"
still=
for p in $machine_procs; do pid_running "$p" && still="$still $p"; done
is "$still" "" "after a normal exit: no machine process survives (an orphan sleep 300 included)"
bx list --no-legend
unlike "$OUT" "^$M1 " "after a normal exit: berth list no longer shows the machine"

# --- exit by a signal ---------------------------------------------------------------------------------
msh -- 'kill -KILL $$'
is "$RC" 137 "a command killed by SIGKILL: 137"
no_leftovers "$NAME" "after death by a signal: nothing left"
msh -- '(sleep 300 &); kill -SEGV $$'
is "$RC" 139 "a command killed by SIGSEGV: 139"
no_leftovers "$NAME" "after death by a signal with an orphan running: nothing left"

# --- the monitor is SIGKILLed -------------------------------------------------------------------------
O=$TEST_TMP/ovl
mkdir -p "$O/lower" "$O/upper"
kill_monitor_case() { # kill_monitor_case HOW(list|run)
        local how=$1 procs p still st
        new_name
        local name=$NAME
        scratch_before=$(ls -d /var/tmp/berth-overlay-* 2>/dev/null | sort)
        machine_bg "$name" --overlay="$O/lower::/run/throwaway" --overlay="$O/lower:$O/upper:/run/kept" -- \
                "(sleep 300 &); touch /run/sync/ready; $WAIT_GO"
        if ! wait_ready; then
                fail "($how) the machine did not start"
                diag "$(cat "$SYNC.err")"
                return
        fi
        procs=$(cat "$(scope_dir "$name")/payload/cgroup.procs")
        kill -KILL "$MPID"
        wait "$MPID" 2>/dev/null
        st=$?
        is "$st" 137 "($how) the monitor died of SIGKILL"
        still=
        wait_until 30 eval 'still=; for p in $procs; do pid_running $p && still="$still $p"; done; [ -z "$still" ]'
        is "$still" "" "($how) the machine's processes die with the monitor"
        check "($how) the state file is left behind at first" test -e "$(state_file "$name")"
        if [ "$how" = list ]; then
                bx list --no-legend
                is "$RC" 0 "($how) berth list succeeds"
                unlike "$OUT" "^$name " "($how) berth list does not show the dead machine"
        else
                new_name
                NAME=$name
                bx run -D "$TREE" -M "$name" -- echo reused
                is "$RC|$OUT" "0|reused" "($how) the name can be used again at once"
                like "$ERR" "[Cc]lean" "($how) berth says it cleaned up after the killed monitor"
        fi
        no_leftovers "$name" "($how) afterwards no state file, lock or cgroup is left"
        is "$(ls -d /var/tmp/berth-overlay-* 2>/dev/null | sort)" "$scratch_before" \
                "($how) the throwaway overlay's scratch directory is removed"
        is "$(ls -A "$O" | tr '\n' ' ')" "lower upper " "($how) the overlay work directory beside UPPER is removed"
}
kill_monitor_case list
kill_monitor_case run

# --- a name in use ------------------------------------------------------------------------------------
new_name
M2=$NAME
machine_bg "$M2" -- "touch /run/sync/ready; $WAIT_GO; exit 0"
if wait_ready; then
        bx run -D "$TREE" -M "$M2" -- echo second
        is "$RC" 75 "a second machine with a name in use fails with 75"
        like "$ERR" "$M2" "... and the message names the machine"
        unlike "$OUT" "second" "... and the second command does not run"
        check "the first machine keeps its state file" test -f "$(state_file "$M2")"
        check "the first machine keeps its cgroup" test -d "$(scope_dir "$M2")"
        check "the first machine keeps running" pid_running "$MPID"
        bx list --no-legend
        like "$OUT" "^$M2 " "the first machine is still listed"
        # With -D pointing at a tree of the same base name but no -M: the name comes from the tree.
        touch "$SYNC/go"
        machine_wait
        is "$RC" 0 "the first machine ends normally"
        no_leftovers "$M2" "... and leaves nothing"
else
        fail "the first machine did not start"
fi

# --- five starts with one name at the same moment: exactly one wins ----------------------------------
new_name
SAME=$NAME
SS=$TEST_TMP/same
mkdir -p "$SS"
spids=()
for i in 1 2 3 4 5; do
        "$BERTH" run -q -D "$TREE" -M "$SAME" --bind="$SS:/run/sync" -- sh -c "touch /run/sync/ready-$i; $WAIT_GO" \
                >/dev/null 2>"$SS.err-$i" </dev/null &
        spids+=("$!")
        BG_PIDS+=("$!")
done
# Wait until one runs and the other four have given up.
wait_until 60 eval '[ "$(ls "$SS" | grep -c ready-)" -ge 1 ] && [ "$(n=0; for p in ${spids[*]}; do pid_running $p && n=$((n+1)); done; echo $n)" -le 1 ]'
sleep 0.2
touch "$SS/go"
codes=
for p in "${spids[@]}"; do
        machine_wait "$p"
        codes="$codes $RC"
done
is "$(tr ' ' '\n' <<<"$codes" | sort | tr '\n' ' ')" " 0 75 75 75 75 " "five simultaneous starts with one name: one runs, four get 75"
is "$(ls "$SS" | grep -c ready-)" 1 "... and only one machine ever ran"
no_leftovers "$SAME" "... and nothing is left"

# --- ten at once --------------------------------------------------------------------------------------
SH=$TEST_TMP/shared
mkdir -p "$SH"
pids=()
names=()
for i in 0 1 2 3 4 5 6 7 8 9; do
        new_name
        names+=("$NAME")
        "$BERTH" run -q -D "$TREE" -M "$NAME" --bind="$SH:/run/sync" -- \
                sh -c "touch /run/sync/ready-$i; $WAIT_GO; echo \"\$(hostname) \$\$\"; exit $i" \
                >"$SH.out-$i" 2>"$SH.err-$i" </dev/null &
        pids+=("$!")
        BG_PIDS+=("$!")
done
wait_until 60 eval '[ "$(ls "$SH" | grep -c ready-)" -eq 10 ]'
is "$(ls "$SH" | grep -c ready-)" 10 "ten machines start at once"
bx list --no-legend
is "$(grep -c "^$NAME_PREFIX-" <<<"$OUT" | tr -d ' ')" "$((10 + 0))" "berth list shows all ten"
touch "$SH/go"
bad=
for i in 0 1 2 3 4 5 6 7 8 9; do
        machine_wait "${pids[$i]}"
        [ "$RC" = "$i" ] || bad="$bad $i:rc=$RC"
        [ "$(cat "$SH.out-$i")" = "${names[$i]} 2" ] || bad="$bad $i:out=$(cat "$SH.out-$i")"
done
is "$bad" "" "all ten succeed with their own status and host name"
left=
for n in "${names[@]}"; do left="$left$(leftovers "$n")"; done
is "$left" "" "the ten machines leave nothing behind"

# --- many quick starts, four at a time ----------------------------------------------------------------
# Each start must succeed however the setup's steps interleave (the monitor, the outer child and the
# machine's PID 1 all report over one socket).
for j in 1 2 3 4; do
        (
                for i in $(seq 1 250); do
                        timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$TREE" -M "$NAME_PREFIX-q$j-$i" -- true </dev/null >/dev/null 2>"$TEST_TMP/q.err.$j.$i"
                        st=$?
                        [ "$st" = 0 ] && rm -f "$TEST_TMP/q.err.$j.$i" || echo "rc=$st $(cat "$TEST_TMP/q.err.$j.$i")"
                done
        ) >"$TEST_TMP/q.out.$j" &
        BG_PIDS+=("$!")
done
# berth list running all the while (it collects stale records) must neither fail nor disturb them.
(
        while [ ! -e "$TEST_TMP/q.stop" ]; do
                "$BERTH" list --no-legend >/dev/null 2>"$TEST_TMP/l.err" || echo "list rc=$? $(cat "$TEST_TMP/l.err")"
        done
) >"$TEST_TMP/l.out" &
lister=$!
BG_PIDS+=("$lister")
for p in "${BG_PIDS[@]}"; do
        [ "$p" = "$lister" ] || wait "$p" 2>/dev/null
done
touch "$TEST_TMP/q.stop"
wait "$lister"
is "$(sort "$TEST_TMP/l.out" | uniq -c)" "" "berth list run alongside never fails"
q_fail=$(cat "$TEST_TMP"/q.out.* | sort | uniq -c | sed 's/^ *//')
is "$q_fail" "" "1000 quick starts (four at a time) all succeed"
q_left=$(ls "$STATE_DIR/machines" "$STATE_DIR/locks" "$CGROUP_ROOT/machine.slice" 2>/dev/null | grep -c -- "$NAME_PREFIX-q")
is "$q_left" 0 "... and leave nothing behind"

# --- berth list options -------------------------------------------------------------------------------
bx list --bogus
is "$RC" 64 "berth list --bogus is a usage error (64)"
bx list extra-arg
is "$RC" 64 "berth list with an argument is a usage error (64)"
if [ "$HAVE_PY" = 1 ]; then
        bx list --json
        ok "$(python3 -c 'import json,sys; a = json.loads(sys.argv[1]); sys.exit(not isinstance(a, list))' "$OUT"; echo $?)" \
                "berth list --json prints a JSON array"
fi

# Nothing of this script is left in berth's state.
is "$(ls "$STATE_DIR/machines" "$STATE_DIR/locks" 2>/dev/null | grep -c "$NAME_PREFIX-")" 0 \
        "no state or lock file of this script's machines remains"
is "$(ls "$CGROUP_ROOT/machine.slice" 2>/dev/null | grep -c "berth-$NAME_PREFIX-")" 0 \
        "no cgroup of this script's machines remains"

done_testing
