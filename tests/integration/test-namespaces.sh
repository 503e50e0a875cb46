#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Which namespaces a machine gets: mount, PID, UTS, IPC, cgroup always; network unless --network=host;
# time only with --time-offset; user never (yet). Plus what that means for mounts and SysV IPC.
. "$(dirname "$0")/lib.sh"

ns_list="mnt pid uts ipc cgroup net user time"
# shellcheck disable=SC2016
ns_script='for n in '"$ns_list"'; do echo "$n $(readlink /proc/self/ns/$n | sed "s/.*\[\([0-9]*\)\]/\1/")"; done'
inside_ns() { awk -v n="$1" '$1 == n { print $2 }' <<<"$OUT"; }

msh -- "$ns_script"
for n in mnt pid uts ipc cgroup net; do
        isnt "$(inside_ns $n)" "$(ns_inode /proc/self/ns/$n)" "default: the machine has its own $n namespace"
done
isnt "$(inside_ns user)" "$(ns_inode /proc/self/ns/user)" "default: the machine has its own user namespace"
is "$(inside_ns time)" "$(ns_inode /proc/self/ns/time)" "default: the time namespace is the host's"

# Two machines at once (inode numbers of freed namespaces are reused, so they must overlap in time).
new_name
machine_bg "$NAME" -- "{ $ns_script; } >/run/sync/ns; touch /run/sync/ready; $WAIT_GO"
if wait_ready; then
        first_ns=$(cat "$SYNC/ns")
        msh -- "$ns_script"
        for n in mnt pid uts ipc cgroup net; do
                isnt "$(inside_ns $n)" "$(awk -v n=$n '$1 == n { print $2 }' <<<"$first_ns")" "two running machines do not share a $n namespace"
        done
        touch "$SYNC/go"
        machine_wait
else
        fail "the first machine did not start"
fi

msh --private-users=no -- "$ns_script"
is "$(inside_ns user)" "$(ns_inode /proc/self/ns/user)" "--private-users=no: the user namespace is the host's"

msh --network=host -- "$ns_script"
is "$(inside_ns net)" "$(ns_inode /proc/self/ns/net)" "--network=host: the network namespace is the host's"
for n in mnt pid uts ipc cgroup; do
        isnt "$(inside_ns $n)" "$(ns_inode /proc/self/ns/$n)" "--network=host: still its own $n namespace"
done

# PID 1 (the reaper) is in the same namespaces as the command. The reaper is not dumpable and was made
# by the host, so only the host can look at its namespaces.
new_name
machine_bg "$NAME" -- "touch /run/sync/ready; $WAIT_GO"
if wait_ready; then
        leader=$(sed -n 's/^LEADER=//p' "$(state_file "$NAME")")
        cmd=$(cat "/proc/$leader/task/$leader/children" 2>/dev/null | awk '{print $1}')
        differs=""
        for n in user mnt pid uts ipc cgroup net; do
                [ "$(readlink "/proc/$leader/ns/$n")" = "$(readlink "/proc/$cmd/ns/$n")" ] || differs="$differs $n"
        done
        is "${differs:-none}" none "the reaper and the command share all namespaces"
else
        fail "the reaper and the command share all namespaces"
fi
touch "$SYNC/go"
machine_wait

# --- mount namespace: a mount made inside stays inside ------------------------------------------------
msh -- 'mkdir -p /tmp/m && mount -t tmpfs berth-ns-probe /tmp/m && grep -c berth-ns-probe /proc/self/mountinfo'
is "$OUT" 1 "a mount made in the machine is visible there"
unlike "$(cat /proc/self/mountinfo)" "berth-ns-probe" "a mount made in the machine does not appear on the host"

# --- IPC namespace ------------------------------------------------------------------------------------
if command -v ipcmk >/dev/null && command -v ipcrm >/dev/null; then
        shmid=$(ipcmk -M 4096 2>/dev/null | sed -n 's/.*: *\([0-9]*\)$/\1/p')
        if [ -n "$shmid" ]; then
                msh -- 'tail -n +2 /proc/sysvipc/shm | wc -l'
                ipcrm -m "$shmid"
                is "$OUT" 0 "a SysV shared memory segment of the host is not visible in the machine"
        else
                skip "SysV IPC isolation" "ipcmk failed"
        fi
else
        skip "SysV IPC isolation" "no ipcmk"
fi
msh -- 'ls -A /dev/mqueue | wc -l'
is "$OUT" 0 "the machine's POSIX message queue file system starts empty"

# --- UTS ----------------------------------------------------------------------------------------------
host_dn=$(cat /proc/sys/kernel/domainname)
msh --network=host -- 'hostname inside-uts && hostname'
is "$OUT" "inside-uts" "the machine can set its host name (even with --network=host)"
isnt "$(hostname)" "inside-uts" "... and the host's stays"
is "$(cat /proc/sys/kernel/domainname)" "$host_dn" "the host's domain name is unchanged"

done_testing
