#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What a running machine uses and freezing it: berth stats (table, --json with its exact fields and
# types, --watch), berth freeze/thaw (a counter in the machine stops and goes on), status while frozen,
# poweroff and terminate of a frozen machine, enter refused while frozen, and the not-found errors.
# Figures a host does not account (no memory controller on a hybrid host) must be null exactly when
# their file is missing in the machine's scope.
. "$(dirname "$0")/lib.sh"

[ -n "$CGROUP_ROOT" ] || bail_out "no cgroup2 mount on this host"
HAVE_PY=0
python3 -c 'import json' 2>/dev/null && HAVE_PY=1

# The machine: a counter it rewrites every 0.1s, and a loop that spins while /run/sync/burn exists.
COUNTER_SCRIPT='(while [ ! -e /run/sync/go ]; do [ -e /run/sync/burn ] || sleep 0.1; done) &
i=0; touch /run/sync/ready
while [ ! -e /run/sync/go ]; do i=$((i+1)); echo $i >/run/sync/counter.tmp; mv /run/sync/counter.tmp /run/sync/counter; sleep 0.1; done'

# json_stats JSON NAME FIELD: FIELD of machine NAME in `berth stats --json` output ("<absent>",
# "<invalid>"; null prints as None).
json_stats() {
        python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except Exception:
    print("<invalid>"); sys.exit()
for m in d.get("machines", []):
    if m.get("name") == sys.argv[2]:
        print(m.get(sys.argv[3], "<no field>")); sys.exit()
print("<absent>")' "$1" "$2" "$3"
}

counter() { cat "$SYNC/counter" 2>/dev/null; }

new_name
M=$NAME
machine_bg "$M" -- "$COUNTER_SCRIPT"
wait_ready || bail_out "the machine did not start: $(cat "$SYNC.err")"
MSYNC=$SYNC
MMPID=$MPID
SCOPE=$(scope_dir "$M")

# --- the table ----------------------------------------------------------------------------------------
bx stats "$M"
is "$RC" 0 "berth stats NAME succeeds"
like "$OUT" "^NAME +CPU +CPU% +MEMORY +PEAK +PIDS +IO-READ +IO-WRITE +OOM +STATE$" \
        "berth stats has the columns NAME CPU CPU% MEMORY PEAK PIDS IO-READ IO-WRITE OOM STATE"
like "$OUT" "^$M +[0-9.]+(us|ms|s|min [0-9]+s) +[0-9]+\.[0-9] .* running$" \
        "berth stats shows the machine's row: CPU time, CPU%, running"
if [ -e "$SCOPE/memory.current" ]; then
        like "$OUT" "^$M +[^ ]+ +[^ ]+ +[0-9.]+[BKMG] " "MEMORY is a size where the host accounts memory"
else
        like "$OUT" "^$M +[^ ]+ +[^ ]+ +- +- " "MEMORY and PEAK are '-' where the host does not account memory"
fi
bx stats
like "$OUT" "^$M " "berth stats without names shows every running machine, this one too"
bx stats --no-legend "$M"
unlike "$OUT" "NAME" "--no-legend leaves out the header"
like "$OUT" "^$M " "--no-legend shows the row"

# --- --json -------------------------------------------------------------------------------------------
if [ "$HAVE_PY" = 1 ]; then
        bx stats --json "$M"
        is "$RC" 0 "berth stats --json succeeds"
        has() { [ -e "$SCOPE/$1" ] && echo 1 || echo 0; }
        check_out=$(python3 - "$OUT" "$M" "$(has memory.current)" "$(has memory.peak)" \
                "$(has memory.swap.current)" "$(has pids.current)" "$(has io.stat)" "$(has memory.events)" <<'PY'
import json, sys
out, name = sys.argv[1], sys.argv[2]
have = dict(zip(["memory.current", "memory.peak", "memory.swap.current", "pids.current", "io.stat",
                 "memory.events"], [a == "1" for a in sys.argv[3:]]))
d = json.loads(out)
assert list(d) == ["machines"], "the document is {\"machines\": [...]}: %r" % list(d)
assert len(d["machines"]) == 1, "one machine asked for, one listed"
m = d["machines"][0]
fields = ["name", "cgroup", "cpu_usage_usec", "cpu_user_usec", "cpu_system_usec", "cpu_percent",
          "memory_current_bytes", "memory_peak_bytes", "memory_swap_current_bytes", "pids_current",
          "io_read_bytes", "io_write_bytes", "io_read_ops", "io_write_ops", "oom_events", "oom_kills",
          "frozen"]
assert list(m) == fields, "exactly the documented fields, in order: %r" % list(m)
assert m["name"] == name and isinstance(m["cgroup"], str) and m["cgroup"].endswith("/berth-%s.scope" % name)
for f in ["cpu_usage_usec", "cpu_user_usec", "cpu_system_usec"]:
    assert type(m[f]) is int and m[f] >= 0, "%s is a number: %r" % (f, m[f])
assert type(m["cpu_percent"]) in (int, float) and m["cpu_percent"] >= 0, "cpu_percent is a number"
assert m["frozen"] is False, "frozen is false"
def known_iff(field, f):
    v = m[field]
    if have[f]:
        assert type(v) is int and v >= 0, "%s is a number, as the scope has %s: %r" % (field, f, v)
    else:
        assert v is None, "%s is null, as the scope has no %s: %r" % (field, f, v)
known_iff("memory_current_bytes", "memory.current")
known_iff("memory_peak_bytes", "memory.peak")
known_iff("memory_swap_current_bytes", "memory.swap.current")
known_iff("pids_current", "pids.current")
for f in ["io_read_bytes", "io_write_bytes", "io_read_ops", "io_write_ops"]:
    known_iff(f, "io.stat")
known_iff("oom_events", "memory.events")
known_iff("oom_kills", "memory.events")
print("ok")
PY
        )
        is "$check_out" ok "--json: exactly the documented fields, numbers as numbers, null iff the host lacks the file"

        # CPU time grows while the machine burns CPU.
        u1=$(json_stats "$OUT" "$M" cpu_usage_usec)
        touch "$MSYNC/burn"
        sleep 1
        bx stats --json "$M"
        rm -f "$MSYNC/burn"
        u2=$(json_stats "$OUT" "$M" cpu_usage_usec)
        ok "$([ "$u2" -ge $((u1 + 100000)) ] 2>/dev/null; echo $?)" \
                "cpu_usage_usec grows while the machine spins for 1s ($u1 -> $u2)"

        bx stats --json
        is "$(json_stats "$OUT" "$M" name)" "$M" "--json without names lists this machine too"
        bx status --json "$M"
        is "$(python3 -c '
import json, sys
m = json.loads(sys.argv[1])[0]
print(type(m["cpu_usage_usec"]).__name__, type(m["frozen"]).__name__, "memory_current_bytes" in m,
      "cpu_percent" in m, m["state"])' "$OUT")" "int bool True False running" \
                "status --json: the stats fields (no cpu_percent), state unchanged"
else
        skip "berth stats --json" "no python3 to parse JSON"
fi

# --- status -------------------------------------------------------------------------------------------
bx status "$M"
is "$RC" 0 "berth status succeeds"
like "$OUT" "^ *State: running$" "status: State: running, as before"
like "$OUT" "^ +CPU: [0-9.]+(us|ms|s|min [0-9]+s)( |$)" "status: a CPU: summary line"
if [ -e "$SCOPE/memory.current" ]; then
        like "$OUT" "^ +CPU: .*  Memory: [0-9.]+[BKMG]" "status: Memory: where the host accounts memory"
else
        unlike "$OUT" "Memory:" "status: no Memory: where the host does not account memory"
fi
unlike "$OUT" "OOM kills" "status: no OOM kills line without OOM kills"

# --- freeze and thaw ----------------------------------------------------------------------------------
if [ ! -e "$SCOPE/payload/cgroup.freeze" ]; then
        skip "freeze and thaw" "this kernel has no cgroup freezer"
        touch "$MSYNC/go"
        machine_wait
        done_testing
fi

bx freeze "$M"
is "$RC" 0 "berth freeze succeeds"
is "$(cat "$SCOPE/payload/cgroup.freeze")" 1 "freeze sets the payload's cgroup.freeze"
like "$(cat "$SCOPE/payload/cgroup.events")" "frozen 1" "... and returns once the payload is frozen"
is "$(cat "$SCOPE/cgroup.freeze")" 0 "... and leaves the scope (where the monitor's supervisor goes) alone"
c1=$(counter)
sleep 1
c2=$(counter)
is "$c2" "$c1" "while frozen the machine's counter stands still ($c1 -> $c2 over 1s)"
check "the monitor keeps running" pid_running "$MMPID"

bx freeze "$M"
is "$RC" 0 "freezing a frozen machine again is fine"
bx status "$M"
like "$OUT" "^ *State: running \(frozen\)$" "status: State: running (frozen)"
bx stats --no-legend "$M"
like "$OUT" "^$M .* frozen$" "stats: STATE is frozen"
if [ "$HAVE_PY" = 1 ]; then
        bx stats --json "$M"
        is "$(json_stats "$OUT" "$M" frozen)" True "stats --json: frozen is true"
fi
bx enter "$M" -- true
is "$RC" 75 "enter into a frozen machine is refused with 75 (it would hang)"
like "$ERR" "frozen.*berth thaw $M" "... and the message says how to thaw it"

bx thaw "$M"
is "$RC" 0 "berth thaw succeeds"
is "$(cat "$SCOPE/payload/cgroup.freeze")" 0 "thaw clears the payload's cgroup.freeze"
c3=$(counter)
wait_until 5 eval '[ "$(counter)" != "$c3" ]'
ok $? "after thaw the counter goes on"
bx thaw "$M"
is "$RC" 0 "thawing a machine that is not frozen is fine"
bx status "$M"
like "$OUT" "^ *State: running$" "status: State: running again"

# --- poweroff and terminate of a frozen machine -------------------------------------------------------
bx freeze "$M"
bx poweroff "$M"
is "$RC" 0 "poweroff of a frozen machine succeeds"
like "$ERR" "frozen: thawing it first" "... and says it thawed the machine first"
machine_wait "$MMPID"
is "$RC" 143 "... and the machine ends by its SIGTERM, not by a kill after a timeout"
no_leftovers "$M" "... and leaves nothing behind"

new_name
M2=$NAME
machine_bg "$M2" -- "$COUNTER_SCRIPT"
if wait_ready; then
        bx freeze "$M2"
        bx terminate "$M2"
        is "$RC" 0 "terminate of a frozen machine succeeds"
        machine_wait
        is "$RC" 137 "... and cgroup.kill ends the frozen machine at once"
        no_leftovers "$M2" "... and leaves nothing behind"
else
        fail "the second machine did not start"
fi

# --- names that are not running -----------------------------------------------------------------------
for verb in stats freeze thaw; do
        bx "$verb" "$NAME_PREFIX-missing"
        is "$RC" 66 "$verb of a machine that is not running: 66, as status gives"
        like "$ERR" "^berth: $verb: machine '$NAME_PREFIX-missing' is not running" "... with the usual message"
done
bx stats "bad/name"
is "$RC" 64 "stats of an invalid name: 64"
bx freeze
is "$RC" 64 "freeze without a name: 64"
bx stats --bogus
is "$RC" 64 "stats --bogus: 64"
bx stats --watch=0
is "$RC" 64 "stats --watch=0: 64"

# --- --watch ------------------------------------------------------------------------------------------
new_name
M3=$NAME
machine_bg "$M3" -- "$COUNTER_SCRIPT"
wait_ready || bail_out "the third machine did not start: $(cat "$SYNC.err")"
M3SYNC=$SYNC
M3PID=$MPID
# --preserve-status: berth's own status after the SIGINT, not timeout's 124. Every 0.5s rather than the
# default 1s, so two blocks fit in 2s with room to spare on a busy host.
timeout --preserve-status -s INT 2 "$BERTH" stats --watch=0.5 "$M3" >"$TEST_TMP/watch.out" 2>"$TEST_TMP/watch.err" </dev/null
is "$?" 0 "stats --watch ends with 0 on SIGINT"
blocks=$(grep -c '^NAME ' "$TEST_TMP/watch.out")
ok "$([ "$blocks" -ge 2 ]; echo $?)" "stats --watch=0.5 printed a block per refresh ($blocks in 2s)"
is "$(grep -c "^$M3 " "$TEST_TMP/watch.out")" "$blocks" "... each with the machine's row"
is "$(cat "$TEST_TMP/watch.err")" "" "... and nothing on stderr"
if [ "$HAVE_PY" = 1 ]; then
        timeout --preserve-status -s INT 2 "$BERTH" stats --watch=0.5 --json "$M3" >"$TEST_TMP/watch.json" </dev/null
        is "$?" 0 "stats --watch --json ends with 0 on SIGINT"
        is "$(python3 -c '
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
print(len(docs) >= 2 and all(d["machines"][0]["name"] == sys.argv[2] for d in docs))' \
                "$TEST_TMP/watch.json" "$M3")" True "stats --watch --json: one JSON document per line and refresh"
fi

# Without names: a machine that starts shows up, one that stops disappears.
"$BERTH" stats --watch=0.2 --no-legend >"$TEST_TMP/watch-all.out" 2>"$TEST_TMP/watch-all.err" </dev/null &
WPID=$!
BG_PIDS+=("$WPID")
new_name
M4=$NAME
machine_bg "$M4" -- "$COUNTER_SCRIPT"
wait_ready
wait_until 10 grep -q "^$M4 " "$TEST_TMP/watch-all.out"
ok $? "stats --watch without names: a machine that starts appears"
touch "$SYNC/go"
machine_wait
lines_then=$(wc -l <"$TEST_TMP/watch-all.out")
# Two more blocks after it ended (blocks are an empty line apart when not on a terminal).
wait_until 10 eval '[ "$(tail -n +$((lines_then + 1)) "$TEST_TMP/watch-all.out" | grep -c "^$")" -ge 2 ]'
kill -INT "$WPID"
wait_exit_bounded 10 "$WPID"
is "$RC" 0 "stats --watch without names ends with 0 on SIGINT"
last_block=$(awk 'BEGIN { RS = "" } { b = $0 } END { print b }' "$TEST_TMP/watch-all.out")
unlike "$last_block" "^$M4 " "... and a machine that stopped has disappeared"
like "$last_block" "^$M3 " "... while the one still running stays"

touch "$M3SYNC/go"
machine_wait "$M3PID"
is "$RC" 0 "the last machine ends normally"
done_testing
