#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tar import and export (src/image/tar-*.c) through tests/images/tar-tool: hostile archives are refused,
# naming the member, with nothing written outside the target; truncated and garbage input is refused;
# every compression; export → import gives the same tree (owners, modes, mtimes, xattrs, ACLs, file
# capabilities, hard links, device nodes, fifos, symlinks, sparse files); GNU tar reads our archives and
# we read GNU tar's; other mounts are not entered; an imported busybox tree runs under berth.
#
# Needs root, python3 and GNU tar; the xattr/ACL/capability cases need attr, acl and libcap2-bin.

# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

TAR_TOOL=${TAR_TOOL:?set TAR_TOOL to the tar-tool binary}
HERE=$(cd "$(dirname "$0")" && pwd)
TREE_DIFF=$HERE/tree-diff.py
W=$TEST_TMP

command -v python3 >/dev/null || { echo "1..0 # SKIP python3 missing"; exit 0; }
tar --version 2>/dev/null | grep -q "GNU tar" || { echo "1..0 # SKIP GNU tar missing"; exit 0; }
HAVE_ATTR=1
for c in setfattr setfacl getfacl setcap getcap; do
        command -v "$c" >/dev/null || HAVE_ATTR=0
done

# tt ARGS...: tar-tool, quiet; stdout in OUT, stderr in ERR, status in RC.
tt() {
        "$TAR_TOOL" -q "$@" >"$W/.tt-out" 2>"$W/.tt-err"
        RC=$?
        OUT=$(cat "$W/.tt-out")
        ERR=$(cat "$W/.tt-err")
}

# ids without a name in the host's passwd/group, so GNU tar writes ACLs numerically
free_id() { # free_id passwd|group START
        local i=$2
        while getent "$1" "$i" >/dev/null; do i=$((i + 1)); done
        echo "$i"
}

# ---------------------------------------------------------------------------------------------------
# Hostile archives

AIM=$W/aim
mkdir -p "$AIM" "$W/hostile"
echo canary >"$AIM/file"
python3 "$HERE/make-hostile-tars.py" "$W/hostile" "$AIM" || bail_out "cannot make the hostile archives"

# Everything in $W but the targets: what an escape would change.
outside() {
        (cd "$W" && find . -path './tgt-*' -prune -o -path './.tt-*' -prune -o -printf '%p %y %s %m %l\n' | sort)
        sha256sum "$AIM/file"
}
BEFORE=$(outside)

n=0
while IFS=$'\t' read -r file member; do
        n=$((n + 1))
        tt import "$W/hostile/$file" "$W/tgt-$n"
        if [ "$RC" = 1 ] && [[ "$ERR" == "tar-tool: ${member:0:200}"* ]]; then
                pass "hostile $file: refused, naming the member"
        else
                fail "hostile $file: refused, naming the member"
                diag "status $RC, expected member '${member:0:200}', stderr: ${ERR:0:400}"
        fi
        is "$(outside)" "$BEFORE" "hostile $file: nothing written outside the target"
done <"$W/hostile/MANIFEST"
is "$(find "$W"/tgt-* -name 'evil*' 2>/dev/null)" "" "no member aimed outside landed anywhere in the targets either"

# ---------------------------------------------------------------------------------------------------
# Truncated and garbage input

"$TAR_TOOL" -q export "$TREE" "$W/bb.tar" || bail_out "cannot export the busybox tree"
"$TAR_TOOL" -q export "$TREE" "$W/bb.tar.gz" || bail_out "cannot export the busybox tree"
size=$(stat -c %s "$W/bb.tar")
head -c $((size / 2 + 100)) "$W/bb.tar" >"$W/bad-truncated.tar"
head -c 300 "$W/bb.tar" >"$W/bad-truncated-header.tar"
head -c $(($(stat -c %s "$W/bb.tar.gz") / 2)) "$W/bb.tar.gz" >"$W/bad-truncated.tar.gz"
head -c 65536 /dev/urandom >"$W/bad-garbage"
: >"$W/bad-empty"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").writestr("x", "y")' "$W/bad-zip.zip"
for f in bad-truncated.tar bad-truncated-header.tar bad-truncated.tar.gz bad-garbage bad-empty bad-zip.zip; do
        tt import "$W/$f" "$W/tgt-$f"
        if [ "$RC" = 1 ] && [[ "$ERR" == "tar-tool: "* ]]; then
                pass "$f: refused"
        else
                fail "$f: refused"
                diag "status $RC, stderr: $ERR"
        fi
done
like "$(tt import "$W/bad-truncated.tar" "$W/tgt-trunc2"; echo "$ERR")" "Truncated" "a truncated member is reported as such"

mkdir -p "$W/not-empty"
touch "$W/not-empty/x"
tt import "$W/bb.tar" "$W/not-empty"
like "$RC $ERR" "^1 .*not empty" "a target that is not empty is refused"

# ---------------------------------------------------------------------------------------------------
# The round trip tree

S=$W/src
U1=$(free_id passwd 4201)
G1=$(free_id group 4301)
mkdir -p "$S"/{d1/d2,sgid,sticky,acldir,mnt}
chmod 0750 "$S/d1"
chmod 2755 "$S/sgid"
chmod 1777 "$S/sticky"
echo hello >"$S/f"
head -c 300000 /dev/urandom >"$S/rnd"
chown 1234:5678 "$S/rnd"
chmod 4755 "$S/rnd"
: >"$S/empty"
chmod 0600 "$S/empty"
ln "$S/f" "$S/hl1"
ln "$S/f" "$S/d1/hl2"
mknod "$S/cdev" c 1 3
mknod "$S/bdev" b 7 0
mkfifo "$S/fifo"
ln -s f "$S/rel"
ln -s /etc/passwd "$S/abs"
ln -s nowhere "$S/dangling"
ln -s d1 "$S/dlink"
chown -h 42:43 "$S/rel"
touch "$S/héllo" "$S/$(printf 'lat\351n')"
truncate -s 1G "$S/sparse"
echo middle | dd of="$S/sparse" bs=1 seek=500000000 conv=notrunc status=none
if [ "$HAVE_ATTR" = 1 ]; then
        setfattr -n user.foo -v bar "$S/f"
        setfattr -n trusted.t -v 1 "$S/rnd"
        setfattr -h -n trusted.onlink -v yes "$S/rel"
        setfacl -m "u:$U1:rwx,g:$G1:r" "$S/f"
        setfacl -m "u:$U1:rx" "$S/acldir"
        setfacl -d -m "g:$G1:rx" "$S/acldir"
        cp "$S/f" "$S/capfile"
        setcap cap_net_raw+ep "$S/capfile"
fi
touch -h -d "2001-02-03 04:05:06.123456789" "$S/rel" "$S/f" "$S/d1/d2" "$S/fifo"
touch -d "1999-01-01 00:00:00.5" "$S/d1"
chmod 0711 "$S"
chown 3:4 "$S"
touch -d "2010-01-01 00:00:00.25" "$S"

tt export "$S" "$W/rt.tar"
is "$RC" 0 "export of the test tree"
tt import "$W/rt.tar" "$W/rt"
is "$RC" 0 "import of its archive"
diff_out=$(python3 "$TREE_DIFF" "$S" "$W/rt")
ok $? "the imported tree is identical: owners, modes, mtimes, xattrs, ACLs, devices, fifos, symlinks, links" ||
        diag "$diff_out"
is "$(stat -c %i "$W/rt/f")" "$(stat -c %i "$W/rt/d1/hl2")" "hard links share one inode in the copy"
is "$(stat -c %h "$W/rt/f")" 3 "and the link count is the original's"
blocks=$(stat -c %b "$W/rt/sparse")
ok "$([ "$blocks" -lt 2048 ]; echo $?)" "the sparse file stays sparse ($blocks blocks of 512 bytes for 1 GiB)"
is "$(stat -c %s "$W/rt/sparse")" 1073741824 "and keeps its size"
if [ "$HAVE_ATTR" = 1 ]; then
        like "$(getcap "$W/rt/capfile")" "cap_net_raw[=+]ep" "the file capability survives"
        like "$(getfacl -n -p "$W/rt/acldir" 2>/dev/null)" "default:group:$G1:r-x" "the default ACL survives"
        is "$(getfattr -h --only-values -n trusted.onlink "$W/rt/rel" 2>/dev/null)" yes "a symlink's own xattr survives"
else
        skip "file capabilities, ACLs, xattrs" "attr, acl or libcap2-bin missing"
fi

# The same tree gives the same archive.
tt export "$S" "$W/rt2.tar"
is "$(sha256sum <"$W/rt2.tar")" "$(sha256sum <"$W/rt.tar")" "exporting the same tree twice gives the same bytes"

# From a pipe: the total is unknown, the result the same.
"$TAR_TOOL" -q import - "$W/rt-pipe" <"$W/rt.tar"
ok $? "import from stdin"
python3 "$TREE_DIFF" "$S" "$W/rt-pipe" >/dev/null
ok $? "gives the same tree"

# ---------------------------------------------------------------------------------------------------
# Every compression

magic() { head -c 6 "$1" | od -An -tx1 | tr -d ' \n'; }
for suffix in tar.gz:1f8b tgz:1f8b tar.xz:fd377a585a00 tar.zst:28b52ffd tar.bz2:425a68; do
        ext=${suffix%%:*} want=${suffix#*:}
        tt export "$S" "$W/c.$ext"
        is "$RC" 0 "export as .$ext"
        like "$(magic "$W/c.$ext")" "^$want" ".$ext is compressed as its name says"
        tt import "$W/c.$ext" "$W/c-$ext"
        is "$RC" 0 "import of .$ext"
        python3 "$TREE_DIFF" "$S" "$W/c-$ext" >/dev/null
        ok $? ".$ext round trip gives the same tree"
done
tt export "$S" "$W/c.zip"
is "$RC" 2 "an unknown suffix is a usage error"
"$TAR_TOOL" -q export "$S" - >"$W/c-stdout.tar"
is "$(sha256sum <"$W/c-stdout.tar")" "$(sha256sum <"$W/rt.tar")" "'-' writes an uncompressed archive to stdout"

# ---------------------------------------------------------------------------------------------------
# GNU tar

tar -tf "$W/rt.tar" >"$W/gnu-list" 2>"$W/gnu-err"
ok $? "GNU tar lists our archive"
like "$(cat "$W/gnu-list")" "^\./d1/hl2$" "with every member"
is "$(grep -v hdrcharset "$W/gnu-err")" "" "and no warnings but for the name that is not UTF-8"
mkdir "$W/gnu-x"
tar -C "$W/gnu-x" --xattrs --xattrs-include='*' --acls --numeric-owner -xpf "$W/rt.tar" 2>/dev/null
ok $? "GNU tar extracts our archive"
diff_out=$(python3 "$TREE_DIFF" "$S" "$W/gnu-x")
ok $? "to the same tree" || diag "$diff_out"

tar -C "$S" --xattrs --xattrs-include='*' --acls --numeric-owner --sparse -cpf "$W/gnu.tar" . 2>/dev/null
ok $? "GNU tar archives the tree"
tt import "$W/gnu.tar" "$W/gnu-i"
is "$RC" 0 "we import GNU tar's archive" || diag "$ERR"
diff_out=$(python3 "$TREE_DIFF" "$S" "$W/gnu-i")
ok $? "to the same tree" || diag "$diff_out"
ok "$([ "$(stat -c %b "$W/gnu-i/sparse")" -lt 2048 ]; echo $?)" "GNU tar's sparse file stays sparse"

if [ "$HAVE_ATTR" = 1 ] && getent passwd 0 >/dev/null; then
        # An ACL entry GNU tar wrote with a name (root has one everywhere) cannot be restored numerically.
        mkdir "$W/named-acl"
        touch "$W/named-acl/x"
        setfacl -m u:0:r "$W/named-acl/x"
        tar -C "$W/named-acl" --acls -cpf "$W/named-acl.tar" . 2>/dev/null
        tt import "$W/named-acl.tar" "$W/named-acl-i"
        like "$RC $ERR" "^1 tar-tool: \./x: an ACL entry names the user 'root' without its number" \
                "an ACL entry with a name and no number is refused"
fi

# ---------------------------------------------------------------------------------------------------
# Other mounts beneath the root are not entered

if mount -t tmpfs berth-test-tar "$S/mnt" 2>/dev/null; then
        at_exit "umount '$S/mnt'"
        touch "$S/mnt/inner"
        tt export "$S" "$W/mnt.tar"
        is "$RC" 0 "export with a mount beneath the root"
        tar -tf "$W/mnt.tar" >"$W/mnt-list" 2>/dev/null
        like "$(cat "$W/mnt-list")" "^\./mnt/$" "the mount point is archived"
        unlike "$(cat "$W/mnt-list")" "inner" "what is mounted there is not"
        umount "$S/mnt"
else
        skip "mounts beneath the root" "cannot mount a tmpfs"
fi

# ---------------------------------------------------------------------------------------------------
# An imported busybox tree runs

tt import "$W/bb.tar.gz" "$W/bb"
is "$RC" 0 "import of the busybox tree"
python3 "$TREE_DIFF" "$TREE" "$W/bb" >/dev/null
ok $? "the busybox tree is identical"
RUN_TREE=$W/bb mrun /bin/true
is "$RC" 0 "berth run -D on the imported tree runs /bin/true" || diag "$ERR"

done_testing
