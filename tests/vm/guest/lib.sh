# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the guest tests of the VM bed (sourced by tests/vm/guest/test-*.sh, which run in the
# guest under run.sh). Sources the boot helpers (and through them the integration helpers: TAP,
# cleanup, bx, mrun, the busybox tree in TREE, wait_state, boot_bg, ...), so a guest test reads like
# a host test. What the guest adds:
#   VM_DEBIAN        the Debian tree (systemd) to boot, on a disk of its own (empty when the host had
#                    none: use need_debian)
#   VM_HELPERS       static helpers built by the host from tests/vm/guest/*.c (hog, forkbomb, ...)
#   CG               the cgroup2 mount (/sys/fs/cgroup: the guest is pure cgroup v2)

GUEST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../boot/lib.sh
. "$GUEST_LIB_DIR/../../boot/lib.sh"

# wait_until SECONDS CMD...: as the integration helper, but bounded by the clock rather than by a
# count of 50 ms polls: on emulated CPUs a poll that forks costs far more than 50 ms.
wait_until() {
        local end=$((SECONDS + $1))
        shift
        until "$@"; do
                [ "$SECONDS" -lt "$end" ] || return 1
                sleep 0.1
        done
        return 0
}

VM_DEBIAN=${BERTH_VM_DEBIAN:-}
VM_HELPERS=${BERTH_VM_HELPERS:-/berth/result/bin}
CG=/sys/fs/cgroup

# need_debian DESC...: true when there is a Debian tree; otherwise a skip line for each DESC.
need_debian() {
        [ -n "$VM_DEBIAN" ] && [ -x "$VM_DEBIAN/usr/lib/systemd/systemd" ] && return 0
        local d
        for d in "$@"; do
                skip "$d" "no Debian tree in the guest"
        done
        return 1
}

# helper NAME: the path of a static helper (empty when the host could not build it).
helper() {
        [ -x "$VM_HELPERS/$1" ] && echo "$VM_HELPERS/$1"
}

# berth_scopes: every berth-*.scope cgroup anywhere in the hierarchy, one a line.
berth_scopes() {
        find "$CG" -type d -name 'berth-*.scope' 2>/dev/null | sort
}

# scope_of NAME: the machine's scope directory wherever it is (any slice); empty when there is none.
scope_of() {
        find "$CG" -type d -name "berth-$1.scope" 2>/dev/null | head -n 1
}

# json_num JSON KEY: the number (or null/true/false) of the first "KEY": in JSON (no python in the
# guest; enough for berth's flat objects).
json_num() {
        grep -o "\"$2\" *: *[-0-9a-z.]*" <<<"$1" | head -n 1 | sed 's/.*: *//'
}

# cg_read FILE KEY: the value of KEY in a flat-keyed cgroup file (cpu.stat, memory.events, ...).
cg_read() {
        awk -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null
}
