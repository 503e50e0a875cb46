#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds (or reuses) what the VM test bed boots: a Debian bookworm guest with systemd as PID 1, Debian's
# kernel, and a tiny initramfs; or an ext4 disk image of an OS tree for that guest.
#
# Usage: make-vm-image.sh CACHE                   prints CACHE/vm-guest-KEY, the guest (see below)
#        make-vm-image.sh --disk-of=TREE CACHE    prints CACHE/vm-disk-NAME-KEY.img, TREE as ext4
#                                                 (KEY: TREE's .berth-tree-stamp and DISK_VERSION)
#
# The guest, CACHE/vm-guest-KEY/ (KEY: a hash of the suite, the package list, this script and the
# scripts it runs):
#   root.img        ext4 (no journal) made with `mkfs.ext4 -d` from a debootstrap minbase tree plus
#                   GUEST_PACKAGES, the kernel's modules for virtio, ext4, 9p, overlayfs, networking
#                   (with modules.dep from depmod), and the bed's units: berth-test.target runs
#                   berth-test.service (tests/vm/guest/run.sh from the 9p share of the source tree,
#                   then powers off), berth-shell.target a root shell on ttyS0. /etc/fstab mounts the
#                   9p shares berth-src, berth-build (read-only) and berth-result at /berth/src,
#                   /berth/build and /berth/result. The busybox trees of tests/lib are prebuilt in
#                   /var/tmp/berth-test-cache (busybox, busybox-init).
#   vmlinux         the ELF kernel unpacked from Debian's vmlinuz, booted through its PVH entry with
#                   qboot (when that was checked to work here: a boot as far as the initramfs)
#   bzImage         the vmlinuz itself, booted with the default firmware when vmlinux is missing
#   initramfs.cpio  busybox-static, the modules to reach the root (virtio_pci, virtio_blk, ext4 and
#                   their dependencies, 9p) and an /init that loads them, mounts /dev/vda and
#                   switch_roots to systemd
#   kernel-version  e.g. 6.1.0-26-amd64
#   boot-mode       pvh (vmlinux) or bzimage
# The kernel is the one linux-image-amd64 depends on now (`apt-get download` + `dpkg-deb -x`: nothing
# is installed on this host). The images are meant to be booted with qemu -snapshot, so they stay as built.
#
# Both forms reuse what is there when its stamp matches, build into NAME.tmp.PID and rename, and
# serialise builders of the same KEY on NAME.lock, as tests/lib does. A cache entry of another KEY that
# was not used for PRUNE_DAYS days is removed when a new one is built.
#
# Exit status: 0 built or reused; 77 (skip) when it cannot be built here: not root, debootstrap,
# mkfs.ext4 -d, cpio or apt-get missing, no apt source or the archive unreachable, no kernel package;
# 1 when something that should work did not.
set -euo pipefail

VERSION=1
# The disks of OS trees change only with DISK_VERSION (bump it when mkfs_dir changes) and the tree.
DISK_VERSION=1
SUITE=bookworm
PRUNE_DAYS=3
# What the guest needs: systemd as PID 1 with D-Bus (transient units), udev and kmod (modules),
# machinectl/nspawn for comparison, busybox-static for busybox trees, and berth's runtime libraries.
GUEST_PACKAGES=systemd,systemd-sysv,dbus,systemd-container,udev,kmod,iproute2,procps,busybox-static,libsystemd0,libcap2,libseccomp2,libarchive13,libblkid1,libcrypt1
# Modules the initramfs loads (with their dependencies) to reach the root file system and the shares.
INITRAMFS_MODULES="virtio_pci virtio_blk crc32c_generic ext4 9pnet_virtio 9p"
prog=make-vm-image
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip() {
        echo "$prog: $*" >&2
        exit 77
}
die() {
        echo "$prog: $*" >&2
        exit 1
}

disk_of=
cache=
for arg in "$@"; do
        case $arg in
        --disk-of=*) disk_of=${arg#--disk-of=} ;;
        -h | --help)
                awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"
                exit 0
                ;;
        -*) die "unknown option '$arg'" ;;
        *)
                [ -z "$cache" ] || die "usage: $prog [--disk-of=TREE] CACHE"
                cache=${arg%/}
                ;;
        esac
done
[ -n "$cache" ] || die "usage: $prog [--disk-of=TREE] CACHE"

self_hash=$(cat "${BASH_SOURCE[0]}" "$here/extract-vmlinux.sh" "$here/../lib/make-busybox-tree.sh" \
        "$here/../lib/make-busybox-init-tree.sh" | sha256sum | cut -c1-16)

# shellcheck source=../lib/cache-util.sh
. "$here/../lib/cache-util.sh"

# prune GLOB KEEP: removes the cache entries matching GLOB (but KEEP) that no run used for PRUNE_DAYS
# days: every run that uses an entry touches its stamp (DIR/.stamp, IMG.stamp). The entry's lock is
# taken first, without waiting, so that an entry being built is kept.
prune() {
        local e s
        for e in $1; do
                [ -e "$e" ] && [ "$e" != "$2" ] || continue
                case $e in *.lock | *.stamp | *.tmp.*) continue ;; esac
                if [ -d "$e" ]; then s=$e/.stamp; else s=$e.stamp; fi
                [ -z "$(find "$s" -maxdepth 0 -mtime -"$PRUNE_DAYS" 2>/dev/null)" ] || continue
                (
                        flock -n 9 || exit 0
                        remove_tree "$e"
                        rm -f "$e.stamp"
                ) 9>"$e.lock" && rm -f "$e.lock"
        done
}

[ "$(id -u)" = 0 ] || skip "building the guest needs root"
command -v mkfs.ext4 >/dev/null 2>&1 || skip "no mkfs.ext4 (apt-get install e2fsprogs)"
grep -q -- '-d ' <<<"$(mkfs.ext4 2>&1 || true)" || skip "mkfs.ext4 cannot populate an image from a directory (-d)"
mkdir -p "$cache"

# qboot_rom: the path of qemu's qboot firmware (qemu-system-data), or nothing.
qboot_rom() {
        local f
        for f in /usr/share/qemu/qboot.rom /usr/share/qemu/bios-microvm.bin /usr/share/seabios/qboot.rom; do
                [ -f "$f" ] && { echo "$f"; return 0; }
        done
        return 0
}

# mkfs_dir DIR IMG LABEL: an ext4 image of DIR, sized to DIR's content plus room for what the tests
# write (sparse: only the data takes space).
mkfs_dir() {
        local src=$1 img=$2 label=$3 used_mb size_mb
        used_mb=$(du -sm --apparent-size "$src" | cut -f1)
        size_mb=$((used_mb * 3 / 2 + 1024))
        rm -f "$img"
        truncate -s "${size_mb}M" "$img"
        mkfs.ext4 -q -F -L "$label" -O ^has_journal -m 0 -E root_owner=0:0 -d "$src" "$img" ||
                die "mkfs.ext4 -d $src failed"
}

# --- an OS tree as a disk -------------------------------------------------------------------------

if [ -n "$disk_of" ]; then
        tree=${disk_of%/}
        [ -d "$tree" ] || die "--disk-of: $tree is not a directory"
        tstamp=$(cat "$tree/.berth-tree-stamp" 2>/dev/null) || die "--disk-of: $tree has no .berth-tree-stamp"
        key=$(printf '%s\n' "disk v$DISK_VERSION" "$tstamp" | sha256sum | cut -c1-12)
        img="$cache/vm-disk-$(basename "$tree")-$key.img"
        stamp="vm-disk v$DISK_VERSION tree=$tstamp"
        if [ -f "$img" ] && [ "$(cat "$img.stamp" 2>/dev/null)" = "$stamp" ]; then
                touch "$img.stamp"
                echo "$img"
                exit 0
        fi
        exec 9>"$img.lock"
        flock 9
        if [ -f "$img" ] && [ "$(cat "$img.stamp" 2>/dev/null)" = "$stamp" ]; then
                echo "$img"
                exit 0
        fi
        remove_stale_tmp "$img"
        trap 'rm -f "$img.tmp.$$"' EXIT
        mkfs_dir "$tree" "$img.tmp.$$" berth-tree
        rm -f "$img.stamp"
        mv -f "$img.tmp.$$" "$img"
        echo "$stamp" >"$img.stamp"
        trap - EXIT
        prune "$cache/vm-disk-$(basename "$tree")-*.img" "$img"
        echo "$img"
        exit 0
fi

# --- the guest ------------------------------------------------------------------------------------

key=$(printf '%s\n' "vm v$VERSION" "$SUITE" "$GUEST_PACKAGES" "$INITRAMFS_MODULES" "$self_hash" | sha256sum | cut -c1-12)
dir="$cache/vm-guest-$key"
stamp="berth-vm v$VERSION suite=$SUITE packages=$GUEST_PACKAGES self=$self_hash"

stamp_ok() {
        [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]
}
if stamp_ok; then
        touch "$dir/.stamp"
        echo "$dir"
        exit 0
fi

for t in debootstrap cpio apt-get apt-cache dpkg-deb chroot; do
        command -v "$t" >/dev/null 2>&1 || skip "no $t here"
done

exec 9>"$dir.lock"
flock 9
if stamp_ok; then
        echo "$dir"
        exit 0
fi
remove_stale_tmp "$dir"

build_begin "$dir"
mkdir -p "$tmp"
start=$(date +%s)

# shellcheck source=../lib/debian-mirror.sh
. "$here/../lib/debian-mirror.sh"
mirror=${BERTH_DEBIAN_MIRROR:-$(debian_find_mirror "$SUITE")}
[ -n "$mirror" ] || skip "no apt source for Debian $SUITE main in /etc/apt (set BERTH_DEBIAN_MIRROR)"
mirror=${mirror%/}
why=$(debian_mirror_reachable "$mirror" "$SUITE") || skip "archive unreachable: $why"
echo "$prog: building the test guest in $dir from $mirror (a few minutes)" >&2

# --- the kernel: Debian's, unpacked, not installed ----------------------------------------------------

kernel_package() {
        apt-cache depends linux-image-amd64 2>/dev/null |
                sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}
kpkg=$(kernel_package)
if [ -z "$kpkg" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 || true
        kpkg=$(kernel_package)
fi
[ -n "$kpkg" ] || skip "apt knows no linux-image-amd64 (run apt-get update)"
mkdir -p "$tmp/dl"
# apt-get download as root warns that _apt cannot write here; let it.
chown _apt "$tmp/dl" 2>/dev/null || true
(cd "$tmp/dl" && apt-get download -q "$kpkg") >"$log" 2>&1 ||
        skip "apt-get download $kpkg failed: $(tail -n 1 "$log")"
dpkg-deb -x "$tmp/dl/$kpkg"_*.deb "$tmp/kernel" || die "dpkg-deb -x of $kpkg failed"
rm -rf "$tmp/dl"
kver=${kpkg#linux-image-}
[ -f "$tmp/kernel/boot/vmlinuz-$kver" ] || die "$kpkg has no /boot/vmlinuz-$kver"
[ -d "$tmp/kernel/lib/modules/$kver/kernel" ] || die "$kpkg has no /lib/modules/$kver"

# --- the root tree ------------------------------------------------------------------------------------

root=$tmp/root
mkdir -p "$root"
# In a session of its own, so that cleanup stops it with the dpkg it runs (see make-debian-tree.sh).
setsid debootstrap --variant=minbase --include="$GUEST_PACKAGES" "$SUITE" "$root" "$mirror" \
        >"$log" 2>&1 </dev/null &
dbpid=$!
rc=0
wait "$dbpid" || rc=$?
dbpid=
if [ "$rc" != 0 ]; then
        echo "$prog: debootstrap failed; the end of its log:" >&2
        tail -n 15 "$log" | sed 's/^/  /' >&2
        skip "debootstrap of $SUITE from $mirror failed"
fi
[ -x "$root/usr/lib/systemd/systemd" ] || die "no systemd in the guest tree"
[ -x "$root/bin/busybox" ] || die "no busybox in the guest tree"

# Modules: what a test machine may need (file systems, 9p, overlayfs, networking, virtio), not the
# hardware drivers. depmod of the guest writes modules.dep, which the initramfs below reads too.
kmods=$root/lib/modules/$kver
mkdir -p "$kmods/kernel/drivers"
cp -a "$tmp/kernel/lib/modules/$kver"/modules.* "$kmods/"
for d in fs net lib crypto arch block mm virt; do
        [ ! -d "$tmp/kernel/lib/modules/$kver/kernel/$d" ] || cp -a "$tmp/kernel/lib/modules/$kver/kernel/$d" "$kmods/kernel/"
done
for d in virtio block char; do
        [ ! -d "$tmp/kernel/lib/modules/$kver/kernel/drivers/$d" ] || cp -a "$tmp/kernel/lib/modules/$kver/kernel/drivers/$d" "$kmods/kernel/drivers/"
done
mkdir -p "$kmods/kernel/drivers/net"
cp -a "$tmp/kernel/lib/modules/$kver/kernel/drivers/net/"*.ko "$kmods/kernel/drivers/net/" 2>/dev/null || true
chroot "$root" /sbin/depmod "$kver" || die "depmod in the guest tree failed"

# No first boot (systemd-firstboot, ConditionFirstBoot units): a machine id of its own.
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
echo >>"$root/etc/machine-id"
echo berth-vm >"$root/etc/hostname"
chroot "$root" passwd -d root >/dev/null

mkdir -p "$root/berth/src" "$root/berth/build" "$root/berth/result" "$root/srv/debian"
cat >"$root/etc/fstab" <<'EOF'
# The root is mounted by the initramfs; the 9p shares are the host's (qemu -fsdev ... mount_tag=).
/dev/vda        /               ext4    rw                                                      0 0
berth-src       /berth/src      9p      trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000  0 0
berth-build     /berth/build    9p      trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000  0 0
berth-result    /berth/result   9p      trans=virtio,version=9p2000.L,rw,msize=512000              0 0
EOF

mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/berth-vm.conf"

units=$root/etc/systemd/system
cat >"$units/berth-test.target" <<'EOF'
[Unit]
Description=berth VM test bed: run the guest tests, then power off
Requires=basic.target berth-test.service
After=basic.target berth-test.service
AllowIsolate=yes
EOF
# The test script writes its TAP and exit status to /berth/result; the guest then powers off at once
# (the share is written through, nothing else needs saving), which ends qemu.
cat >"$units/berth-test.service" <<'EOF'
[Unit]
Description=berth VM tests (tests/vm/guest/run.sh)
Requires=dbus.socket
After=basic.target dbus.socket systemd-udev-settle.service
RequiresMountsFor=/berth/src /berth/build /berth/result
SuccessAction=poweroff-immediate
FailureAction=poweroff-immediate

[Service]
Type=oneshot
ExecStart=/bin/bash /berth/src/tests/vm/guest/run.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity
EOF
cat >"$units/berth-shell.target" <<'EOF'
[Unit]
Description=berth VM test bed: a root shell on the serial console (poweroff ends the VM)
Requires=basic.target berth-shell.service
After=basic.target berth-shell.service
AllowIsolate=yes
EOF
cat >"$units/berth-shell.service" <<'EOF'
[Unit]
Description=berth VM debug shell on ttyS0
Requires=dbus.socket
After=basic.target dbus.socket
RequiresMountsFor=/berth/src /berth/build /berth/result
SuccessAction=poweroff-immediate
FailureAction=poweroff-immediate

[Service]
Environment=TERM=vt220 HOME=/root
WorkingDirectory=/root
ExecStartPre=-/bin/sh -c 'echo; echo "berth VM: the tests are /berth/src/tests/vm/guest/run.sh; exit or poweroff ends the VM"'
ExecStart=/bin/bash -l
StandardInput=tty-force
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TTYReset=yes
EOF
# Units that cost boot time and do nothing for the tests (several are not installed: masking
# them anyway keeps this list right when minbase changes).
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service \
        fstrim.timer man-db.timer systemd-networkd-wait-online.service systemd-timesyncd.service \
        systemd-hwdb-update.service ldconfig.service systemd-update-utmp.service \
        systemd-update-utmp-runlevel.service getty@tty1.service serial-getty@ttyS0.service \
        console-getty.service systemd-firstboot.service systemd-machine-id-commit.service \
        systemd-pstore.service systemd-journal-catalog-update.service; do
        ln -sfn /dev/null "$units/$u"
done

# The busybox trees of tests/lib, built now with the guest's busybox (where the guest tests look for
# them): building one in the guest, a symlink per applet on an emulated CPU, takes seconds.
mkdir -p "$root/tmp/berth-lib"
cp "$here/../lib/make-busybox-tree.sh" "$here/../lib/make-busybox-init-tree.sh" "$root/tmp/berth-lib/"
for t in busybox busybox-init; do
        chroot "$root" /bin/bash "/tmp/berth-lib/make-$t-tree.sh" "/var/tmp/berth-test-cache/$t" >/dev/null ||
                die "make-$t-tree.sh in the guest tree failed"
done
rm -rf "$root/tmp/berth-lib" "$root/var/tmp/berth-test-cache/"*.lock

# Small: no package archives, lists, documentation or locales.
rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin
find "$root/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete 2>/dev/null || true
rm -rf "$root/usr/share/doc/"* "$root/usr/share/man/"* "$root/usr/share/locale/"* "$root/usr/share/info/"* \
        "$root/var/log/"*.log "$root/var/log/apt/"* "$root/debootstrap"

# --- the initramfs --------------------------------------------------------------------------------

# deps MODULE...: the module files (relative to /lib/modules/KVER) to load, dependencies first, each
# once. modules.dep: "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko ...".
declare -A seen=()
order=()
mod_path() {
        awk -F: -v m="$1" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n) }
                n == m { print $1; exit }' "$kmods/modules.dep"
}
mod_add() {
        local path dep
        path=$1
        [ -z "${seen[$path]:-}" ] || return 0
        seen[$path]=1
        for dep in $(awk -F': *' -v p="$path" '$1 == p { print $2; exit }' "$kmods/modules.dep"); do
                mod_add "$dep"
        done
        order+=("$path")
}
for m in $INITRAMFS_MODULES; do
        p=$(mod_path "${m//-/_}")
        if [ -z "$p" ]; then
                # Built into this kernel: nothing to load.
                grep -q "/${m//_/[-_]}\.ko" "$kmods/modules.builtin" 2>/dev/null || die "no module $m in $kver"
                continue
        fi
        mod_add "$p"
done

ird=$tmp/initramfs
mkdir -p "$ird/bin" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/newroot" "$ird/lib/modules"
cp "$root/bin/busybox" "$ird/bin/busybox"
for a in sh mount umount insmod sleep switch_root poweroff cat echo mkdir; do
        ln -s busybox "$ird/bin/$a"
done
: >"$ird/modules.load"
for p in "${order[@]}"; do
        mkdir -p "$ird/lib/modules/$(dirname "$p")"
        cp "$kmods/$p" "$ird/lib/modules/$p"
        echo "$p" >>"$ird/modules.load"
done
cat >"$ird/init" <<'EOF'
#!/bin/sh
# berth VM test bed: load the modules to reach the root, mount it, hand over to systemd.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# make-vm-image.sh's check that this kernel boots this way at all.
case " $(cat /proc/cmdline) " in
*" berth.probe "*)
        echo "berth initramfs: probe ok" >/dev/console
        poweroff -f
        ;;
esac
fail() {
        echo "berth initramfs: $*" >/dev/console
        poweroff -f
}
while read -r m; do
        insmod "/lib/modules/$m" || echo "berth initramfs: insmod $m failed" >/dev/console
done </modules.load
root=/dev/vda
for a in $(cat /proc/cmdline); do
        case $a in berth.root=*) root=${a#berth.root=} ;; esac
done
i=0
while [ ! -b "$root" ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
done
mount -t ext4 -o rw "$root" /newroot || fail "cannot mount $root"
[ -e /newroot/sbin/init ] || [ -L /newroot/sbin/init ] || fail "no /sbin/init on $root"
mount --move /dev /newroot/dev
umount /sys /proc
exec switch_root /newroot /sbin/init
EOF
chmod 0755 "$ird/init"
(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$tmp/initramfs.cpio" ||
        die "cpio of the initramfs failed"
rm -rf "$ird"

# --- the kernel image -------------------------------------------------------------------------------

# The bzImage always (BERTH_VM_BOOT=bzimage boots it), the vmlinux when it can be unpacked and boots
# through PVH with qboot here: a boot as far as the initramfs, a few seconds.
cp "$tmp/kernel/boot/vmlinuz-$kver" "$tmp/bzImage"
echo bzimage >"$tmp/boot-mode"
qboot=$(qboot_rom)
if ! "$here/extract-vmlinux.sh" "$tmp/kernel/boot/vmlinuz-$kver" "$tmp/vmlinux" 2>"$log"; then
        echo "$prog: cannot unpack vmlinux ($(tail -n 1 "$log")): the bed boots the bzImage" >&2
elif [ -z "$qboot" ]; then
        echo "$prog: no qboot firmware (qemu-system-data): the bed boots the bzImage" >&2
        rm -f "$tmp/vmlinux"
elif ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
        # Nothing to boot it with here (the bed skips); PVH is what works where there is.
        echo pvh >"$tmp/boot-mode"
elif timeout -k 5 120 qemu-system-x86_64 -nodefaults -no-user-config -M pc -accel tcg -m 256 -display none \
        -no-reboot -bios "$qboot" -kernel "$tmp/vmlinux" -initrd "$tmp/initramfs.cpio" \
        -append "console=ttyS0 quiet panic=-1 berth.probe" -serial "file:$log" </dev/null >/dev/null 2>&1 &&
        grep -q "berth initramfs: probe ok" "$log"; then
        echo pvh >"$tmp/boot-mode"
else
        echo "$prog: vmlinux did not boot through PVH with $qboot: the bed boots the bzImage" >&2
        sed 's/^/  /' "$log" | tail -n 5 >&2
        rm -f "$tmp/vmlinux"
fi
echo "$kver" >"$tmp/kernel-version"
rm -rf "$tmp/kernel"

# --- the disk image ---------------------------------------------------------------------------------

mkfs_dir "$root" "$tmp/root.img" berth-vm
remove_tree "$root"

echo "$stamp" >"$tmp/.stamp"
remove_tree "$dir"
mv -T "$tmp" "$dir"
rm -f "$log"
trap - EXIT
echo "$prog: built $dir in $(($(date +%s) - start)) s (kernel $kver, $(du -sh "$dir" | cut -f1))" >&2
prune "$cache/vm-guest-*" "$dir"
echo "$dir"
