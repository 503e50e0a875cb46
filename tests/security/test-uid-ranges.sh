#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# UID ranges and ownership: two machines started at once get disjoint blocks, a machine started again
# gets its old block back, explicit ranges that overlap another machine's block are refused, and a
# Debian tree boots to running both idmapped (the tree untouched on disk) and shifted on disk (chown),
# with the files the guest creates owned as they should be on the host.
. "$(dirname "$0")/../boot/lib.sh"

REGISTRY=/var/lib/berth/uid-ranges

uid_base_of() { # uid_base_of PID: the outside base of PID's uid_map
        awk 'NR == 1 { print $2 }' "/proc/$1/uid_map"
}

fixture_tree busybox
BB=$FIXTURE

# --- two machines at once ---------------------------------------------------------------------------
new_name
A=$NAME
new_name
B=$NAME
"$BERTH" run -D "$BB" -M "$A" --console=pipe -- sh -c 'sleep 30' >/dev/null 2>&1 &
PA=$!
"$BERTH" run -D "$BB" -M "$B" --console=pipe -- sh -c 'sleep 30' >/dev/null 2>&1 &
PB=$!
BG_PIDS+=("$PA" "$PB")
wait_until 20 test -n "$(state_field "$A" LEADER)" -a -n "$(state_field "$B" LEADER)"
LA=$(state_field "$A" LEADER)
LB=$(state_field "$B" LEADER)
BA=$(uid_base_of "$LA")
BB_BASE=$(uid_base_of "$LB")
isnt "$BA" 0 "machine A runs in a user namespace of its own"
isnt "$BB_BASE" 0 "machine B runs in a user namespace of its own"
check "two machines started at once get disjoint 64K blocks" \
        test $((BA + 65536 <= BB_BASE || BB_BASE + 65536 <= BA)) = 1
is "$(readlink "$REGISTRY/$BA")" "$A" "the registry names machine A as the owner of its block"
bx list --uid-ranges --json
like "$OUT" "\"name\":\"$A\",\"uid_base\":$BA,\"uid_count\":65536,\"running\":true" \
        "berth list --uid-ranges --json shows A's block as running"

# An explicit range over A's block is refused, naming A.
new_name
C=$NAME
bx run -D "$BB" -M "$C" --private-users="$BA:65536" -- true
isnt "$RC" 0 "an explicit range over another machine's block is refused"
like "$ERR" "$A" "... and the message names the machine that owns it"
no_leftovers "$C" "... and leaves nothing"

kill -TERM "$PA" "$PB"
wait_exit_bounded 20 "$PA"
wait_exit_bounded 20 "$PB"

# --- started again: the same block --------------------------------------------------------------------
bx run -D "$BB" -M "$A" -- sh -c "awk 'NR == 1 { print \$2 }' /proc/self/uid_map"
is "$OUT" "$BA" "machine A started again gets its old block"
bx list --uid-ranges --json
like "$OUT" "\"name\":\"$A\",\"uid_base\":$BA,\"uid_count\":65536,\"running\":false" \
        "berth list --uid-ranges shows A's block, stopped"

# --- a Debian tree, idmapped and shifted on disk --------------------------------------------------------
for mode in map chown; do
        boot_copy debian-systemd
        DEB=$COPY
        new_name
        M=$NAME
        root_owner_before=$(stat -c %u "$DEB")
        boot_bg "$M" "$DEB" --console=pipe --private-users-ownership=$mode
        if ! wait_state "$M" running; then
                fail "$mode: the Debian tree boots to running"
                boot_diag "$M"
                continue
        fi
        pass "$mode: the Debian tree boots to running"
        LEADER=$(state_field "$M" LEADER)
        BASE=$(uid_base_of "$LEADER")
        is "$(state_field "$M" OWNERSHIP)" "$mode" "$mode: the state file records the ownership mode"
        ebx "$M" systemctl is-system-running
        is "$OUT" running "$mode: systemd inside reports running (no failed units)"
        ebx "$M" sh -c 'touch /root/made-inside && useradd -M -u 1234 probeuser && touch /tmp/x && install -o probeuser /tmp/x /root/owned-by-1234'
        is "$RC" 0 "$mode: the guest creates files as root and as another user"
        if [ $mode = map ]; then
                is "$(stat -c %u:%g "$DEB/root/made-inside")" 0:0 \
                        "map: a file the guest's root creates is owned by host root on disk"
                is "$(stat -c %u "$DEB/root/owned-by-1234")" 1234 \
                        "map: a file owned by guest UID 1234 is 1234 on disk"
                is "$(stat -c %u "$DEB")" "$root_owner_before" "map: the tree on disk is not shifted"
        else
                is "$(stat -c %u:%g "$DEB/root/made-inside")" "$BASE:$BASE" \
                        "chown: a file the guest's root creates is owned by the machine's block on disk"
                is "$(stat -c %u "$DEB/root/owned-by-1234")" $((BASE + 1234)) \
                        "chown: a file owned by guest UID 1234 is BASE+1234 on disk"
                is "$(stat -c %u "$DEB/usr/bin/passwd")" "$BASE" "chown: the tree is shifted on disk"
                check "chown: set-user-ID bits survive the shift" test -u "$DEB/usr/bin/passwd"
        fi
        ebx "$M" stat -c %u:%g /usr/bin/passwd /sys/fs/cgroup/cgroup.procs
        is "$OUT" "$(printf '0:0\n0:0')" "$mode: inside, the tree and the delegated cgroup belong to root"
        bx poweroff "$M"
        monitor_wait 30
        is "$RC" 0 "$mode: the machine powers off cleanly"
done

done_testing
