#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth run/boot -i FILE: raw disk images. GPT images with the Discoverable Partitions Specification's
# types (root of this architecture, /home, an ESP that must stay unmounted), the GPT attributes
# (read-only, no-auto), the generic "Linux filesystem data" root, a bare ext4 image, read-only images
# (mode 0444, --read-only), the default user namespace (idmapped) and --private-users=no, clear errors
# for a disk without a root and a file that is no image, a machine killed with its monitor, and a
# booted busybox-init image rebooted and powered off. After every case no loop device of ours is attached and
# nothing of the image is mounted on the host.
. "$(dirname "$0")/../integration/lib.sh"

for tool in sfdisk mkfs.ext4 losetup dd truncate; do
        if ! command -v "$tool" >/dev/null; then
                echo "1..0 # SKIP $tool is missing (fdisk, e2fsprogs, util-linux)"
                exit 0
        fi
done
if [ ! -e /dev/loop-control ] && [ ! -e /sys/module/loop ]; then
        echo "1..0 # SKIP no loop device support on this host"
        exit 0
fi
if ! mkfs.ext4 -q -d "$TREE" "$TEST_TMP/probe.img" 8M >/dev/null 2>&1; then
        echo "1..0 # SKIP mkfs.ext4 cannot populate a file system (-d)"
        exit 0
fi
rm -f "$TEST_TMP/probe.img"

case "$(uname -m)" in
x86_64) ROOT_TYPE=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 ;;
aarch64) ROOT_TYPE=B921B045-1DF0-41C3-AF44-4C6F280D3FAE ;;
*)
        echo "1..0 # SKIP no root partition type known to this test for $(uname -m)"
        exit 0
        ;;
esac
HOME_TYPE=933AC7E1-2EB4-4F13-B844-0E14E2AEF915
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
GENERIC_TYPE=0FC63DAF-8483-4772-8E79-3D69D8477DE4
RO_ATTR='attrs="GUID:60"'
NOAUTO_ATTR='attrs="GUID:63"'

IMG=$TEST_TMP/img
mkdir -p "$IMG"
# Every loop device still attached to one of our images is detached at the end, also after a failure:
# only ours, found by their backing files.
detach_ours() {
        local f d
        for f in "$IMG"/*; do
                [ -f "$f" ] || continue
                for d in $(losetup -j "$f" -O NAME -n 2>/dev/null); do
                        losetup -d "$d" 2>/dev/null
                done
        done
}
at_exit detach_ours

# --- the images --------------------------------------------------------------------------------------
# File systems are built in files and put together with dd, so no loop device is needed to make them.
mkdir -p "$TEST_TMP/home-src/alice" "$TEST_TMP/esp-src"
echo hello >"$TEST_TMP/home-src/alice/note"
echo esp >"$TEST_TMP/esp-src/esp-marker"
mkfs.ext4 -q -d "$TREE" "$IMG/root.ext4" 24M >/dev/null || bail_out "cannot build the root file system"
mkfs.ext4 -q -d "$TEST_TMP/home-src" "$IMG/home.ext4" 8M >/dev/null || bail_out "cannot build the home file system"
mkfs.ext4 -q -d "$TEST_TMP/esp-src" "$IMG/esp.ext4" 4M >/dev/null || bail_out "cannot build the ESP stand-in"

# make_disk OUT TYPE:FILE[:ATTRS]...: a GPT disk image with one partition per argument, each holding FILE
# (or nothing for "-"), starting at 1 MiB and aligned to 1 MiB.
make_disk() {
        local out=$1 start=2048 spec=$'label: gpt\nunit: sectors\n' p type file attrs sectors
        shift
        local parts=("$@")
        for p in "${parts[@]}"; do
                IFS=: read -r type file attrs <<<"$p"
                if [ "$file" = - ]; then sectors=8192; else sectors=$(($(stat -c %s "$file") / 512)); fi
                spec+="start=$start, size=$sectors, type=$type${attrs:+, $attrs}"$'\n'
                start=$(((start + sectors + 2047) / 2048 * 2048))
        done
        truncate -s $(((start + 2048) * 512)) "$out"
        sfdisk -q "$out" <<<"$spec" || return 1
        start=2048
        for p in "${parts[@]}"; do
                IFS=: read -r type file attrs <<<"$p"
                if [ "$file" = - ]; then sectors=8192; else
                        sectors=$(($(stat -c %s "$file") / 512))
                        dd if="$file" of="$out" bs=512 seek="$start" conv=notrunc status=none || return 1
                fi
                start=$(((start + sectors + 2047) / 2048 * 2048))
        done
}

DISK=$IMG/disk.raw
make_disk "$DISK" "$ESP_TYPE:$IMG/esp.ext4" "$ROOT_TYPE:$IMG/root.ext4" "$HOME_TYPE:$IMG/home.ext4" ||
        bail_out "cannot build the GPT disk image"

# loops FILE: the loop devices attached to FILE (empty when none).
loops() { losetup -j "$1" -O NAME -n 2>/dev/null; }
# no_loops FILE DESC: no loop device of FILE remains (the kernel detaches autoclear devices as their last
# user goes, which may lag behind berth's exit for a moment).
no_loops() {
        if wait_until 10 test -z "$(loops "$1")"; then
                pass "$2"
        else
                fail "$2"
                diag "still attached: $(losetup -j "$1")"
        fi
}
# The ext4 mounts a machine sees, as "MOUNTPOINT OPTIONS" lines.
MOUNTS='awk '\''{ for (i = 7; i < NF && $i != "-"; i++) ; if ($(i + 1) == "ext4") print $5, $6 }'\'' /proc/self/mountinfo'

# --- a GPT disk: root and /home mounted, the ESP not -------------------------------------------------
new_name
bx run -i "$DISK" -M "$NAME" -- /bin/sh -c "cat /etc/os-release; cat /home/alice/note; $MOUNTS; ls -n /etc/os-release"
is "$RC" 0 "run -i disk.raw: exit status 0"
like "$OUT" 'PRETTY_NAME="BusyBox tree' "the root partition is the root: /etc/os-release is the tree's"
like "$OUT" '^hello$' "the /home partition is mounted on /home"
is "$(grep -c '^/' <<<"$OUT")" 2 "two ext4 mounts in the machine: the root and /home (not the ESP)"
like "$OUT" '^/ rw' "the root is read-write"
like "$OUT" '^/home rw' "/home is read-write"
like "$OUT" ' 0 +0 .*/etc/os-release' "default user namespace: the image's root-owned files are the guest root's (idmapped)"
unlike "$OUT" 'esp-marker' "nothing of the ESP shows"
no_leftovers "$NAME" "no state, lock or cgroup left"
no_loops "$DISK" "no loop device of the image remains"

# The guest writes through the idmapped mount as root: on disk the file is root's, as
# --private-users=no (root is root) sees it.
new_name
bx run -i "$DISK" -M "$NAME" -- /bin/sh -c 'echo guest >/home/alice/by-guest && id -u'
is "$RC/$OUT" "0/0" "default user namespace: the guest's root writes to /home"
new_name
bx run -i "$DISK" -M "$NAME" --private-users=no -- /bin/sh -c "stat -c '%u %g' /home/alice/by-guest; cat /home/alice/by-guest; $MOUNTS"
is "$RC" 0 "--private-users=no: exit status 0"
like "$OUT" '^0 0$' "--private-users=no: the guest's file belongs to root on disk"
like "$OUT" '^guest$' "--private-users=no: the root and /home are mounted"
is "$(grep -c '^/' <<<"$OUT")" 2 "--private-users=no: two ext4 mounts"
no_loops "$DISK" "--private-users=no: no loop device remains"

# --- nothing on the host while the machine runs; SIGKILL of the monitor leaves no loop device --------
new_name
M=$NAME
bg MPID "$BERTH" run -i "$DISK" -M "$M" -- /bin/sleep 1000
if wait_until 30 test -s "$(state_file "$M")"; then
        pass "a machine of the image runs"
        devs=$(loops "$DISK")
        isnt "$devs" "" "while it runs, the image is attached"
        host_hits=0
        for d in $devs; do
                mm=$(printf '%d:%d' "$(stat -c 0x%t "$d")" "$(stat -c 0x%T "$d")")
                awk -v mm="$mm" '$3 == mm { found = 1 } END { exit !found }' /proc/self/mountinfo && host_hits=$((host_hits + 1))
        done
        is "$host_hits" 0 "nothing of the image is mounted in the host's mount namespace"
        LEADER=$(sed -n 's/^LEADER=//p' "$(state_file "$M")")
        kill -KILL "$MPID"
        wait "$MPID" 2>/dev/null
        wait_until 30 eval "! kill -0 ${LEADER:-0} 2>/dev/null"
        ok $? "SIGKILL of the monitor: the machine goes too"
        no_loops "$DISK" "SIGKILL of the monitor: no loop device of the image remains"
        "$BERTH" list >/dev/null 2>&1 # collects the killed monitor's records
else
        fail "a machine of the image runs"
        diag "$(cat "$TEST_TMP/.err" 2>/dev/null)"
fi

# --- a bare ext4 image, no partition table -----------------------------------------------------------
cp "$IMG/root.ext4" "$IMG/bare.raw"
new_name
bx run -i "$IMG/bare.raw" -M "$NAME" -- /bin/sh -c "cat /etc/os-release; $MOUNTS"
is "$RC" 0 "bare ext4 image: exit status 0"
like "$OUT" 'PRETTY_NAME="BusyBox tree' "bare ext4 image: it is the root"
is "$(grep -c '^/' <<<"$OUT")" 1 "bare ext4 image: one ext4 mount"
no_loops "$IMG/bare.raw" "bare ext4 image: no loop device remains"

# --- "Linux filesystem data" as the only candidate is the root ---------------------------------------
make_disk "$IMG/generic.raw" "$ESP_TYPE:-" "$GENERIC_TYPE:$IMG/root.ext4" || bail_out "cannot build generic.raw"
new_name
bx run -i "$IMG/generic.raw" -M "$NAME" -- /bin/cat /etc/os-release
is "$RC" 0 "generic Linux partition as the root: exit status 0"
like "$OUT" 'PRETTY_NAME="BusyBox tree' "generic Linux partition as the root: mounted as /"
no_loops "$IMG/generic.raw" "generic Linux partition: no loop device remains"

# --- read-only -----------------------------------------------------------------------------------------
cp "$DISK" "$IMG/ro.raw"
chmod 0444 "$IMG/ro.raw"
new_name
bx run -i "$IMG/ro.raw" -M "$NAME" -- /bin/sh -c "$MOUNTS; touch /x 2>&1; touch /home/alice/x 2>&1; true"
is "$RC" 0 "image of mode 0444: exit status 0"
like "$OUT" '^/ ro' "image of mode 0444: the root is read-only"
like "$OUT" '^/home ro' "image of mode 0444: /home is read-only"
like "$OUT" 'touch: /x: Read-only file system' "image of mode 0444: the root cannot be written"
no_loops "$IMG/ro.raw" "image of mode 0444: no loop device remains"

new_name
bx run -i "$DISK" --read-only -M "$NAME" -- /bin/sh -c "$MOUNTS"
like "$OUT" '^/ ro' "--read-only: the root is read-only"
like "$OUT" '^/home ro' "--read-only: /home is read-only"
no_loops "$DISK" "--read-only: no loop device remains"

make_disk "$IMG/attrs.raw" "$ROOT_TYPE:$IMG/root.ext4" "$HOME_TYPE:$IMG/home.ext4:$RO_ATTR" ||
        bail_out "cannot build attrs.raw"
new_name
bx run -i "$IMG/attrs.raw" -M "$NAME" -- /bin/sh -c "$MOUNTS"
like "$OUT" '^/ rw' "GPT read-only attribute on /home: the root stays read-write"
like "$OUT" '^/home ro' "GPT read-only attribute on /home: /home is read-only"
no_loops "$IMG/attrs.raw" "GPT read-only attribute: no loop device remains"

make_disk "$IMG/noauto.raw" "$ROOT_TYPE:$IMG/root.ext4" "$HOME_TYPE:$IMG/home.ext4:$NOAUTO_ATTR" ||
        bail_out "cannot build noauto.raw"
new_name
bx run -i "$IMG/noauto.raw" -M "$NAME" -- /bin/sh -c "$MOUNTS"
is "$RC" 0 "GPT no-auto attribute on /home: exit status 0"
is "$(grep -c '^/' <<<"$OUT")" 1 "GPT no-auto attribute on /home: only the root is mounted"
no_loops "$IMG/noauto.raw" "GPT no-auto attribute: no loop device remains"

# --- errors ----------------------------------------------------------------------------------------------
make_disk "$IMG/noroot.raw" "$ESP_TYPE:-" "$HOME_TYPE:$IMG/home.ext4" || bail_out "cannot build noroot.raw"
new_name
bx run -i "$IMG/noroot.raw" -M "$NAME" -- /bin/true
is "$RC" 66 "a disk without a root partition: exit status 66 (not found)"
like "$ERR" "^berth: image '.*noroot.raw': no root partition" "a disk without a root partition: says so"
no_loops "$IMG/noroot.raw" "a disk without a root partition: no loop device remains"
no_leftovers "$NAME" "a disk without a root partition: no state, lock or cgroup left"

head -c 1048576 /dev/zero | tr '\0' 'x' >"$IMG/junk.raw"
new_name
bx run -i "$IMG/junk.raw" -M "$NAME" -- /bin/true
is "$RC" 66 "a file that is no image: exit status 66"
like "$ERR" "neither a partition table nor a file system" "a file that is no image: says so"
no_loops "$IMG/junk.raw" "a file that is no image: no loop device remains"

new_name
bx run -i "$TEST_TMP" -M "$NAME" -- /bin/true
is "$RC" 64 "a directory as the image: usage error"
like "$ERR" "is not a regular file" "a directory as the image: says so"
bx run -i "$DISK" -D "$TREE" -- /bin/true
is "$RC" 64 "-i and -D together: usage error"
bx run -i "$IMG/missing.raw" -- /bin/true
is "$RC" 66 "a missing image: exit status 66"

# --- boot a busybox-init image, power it off -------------------------------------------------------
if INIT_TREE=$("$SRC_ROOT/tests/lib/make-busybox-init-tree.sh" "$CACHE/busybox-init" 2>/dev/null); then
        mkfs.ext4 -q -d "$INIT_TREE" "$IMG/init.ext4" 24M >/dev/null || bail_out "cannot build the init file system"
        make_disk "$IMG/boot.raw" "$ROOT_TYPE:$IMG/init.ext4" || bail_out "cannot build boot.raw"
        new_name
        M=$NAME
        # The guest's console (pipe) goes to a file: only TAP on stdout.
        bg BPID sh -c 'exec "$@" >"$0" 2>&1' "$TEST_TMP/boot-console" "$BERTH" boot -i "$IMG/boot.raw" -M "$M" --console=pipe --restart=on-reboot
        if wait_until 30 "$BERTH" enter "$M" -- test -e /run/booted; then
                pass "boot -i: the busybox guest booted (rcS ran)"
                # A reboot: the monitor starts the guest again, which mounts the image again.
                "$BERTH" enter "$M" -- touch /run/first-boot
                bx reboot "$M"
                is "$RC" 0 "boot -i: berth reboot"
                wait_until 30 eval "! \"\$BERTH\" enter \"\$M\" -- test -e /run/first-boot 2>/dev/null"
                ok $? "boot -i --restart=on-reboot: the first boot ended"
                wait_until 30 "$BERTH" enter "$M" -- test -e /run/booted
                ok $? "boot -i --restart=on-reboot: the guest booted again from the image"
                bx enter "$M" -- cat /etc/os-release
                like "$OUT" 'BusyBox' "boot -i: after the reboot the image's root is mounted"
                bx poweroff "$M"
                is "$RC" 0 "boot -i: berth poweroff"
                wait_until 30 eval "! kill -0 $BPID 2>/dev/null"
                ok $? "boot -i: the monitor ends after the power-off"
                wait "$BPID"
                is "$?" 0 "boot -i: exit status 0 after a power-off"
        else
                fail "boot -i: the busybox guest booted (rcS ran)"
        fi
        no_loops "$IMG/boot.raw" "boot -i: no loop device remains"
        no_leftovers "$M" "boot -i: no state, lock or cgroup left"
else
        skip "boot -i of a busybox-init image" "no busybox-init tree on this host"
fi

done_testing
