#!/usr/bin/env bash
# Builds (or reuses) a Debian bookworm OS tree with debootstrap, for tests that boot a real init.
#
# Usage: make-debian-tree.sh [--init=systemd|sysvinit] DIR     (prints DIR on stdout)
#
#   --init=systemd  (default) minbase + systemd, systemd-sysv, dbus, iproute2, procps
#   --init=sysvinit           minbase + sysvinit-core, procps, iproute2 (and no systemd-sysv)
#
# DIR is reused when DIR/.berth-tree-stamp matches the key of this flavour (suite, package list,
# script version); otherwise the tree is built in DIR.tmp.PID and renamed to DIR only when complete.
# Concurrent callers for the same DIR are serialised with a lock on DIR.lock.
#
# Fixture changes after debootstrap: root has an empty password (passwd -d), /etc/machine-id is
# empty (systemd then takes the container's UUID or a random id), no /etc/hostname, no .debs or
# apt lists; sysvinit: the tty1..6 gettys are off and a getty runs on /dev/console.
#
# The mirror is the one this machine's apt uses for Debian main (from /etc/apt/sources.list and
# /etc/apt/sources.list.d/), or $BERTH_DEBIAN_MIRROR when set.
#
# Exit status: 0 built or reused; 77 (skip) when it cannot be built here (not root, no debootstrap,
# no mirror, archive unreachable, debootstrap failed); 1 when the built tree is not what it should be.
set -euo pipefail

VERSION=2
SUITE=bookworm
prog=make-debian-tree

skip() {
        echo "$prog: $*" >&2
        exit 77
}
die() {
        echo "$prog: $*" >&2
        exit 1
}

flavour=systemd
dir=
for arg in "$@"; do
        case $arg in
        --init=systemd | --init=sysvinit) flavour=${arg#--init=} ;;
        --init=*) die "unknown init '${arg#--init=}' (systemd or sysvinit)" ;;
        -h | --help)
                awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
                exit 0
                ;;
        -*) die "unknown option '$arg'" ;;
        *)
                [ -z "$dir" ] || die "usage: $prog [--init=systemd|sysvinit] DIR"
                dir=$arg
                ;;
        esac
done
[ -n "$dir" ] || die "usage: $prog [--init=systemd|sysvinit] DIR"
dir=${dir%/}

case $flavour in
systemd)
        include=systemd,systemd-sysv,dbus,iproute2,procps
        exclude=
        ;;
sysvinit)
        include=sysvinit-core,procps,iproute2
        exclude=systemd-sysv
        ;;
esac

stamp="berth-debian-tree v$VERSION suite=$SUITE variant=minbase init=$flavour include=$include exclude=$exclude"

stamp_ok() {
        [ -f "$dir/.berth-tree-stamp" ] && [ "$(cat "$dir/.berth-tree-stamp")" = "$stamp" ]
}

# The fast path: no lock, no root needed.
if stamp_ok; then
        echo "$dir"
        exit 0
fi

[ "$(id -u)" = 0 ] || skip "debootstrap needs root"

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
# Another caller may have built it while we waited for the lock.
if stamp_ok; then
        echo "$dir"
        exit 0
fi

# shellcheck source=cache-util.sh
. "$(dirname "${BASH_SOURCE[0]}")/cache-util.sh"
# Leftovers of earlier runs that were killed.
remove_stale_tmp "$dir"

build_begin "$dir"

# --- debootstrap ----------------------------------------------------------------------------------

if ! command -v debootstrap >/dev/null 2>&1; then
        command -v apt-get >/dev/null 2>&1 || skip "debootstrap not found and no apt-get to install it"
        echo "$prog: installing debootstrap" >&2
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >"$log" 2>&1; then
                DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1 || true
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >>"$log" 2>&1 ||
                        skip "debootstrap not found and 'apt-get install debootstrap' failed: $(tail -n 3 "$log" | tr '\n' ' ')"
        fi
        command -v debootstrap >/dev/null 2>&1 || skip "debootstrap not found after installing it"
fi

# shellcheck source=debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"

mirror=${BERTH_DEBIAN_MIRROR:-$(debian_find_mirror "$SUITE")}
[ -n "$mirror" ] || skip "no apt source for Debian $SUITE main in /etc/apt (set BERTH_DEBIAN_MIRROR)"
mirror=${mirror%/}

# Reachability, so that a machine without the archive skips in seconds, not after a timeout storm.
why=$(debian_mirror_reachable "$mirror" "$SUITE") || skip "archive unreachable: $why"

echo "$prog: building Debian $SUITE ($flavour) in $dir from $mirror (about a minute)" >&2
start=$(date +%s)

mkdir -p "$tmp"
args=(--variant=minbase --include="$include")
[ -z "$exclude" ] || args+=(--exclude="$exclude")
# In the background, so that a SIGTERM to this script cleans up at once (bash runs traps only
# between commands, and a wait is interruptible); in a session of its own, so that cleanup stops
# it together with the dpkg it runs (a background child of this non-interactive script is no group
# leader, so setsid does not fork and $! is the new group).
setsid debootstrap "${args[@]}" "$SUITE" "$tmp" "$mirror" >"$log" 2>&1 </dev/null &
dbpid=$!
rc=0
wait "$dbpid" || rc=$?
dbpid=
if [ "$rc" != 0 ]; then
        echo "$prog: debootstrap failed; the end of its log:" >&2
        tail -n 15 "$log" | sed 's/^/  /' >&2
        [ -f "$tmp/debootstrap/debootstrap.log" ] && tail -n 15 "$tmp/debootstrap/debootstrap.log" | sed 's/^/  /' >&2
        skip "debootstrap of $SUITE from $mirror failed"
fi

# --- make it a test fixture -----------------------------------------------------------------------

# Root may log in on the console (and berth shell / login tests work) without a password.
chroot "$tmp" passwd -d root >/dev/null

# An empty machine-id: systemd then runs with a transient one (from the container manager's
# container_uuid, or random) instead of every container sharing the one debootstrap wrote.
[ ! -e "$tmp/etc/machine-id" ] || : >"$tmp/etc/machine-id"
if [ -f "$tmp/var/lib/dbus/machine-id" ] && [ ! -L "$tmp/var/lib/dbus/machine-id" ]; then
        rm -f "$tmp/var/lib/dbus/machine-id"
        ln -s /etc/machine-id "$tmp/var/lib/dbus/machine-id"
fi

# No hostname of its own: the container gets the one the manager sets.
rm -f "$tmp/etc/hostname"

# Small: no package archives, no package lists (nothing in a test runs apt).
rm -f "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/cache/apt/*.bin
find "$tmp/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete 2>/dev/null || true
rm -rf "$tmp/var/log/"*.log "$tmp/var/log/apt/"* "$tmp/debootstrap"

if [ "$flavour" = sysvinit ] && [ -f "$tmp/etc/inittab" ]; then
        # Containers have no /dev/tty1..6: getty on them would respawn too fast and be disabled, with
        # noise on the console. Comment them out and enable Debian's own example of a getty on
        # /dev/console instead (what systemd's console-getty.service does in a container).
        sed -i -E -e 's/^([1-6]:[0-9]+:respawn:\/sbin\/getty .*tty[1-6].*)$/#\1  # berth: no VTs in a container/' \
                -e 's/^#(C0:2345:respawn:\/sbin\/getty .* console .*)$/\1/' "$tmp/etc/inittab"
        grep -q '^C0:' "$tmp/etc/inittab" ||
                echo 'C0:2345:respawn:/sbin/getty -8 --noclear --keep-baud console 115200,38400,9600' >>"$tmp/etc/inittab"
fi

# --- check it -------------------------------------------------------------------------------------

pkg_installed() {
        # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
        [ "$(chroot "$tmp" dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
# Resolved inside the tree: its symlinks are absolute (/usr/sbin/init -> /lib/systemd/systemd).
init_target=$(chroot "$tmp" readlink -f /sbin/init 2>/dev/null || true)
case $flavour in
systemd)
        [ -x "$tmp/usr/lib/systemd/systemd" ] || die "no /usr/lib/systemd/systemd in the tree"
        [ "$init_target" = /usr/lib/systemd/systemd ] || die "/sbin/init resolves to '$init_target', not systemd"
        for p in systemd systemd-sysv dbus iproute2 procps; do
                pkg_installed "$p" || die "package $p is not installed in the tree"
        done
        ;;
sysvinit)
        pkg_installed systemd-sysv && die "systemd-sysv was pulled into the sysvinit tree"
        for p in sysvinit-core procps iproute2; do
                pkg_installed "$p" || die "package $p is not installed in the tree"
        done
        owner=$(chroot "$tmp" dpkg -S /sbin/init 2>/dev/null | cut -d: -f1 || true)
        [ "$owner" = sysvinit-core ] || die "/sbin/init belongs to '$owner', not sysvinit-core"
        if [ ! -x "$tmp/sbin/init" ] || [ -L "$tmp/sbin/init" ]; then
                die "/sbin/init is not sysvinit's binary"
        fi
        ;;
esac

# --- publish --------------------------------------------------------------------------------------

echo "$stamp" >"$tmp/.berth-tree-stamp"
remove_tree "$dir"
mv -T "$tmp" "$dir"
rm -f "$log"
trap - EXIT

echo "$prog: built $dir in $(($(date +%s) - start)) s ($(du -sh "$dir" 2>/dev/null | cut -f1))" >&2
echo "$dir"
