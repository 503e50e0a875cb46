#!/usr/bin/env bash
# Builds (or reuses) the busybox tree of make-busybox-tree.sh plus busybox init as PID 1, for tests
# that boot a container (berth start/boot) without the cost of a Debian tree.
#
# Usage: make-busybox-init-tree.sh DIR   (prints DIR; reuses DIR when its stamp matches)
#
# On top of the base tree:
#   /sbin/init, /sbin/reboot, /sbin/poweroff, /sbin/halt -> /bin/busybox
#   /etc/inittab     sysinit /etc/init.d/rcS; respawn /bin/sleep 3600 (something to supervise);
#                    ctrlaltdel /sbin/reboot; shutdown: echo "berth-busybox-init: shutting down"
#   /etc/init.d/rcS  writes "berth-busybox-init: up" to /dev/console and touches /run/booted
# No shell is started on the console: in tests it may be passive, /dev/null or a pipe.
#
# busybox init: SIGUSR1 halts, SIGUSR2 powers off, SIGTERM reboots, SIGINT runs the ctrlaltdel
# action, SIGHUP re-reads inittab. Exits 77 (skip) when busybox is missing, like make-busybox-tree.sh.
set -euo pipefail
VERSION=1
dir=${1:?usage: make-busybox-init-tree.sh DIR}
dir=${dir%/}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=$here/make-busybox-tree.sh

# The same busybox make-busybox-tree.sh picks.
bb=$(command -v busybox || true)
[ -x /bin/busybox ] && bb=/bin/busybox
if [ -z "$bb" ] || ! "$bb" --list >/dev/null 2>&1; then
        echo "make-busybox-init-tree: busybox not found (apt-get install busybox-static)" >&2
        exit 77
fi
if ! "$bb" --list | grep -qx init; then
        echo "make-busybox-init-tree: $bb has no init applet" >&2
        exit 77
fi

# Changes with the busybox binary, the base script and this script (a rebuild takes a second).
stamp="busybox-init v$VERSION bb=$(sha256sum "$bb" | cut -d' ' -f1) base=$(sha256sum "$base" | cut -d' ' -f1) self=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
if [ -f "$dir/.berth-tree-stamp" ] && [ "$(cat "$dir/.berth-tree-stamp")" = "$stamp" ]; then
        echo "$dir"
        exit 0
fi

# Parallel tests may ask for the same tree: one builds, the others wait and reuse it.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
if [ -f "$dir/.berth-tree-stamp" ] && [ "$(cat "$dir/.berth-tree-stamp")" = "$stamp" ]; then
        echo "$dir"
        exit 0
fi

tmp="$dir.tmp.$$"
trap 'rm -rf --one-file-system "$tmp" "$tmp".tmp.*' EXIT
rm -rf "$tmp"
# The base tree, built (by its own stamp-and-rename) into our temporary directory.
"$base" "$tmp" >/dev/null

for l in init reboot poweroff halt; do
        ln -sfn /bin/busybox "$tmp/sbin/$l"
done

cat >"$tmp/etc/inittab" <<'EOF'
# busybox init (berth test fixture). Format: id:runlevels:action:process (id = tty, empty = console).
::sysinit:/etc/init.d/rcS
::respawn:/bin/sleep 3600
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/echo berth-busybox-init: shutting down
EOF

mkdir -p "$tmp/etc/init.d"
cat >"$tmp/etc/init.d/rcS" <<'EOF'
#!/bin/sh
# Boot marker: one line on the console (if there is one) and /run/booted.
# (-c: a missing /dev/console must not become a regular file.)
if [ -c /dev/console ] && echo "berth-busybox-init: up" >/dev/console 2>/dev/null; then
        :
else
        echo "berth-busybox-init: up"
fi
mkdir -p /run 2>/dev/null
: >/run/booted
exit 0
EOF
chmod 0755 "$tmp/etc/init.d/rcS"

echo "$stamp" >"$tmp/.berth-tree-stamp"
rm -rf --one-file-system "$dir"
mv -T "$tmp" "$dir"
trap - EXIT
echo "$dir"
