#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The image verbs on a store of their own (--image-path / BERTH_IMAGE_PATH), once on a btrfs and once on
# an ext4 file system made in files by the test: create --from=busybox, images (table and JSON),
# image-status, clone (a snapshot sharing every extent on btrfs, a full copy on ext4), rename, read-only,
# remove, import-tar / export-tar (a round trip that boots, a hostile archive refused with nothing left),
# import-fs, -M NAME found in the store, the image lock (two writable machines refused, read-only ones
# shared), --ephemeral (nothing left, also after the monitor was SIGKILLed), --template=, and every verb's
# errors (bad names, missing images, busy and read-only images). Nothing is left in the store.
. "$(dirname "$0")/../boot/lib.sh"

for tool in mkfs.btrfs mkfs.ext4 btrfs truncate python3; do
        if ! command -v "$tool" >/dev/null; then
                echo "1..0 # SKIP $tool is missing (btrfs-progs, e2fsprogs, coreutils, python3)"
                exit 0
        fi
done

FS=$TEST_TMP/fs
mkdir -p "$FS"
unmount_ours() {
        local m
        for m in "$FS"/mnt-*; do
                mountpoint -q "$m" 2>/dev/null && umount -l "$m"
        done
}
at_exit unmount_ours

# make_fs TYPE: a TYPE file system in a file, loop-mounted (mount -o loop detaches it again on umount);
# prints the mount point.
make_fs() {
        local img=$FS/$1.img mnt=$FS/mnt-$1
        mkdir -p "$mnt"
        truncate -s 1G "$img"
        case $1 in
        btrfs) mkfs.btrfs -q "$img" >/dev/null 2>&1 ;;
        ext4) mkfs.ext4 -q "$img" >/dev/null 2>&1 ;;
        esac || return 1
        mount -o loop "$img" "$mnt" || return 1
        echo "$mnt"
}

# store_leftovers STORE: entries of the store that are not images (temporary ones left behind).
store_leftovers() {
        find "$1" -mindepth 1 -maxdepth 1 -name '.#*' -printf '%f\n' 2>/dev/null
}

# image_json NAME FIELD: FIELD of image NAME in berth images --json.
image_json() {
        "$BERTH" images --json 2>/dev/null | python3 -c '
import json, sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]:
        v = i[sys.argv[2]]
        print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"
}

# tree_same A B: the two trees agree in names, types, owners, modes, sizes, link targets and xattrs
# (prints the first difference).
tree_same() {
        python3 - "$1" "$2" <<'PY'
import os, sys
a, b = sys.argv[1], sys.argv[2]
def walk(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            link = os.readlink(p) if os.path.islink(p) else None
            try:
                x = sorted((k, os.getxattr(p, k, follow_symlinks=False)) for k in os.listxattr(p, follow_symlinks=False))
            except OSError:
                x = []
            size = st.st_size if not os.path.isdir(p) else 0
            out[rel] = (st.st_mode, st.st_uid, st.st_gid, size, link, x)
    return out
wa, wb = walk(a), walk(b)
for k in sorted(set(wa) | set(wb)):
    if wa.get(k) != wb.get(k):
        print(f"{k}: {wa.get(k)} != {wb.get(k)}")
        sys.exit(1)
PY
}

run_store_tests() {
        local fs=$1 S=$2 D="$1"
        export BERTH_IMAGE_PATH=$S

        # --- create, images, image-status --------------------------------------------------------------
        bx create bb --from=busybox
        is "$RC" 0 "$D: create bb --from=busybox"
        [ "$RC" = 0 ] || diag "$ERR"
        local want_type=directory
        [ "$fs" = btrfs ] && want_type=subvolume
        is "$(image_json bb type)" "$want_type" "$D: images --json: bb is a $want_type"
        is "$(image_json bb read_only)" false "$D: ... writable"
        like "$(image_json bb usage)" '^[0-9]+$' "$D: ... with its usage in bytes"
        bx images
        like "$OUT" "bb +$want_type +no " "$D: images lists it (NAME TYPE RO ...)"
        bx images --no-legend
        unlike "$OUT" "NAME" "$D: images --no-legend has no header"
        bx image-status bb
        like "$OUT" "Path: $S/bb" "$D: image-status shows its path"
        bx create bb --from=busybox
        is "$RC" 75 "$D: create of an existing name: busy (75)"
        bx create ../x --from=busybox
        is "$RC" 64 "$D: create with an invalid name: usage error (64)"
        bx create bb9 --from=nonsense
        is "$RC" 64 "$D: create --from=nonsense: usage error (64)"
        is "$(store_leftovers "$S")" "" "$D: ... nothing temporary is left in the store"

        # --- run -M NAME from the store --------------------------------------------------------------
        bx run -M bb -- cat /etc/hostname
        is "$RC" 0 "$D: run -M bb finds the image in the store"
        is "$OUT" bb "$D: ... and it is the created tree (hostname bb)"
        bx run -M nosuch -- true
        is "$RC" 66 "$D: run -M of a missing image: 66"
        like "$ERR" "no image 'nosuch' in $S" "$D: ... naming the store"

        # --- clone ---------------------------------------------------------------------------------------
        bx clone bb bb2
        is "$RC" 0 "$D: clone bb bb2"
        [ "$RC" = 0 ] || diag "$ERR"
        is "$(image_json bb2 type)" "$want_type" "$D: the clone is a $want_type too"
        ok "$(tree_same "$S/bb" "$S/bb2" >"$TEST_TMP/diff" 2>&1; echo $?)" "$D: the clone is identical to its source"
        [ -s "$TEST_TMP/diff" ] && diag "$(cat "$TEST_TMP/diff")"
        if [ "$fs" = btrfs ]; then
                sync
                local excl
                excl=$(btrfs filesystem du -s --raw "$S/bb2" 2>/dev/null | awk 'NR == 2 { print $2 }')
                ok "$([ -n "$excl" ] && [ "$excl" -lt 65536 ]; echo $?)" \
                        "$D: the clone is a snapshot: it shares its extents with bb (exclusive: ${excl:-?} bytes)"
        else
                ok "$([ "$(stat -c %i "$S/bb/bin/busybox")" != "$(stat -c %i "$S/bb2/bin/busybox")" ]; echo $?)" \
                        "$D: the clone is a copy of its own"
        fi
        bx clone bb bb2
        is "$RC" 75 "$D: clone onto an existing name: 75"
        bx clone nosuch bb3
        is "$RC" 66 "$D: clone of a missing image: 66"

        # --- rename, read-only, remove -------------------------------------------------------------------
        bx rename bb2 bb3
        is "$RC" 0 "$D: rename bb2 bb3"
        ok "$([ -d "$S/bb3" ] && [ ! -e "$S/bb2" ]; echo $?)" "$D: ... the image has its new name"
        bx rename bb3 bb
        is "$RC" 75 "$D: rename onto an existing image: 75"
        bx rename bb3 -bad
        is "$RC" 64 "$D: rename to an invalid name: 64"
        bx read-only bb3
        is "$RC" 0 "$D: read-only bb3"
        is "$(image_json bb3 read_only)" true "$D: ... images says read-only"
        ok "$(touch "$S/bb3/new-file" 2>/dev/null; [ $? -ne 0 ]; echo $?)" "$D: ... and the image's top cannot be written"
        bx remove bb3
        is "$RC" 77 "$D: remove of a read-only image: refused (77)"
        like "$ERR" "read-only" "$D: ... saying why"
        bx rename bb3 bb4
        is "$RC" 77 "$D: rename of a read-only image: refused (77)"
        bx run -M bb3 -- sh -c 'touch /x'
        isnt "$RC" 0 "$D: a machine of a read-only image gets it read-only"
        bx read-only bb3 false
        is "$RC" 0 "$D: read-only bb3 false"
        is "$(image_json bb3 read_only)" false "$D: ... writable again"
        bx read-only bb3 maybe
        is "$RC" 64 "$D: read-only with a non-boolean: 64"
        bx remove bb3
        is "$RC" 0 "$D: remove bb3"
        ok "$([ ! -e "$S/bb3" ]; echo $?)" "$D: ... it is gone"
        bx remove bb3
        is "$RC" 66 "$D: remove of a missing image: 66"

        # --- export-tar / import-tar / import-fs --------------------------------------------------------
        setfattr -n user.berth -v test "$S/bb/etc/hostname" 2>/dev/null
        cp "$S/bb/bin/busybox" "$S/bb/usr/bin/capped" 2>/dev/null && setcap cap_net_raw+ep "$S/bb/usr/bin/capped" 2>/dev/null
        ln "$S/bb/etc/hostname" "$S/bb/etc/hostname.link" 2>/dev/null
        bx export-tar bb "$TEST_TMP/bb-$fs.tar.zst"
        is "$RC" 0 "$D: export-tar bb FILE.tar.zst"
        [ "$RC" = 0 ] || diag "$ERR"
        tar -tf "$TEST_TMP/bb-$fs.tar.zst" >"$TEST_TMP/listing" 2>&1
        ok "$(grep -qx './bin/busybox' "$TEST_TMP/listing"; echo $?)" \
                "$D: ... GNU tar reads the archive"
        bx import-tar "$TEST_TMP/bb-$fs.tar.zst" bb5
        is "$RC" 0 "$D: import-tar of it as bb5"
        [ "$RC" = 0 ] || diag "$ERR"
        ok "$(tree_same "$S/bb" "$S/bb5" >"$TEST_TMP/diff" 2>&1; echo $?)" \
                "$D: the round trip gives an identical tree (owners, modes, links, xattrs)"
        [ -s "$TEST_TMP/diff" ] && diag "$(cat "$TEST_TMP/diff")"
        is "$(getcap "$S/bb5/usr/bin/capped" 2>/dev/null | sed 's/.* //')" "cap_net_raw=ep" "$D: ... file capabilities kept"
        is "$(stat -c %i "$S/bb5/etc/hostname")" "$(stat -c %i "$S/bb5/etc/hostname.link")" "$D: ... hard links kept"
        boot_bg bb5 "$S/bb5" --console=passive
        if wait_state bb5 running 60; then
                pass "$D: ... and the imported image boots (busybox init)"
                bx poweroff bb5
                monitor_wait 60
                is "$RC" 0 "$D: ... and powers off"
        else
                fail "$D: ... and the imported image boots (busybox init)"
                boot_diag bb5
        fi
        bx import-tar "$TEST_TMP/bb-$fs.tar.zst" bb5
        is "$RC" 75 "$D: import-tar onto an existing name: 75"
        bx import-tar "$TEST_TMP/no-such.tar" bb6
        is "$RC" 66 "$D: import-tar of a missing file: 66"
        python3 - "$TEST_TMP/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("etc"); i.type = tarfile.DIRTYPE; t.addfile(i)
    i = tarfile.TarInfo("etc/link"); i.type = tarfile.SYMTYPE; i.linkname = "../../../../../../tmp"; t.addfile(i)
    data = b"owned\n"
    i = tarfile.TarInfo("etc/link/berth-escape-test"); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
        bx import-tar "$TEST_TMP/evil.tar" evil
        isnt "$RC" 0 "$D: import-tar of a hostile archive (a file written through a symlink to outside) fails"
        like "$ERR" "etc/link" "$D: ... naming the member"
        ok "$([ ! -e /tmp/berth-escape-test ] && [ ! -e "$S/evil" ]; echo $?)" \
                "$D: ... nothing was written outside, and no image 'evil' is left"
        is "$(store_leftovers "$S")" "" "$D: ... nor anything temporary in the store"
        bx import-fs "$S/bb" bb6
        is "$RC" 0 "$D: import-fs DIR bb6"
        ok "$(tree_same "$S/bb" "$S/bb6" >/dev/null 2>&1; echo $?)" "$D: ... an identical copy"
        bx export-tar bb "$TEST_TMP/x.tar.nonsense"
        is "$RC" 64 "$D: export-tar to an unknown suffix: 64"
        bx remove bb5 bb6
        is "$RC" 0 "$D: remove of two images at once"

        # --- NAME.raw in the store ------------------------------------------------------------------------
        if mkfs.ext4 -q -d "$S/bb" "$S/rawbb.raw" 64M >/dev/null 2>&1; then
                is "$(image_json rawbb type)" raw "$D: NAME.raw in the store is a raw image"
                bx run -M rawbb -- cat /etc/hostname
                is "$RC/$OUT" "0/bb" "$D: run -M NAME boots NAME.raw from the store"
                bx clone rawbb rawbb2
                is "$RC" 0 "$D: clone of a raw image"
                ok "$(cmp -s "$S/rawbb.raw" "$S/rawbb2.raw"; echo $?)" "$D: ... an identical file"
                bx run -M rawbb --ephemeral -- true
                is "$RC" 64 "$D: --ephemeral of a raw image: usage error (64)"
                bx remove rawbb rawbb2
                is "$RC" 0 "$D: remove of raw images"
                ok "$([ ! -e "$S/rawbb.raw" ] && [ ! -e "$S/rawbb2.raw" ]; echo $?)" "$D: ... the files are gone"
        else
                skip "$D: NAME.raw in the store" "mkfs.ext4 -d cannot make an image here"
        fi

        # --- the image lock -----------------------------------------------------------------------------
        "$BERTH" run -M bb -- sleep 30 >/dev/null 2>&1 </dev/null &
        local P1=$!
        BG_PIDS+=("$P1")
        wait_until 20 test -e "$(state_file bb)"
        new_name
        bx run -D "$S/bb" -M "$NAME" -- true
        is "$RC" 75 "$D: a second writable machine of the same image: busy (75)"
        like "$ERR" "in use by machine 'bb'" "$D: ... naming the machine that holds it"
        bx remove bb
        is "$RC" 75 "$D: remove of an image in use: 75"
        bx read-only bb
        is "$RC" 75 "$D: read-only of an image in use: 75"
        bx image-status bb
        like "$OUT" "In use: by machine bb" "$D: image-status says who uses it"
        kill "$P1" 2>/dev/null
        wait_exit_bounded 30 "$P1"
        new_name
        local M2=$NAME
        "$BERTH" run -D "$S/bb" -M "$M2" --read-only -- sleep 30 >/dev/null 2>&1 </dev/null &
        local P2=$!
        BG_PIDS+=("$P2")
        wait_until 20 test -e "$(state_file "$M2")"
        new_name
        bx run -D "$S/bb" -M "$NAME" --read-only -- true
        is "$RC" 0 "$D: read-only machines share an image"
        new_name
        bx run -D "$S/bb" -M "$NAME" --ephemeral -- true
        is "$RC" 0 "$D: ... and an ephemeral one shares it with them"
        bx run -M bb -- true
        is "$RC" 75 "$D: a writable machine of an image that read-only ones use: 75"
        kill "$P2" 2>/dev/null
        wait_exit_bounded 30 "$P2"

        # --- --ephemeral ---------------------------------------------------------------------------------
        bx run -M bb --ephemeral -- sh -c 'echo scratch >/ephemeral-file; cat /ephemeral-file'
        is "$RC/$OUT" "0/scratch" "$D: --ephemeral: the machine writes to its copy"
        ok "$([ ! -e "$S/bb/ephemeral-file" ]; echo $?)" "$D: ... the image is unchanged"
        is "$(store_leftovers "$S")" "" "$D: ... and nothing of the copy is left"
        new_name
        local M3=$NAME
        "$BERTH" run -D "$S/bb" -M "$M3" --ephemeral -- sleep 60 >/dev/null 2>&1 </dev/null &
        local P3=$!
        BG_PIDS+=("$P3")
        wait_until 20 test -e "$(state_file "$M3")"
        local leader
        leader=$(sed -n 's/^LEADER=//p' "$(state_file "$M3")")
        kill -KILL "$P3" 2>/dev/null
        [ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
        wait "$P3" 2>/dev/null
        [ -z "$leader" ] || wait_until 20 sh -c "! kill -0 $leader 2>/dev/null"
        bx images
        is "$(store_leftovers "$S")" "" "$D: --ephemeral with its monitor SIGKILLed: the next berth call leaves nothing"
        is "$(ls -d /var/tmp/berth-volatile-* 2>/dev/null)" "" "$D: ... no scratch directory is left either"
        bx run -M bb -- true
        is "$RC" 0 "$D: ... and the image is free again"

        # --- --volatile= -----------------------------------------------------------------------------------
        bx run -M bb --volatile=overlay -- sh -c 'echo v >/vfile; cat /vfile'
        is "$RC/$OUT" "0/v" "$D: --volatile=overlay: the machine writes to a tmpfs over the image"
        ok "$([ ! -e "$S/bb/vfile" ]; echo $?)" "$D: ... the image is unchanged"
        bx run -M bb --volatile=state -- sh -c 'echo s >/var/sfile && cat /var/sfile && ! touch /rootfile 2>/dev/null'
        is "$RC/$OUT" "0/s" "$D: --volatile=state: /var is a tmpfs, the root read-only"
        ok "$([ ! -e "$S/bb/var/sfile" ] && [ ! -e "$S/bb/rootfile" ]; echo $?)" "$D: ... the image is unchanged"
        bx run -M bb --volatile=sideways -- true
        is "$RC" 64 "$D: --volatile=sideways: usage error (64)"
        is "$(ls -d /var/tmp/berth-volatile-* 2>/dev/null)" "" "$D: ... no scratch directory is left"

        # --- --template= -----------------------------------------------------------------------------------
        bx run -M tb --template=bb -- sh -c 'echo kept >/kept'
        is "$RC" 0 "$D: --template=bb -M tb: the first run makes tb from bb"
        ok "$([ -e "$S/tb/bin/busybox" ]; echo $?)" "$D: ... the image tb exists"
        bx run -M tb --template=bb -- cat /kept
        is "$RC/$OUT" "0/kept" "$D: ... and the next run keeps it as it is"
        bx run -M tc --template=nosuch -- true
        is "$RC" 66 "$D: --template= of a missing image: 66"
        bx remove tb bb
        is "$RC" 0 "$D: the store is emptied"
        is "$(ls -A "$S" | grep -v '^lost+found$')" "" "$D: ... and nothing is left in it"
        unset BERTH_IMAGE_PATH
}

for fs in btrfs ext4; do
        if store=$(make_fs "$fs"); then
                run_store_tests "$fs" "$store"
        else
                skip "$fs store" "cannot make and mount a $fs file system here"
        fi
done

# --volatile=yes: a tmpfs root with the image's /usr only (an OS with everything in /usr).
MU=$TEST_TMP/merged-usr
cp -a "$TREE" "$MU"
for d in bin sbin lib lib64; do
        if [ -d "$MU/$d" ] && [ ! -L "$MU/$d" ]; then
                mkdir -p "$MU/usr/$d"
                cp -a "$MU/$d/." "$MU/usr/$d/"
                rm -rf "${MU:?}/$d"
                ln -s "usr/$d" "$MU/$d"
        fi
done
new_name
bx run -D "$MU" -M "$NAME" --volatile=yes -- sh -c 'ls /etc 2>&1 | wc -l; touch /new && echo root-writable; touch /usr/new 2>/dev/null || echo usr-read-only'
like "$OUT" "root-writable" "--volatile=yes: the root is a tmpfs the machine may write"
like "$OUT" "usr-read-only" "... with the image's /usr read-only in it"
ok "$([ ! -e "$MU/new" ]; echo $?)" "... and the image is unchanged"

# The global option is the same as the environment variable.
bx --image-path=relative images
is "$RC" 64 "--image-path= must be absolute: 64"
done_testing
