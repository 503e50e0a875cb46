#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# btrfs subvolumes through their ioctls and the faithful tree copy (src/image/btrfs-util.c, copy.c),
# driven by image-tool on real file systems: a btrfs and two ext4 ones, each made in a file under a
# temporary directory and mounted through a loop device this script attaches (and detaches) itself.
# btrfs-progs, filefrag and du are only used to check what the library did, with the file system's
# own accounting. Prints TAP.
#
# Environment: IMAGE_TOOL (the image-tool binary; meson sets it).

set -u
set -o pipefail

if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP not root"
        exit 0
fi
IMAGE_TOOL=${IMAGE_TOOL:?set IMAGE_TOOL to the image-tool binary}
HERE=$(cd "$(dirname "$0")" && pwd)
COMPARE=$HERE/tree-compare.py

for tool in mkfs.btrfs btrfs mkfs.ext4 losetup truncate setfacl setfattr setcap getcap filefrag python3 mknod \
        mkfifo du stat; do
        if ! command -v "$tool" >/dev/null; then
                echo "1..0 # SKIP $tool is missing"
                exit 0
        fi
done

TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/berth-images-copy.XXXXXX")
MOUNTS=()
LOOPS=()

cleanup() {
        local i
        for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
                umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null
        done
        for i in "${LOOPS[@]}"; do
                losetup -d "$i" 2>/dev/null
        done
        rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------
# TAP

N=0
FAILED=0
pass() { N=$((N + 1)); echo "ok $N - $*"; }
fail() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
diag() { sed 's/^/# /'; }
check() { # check DESC CMD...
        local desc=$1 out
        shift
        if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc"; printf '%s\n' "$out" | head -20 | diag; fi
}
check_fails() { # check_fails DESC ERRNO-NAME CMD...: CMD fails, saying ERRNO-NAME
        local desc=$1 want=$2 out
        shift 2
        if out=$("$@" 2>&1); then
                fail "$desc (succeeded)"
        elif [[ $out == *"$want"* ]]; then
                pass "$desc"
        else
                fail "$desc (wanted $want)"
                printf '%s\n' "$out" | head -5 | diag
        fi
}

# ---------------------------------------------------------------------------------------------------
# File systems in files

# make_fs TYPE SIZE DIR: a TYPE file system of SIZE in a file, mounted on DIR (created).
make_fs() {
        local type=$1 size=$2 dir=$3 img loop
        img=$TMP/${dir##*/}.img
        truncate -s "$size" "$img" || return 1
        case $type in
        btrfs) mkfs.btrfs -q "$img" >/dev/null 2>&1 || return 1 ;;
        ext4) mkfs.ext4 -q -F "$img" >/dev/null 2>&1 || return 1 ;;
        esac
        loop=$(losetup --find --show "$img") || return 1
        LOOPS+=("$loop")
        mkdir -p "$dir"
        mount -t "$type" "$loop" "$dir" || return 1
        MOUNTS+=("$dir")
}

B=$TMP/btrfs
E=$TMP/ext4
S=$TMP/small
if ! make_fs btrfs 512M "$B" || ! make_fs ext4 512M "$E" || ! make_fs ext4 16M "$S"; then
        echo "1..0 # SKIP cannot make and loop-mount file systems here"
        exit 0
fi

# ---------------------------------------------------------------------------------------------------
# The source tree: everything a faithful copy must keep.

# make_tree DIR: fills the existing directory DIR.
make_tree() {
        local d=$1
        (
                set -e
                cd "$d"
                echo data >plain
                chown 1234:5678 plain
                chmod 0640 plain
                echo suid >suid && chmod 4755 suid
                echo sgid >sgid && chown 0:100 sgid && chmod 2711 sgid
                mkdir setgid-dir sticky-dir empty-dir sub
                chmod 2775 setgid-dir
                chmod 1777 sticky-dir
                chown 1000:1000 sub
                echo x >xattrs
                setfattr -n user.comment -v "hello world" xattrs
                setfattr -n trusted.berth -v 0sAAECAwQ= xattrs
                setfattr -n user.dir -v yes sub
                echo acl >acl
                setfacl -m u:1000:rwx,g:100:r acl
                mkdir acl-dir
                setfacl -m u:1001:rx acl-dir
                setfacl -d -m u:1002:rwx,g:100:rx acl-dir
                echo inherits >acl-dir/inherited
                printf '#!/bin/sh\n' >ping
                chown 1234:1234 ping
                chmod 0755 ping
                setcap cap_net_raw+ep ping
                echo linked >link1
                ln link1 link2
                ln link1 sub/link3
                mknod null c 1 3
                mknod loopy b 7 200
                chown 5:6 loopy
                chmod 0660 loopy
                mkfifo fifo
                python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock")'
                ln -s plain rel-link
                ln -s /etc/passwd abs-link
                ln -s /etc etc-link
                ln -s ../../../../../../../../etc/shadow climbing-link
                ln -s does-not-exist dangling
                setfattr -h -n trusted.on-link -v 1 rel-link
                chown -h 77:88 rel-link
                ln rel-link rel-link-hard
                truncate -s 1G sparse
                dd if=/dev/urandom of=sparse bs=4096 count=1 seek=131072 conv=notrunc status=none
                head -c 8M /dev/urandom >big
                : >empty
                echo n >$'new\nline'
                echo s >' space'
                echo m >-minus
                echo l >"$(printf 'L%.0s' {1..255})"
                mkdir -p deep/a/b/c/d/e/f/g
                echo bottom >deep/a/b/c/d/e/f/g/h
                # Times last: creating entries changed every directory's mtime.
                find . -depth ! -name . -exec touch -h -d "2001-02-03 04:05:06.123456789" {} +
                touch -d "1999-12-31 23:59:59" plain sub
                touch -h -d "2010-01-01 00:00:00" rel-link
                touch -d "2002-02-02 02:02:02" .
        )
}

src=$B/src
"$IMAGE_TOOL" subvol-create "$B" src && make_tree "$src" && "$IMAGE_TOOL" subvol-create "$src" nested &&
        "$IMAGE_TOOL" subvol-create "$src/nested" inner && mkdir -p "$src/sub/deeper" &&
        "$IMAGE_TOOL" subvol-create "$src/sub/deeper" vol3 && echo inner >"$src/nested/inner/file" &&
        head -c 1M /dev/urandom >"$src/sub/deeper/vol3/blob" && chown 42:42 "$src/nested/inner" &&
        touch -d "2003-03-03" "$src/sub/deeper" "$src/nested/inner" "$src/nested" "$src/sub" "$src"
check "a source subvolume with nested subvolumes and a hostile tree is made" test -d "$src/nested/inner"
check "the source is a subvolume" grep -qx yes <("$IMAGE_TOOL" is-subvolume "$src")
check "a plain directory is not a subvolume" grep -qx no <("$IMAGE_TOOL" is-subvolume "$src/sub")
check "the btrfs is on btrfs" grep -qx yes <("$IMAGE_TOOL" on-btrfs "$src")
check "the ext4 is not on btrfs" grep -qx no <("$IMAGE_TOOL" on-btrfs "$E")

# ---------------------------------------------------------------------------------------------------
# Snapshots

is_subvol_per_btrfs() { btrfs subvolume show "$1" >/dev/null 2>&1; }

check "snapshot (recursive) succeeds" "$IMAGE_TOOL" snapshot "$src" "$B" snap
check "the snapshot is a subvolume (btrfs subvolume show)" is_subvol_per_btrfs "$B/snap"
check "nested subvolumes are subvolumes in the snapshot too" \
        eval 'is_subvol_per_btrfs "$B/snap/nested" && is_subvol_per_btrfs "$B/snap/nested/inner" &&
              is_subvol_per_btrfs "$B/snap/sub/deeper/vol3"'
check "nested subvolumes in the snapshot are new ones, not the source's" \
        eval '[ "$(btrfs subvolume show "$B/snap/nested/inner" | awk "/Subvolume ID:/ {print \$3}")" != \
                "$(btrfs subvolume show "$src/nested/inner" | awk "/Subvolume ID:/ {print \$3}")" ]'
check "the snapshot is identical to the source" python3 "$COMPARE" "$src" "$B/snap"
sync
excl=$(btrfs filesystem du -s --raw "$B/snap" | awk 'NR == 2 {print $2}')
total=$(btrfs filesystem du -s --raw "$B/snap" | awk 'NR == 2 {print $1}')
if [ -n "$excl" ] && [ "$excl" -eq 0 ] && [ "$total" -gt $((8 << 20)) ]; then
        pass "the snapshot shares all its extents (btrfs filesystem du: $total total, $excl exclusive)"
else
        fail "the snapshot shares all its extents (btrfs filesystem du: ${total:-?} total, ${excl:-?} exclusive)"
fi
check "a non-recursive snapshot leaves nested subvolumes out (empty directories)" \
        eval '"$IMAGE_TOOL" snapshot "$src" "$B" flat --no-recursive && [ -d "$B/flat/nested" ] &&
              ! is_subvol_per_btrfs "$B/flat/nested" && [ -z "$(ls -A "$B/flat/nested")" ]'
check_fails "snapshot of something that is not a subvolume fails" EMEDIUMTYPE "$IMAGE_TOOL" snapshot "$src/sub" "$B" x
check_fails "snapshot onto an existing name fails" EEXIST "$IMAGE_TOOL" snapshot "$src" "$B" snap

# Read-only
check "read-only recursive snapshot succeeds" "$IMAGE_TOOL" snapshot "$src" "$B" snapro --read-only
check "it reads as read-only (ioctl)" grep -qx yes <("$IMAGE_TOOL" ro get "$B/snapro")
check "btrfs agrees it is read-only" grep -qx ro=true <(btrfs property get "$B/snapro" ro)
check "nested ones are read-only too" grep -qx ro=true <(btrfs property get "$B/snapro/nested/inner" ro)
check_fails "writing into it fails with EROFS" "Read-only file system" touch "$B/snapro/new"
check "read-only snapshot is identical to the source" python3 "$COMPARE" "$src" "$B/snapro"
check "ro set no" "$IMAGE_TOOL" ro set "$B/snapro" no
check "it reads as writable" grep -qx no <("$IMAGE_TOOL" ro get "$B/snapro")
check "btrfs agrees it is writable" grep -qx ro=false <(btrfs property get "$B/snapro" ro)
check "writing into it works again" touch "$B/snapro/new"
check "ro set yes" "$IMAGE_TOOL" ro set "$B/snapro" yes
check_fails "and writing fails again" "Read-only file system" touch "$B/snapro/new2"

# Removal
check "subvol-remove of a read-only snapshot with read-only nested subvolumes" \
        "$IMAGE_TOOL" subvol-remove "$B" snapro
check "it is gone, nested ones too" eval '[ ! -e "$B/snapro" ] && ! btrfs subvolume list "$B" | grep -q snapro'
check "remove (the tree walk) of a snapshot with nested subvolumes" "$IMAGE_TOOL" remove "$B" snap
check "it is gone, nested ones too" eval '[ ! -e "$B/snap" ] && ! btrfs subvolume list "$B" | grep -q "path snap"'
check "remove of the flat snapshot" "$IMAGE_TOOL" remove "$B" flat
check "the source is untouched" eval '[ "$(cat "$src/nested/inner/file")" = inner ] &&
                                     btrfs subvolume list "$B" | grep -q "path src/nested/inner"'
check_fails "subvol-remove of a plain directory fails" EMEDIUMTYPE "$IMAGE_TOOL" subvol-remove "$src" sub
check_fails "remove of a missing name fails" ENOENT "$IMAGE_TOOL" remove "$B" missing

# Quotas
check_fails "usage without quotas is ENODATA" ENODATA "$IMAGE_TOOL" usage "$src"
if btrfs quota enable "$B" 2>/dev/null && btrfs quota rescan -w "$B" >/dev/null 2>&1; then
        sync
        id=$(btrfs subvolume show "$src" | awk '/Subvolume ID:/ {print $3}')
        want=$(btrfs qgroup show --raw "$B" | awk -v q="0/$id" '$1 == q {print "referenced=" $2 " exclusive=" $3}')
        got=$("$IMAGE_TOOL" usage "$src")
        if [ -n "$want" ] && [ "$got" = "$want" ]; then
                pass "usage with quotas matches btrfs qgroup show ($got)"
        else
                fail "usage with quotas matches btrfs qgroup show (got '$got', btrfs says '$want')"
        fi
        btrfs quota disable "$B"
else
        N=$((N + 1))
        echo "ok $N - usage with quotas # SKIP cannot enable quotas"
fi

# ---------------------------------------------------------------------------------------------------
# Copies

# A mount inside the source: the copy keeps an empty directory in its place.
mkdir "$src/mnt" && mount -t tmpfs -o size=1M,mode=0711 tmpfs "$src/mnt" && MOUNTS+=("$src/mnt") &&
        echo "other fs" >"$src/mnt/inside"
touch -d "2003-03-03" "$src"

# extents_shared FILE: filefrag -v marks every data extent of FILE shared
extents_shared() { filefrag -v "$1" | grep -q shared; }
# allocated_kib FILE
allocated_kib() { du -k "$1" | cut -f1; }

check "copy on btrfs (reflink=auto)" "$IMAGE_TOOL" copy "$src" "$B" copy
check "the copy is identical to the source" python3 "$COMPARE" --skip mnt "$src" "$B/copy"
check "the mount point became an empty directory" eval '[ -d "$B/copy/mnt" ] && [ -z "$(ls -A "$B/copy/mnt")" ]'
sync
check "file data is shared by reflink (filefrag: shared)" extents_shared "$B/copy/big"
check "a sparse file stays sparse ($(allocated_kib "$B/copy/sparse") KiB allocated)" \
        test "$(allocated_kib "$B/copy/sparse")" -lt 1024
check "file capabilities survived" grep -q cap_net_raw <(getcap "$B/copy/ping")
check "symlinks to outside were copied as links" eval '[ -L "$B/copy/abs-link" ] &&
        [ -L "$B/copy/etc-link" ] && [ "$(readlink "$B/copy/etc-link")" = /etc ]'
check "nested subvolumes were copied as plain directories" eval '! is_subvol_per_btrfs "$B/copy/nested"'
check "copy --reflink=always on btrfs" "$IMAGE_TOOL" copy "$src" "$B" copy-always --reflink=always
check "that copy is identical too" python3 "$COMPARE" --skip mnt "$src" "$B/copy-always"
check "copy --subvolume makes subvolumes" \
        eval '"$IMAGE_TOOL" copy "$src" "$B" copy-sv --subvolume && is_subvol_per_btrfs "$B/copy-sv" &&
              is_subvol_per_btrfs "$B/copy-sv/nested/inner" && ! is_subvol_per_btrfs "$B/copy-sv/sub"'
check "that copy is identical too" python3 "$COMPARE" --skip mnt "$src" "$B/copy-sv"
touch -r "$src/sub" "$TMP/sub-time"
check "a copy of a copy inside its source does not copy itself" \
        eval '"$IMAGE_TOOL" copy "$src/sub" "$src/sub" self && [ ! -e "$src/sub/self/self" ] &&
              "$IMAGE_TOOL" remove "$src/sub" self'
touch -r "$TMP/sub-time" "$src/sub" # the test above changed it
check_fails "copy onto an existing name fails" EEXIST "$IMAGE_TOOL" copy "$src" "$B" copy
check "and left the existing copy alone" python3 "$COMPARE" --skip mnt "$src" "$B/copy"
check "remove of the copies" eval '"$IMAGE_TOOL" remove "$B" copy && "$IMAGE_TOOL" remove "$B" copy-always &&
                                   "$IMAGE_TOOL" remove "$B" copy-sv && [ -z "$(ls -A "$B" | grep -v src)" ]'

out=$("$IMAGE_TOOL" copy "$src" "$E" copy --progress 2>"$TMP/progress")
check "copy from btrfs to ext4 (reflink=auto: a full copy)" test -d "$E/copy"
check "the ext4 copy is identical to the source" python3 "$COMPARE" --skip mnt "$src" "$E/copy"
check "no extent of the ext4 copy is shared" eval '! extents_shared "$E/copy/big"'
check "a sparse file stays sparse on ext4 ($(allocated_kib "$E/copy/sparse") KiB allocated)" \
        test "$(allocated_kib "$E/copy/sparse")" -lt 1024
check "progress was reported, ending at its total" \
        eval 'grep -q "^progress" "$TMP/progress" && tail -1 "$TMP/progress" |
              awk "{ split(\$2, d, \"=\"); split(\$3, t, \"=\"); exit !(d[2] == t[2] && d[2] > 8000000) }"'
check "ext4 to ext4 (copy_file_range) is identical" eval '"$IMAGE_TOOL" copy "$E/copy" "$E" copy2 &&
        python3 "$COMPARE" "$E/copy" "$E/copy2" && "$IMAGE_TOOL" remove "$E" copy2'
check "a copy below a directory with a default ACL does not inherit it" \
        eval 'mkdir "$E/acl-parent" && setfacl -d -m u:1003:rwx,g:1003:rwx "$E/acl-parent" &&
              "$IMAGE_TOOL" copy "$src/sub" "$E/acl-parent" copy && python3 "$COMPARE" "$src/sub" "$E/acl-parent/copy" &&
              "$IMAGE_TOOL" remove "$E" acl-parent'
check_fails "copy --reflink=always to ext4 fails" "EXDEV" "$IMAGE_TOOL" copy "$src" "$E" refl --reflink=always
check "and leaves nothing behind" test ! -e "$E/refl"
mkdir -p "$B/fill/a/b" && head -c 24M /dev/urandom >"$B/fill/a/b/large" && echo small >"$B/fill/a/small"
check_fails "a copy that fills the file system fails" ENOSPC "$IMAGE_TOOL" copy "$B/fill" "$S" full
check "and leaves nothing behind" test -z "$(ls -A "$S" | grep -v lost+found)"

# Absurd depth: refused, nothing left.
deep=$E/deep
mkdir "$deep" && (cd "$deep" && for _ in $(seq 300); do mkdir d && cd d || exit 1; done)
check_fails "a tree deeper than the cap is refused" ELOOP "$IMAGE_TOOL" copy "$deep" "$E" deep-copy
check "and leaves nothing behind" test ! -e "$E/deep-copy"

# ---------------------------------------------------------------------------------------------------
# Removal never follows symlinks or crosses mounts

mkdir -p "$E/victim" "$E/outside" && echo keep >"$E/outside/file" && ln -s "$E/outside" "$E/victim/link" &&
        ln -s "$E/outside/file" "$E/victim/flink" && mkdir "$E/victim/m" &&
        mount -t tmpfs -o size=1M tmpfs "$E/victim/m" && MOUNTS+=("$E/victim/m") && echo keep >"$E/victim/m/file"
check_fails "remove of a tree with a mount inside fails" EBUSY "$IMAGE_TOOL" remove "$E" victim
check "the mount's contents are intact" grep -qx keep "$E/victim/m/file"
umount "$E/victim/m"
check "remove of a tree with symlinks to outside" "$IMAGE_TOOL" remove "$E" victim
check "the tree is gone" test ! -e "$E/victim"
check "what the symlinks pointed to is intact" grep -qx keep "$E/outside/file"
check "remove of a 300-deep tree is refused (cap)" eval '! "$IMAGE_TOOL" remove "$E" deep 2>/dev/null'
rm -rf "$deep"
check "remove of the ext4 copy" "$IMAGE_TOOL" remove "$E" copy
check "remove of a single file" eval 'touch "$E/f" && "$IMAGE_TOOL" remove "$E" f && [ ! -e "$E/f" ]'

echo "1..$N"
[ "$FAILED" -eq 0 ]
