#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The VM test bed's host side: boots the Debian guest of make-vm-image.sh once under qemu, with the
# source tree and the build tree shared read-only over 9p, lets tests/vm/guest/run.sh run every guest
# test in it, and prints the guest's TAP as it comes (the plan, renumbered across the guest scripts,
# comes last). Exit status 0 once the guest reported; 1 (after "Bail out!") when it did not.
#
# Environment (meson sets the first three):
#   BERTH             the berth binary; it must lie in BUILD_ROOT (the guest runs it from the share)
#   BUILD_ROOT        the meson build tree (default: the directory of BERTH)
#   SRC_ROOT          the source tree (default: two levels above this script)
#   BERTH_STATE_DIR   passed on to the guest tests (default /run/berth)
#   BERTH_TEST_CACHE  the cache of images and trees (default /var/tmp/berth-test-cache)
#   BERTH_VM_TIMEOUT  seconds the whole guest run may take before qemu is killed (default 1100)
#   BERTH_VM_MEMORY   the guest's memory in MiB (default 2048)
#   BERTH_VM_ACCEL    qemu's -accel (default tcg,thread=multi: this host's KVM is nested in software)
#   BERTH_VM_BOOT     pvh (the unpacked vmlinux with qboot) or bzimage (the default firmware); the
#                     default is what make-vm-image.sh found to work
#   BERTH_VM_TESTS    guest test names to run (e.g. "smoke resources"); default all
#   BERTH_VM_SHELL=1  no tests: a root shell on the guest's serial console, on this terminal
#                     (`poweroff` or exit ends it; Ctrl-A X quits qemu)
#   MESON_LOG_DIR     where the guest's serial log is kept (default BUILD_ROOT/meson-logs, vm-serial.log)
#
# Skips (1..0 # SKIP) when not root, without qemu-system-x86_64, or when the guest cannot be built here
# (make-vm-image.sh exits 77: no debootstrap, no archive, ...).
set -uo pipefail
prog=vm-test
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip_all() {
        echo "1..0 # SKIP $*"
        exit 0
}
bail_out() {
        echo "Bail out! $*"
        exit 1
}

[ "$(id -u)" = 0 ] || skip_all "not root"
qemu=$(command -v qemu-system-x86_64) || skip_all "no qemu-system-x86_64 (apt-get install qemu-system-x86)"

BERTH=$(realpath "${BERTH:?set BERTH to the berth binary}") || bail_out "no berth binary"
BUILD_ROOT=$(realpath "${BUILD_ROOT:-$(dirname "$BERTH")}") || bail_out "no build tree"
SRC_ROOT=$(realpath "${SRC_ROOT:-$here/../..}") || bail_out "no source tree"
CACHE=${BERTH_TEST_CACHE:-/var/tmp/berth-test-cache}
VM_TIMEOUT=${BERTH_VM_TIMEOUT:-1100}
VM_MEMORY=${BERTH_VM_MEMORY:-2048}
VM_ACCEL=${BERTH_VM_ACCEL:-tcg,thread=multi}
LOG_DIR=${MESON_LOG_DIR:-$BUILD_ROOT/meson-logs}
SHELL_MODE=${BERTH_VM_SHELL:-}
case $BERTH in
"$BUILD_ROOT"/*) ;;
*) bail_out "berth ($BERTH) is not in the build tree ($BUILD_ROOT), which is what the guest sees" ;;
esac

run=$(mktemp -d "${TMPDIR:-/var/tmp}/berth-vm.XXXXXX") || bail_out "no temporary directory"
qpid=
cleanup() {
        if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
                kill -TERM "$qpid" 2>/dev/null
                sleep 1
                kill -KILL "$qpid" 2>/dev/null
                wait "$qpid" 2>/dev/null
        fi
        rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- the guest and its disks ----------------------------------------------------------------------------

# build WHAT CMD...: runs an image builder; its stdout is the result (in BUILT), its stderr goes to
# ours (meson's log). 77 skips the whole bed.
build() {
        local what=$1 st=0
        shift
        BUILT=$("$@" 2>"$run/build.err") || st=$?
        cat "$run/build.err" >&2
        if [ "$st" = 77 ]; then
                return 77
        elif [ "$st" != 0 ]; then
                bail_out "cannot build $what (status $st): $(tail -n 1 "$run/build.err")"
        fi
}
build "the guest" "$here/make-vm-image.sh" "$CACHE" ||
        skip_all "cannot build the guest here: $(tail -n 1 "$run/build.err")"
guest=$BUILT
# The Debian tree the guest boots as a container: a disk of its own, or none (those tests skip).
debian_disk=
if build "the Debian tree" "$SRC_ROOT/tests/lib/make-debian-tree.sh" "$CACHE/debian-systemd"; then
        build "the Debian tree's disk" "$here/make-vm-image.sh" --disk-of="$BUILT" "$CACHE" && debian_disk=$BUILT
else
        echo "$prog: no Debian tree for the guest: $(tail -n 1 "$run/build.err")" >&2
fi

# Static helpers of the guest tests (guest/*.c), for the busybox machines, which have no libc.
mkdir -p "$run/result/bin"
for src in "$here"/guest/*.c; do
        [ -f "$src" ] || continue
        if ! cc -static -O2 -Wall -o "$run/result/bin/$(basename "$src" .c)" "$src" 2>"$run/cc.err"; then
                echo "$prog: cannot build $src (the tests that need it skip): $(cat "$run/cc.err")" >&2
        fi
done

# What the guest's run.sh reads (KEY=VALUE, no quoting).
{
        echo "BERTH=/berth/build/${BERTH#"$BUILD_ROOT"/}"
        echo "BERTH_STATE_DIR=${BERTH_STATE_DIR:-/run/berth}"
        echo "BERTH_VM_HELPERS=/berth/result/bin"
        echo "BERTH_VM_TESTS=${BERTH_VM_TESTS:-}"
        echo "BERTH_VM_BENCH=${BERTH_VM_BENCH:-}"
        [ -z "$debian_disk" ] || echo "BERTH_VM_DEBIAN_DISK=/dev/vdb"
        [ -z "${BERTH_LOG_LEVEL:-}" ] || echo "BERTH_LOG_LEVEL=$BERTH_LOG_LEVEL"
} >"$run/result/vm.env"

# --- qemu -----------------------------------------------------------------------------------------------

unit=berth-test.target
[ -z "$SHELL_MODE" ] || unit=berth-shell.target
cmdline="console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off cgroup_no_v1=all"
cmdline+=" systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 systemd.unit=$unit"
# No -no-reboot: a test may reboot the guest (run.sh), which keeps the disk's changes because -snapshot's
# overlay lives as long as qemu; run.sh fails the run on a reboot nobody asked for (a panic: panic=-1).
args=(-nodefaults -no-user-config -M pc -accel "$VM_ACCEL" -smp 2 -m "$VM_MEMORY" -display none
        -snapshot -append "$cmdline" -initrd "$guest/initramfs.cpio"
        -drive "file=$guest/root.img,format=raw,if=virtio"
        -fsdev "local,id=src,path=$SRC_ROOT,security_model=none,readonly=on"
        -device "virtio-9p-pci,fsdev=src,mount_tag=berth-src"
        -fsdev "local,id=build,path=$BUILD_ROOT,security_model=none,readonly=on"
        -device "virtio-9p-pci,fsdev=build,mount_tag=berth-build"
        -fsdev "local,id=result,path=$run/result,security_model=none"
        -device "virtio-9p-pci,fsdev=result,mount_tag=berth-result")
boot_mode=${BERTH_VM_BOOT:-$(cat "$guest/boot-mode")}
qboot=
for f in /usr/share/qemu/qboot.rom /usr/share/qemu/bios-microvm.bin /usr/share/seabios/qboot.rom; do
        [ -f "$f" ] && { qboot=$f; break; }
done
if [ "$boot_mode" = pvh ] && [ -f "$guest/vmlinux" ] && [ -n "$qboot" ]; then
        # The ELF vmlinux through its PVH entry, with qboot: no BIOS, no decompressor.
        args+=(-bios "$qboot" -kernel "$guest/vmlinux")
else
        boot_mode=bzimage
        args+=(-kernel "$guest/bzImage")
fi
[ -z "$debian_disk" ] || args+=(-drive "file=$debian_disk,format=raw,if=virtio")

if [ -n "$SHELL_MODE" ]; then
        echo "$prog: a shell in the guest (Ctrl-A X quits qemu; the tests: /berth/src/tests/vm/guest/run.sh)" >&2
        "$qemu" "${args[@]}" -serial mon:stdio
        exit $?
fi

mkdir -p "$LOG_DIR" 2>/dev/null
serial=$run/serial.log
start=$SECONDS
"$qemu" "${args[@]}" -serial "file:$serial" </dev/null >"$run/qemu.out" 2>&1 &
qpid=$!

# Prints the complete lines of the guest's TAP file that were not printed yet.
printed=0
stream() {
        local f=$run/result/tap size lines
        [ -f "$f" ] || return 0
        size=$(stat -c %s "$f")
        [ "$size" -gt "$printed" ] || return 0
        tail -c +"$((printed + 1))" "$f" | head -c "$((size - printed))" >"$run/chunk"
        [ "${1:-}" = all ] || {
                lines=$(tr -dc '\n' <"$run/chunk" | wc -c)
                head -n "$lines" "$run/chunk" >"$run/chunk.lines"
                mv "$run/chunk.lines" "$run/chunk"
        }
        cat "$run/chunk"
        printed=$((printed + $(wc -c <"$run/chunk")))
}

timed_out=
while kill -0 "$qpid" 2>/dev/null; do
        stream
        if [ $((SECONDS - start)) -ge "$VM_TIMEOUT" ]; then
                timed_out=1
                kill -TERM "$qpid" 2>/dev/null
                sleep 2
                kill -KILL "$qpid" 2>/dev/null
                break
        fi
        sleep 0.5
done
qrc=0
wait "$qpid" || qrc=$?
qpid=
stream all
cp "$serial" "$LOG_DIR/vm-serial.log" 2>/dev/null
echo "$prog: the guest ran $((SECONDS - start)) s (boot $boot_mode, qemu status $qrc); serial log: $LOG_DIR/vm-serial.log" >&2

status=$(cat "$run/result/status" 2>/dev/null)
if [ -z "$status" ]; then
        {
                echo "$prog: qemu: $(tail -n 5 "$run/qemu.out")"
                echo "$prog: the end of the guest's serial log:"
                tail -n 60 "$serial" 2>/dev/null | sed 's/^/  /'
        } >&2
        if [ -n "$timed_out" ]; then
                bail_out "the guest did not finish in $VM_TIMEOUT s (BERTH_VM_TIMEOUT); qemu was killed"
        fi
        bail_out "the guest ended without reporting (qemu status $qrc)"
fi
if [ "$status" != 0 ]; then
        # Failures are in the TAP; the serial log helps to see why.
        echo "$prog: the end of the guest's serial log:" >&2
        tail -n 40 "$serial" 2>/dev/null | sed 's/^/  /' >&2
fi
exit 0
