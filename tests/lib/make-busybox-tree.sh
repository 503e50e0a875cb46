#!/usr/bin/env bash
# Builds (or reuses) a minimal OS tree from Debian's busybox-static: the busybox binary, one symlink per
# applet, the usual top-level directories, and one-line passwd, group and os-release files.
# Usage: make-busybox-tree.sh DIR   (prints DIR; reuses DIR when its stamp matches this busybox)
set -euo pipefail
dir=${1:?usage: make-busybox-tree.sh DIR}
bb=$(command -v busybox || true)
[ -x /bin/busybox ] && bb=/bin/busybox
if [ -z "$bb" ] || ! "$bb" --list >/dev/null 2>&1; then
        echo "make-busybox-tree: busybox not found (apt-get install busybox-static)" >&2
        exit 77
fi
stamp="$(sha256sum "$bb" | cut -d' ' -f1) v2"
if [ -f "$dir/.berth-tree-stamp" ] && [ "$(cat "$dir/.berth-tree-stamp")" = "$stamp" ]; then
        echo "$dir"
        exit 0
fi
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,etc,tmp,run,root,var/tmp,home/user}
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
install -m 0755 "$bb" "$tmp/bin/busybox"
for applet in $("$bb" --list); do
        [ "$applet" = busybox ] && continue
        ln -sf busybox "$tmp/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tmp/etc/passwd"
printf 'root:x:0:\nusers:x:100:user\nuser:x:1000:\nnogroup:x:65534:\n' >"$tmp/etc/group"
printf 'ID=busybox\nNAME="BusyBox tree"\nPRETTY_NAME="BusyBox tree (berth tests)"\n' >"$tmp/etc/os-release"
chown 1000:1000 "$tmp/home/user"
echo "$stamp" >"$tmp/.berth-tree-stamp"
rm -rf "$dir"
mv "$tmp" "$dir"
echo "$dir"
