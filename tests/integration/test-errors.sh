#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth's own failures: exit codes (64 usage, 66 not found, 75 busy, 77 permission), messages, and that
# a failed start leaves no state file, lock or cgroup behind.
. "$(dirname "$0")/lib.sh"

# fails_with CODE ERE DESC [RUN OPTIONS...] -- CMD: `berth run` with a fresh -M name; checks the exit
# status, that stderr matches ERE, and that nothing is left behind.
fails_with() {
        local code=$1 re=$2 desc=$3
        shift 3
        new_name
        bx run -M "$NAME" "$@"
        is "$RC" "$code" "$desc: exit status $code"
        [ -n "$re" ] && like "$ERR" "$re" "$desc: the message says why"
        no_leftovers "$NAME" "$desc: nothing left behind"
}

# --- the tree -----------------------------------------------------------------------------------------
fails_with 66 "/nonexistent/berth-tree" "a missing tree" -D /nonexistent/berth-tree -- true
touch "$TEST_TMP/a-file"
fails_with 66 "a-file.*(not a directory|Not a directory)" "a file as the tree" -D "$TEST_TMP/a-file" -- true
mkdir -p "$TEST_TMP/not-os"
fails_with 66 "no-os-check" "a directory that is not an OS tree" -D "$TEST_TMP/not-os" -- /bin/true
is "$(ls -A "$TEST_TMP/not-os")" "" "a refused tree is left untouched"
fails_with 64 "host's root" "the host's / as the tree" -D / -- true

# --no-os-check: a tree with nothing but a static binary.
mkdir -p "$TEST_TMP/bare/bin"
cp "$TREE/bin/busybox" "$TEST_TMP/bare/bin/busybox"
new_name
bx run -D "$TEST_TMP/bare" -M "$NAME" --no-os-check -- /bin/busybox echo bare-ok
is "$RC|$OUT" "0|bare-ok" "--no-os-check runs a tree without /usr or os-release"
new_name
bx run -D "$TEST_TMP/bare" -M "$NAME" --no-os-check --read-only -- /bin/busybox echo bare-ro-ok
is "$RC|$OUT" "0|bare-ro-ok" "--no-os-check --read-only works with a tree that lacks /proc, /sys, /dev..."
# A relative -D.
new_name
out=$(cd "$(dirname "$TREE")" && timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$(basename "$TREE")" -M "$NAME" -- echo rel-ok </dev/null 2>&1)
is "$out" "rel-ok" "-D with a relative path"
# Either mark is enough.
mkdir -p "$TEST_TMP/usr-only/bin" "$TEST_TMP/usr-only/usr"
cp "$TREE/bin/busybox" "$TEST_TMP/usr-only/bin/busybox"
new_name
bx run -D "$TEST_TMP/usr-only" -M "$NAME" -- /bin/busybox true
is "$RC" 0 "a tree with /usr (no os-release) is accepted"
mkdir -p "$TEST_TMP/osr-only/bin" "$TEST_TMP/osr-only/usr/lib"
rmdir "$TEST_TMP/osr-only/usr/lib" "$TEST_TMP/osr-only/usr"
mkdir -p "$TEST_TMP/osr-only/etc"
echo ID=x >"$TEST_TMP/osr-only/etc/os-release"
cp "$TREE/bin/busybox" "$TEST_TMP/osr-only/bin/busybox"
new_name
bx run -D "$TEST_TMP/osr-only" -M "$NAME" -- /bin/busybox true
is "$RC" 0 "a tree with /etc/os-release (no /usr) is accepted"

# The name comes from the tree's directory when -M is not given.
mkdir -p "$TEST_TMP/named/$NAME_PREFIX-from-dir"
cp -a "$TREE/." "$TEST_TMP/named/$NAME_PREFIX-from-dir/"
bx run -D "$TEST_TMP/named/$NAME_PREFIX-from-dir" -- hostname
is "$OUT" "$NAME_PREFIX-from-dir" "without -M the name is the tree's directory name"
no_leftovers "$NAME_PREFIX-from-dir" "... and its records are removed under that name"
ln -s "$NAME_PREFIX-from-dir" "$TEST_TMP/named/$NAME_PREFIX-link"
bx run -D "$TEST_TMP/named/$NAME_PREFIX-link" -- hostname
is "$OUT" "$NAME_PREFIX-from-dir" "... after resolving symbolic links"
mkdir -p "$TEST_TMP/bad name"
bx run -D "$TEST_TMP/bad name" --no-os-check -- /bin/true
is "$RC" 64 "a tree whose directory name is not a valid machine name needs -M (64)"
like "$ERR" "--machine" "... and the message suggests --machine"

# --- usage errors -------------------------------------------------------------------------------------
bx
is "$RC" 64 "no verb: 64"
bx no-such-verb
is "$RC" 64 "an unknown verb: 64"
like "$ERR" "no-such-verb" "... naming it"
bx run -- true
is "$RC" 64 "run without -D or -M: 64"
bx --version
is "$RC" 0 "--version succeeds"
like "$OUT" "^berth [0-9]" "--version prints the version"
bx run --help
is "$RC" 0 "run --help succeeds"
like "$OUT" "--directory" "run --help describes the options"

fails_with 64 "--bogus-option" "an unknown option" -D "$TREE" --bogus-option -- true
fails_with 64 "" "an unknown short option" -D "$TREE" -Z -- true
new_name
bx run -M "$NAME" -D
is "$RC" 64 "-D without a value: 64"
fails_with 64 "" "an empty command" -D "$TREE" -- ""

for bad in rel/path /abs:rel/dst /a/../b /a/./b /src:/dst:nosuchopt /src:/dst/../x /src:/dst:rbind:extra "" ":" "/src::norbind/x"; do
        fails_with 64 "--bind" "--bind='$bad'" -D "$TREE" --bind="$bad" -- true
done
fails_with 64 "--bind-ro" "--bind-ro=relative" -D "$TREE" --bind-ro=relative -- true
fails_with 64 "--tmpfs" "--tmpfs=relative" -D "$TREE" --tmpfs=relative -- true
fails_with 64 "--tmpfs" "--tmpfs=/a/../b" -D "$TREE" --tmpfs=/a/../b -- true
fails_with 64 "--overlay" "--overlay with only one path" -D "$TREE" --overlay=/only -- true
fails_with 64 "--overlay" "--overlay with a relative path" -D "$TREE" --overlay=/l:rel:/dst -- true
fails_with 64 "--overlay-ro" "--overlay-ro with only one path" -D "$TREE" --overlay-ro=/only -- true

for bad in "a/b" "../x" ".hidden" "-dash" "$(printf 'x%.0s' $(seq 1 65))" "with space" "" "ü"; do
        new_name
        bx run -D "$TREE" -M "$bad" -- true
        is "$RC" 64 "-M '$bad' is refused (64)"
done
ok "$([ ! -e "$STATE_DIR/machines/a" ] && [ ! -e "$STATE_DIR/machines/b" ]; echo $?)" "a name with a slash creates nothing"
new_name
bx run -D "$TREE" -M "$(printf 'x%.0s' $(seq 1 64))" -- true
is "$RC" 0 "a 64 character name is fine"

fails_with 64 "--hostname" "--hostname=-bad" -D "$TREE" --hostname=-bad -- true
fails_with 64 "--hostname" "--hostname with a space" -D "$TREE" --hostname="a b" -- true
fails_with 64 "--uuid" "--uuid=not-a-uuid" -D "$TREE" --uuid=not-a-uuid -- true
fails_with 64 "--capability" "--capability=CAP_BOGUS" -D "$TREE" --capability=CAP_BOGUS -- true
fails_with 64 "--drop-capability" "--drop-capability=nope" -D "$TREE" --drop-capability=nope -- true
fails_with 64 "--network" "--network=bridge" -D "$TREE" --network=bridge -- true
fails_with 64 "--console" "--console=tty" -D "$TREE" --console=tty -- true
fails_with 64 "--no-new-privileges" "--no-new-privileges=maybe" -D "$TREE" --no-new-privileges=maybe -- true
fails_with 64 "--chdir" "--chdir=relative" -D "$TREE" --chdir=relative -- true
fails_with 64 "--setenv" "-E 1BAD=x" -D "$TREE" -E 1BAD=x -- true
fails_with 64 "--setenv" "-E =x" -D "$TREE" -E =x -- true
fails_with 64 "--user" "--user=''" -D "$TREE" --user= -- true
fails_with 64 "--user" "--user=a:b" -D "$TREE" --user=a:b -- true
fails_with 64 "no_such_syscall" "--system-call-filter=no_such_syscall" -D "$TREE" --system-call-filter=no_such_syscall -- true
fails_with 64 "@no-such-group" "--system-call-filter=@no-such-group" -D "$TREE" --system-call-filter=@no-such-group -- true
fails_with 64 "" "--system-call-filter=~ (nothing)" -D "$TREE" --system-call-filter='~' -- true

# --- failures during the setup ------------------------------------------------------------------------
fails_with 66 "/nonexistent/berth-bind-src" "a missing --bind source" -D "$TREE" --bind=/nonexistent/berth-bind-src:/run/x -- true
# The setup runs partly in parallel with the monitor; however the race goes, the error reported
# must be the real one (the missing source), not a follow-up error of the monitor.
bad_runs=0
bad_example=
for i in $(seq 1 100); do
        new_name
        bx run -D "$TREE" -M "$NAME" --bind=/nonexistent/berth-race-src:/run/x -- true
        if [ "$RC" != 66 ] || ! grep -q /nonexistent/berth-race-src <<<"$ERR"; then
                bad_runs=$((bad_runs + 1))
                bad_example="rc=$RC: $ERR"
        fi
        [ -n "$(leftovers "$NAME")" ] && bad_runs=$((bad_runs + 1)) && bad_example="leftovers: $(leftovers "$NAME")"
done
is "$bad_runs" 0 "100 starts with a missing bind source all fail with 66 and name the source${bad_example:+ (e.g. $bad_example)}"

fails_with 1 "[Tt]ime" "--time-offset that would make the clock negative" -D "$TREE" --time-offset=monotonic=-100000000 -- true

# --- permission ---------------------------------------------------------------------------------------
if command -v setpriv >/dev/null; then
        new_name
        out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" run -D "$TREE" -M "$NAME" -- true 2>&1 </dev/null)
        is "$?" 77 "berth run as an unprivileged user: 77"
        like "$out" "root" "... saying it needs root"
        no_leftovers "$NAME" "... leaving nothing"
        out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" list --no-legend 2>&1 </dev/null)
        is "$?" 0 "berth list works for an unprivileged user"
else
        skip "unprivileged runs" "no setpriv"
fi

done_testing
