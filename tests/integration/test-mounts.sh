#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --bind, --bind-ro, --tmpfs, --overlay, --overlay-ro, --read-only, --chdir, --user, --setenv and the
# command's environment. Mount points may be created in the tree, so these tests use a copy of it.
. "$(dirname "$0")/lib.sh"

MT=$(copy_tree)
RUN_TREE=$MT
H=$TEST_TMP/host
mkdir -p "$H"

# --- --bind / --bind-ro -------------------------------------------------------------------------------
mkdir -p "$H/rw" "$H/ro"
echo host-rw >"$H/rw/file"
echo host-ro >"$H/ro/file"

msh --bind="$H/rw:/mnt/rw" -- 'cat /mnt/rw/file; echo from-machine >/mnt/rw/new; echo changed >>/mnt/rw/file'
is "$OUT|$RC" "host-rw|0" "--bind: the host directory is visible at DST"
is "$(cat "$H/rw/new" 2>/dev/null)" "from-machine" "--bind: a file written in the machine appears on the host"
is "$(cat "$H/rw/file")" "$(printf 'host-rw\nchanged')" "--bind: changes to an existing file reach the host"
check "--bind: the missing mount point /mnt/rw was created in the tree" test -d "$MT/mnt/rw"
is "$(stat -c %a "$MT/mnt/rw" "$MT/mnt" 2>/dev/null | tr '\n' ' ')" "755 755 " "--bind: created mount point directories get mode 0755"

msh --bind-ro="$H/ro:/mnt/ro" -- 'cat /mnt/ro/file; { echo x >/mnt/ro/new; } 2>&1; { echo x >>/mnt/ro/file; } 2>&1; true'
like "$OUT" "^host-ro$" "--bind-ro: the host directory is readable"
is "$(grep -c 'Read-only file system' <<<"$OUT")" 2 "--bind-ro: creating and changing files fails with EROFS"
check "--bind-ro: nothing was created on the host" test ! -e "$H/ro/new"
is "$(cat "$H/ro/file")" "host-ro" "--bind-ro: the host file is unchanged"

# DST defaults to SRC.
mkdir -p "$H/same"
echo same >"$H/same/f"
mrun --bind-ro="$H/same" -- cat "$H/same/f"
is "$OUT" "same" "--bind without DST mounts at the same path"

# A source in the tree ('+').
mrun --bind-ro=+/etc:/mnt/tree-etc -- cat /mnt/tree-etc/os-release
like "$OUT" "^ID=busybox$" "--bind-ro=+/etc binds the tree's own /etc"
msh --bind=+/home/user:/mnt/user-home -- 'touch /mnt/user-home/from-plus && echo done'
check "--bind=+/home/user writes land in the tree's /home/user" test -e "$MT/home/user/from-plus"
rm -f "$MT/home/user/from-plus"

# A file.
echo file-content >"$H/a-file"
mrun --bind-ro="$H/a-file:/etc/berth-file" -- cat /etc/berth-file
is "$OUT" "file-content" "--bind-ro of a single file"
check "the file mount point is created as a regular file" test -f "$MT/etc/berth-file"
is "$(stat -c %s "$MT/etc/berth-file" 2>/dev/null)" 0 "... which is empty in the tree"
msh --bind="$H/a-file:/etc/berth-file" -- 'echo more >>/etc/berth-file'
is "$(cat "$H/a-file")" "$(printf 'file-content\nmore')" "--bind of a file is writable"

# An escaped colon in the path.
mkdir -p "$H/with:colon"
echo colon >"$H/with:colon/f"
mrun --bind-ro="$H/with\\:colon:/mnt/colon" -- cat /mnt/colon/f
is "$OUT" "colon" "a colon in a path can be escaped as \\:"

# Several binds at once, and a bind on top of a bind.
mkdir -p "$H/inner" "$H/outer/sub"
echo inner >"$H/inner/f"
mrun --bind-ro="$H/outer:/mnt/stack" --bind-ro="$H/inner:/mnt/stack/sub" -- cat /mnt/stack/sub/f
is "$OUT" "inner" "binds are applied in order (a bind inside an earlier bind)"

# rbind (default) vs norbind: a mount below the source. Done in a private mount namespace of our own,
# so the host's mount table is never touched.
mkdir -p "$H/rb/sub"
echo rb-top >"$H/rb/top"
sub_run() { # sub_run BIND-OPTION SCRIPT
        new_name
        OUT=$(timeout -k 10 "$TIMEOUT" unshare -m --propagation private sh -c '
                mount -t tmpfs berth-test "$1/sub" && echo in-submount >"$1/sub/f" || exit 99
                exec "$2" run -q -D "$3" -M "$4" "$5" -- sh -c "$6"' \
                sh "$H/rb" "$BERTH" "$MT" "$NAME" "$1" "$2" </dev/null 2>&1)
        RC=$?
        if setup_race "$RC" "$OUT"; then
                sub_run "$@"
        fi
}
sub_run --bind="$H/rb:/mnt/rb" 'cat /mnt/rb/top /mnt/rb/sub/f'
is "$OUT" "$(printf 'rb-top\nin-submount')" "--bind is recursive by default: a mount below SRC comes along"
sub_run --bind="$H/rb:/mnt/rb:norbind" 'cat /mnt/rb/top; ls -A /mnt/rb/sub | wc -l'
is "$OUT" "$(printf 'rb-top\n0')" "--bind=...:norbind leaves mounts below SRC out"
sub_run --bind="$H/rb:/mnt/rb:rbind" 'cat /mnt/rb/sub/f'
is "$OUT" "in-submount" "--bind=...:rbind is recursive"
sub_run --bind-ro="$H/rb:/mnt/rb" '{ echo x >/mnt/rb/sub/g; } 2>&1; cat /mnt/rb/sub/f'
like "$OUT" "Read-only file system" "--bind-ro is read-only all the way down (the submount too)"
check "the submount stayed private to the test's namespace" test ! -e "$H/rb/sub/f"

# A missing source: an error naming it, and nothing left behind.
mrun --bind=/nonexistent/berth-src:/mnt/missing -- true
isnt "$RC" 0 "--bind with a missing source fails"
like "$ERR" "/nonexistent/berth-src" "the error names the missing source"
no_leftovers "$NAME" "a failed bind leaves no state, lock or cgroup"
mrun --bind=+/no-such-dir-in-tree:/mnt/missing2 -- true
isnt "$RC" 0 "--bind with a missing in-tree source fails"

# Symbolic links in the tree are resolved inside the tree: a mount point below a link that points
# "outside" (absolutely or with ..) must not be created or mounted on the host.
OUTSIDE=$TEST_TMP/outside
mkdir -p "$OUTSIDE" "$MT/mnt" "$H/esc-src" "$H/esc-src2"
echo esc >"$H/esc-src/f"
ln -s "$OUTSIDE" "$MT/mnt/abs-link"
ln -s "../../../../../../../../../../..$OUTSIDE" "$MT/mnt/rel-link"
for l in abs-link rel-link; do
        mrun --bind-ro="$H/esc-src:/mnt/$l/bind" --tmpfs="/mnt/$l/tmpfs" --overlay-ro="$H/esc-src:$H/esc-src2:/mnt/$l/ovl" -- \
                sh -c "cat /mnt/$l/bind/f /mnt/$l/ovl/f"
        is "$OUT" "$(printf 'esc\nesc')" "mount points below /mnt/$l work inside the machine"
        is "$(ls -A "$OUTSIDE")" "" "mount points below /mnt/$l are not created on the host (resolved in the tree)"
done
ln -s /etc "$MT/mnt/etc-link"
mrun --bind-ro=+/mnt/etc-link:/run/e -- cat /run/e/os-release
like "$OUT" "^ID=busybox$" "a + source through an absolute link is the tree's /etc, not the host's"
ln -s ../../../../../../../../etc "$MT/mnt/etc-rel-link"
mrun --bind-ro=+/mnt/etc-rel-link:/run/e -- cat /run/e/os-release
like "$OUT" "^ID=busybox$" "a + source through a ../ link stays in the tree"
rm -f "$MT/mnt/abs-link" "$MT/mnt/rel-link" "$MT/mnt/etc-link" "$MT/mnt/etc-rel-link"

# --- --tmpfs ------------------------------------------------------------------------------------------
msh --tmpfs=/mnt/t1 -- 'stat -c %a /mnt/t1; ls -A /mnt/t1 | wc -l; echo x >/mnt/t1/f && cat /mnt/t1/f'
is "$OUT" "$(printf '755\n0\nx')" "--tmpfs mounts an empty writable tmpfs, mode 0755 by default"
msh --tmpfs=/mnt/t2:mode=0700,size=1m -- 'stat -c %a /mnt/t2; grep " /mnt/t2 " /proc/self/mountinfo'
like "$OUT" "^700$" "--tmpfs=PATH:mode=0700 sets the mode"
like "$OUT" "size=1024k" "--tmpfs=PATH:size=1m sets the size"
like "$OUT" " /mnt/t2 rw,nosuid,nodev" "--tmpfs mounts are nosuid and nodev"
msh --tmpfs=/mnt/t3:size=64k -- 'head -c 200000 /dev/zero >/mnt/t3/big 2>/dev/null; stat -c %s /mnt/t3/big'
ok "$([ "$OUT" -le 65536 ] 2>/dev/null; echo $?)" "the tmpfs size limit applies (wrote $OUT of 200000 bytes)"
msh --tmpfs=/var/tmp -- 'ls -A /var/tmp | wc -l; echo x >/var/tmp/on-tmpfs'
check "--tmpfs over a tree directory keeps the tree's directory unchanged" test ! -e "$MT/var/tmp/on-tmpfs"

# --- --overlay ----------------------------------------------------------------------------------------
O=$H/ov
mkdir -p "$O/lower" "$O/lower2" "$O/upper"
echo lower-a >"$O/lower/a"
echo lower-gone >"$O/lower/gone"
echo lower-shadowed >"$O/lower/both"
echo lower2-wins >"$O/lower2/both"
msh --overlay="$O/lower:$O/lower2:$O/upper:/mnt/ov" -- '
        cat /mnt/ov/a /mnt/ov/both
        echo new >/mnt/ov/b; echo changed >/mnt/ov/a; rm /mnt/ov/gone; ls /mnt/ov | tr "\n" " "'
is "$RC" 0 "--overlay with an upper directory runs"
is "$(sed -n 1p <<<"$OUT")" "lower-a" "--overlay shows the lower directory"
is "$(sed -n 2p <<<"$OUT")" "lower2-wins" "the last LOWER is on top (nspawn order)"
is "$(sed -n 3p <<<"$OUT")" "a b both " "--overlay: the merged view after changes"
is "$(cat "$O/upper/b" 2>/dev/null)|$(cat "$O/upper/a" 2>/dev/null)" "new|changed" "--overlay: writes land in UPPER"
is "$(stat -c '%F %t:%T' "$O/upper/gone" 2>/dev/null)" "character special file 0:0" "--overlay: a deletion leaves a whiteout in UPPER"
is "$(cat "$O/lower/a")|$(cat "$O/lower/gone")|$(ls "$O/lower" | tr '\n' ' ')" "lower-a|lower-gone|a both gone " \
        "--overlay: LOWER is untouched"
is "$(ls -A "$O" | tr '\n' ' ')" "lower lower2 upper " "--overlay: the work directory beside UPPER is removed afterwards"

# Throwaway upper.
scratch_before=$(ls -d /var/tmp/berth-overlay-* 2>/dev/null | sort)
msh --overlay="$O/lower::/mnt/tw" -- 'echo t >/mnt/tw/t; echo c >/mnt/tw/a; cat /mnt/tw/t /mnt/tw/a'
is "$OUT|$RC" "$(printf 't\nc')|0" "--overlay with an empty UPPER is writable"
is "$(ls "$O/lower" | tr '\n' ' ')|$(cat "$O/lower/a")" "a both gone |lower-a" "... and LOWER stays untouched"
is "$(ls -d /var/tmp/berth-overlay-* 2>/dev/null | sort)" "$scratch_before" \
        "... and nothing is left in /var/tmp/berth-overlay-*"
msh --overlay="$O/lower::/mnt/tw" -- 'ls /mnt/tw | tr "\n" " "'
is "$OUT" "a both gone " "a throwaway overlay starts fresh each time"

# Read-only overlay.
msh --overlay-ro="$O/lower:$O/lower2:/mnt/ro-ov" -- 'cat /mnt/ro-ov/both /mnt/ro-ov/a; { echo x >/mnt/ro-ov/new; } 2>&1; true'
like "$OUT" "^lower2-wins$" "--overlay-ro merges the LOWER directories (last on top)"
like "$OUT" "Read-only file system" "--overlay-ro is read-only"
check "--overlay-ro created nothing in LOWER" test ! -e "$O/lower/new"
mrun --overlay-ro=+/etc:"$O/lower2":/mnt/plus-ov -- cat /mnt/plus-ov/os-release /mnt/plus-ov/both
like "$OUT" "^ID=busybox$" "--overlay-ro accepts a LOWER in the tree (+)"

mrun --overlay="$O/lower:/nonexistent/upper:/mnt/bad" -- true
isnt "$RC" 0 "--overlay with a missing UPPER fails"
no_leftovers "$NAME" "... leaving nothing behind"

# --- --read-only --------------------------------------------------------------------------------------
msh --read-only -- '{ touch /berth-ro-test; echo x >>/etc/passwd; } 2>&1; echo x >/tmp/ok && echo tmp-ok; echo x >/run/ok && echo run-ok'
is "$(grep -c 'Read-only file system' <<<"$OUT")" 2 "--read-only: the root cannot be written (EROFS)"
like "$OUT" "^tmp-ok$" "--read-only: /tmp stays writable"
like "$OUT" "^run-ok$" "--read-only: /run stays writable"
check "--read-only: nothing was written to the tree" test ! -e "$MT/berth-ro-test"
msh --read-only --bind="$H/rw:/mnt/rw" -- 'echo x >/mnt/rw/ro-root && echo ok'
is "$OUT" "ok" "--read-only: a --bind stays writable"
mrun --read-only --bind-ro="$H/ro:/mnt/ro-new/deeper" -- cat /mnt/ro-new/deeper/file
is "$OUT" "host-ro" "--read-only: a --bind mount point missing in the tree is still created"
msh -- 'touch /berth-rw-test && echo ok'
is "$OUT" "ok" "without --read-only the root is writable"
rm -f "$MT/berth-rw-test"

# --- --chdir ------------------------------------------------------------------------------------------
mrun -- pwd
is "$OUT" "/" "the default working directory is /"
mrun --chdir=/etc -- pwd
is "$OUT" "/etc" "--chdir=/etc"
mrun --chdir=/no/such/dir -- pwd
isnt "$RC" 0 "--chdir to a missing directory fails"
like "$ERR" "/no/such/dir" "... naming the directory"

# --- --user -------------------------------------------------------------------------------------------
msh --user=user -- 'id -u; id -g; id -G | tr " " "\n" | sort -n | tr "\n" " "; echo; echo "$HOME $USER $LOGNAME $SHELL"; pwd'
is "$(sed -n 1p <<<"$OUT")" 1000 "--user=user: the UID from the tree's passwd"
is "$(sed -n 2p <<<"$OUT")" 1000 "--user=user: the GID from the tree's passwd"
is "$(sed -n 3p <<<"$OUT")" "100 1000 " "--user=user: supplementary groups from the tree's group file"
is "$(sed -n 4p <<<"$OUT")" "/home/user user user /bin/sh" "--user=user: HOME, USER, LOGNAME and SHELL from passwd"
msh --user=1000 -- 'id -u; echo $USER'
is "$OUT" "$(printf '1000\nuser')" "--user=1000 (numeric) finds the same user"
msh --user=nobody -- 'id -u; id -g; echo $HOME'
is "$OUT" "$(printf '65534\n65534\n/')" "--user=nobody"
msh --user=root -- 'id -u; echo $HOME'
is "$OUT" "$(printf '0\n/root')" "--user=root"
msh --user=user -- 'touch /root/x 2>&1; touch /home/user/own && echo own-ok'
like "$OUT" "Permission denied" "--user=user cannot write root's files"
like "$OUT" "^own-ok$" "--user=user can write its home"
rm -f "$MT/home/user/own"
mrun --user=no-such-user -- true
isnt "$RC" 0 "--user with an unknown user fails"
like "$ERR" "no-such-user" "... naming the user"
no_leftovers "$NAME" "... leaving nothing behind"
# Only the tree's user database counts: a user only the host has is unknown.
host_only_user=$(awk -F: '$3 != 0 && $1 != "user" && $1 != "nobody" { print $1; exit }' /etc/passwd)
if [ -n "$host_only_user" ]; then
        mrun --user="$host_only_user" -- true
        isnt "$RC" 0 "--user=$host_only_user (only in the host's passwd) is not found"
fi

# Without a command: the user's login shell from the tree's passwd (berth(1)), or /bin/sh when the
# entry names none.
ST=$(copy_tree)
sed -i -e 's|^root:x:0:0:root:/root:/bin/sh$|root:x:0:0:root:/root:/bin/hostname|' \
        -e 's|^user:x:1000:1000:user:/home/user:/bin/sh$|user:x:1000:1000:user:/home/user:/usr/bin/whoami|' \
        -e 's|^nobody:x:65534:65534:nobody:/:/bin/false$|nobody:x:65534:65534:nobody:/:|' "$ST/etc/passwd"
ln -sf ../../bin/busybox "$ST/usr/bin/whoami"
RUN_TREE=$ST
mrun
is "$OUT" "$NAME" "without a command, root's login shell from the tree's passwd runs"
mrun --user=user
is "$OUT" "user" "without a command, --user's login shell runs"
new_name
out=$(echo 'echo "sh-for-nobody"' | timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$ST" -M "$NAME" --user=nobody 2>&1)
is "$out" "sh-for-nobody" "without a command and no shell in passwd, /bin/sh runs"
RUN_TREE=$MT

# --- --setenv and the environment ---------------------------------------------------------------------
uuid=0c9f3b3e-5a6b-4c1d-9e8f-0123456789ab
export BERTH_IT_LEAK=leaked BERTH_IT_PASS="passed through"
mrun --uuid=$uuid -- env
unset BERTH_IT_LEAK
# container_host_* come from the host's os-release (the container interface); the rest is fixed.
host_env=$(. /etc/os-release 2>/dev/null; for kv in "container_host_id=${ID:-}" "container_host_version_id=${VERSION_ID:-}" \
        "container_host_build_id=${BUILD_ID:-}" "container_host_variant_id=${VARIANT_ID:-}" \
        "container_host_image_id=${IMAGE_ID:-}" "container_host_image_version=${IMAGE_VERSION:-}"; do
        [ -n "${kv#*=}" ] && echo "$kv"; done)
env_got=$(sort <<<"$OUT" | tr '\n' ';')
env_want=$(printf '%s\n' "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "HOME=/root" \
        "USER=root" "LOGNAME=root" "SHELL=/bin/sh" "TERM=dumb" "container=berth" "container_uuid=$uuid" $host_env | sort | tr '\n' ';')
is "$env_got" "$env_want" "the default environment is exactly PATH HOME USER LOGNAME SHELL TERM container container_uuid container_host_*"

mrun -E FOO=bar --setenv=EMPTY= -E 'SPACED=a b=c' -E BERTH_IT_PASS -- env
like "$OUT" "^FOO=bar$" "-E FOO=bar"
like "$OUT" "^EMPTY=$" "--setenv=EMPTY= gives an empty value"
like "$OUT" "^SPACED=a b=c$" "values may hold spaces and ="
like "$OUT" "^BERTH_IT_PASS=passed through$" "-E NAME takes the value from berth's environment"
unset BERTH_IT_PASS
mrun -E BERTH_IT_NOT_SET_ANYWHERE -- true
is "$RC" 64 "-E NAME with NAME unset in berth's environment is a usage error (64)"
mrun -E PATH=/bin -- env
like "$OUT" "^PATH=/bin$" "-E PATH=... replaces the default PATH"
is "$(grep -c '^PATH=' <<<"$OUT")" 1 "... and PATH appears once"

msh --user=user -- 'env | sort | tr "\n" ";"'
like "$OUT" "HOME=/home/user;" "--user sets HOME in the environment"
like "$OUT" "LOGNAME=user;" "--user sets LOGNAME"
like "$OUT" "SHELL=/bin/sh;" "--user sets SHELL"

mrun --uuid=0c9f3b3e5a6b4c1d9e8f0123456789ab -- sh -c 'echo $container_uuid'
is "$OUT" "$uuid" "--uuid with 32 hex digits gets its dashes"
mrun -- sh -c 'echo $container_uuid'
u1=$OUT
mrun -- sh -c 'echo $container_uuid'
like "$u1" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "the default UUID is a random v4 UUID"
isnt "$OUT" "$u1" "each machine gets a new UUID"

done_testing
