# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the security tests, sourced after ../integration/lib.sh (or ../boot/lib.sh, which
# sources it): the escape probe (escape-probe.c, run inside machines), its verdicts as TAP, the host's
# abstract socket it tries to reach, and what the host itself sees of a machine's users.

SEC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Every probe escape-probe.c has, in its order. A probe that prints no line fails.
ESCAPE_PROBES=(uid-map cap-host remount-proc-sys remount-sys umount-masks fresh-procfs fresh-sysfs host-tunables
        nested-userns userfaultfd io-uring mknod-block abstract-socket host-paths chroot-break leaked-fds
        host-namespaces host-exe)

# escape_probe_setup: builds the probe into EPROBE (skips the whole script without a static C
# toolchain), checks it knows the probes listed above, and starts the host's abstract socket listener
# (its name in ABSTRACT), with a control that the host itself reaches it.
escape_probe_setup() {
        EPROBE=$(probe_path "$SEC_DIR/escape-probe.c")
        if [ -z "$EPROBE" ]; then
                # A host without a static toolchain skips; a probe that does not build is a failure.
                if command -v cc >/dev/null 2>&1 &&
                        echo 'int main(void) { return 0; }' | cc -static -x c -o "$TEST_TMP/.static-check" - 2>/dev/null; then
                        bail_out "escape-probe.c does not build"
                fi
                echo "1..0 # SKIP no C compiler with a static libc for the escape probe"
                exit 0
        fi
        is "$("$EPROBE" --list | tr '\n' ' ')" "${ESCAPE_PROBES[*]} " "the probe has exactly the probes this suite judges"

        ABSTRACT=berth-escape-probe-$$-$RANDOM
        bg LISTENER "$EPROBE" --listen-abstract "$ABSTRACT"
        wait_until 5 grep -q "@$ABSTRACT\$" /proc/net/unix
        like "$("$EPROBE" abstract-socket --abstract "$ABSTRACT")" "^ESCAPE abstract-socket:" \
                "control: on the host the probe reaches the host's abstract socket @$ABSTRACT"
}

# probe_args HOST-PATH...: the probe's arguments for a full run (the abstract socket, host paths that
# must not show in the machine's mountinfo beyond the documented root field).
probe_args() {
        local p
        PROBE_ARGS=(--abstract "$ABSTRACT")
        for p in "$@"; do
                PROBE_ARGS+=(--host-path "$p")
        done
}

# probe_tap CASE OUTPUT: one TAP result per probe of OUTPUT (escape-probe's lines): ok passes (its
# detail shown shortened), skip skips, ESCAPE fails with the detail, and a missing line fails.
probe_tap() {
        local case=$1 out=$2 name line detail
        for name in "${ESCAPE_PROBES[@]}"; do
                line=$(grep -E "^(ok|ESCAPE|skip) $name(:|\$)" <<<"$out" | head -n 1)
                detail=${line#* "$name"}
                detail=${detail#: }
                case "$line" in
                "ok $name"*)
                        [ ${#detail} -gt 140 ] && detail="${detail:0:137}..."
                        pass "$case: $name${detail:+ ($detail)}"
                        ;;
                "skip $name"*)
                        skip "$case: $name" "$detail"
                        ;;
                "ESCAPE $name"*)
                        fail "$case: $name"
                        diag "ESCAPE: $detail"
                        ;;
                *)
                        fail "$case: $name"
                        diag "the probe printed no line for $name; its output:"
                        diag "$out"
                        ;;
                esac
        done
}

# probe_uid_base OUTPUT: the outside base of the first uid_map line the probe saw (uid-map's line).
probe_uid_base() {
        sed -n -E 's/^(ok|ESCAPE) uid-map: [0-9]+ ([0-9]+) [0-9]+.*/\2/p' <<<"$1" | head -n 1
}

# uid_reporting_checks CASE NAME BASE: berth status NAME and berth list --json report the UID base the
# machine's processes have.
uid_reporting_checks() {
        local case=$1 name=$2 base=$3 got
        bx status "$name"
        got=$(sed -n -E 's/^ *UID range: *([0-9]+).*/\1/p' <<<"$OUT" | head -n 1)
        is "$got" "$base" "$case: berth status: 'UID range:' starts at the base of the machine's uid_map"
        bx list --json
        got=$(python3 -c '
import json, sys
try:
    ms = json.loads(sys.argv[1])
except Exception:
    print("<invalid>"); sys.exit()
for m in ms:
    if m.get("name") == sys.argv[2]:
        print(m.get("uid_base", "<absent>")); break
else:
    print("<no machine>")' "$OUT" "$name")
        is "$got" "$base" "$case: berth list --json: uid_base is the base of the machine's uid_map"
}

# host_view_checks CASE PID...: what the host sees of the machine's processes (their PIDs on the host):
# none runs as the host's uid 0, and none is in the host's user namespace.
host_view_checks() {
        local case=$1 p uids root_procs="" host_ns ns same_ns="" n=0
        shift
        host_ns=$(readlink /proc/self/ns/user)
        for p in "$@"; do
                uids=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null) || continue
                [ -n "$uids" ] || continue
                n=$((n + 1))
                # real, effective, saved and file system uid, as the host counts them
                grep -Eq '(^|[[:space:]])0([[:space:]]|$)' <<<"$uids" && root_procs+="$p($(cat "/proc/$p/comm" 2>/dev/null)) "
                ns=$(readlink "/proc/$p/ns/user" 2>/dev/null)
                [ "$ns" = "$host_ns" ] && same_ns+="$p "
        done
        ok "$([ "$n" -gt 0 ]; echo $?)" "$case: the host sees the machine's processes ($n)"
        is "$root_procs" "" "$case: on the host, no process of the machine has uid 0"
        is "$same_ns" "" "$case: on the host, no process of the machine is in the host's user namespace"
}

# cgroup_pids NAME: the host PIDs in machine NAME's payload cgroup subtree (not the monitor's).
cgroup_pids() {
        local d
        d=$(scope_dir "$1")/payload
        [ -n "$CGROUP_ROOT" ] && [ -d "$d" ] || return 0
        find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -n
}
