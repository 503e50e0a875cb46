#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --time-offset: a time namespace with shifted CLOCK_MONOTONIC and CLOCK_BOOTTIME; the wall clock is
# untouched. Each clock read inside is bracketed by host reads taken before and after the run.
. "$(dirname "$0")/lib.sh"

uptime_now() { cut -d' ' -f1 /proc/uptime; }
# in_range VALUE LOW HIGH (decimals allowed, with a 0.02 tolerance for /proc/uptime's rounding)
in_range() {
        awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0.02 >= lo && v - 0.02 <= hi) }'
}
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }

if [ ! -e /proc/self/ns/time ]; then
        echo "1..0 # SKIP no time namespaces on this kernel"
        exit 0
fi

# --- boottime through /proc/uptime --------------------------------------------------------------------
before=$(uptime_now)
mrun --time-offset=boottime=86400 -- cat /proc/uptime
after=$(uptime_now)
inside=${OUT%% *}
is "$RC" 0 "--time-offset=boottime=86400 runs"
in_range "$inside" "$(add "$before" 86400)" "$(add "$after" 86400)"
ok $? "boottime=86400: /proc/uptime inside ($inside) is the host's ($before..$after) plus a day"

before=$(uptime_now)
mrun -- cat /proc/uptime
after=$(uptime_now)
in_range "${OUT%% *}" "$before" "$after"
ok $? "without --time-offset /proc/uptime matches the host's"

# --- time namespace -----------------------------------------------------------------------------------
host_time_ns=$(ns_inode /proc/self/ns/time)
mrun --time-offset=boottime=10 -- readlink /proc/self/ns/time
isnt "$(sed 's/.*\[\([0-9]*\)\]/\1/' <<<"$OUT")" "$host_time_ns" "--time-offset: the machine has its own time namespace"
mrun -- readlink /proc/self/ns/time
is "$(sed 's/.*\[\([0-9]*\)\]/\1/' <<<"$OUT")" "$host_time_ns" "without --time-offset: the host's time namespace"

# --- the probe: monotonic, boottime and realtime ------------------------------------------------------
PROBE=$(probe_path)
if [ -z "$PROBE" ]; then
        skip "clock probes" "no C compiler with a static libc"
        done_testing
fi
field() { sed -n "s/.*$1=\([-0-9]*\).*/\1/p" <<<"$2"; }
# Seconds (the probe rounds): allow one second of rounding on each side.
clock_case() { # clock_case OPTION MONO_OFF BOOT_OFF DESC
        local hb ha
        hb=$("$PROBE" clock)
        mrun --bind-ro="$PROBE:/run/probe" "$1" -- /run/probe clock
        ha=$("$PROBE" clock)
        for c in monotonic boottime realtime; do
                local off=0
                [ "$c" = monotonic ] && off=$2
                [ "$c" = boottime ] && off=$3
                in_range "$(field $c "$OUT")" "$(add "$(field $c "$hb")" "$(add "$off" -1)")" "$(add "$(field $c "$ha")" "$(add "$off" 1)")"
                ok $? "$4: $c is shifted by $off (inside $(field $c "$OUT"), host $(field $c "$hb")..$(field $c "$ha"))"
        done
}
clock_case --time-offset=monotonic=3600,boottime=7200 3600 7200 "monotonic=3600,boottime=7200"
clock_case --time-offset=monotonic=86400 86400 0 "monotonic alone"
clock_case --time-offset=boottime=-3.5 0 -3.5 "a negative fractional boottime offset"

# --- bad values ---------------------------------------------------------------------------------------
for bad in "" "boottime" "boottime=" "boottime=abc" "realtime=5" "boottime=1,boottime=2x" "monotonic=1e400" \
        "boottime=999999999999"; do
        mrun --time-offset="$bad" -- true
        is "$RC" 64 "--time-offset='$bad' is a usage error (64)"
done
no_leftovers "$NAME" "a bad --time-offset leaves nothing behind"

done_testing
