#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Populating new machine trees (src/image/image-create.c, the future `berth create --from=...`), through
# the create-tool driver:
#   - busybox: the tree, `berth run` of it, `berth boot` to running and a clean power-off, hostname,
#     empty machine-id, root's SHA-512 password (crypt(3) checks it) or a locked root, a hostile
#     pre-populated tree whose /etc/shadow, /etc/hostname and /etc are symlinks to host files, and a
#     dynamic busybox refused with the package to install
#   - debian: the debootstrap argv, bad suites and mirrors, a missing debootstrap (simulated with PATH:
#     exit 69, "apt-get install debootstrap")
#   - debian for real: debootstrap of bookworm (about 70 s with a near mirror, 2 cores, ~210 MB in the
#     test's temporary directory), then boot to running, a console login with the password and a
#     power-off (a few seconds). Only when the mirror helper (tests/lib/debian-mirror.sh) finds a
#     reachable mirror, else SKIP with the reason.
#
# Environment: CREATE_TOOL (meson sets it); BERTH_TEST_DEBIAN_CREATE=0 skips the debootstrap run (on a
# slow link, where it takes more than a few minutes); BERTH_DEBIAN_MIRROR overrides the mirror
# (default: this machine's apt source for bookworm main).
. "$SRC_ROOT/tests/boot/lib.sh"

CT=${CREATE_TOOL:?set CREATE_TOOL to the create-tool binary}
W=$TEST_TMP/create

# ct ARGS...: create-tool with OUT, ERR and RC as bx sets them.
ct() {
        "$CT" "$@" >"$TEST_TMP/.ct-out" 2>"$TEST_TMP/.ct-err" </dev/null
        RC=$?
        OUT=$(cat "$TEST_TMP/.ct-out")
        ERR=$(cat "$TEST_TMP/.ct-err")
        return 0
}

# root_field DIR: root's password field in DIR/etc/shadow.
root_field() {
        sed -n 's/^root:\([^:]*\):.*/\1/p' "$1/etc/shadow"
}

mkdir -p "$W"

# --- busybox: the tree ----------------------------------------------------------------------------------
if ! [ -x /bin/busybox ] && ! [ -x /usr/bin/busybox ]; then
        skip "create --from=busybox" "no busybox on this host (apt-get install busybox-static)"
else
        new_name
        BBN=$NAME
        BB=$W/bb
        ct busybox "$BB" "$BBN" --root-password=s3cret-pw
        is "$RC" 0 "busybox: create-tool succeeds"
        [ "$RC" = 0 ] || diag "$ERR"
        check "busybox: /bin/busybox is an executable file" test -f "$BB/bin/busybox" -a -x "$BB/bin/busybox"
        is "$(readlink "$BB/sbin/init")" /bin/busybox "busybox: /sbin/init links to /bin/busybox (--list-full places it)"
        is "$(readlink "$BB/bin/sh")" /bin/busybox "busybox: /bin/sh links to /bin/busybox"
        check "busybox: usr/bin holds applets too" test -L "$BB/usr/bin/env"
        is "$(stat -c %a "$BB/tmp")" 1777 "busybox: /tmp is 1777"
        is "$(cat "$BB/etc/hostname")" "$BBN" "busybox: /etc/hostname is the name"
        check "busybox: /etc/machine-id exists" test -f "$BB/etc/machine-id"
        is "$(stat -c %s "$BB/etc/machine-id")" 0 "busybox: /etc/machine-id is empty"
        is "$(stat -c '%a %U' "$BB/etc/shadow")" "600 root" "busybox: /etc/shadow is 0600 root"
        like "$(root_field "$BB")" '^\$6\$' "busybox: root's hash is SHA-512 (busybox's crypt knows no yescrypt)"
        ct verify-password "$BB" s3cret-pw
        is "$RC/$OUT" "0/match" "busybox: crypt(3) verifies the password against root's entry"
        ct verify-password "$BB" wrong-pw
        is "$RC/$OUT" "1/no match" "busybox: a wrong password does not verify"
        # busybox's own crypt (the one its login uses) computes the same hash.
        H=$(root_field "$BB")
        SALT=$(cut -d'$' -f3 <<<"$H")
        is "$(chroot "$BB" /bin/busybox mkpasswd -m sha512 s3cret-pw "$SALT" 2>&1)" "$H" \
                "busybox: busybox's mkpasswd computes the same SHA-512 hash"
        like "$(cat "$BB/etc/inittab")" '::sysinit:/etc/init.d/rcS' "busybox: inittab runs rcS"
        like "$(grep '^ID=' "$BB/etc/os-release")" '^ID=busybox$' "busybox: os-release says ID=busybox"

        # --- berth run and berth boot of it -----------------------------------------------------
        new_name
        bx run -D "$BB" -M "$NAME" /bin/sh -c 'echo ok'
        is "$RC/$OUT" "0/ok" "busybox: berth run -D DIR /bin/sh -c 'echo ok'"
        [ "$RC" = 0 ] || diag "$ERR"

        COPY=$W/bb-boot
        cp -a "$BB" "$COPY"
        new_name
        M=$NAME
        boot_bg "$M" "$COPY" --console=pipe
        if wait_state "$M" running 30 && wait_until 30 "$BERTH" enter "$M" -- test -e /run/booted; then
                pass "busybox: berth boot reaches running and rcS ran"
                is "$(state_field "$M" INIT)" busybox "busybox: the state file says INIT=busybox"
                ebx "$M" cat /proc/1/comm
                is "$OUT" init "busybox: PID 1 is busybox init"
                ebx "$M" hostname
                is "$OUT" "$BBN" "busybox: the guest's hostname is the one in /etc/hostname"
                PIDS=$(machine_pids "$M")
                bx poweroff "$M"
                is "$RC" 0 "busybox: berth poweroff succeeds"
                monitor_wait "$BOOT_TIMEOUT"
                is "$RC" 0 "busybox: the monitor exits 0 after the power-off"
                [ "$RC" = 0 ] || boot_diag "$M"
                like "$(cat "$LOGOUT")" "busybox init: shutting down" "busybox: the console shows the shutdown action"
                # shellcheck disable=SC2086
                gone_after "$M" "busybox: after power-off" $PIDS
        else
                fail "busybox: berth boot reaches running and rcS ran"
                diag "state: $(state_field "$M" STATE)"
                boot_diag "$M"
        fi

        # --- a console login with the password ----------------------------------------------
        if command -v python3 >/dev/null; then
                cp -a "$BB" "$W/bb-login"
                new_name
                BOOT_NAMES+=("$NAME")
                OUT=$(timeout -k 5 60 python3 "$PTY_RUN" --timeout 40 --send "login:" $'root\r' \
                        --send "assword:" $'s3cret-pw\r' --send "# " $'echo LOGGED-IN-$((6 * 7)); poweroff\r' \
                        -- "$BERTH" boot -D "$W/bb-login" -M "$NAME" --console=interactive 2>&1)
                RC=$?
                like "$OUT" "LOGGED-IN-42" "busybox: root logs in on the console with the password"
                is "$RC" 0 "busybox: poweroff inside ends the boot with status 0"
        else
                skip "busybox: console login" "no python3"
        fi

        # --- no --root-password: root is locked ----------------------------------------------
        ct busybox "$W/bb-locked" locked-box
        is "$RC" 0 "busybox without --root-password: create-tool succeeds"
        is "$(root_field "$W/bb-locked")" '!*' "busybox without --root-password: root's field is !* (locked)"
        ct verify-password "$W/bb-locked" ""
        is "$RC" 1 "busybox without --root-password: not even the empty password verifies"

        # --- a hostile pre-populated tree -----------------------------------------------------
        HOST=$W/host-files
        mkdir -p "$HOST/etc"
        echo "host shadow, not the tree's" >"$HOST/shadow"
        echo "host hostname" >"$HOST/hostname"
        echo "host machine-id" >"$HOST/machine-id"
        echo "host etc shadow" >"$HOST/etc/shadow"
        EVIL=$W/evil
        mkdir -p "$EVIL/etc"
        ln -s "$HOST/shadow" "$EVIL/etc/shadow"
        ln -s "$HOST/hostname" "$EVIL/etc/hostname"
        ln -s "$HOST/machine-id" "$EVIL/etc/machine-id"
        ct busybox "$EVIL" evil-box --root-password=pw2
        is "$RC" 0 "hostile tree (etc/shadow, hostname, machine-id are symlinks to host files): create-tool succeeds"
        is "$(cat "$HOST/shadow")/$(cat "$HOST/hostname")/$(cat "$HOST/machine-id")" \
                "host shadow, not the tree's/host hostname/host machine-id" \
                "hostile tree: the host files the symlinks pointed to are unchanged"
        check "hostile tree: /etc/shadow is now a regular file of the tree" test -f "$EVIL/etc/shadow" -a ! -L "$EVIL/etc/shadow"
        ct verify-password "$EVIL" pw2
        is "$RC" 0 "hostile tree: the new shadow entry verifies"
        is "$(cat "$EVIL/etc/hostname")" evil-box "hostile tree: /etc/hostname is the tree's own"

        # /etc itself a symlink to a host directory: resolved inside the tree, never on the host.
        EVIL2=$W/evil2
        mkdir -p "$EVIL2"
        ln -s "$HOST/etc" "$EVIL2/etc"
        ct busybox "$EVIL2" evil-box2 --root-password=pw3
        is "$RC" 0 "hostile tree with /etc -> a host directory: create-tool succeeds"
        is "$(ls -A "$HOST/etc" | tr '\n' ' ')/$(cat "$HOST/etc/shadow")" "shadow /host etc shadow" \
                "hostile tree with /etc -> a host directory: nothing is written to the host directory"
        check "hostile tree with /etc -> a host directory: the files land inside the tree" \
                test -f "$EVIL2$HOST/etc/shadow" -a -f "$EVIL2$HOST/etc/passwd"

        # --- a dynamic busybox is refused -----------------------------------------------------
        DYN=$(command -v bash)
        ct busybox "$W/bb-dyn" dyn-box --busybox="$DYN"
        is "$RC" 69 "a dynamically linked 'busybox' ($DYN): exit 69 (unsupported on this host)"
        like "$ERR" "apt-get install busybox-static" "... and the message names busybox-static"
fi

# --- debian: the cheap checks ---------------------------------------------------------------------------
if command -v debootstrap >/dev/null; then
        ct debootstrap-argv bookworm /var/lib/machines/deb --mirror=http://mirror.example/debian
        is "$RC" 0 "debootstrap-argv succeeds"
        is "$(tail -n +2 <<<"$OUT" | tr '\n' ' ')" \
                "--debian-installer --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,procps bookworm /var/lib/machines/deb http://mirror.example/debian " \
                "debootstrap argv: fd-3 progress, minbase, what a systemd guest needs, suite, target, mirror"
        ct debootstrap-argv trixie /var/lib/machines/deb
        like "$OUT" "https://deb.debian.org/debian$" "debootstrap argv: the default mirror is https://deb.debian.org/debian"
else
        skip "debootstrap argv" "no debootstrap on this host (apt-get install debootstrap)"
fi
ct debian ../../tmp/x "$W/deb-bad" bad
is "$RC" 64 "debian: a suite that is a path is refused (exit 64)"
ct debian bookworm "$W/deb-bad" bad '--mirror=http://x/$(id)'
is "$RC" 64 "debian: a mirror with shell characters is refused (exit 64)"
ct debian bookworm "$W/deb-bad" bad --mirror=ftp://x/debian
is "$RC" 64 "debian: a mirror that is not http(s):// or file:/// is refused (exit 64)"

EMPTY=$W/empty-path
mkdir -p "$EMPTY"
RC=0
PATH=$EMPTY "$CT" debian bookworm "$W/deb-none" none-box >"$TEST_TMP/.ct-out" 2>"$TEST_TMP/.ct-err" </dev/null || RC=$?
is "$RC" 69 "debian without debootstrap (PATH without it): exit 69 (unsupported on this host)"
like "$(cat "$TEST_TMP/.ct-err")" "apt-get install debootstrap" "... and the message names the package"
is "$(ls -A "$W/deb-none" 2>/dev/null)" "" "... and the directory is left empty"

# --- debian for real (opt-in) ---------------------------------------------------------------------------
debian_full() {
        local mirror why D N PW=deb-pw-1 log
        # shellcheck source=../lib/debian-mirror.sh
        . "$SRC_ROOT/tests/lib/debian-mirror.sh"
        mirror=${BERTH_DEBIAN_MIRROR:-$(debian_find_mirror bookworm)}
        if [ -z "$mirror" ]; then
                skip "debian: debootstrap and boot" "no apt source for Debian bookworm main (set BERTH_DEBIAN_MIRROR)"
                return
        fi
        mirror=${mirror%/}
        if ! why=$(debian_mirror_reachable "$mirror" bookworm); then
                skip "debian: debootstrap and boot" "archive unreachable: $why"
                return
        fi
        command -v debootstrap >/dev/null || {
                skip "debian: debootstrap and boot" "no debootstrap (apt-get install debootstrap)"
                return
        }
        new_name
        N=$NAME
        D=$W/deb
        log=$W/deb.log
        at_exit "awk -v t='$D' '\$5 == t || index(\$5, t \"/\") == 1 { print \$5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"
        ct debian bookworm "$D" "$N" --mirror="$mirror" --root-password="$PW" --log="$log"
        is "$RC" 0 "debian: debootstrap of bookworm from $mirror succeeds"
        if [ "$RC" != 0 ]; then
                diag "$(tail -n 5 <<<"$ERR")"
                diag "log: $(tail -n 15 "$log" 2>/dev/null)"
                return
        fi
        like "$ERR" "step: [0-9]+/[0-9]+ " "debian: progress came through as P: counters"
        check "debian: the log file has debootstrap's output" test -s "$log"
        is "$(cat "$D/etc/hostname")" "$N" "debian: /etc/hostname is the name"
        is "$(stat -c %s "$D/etc/machine-id")" 0 "debian: /etc/machine-id is empty"
        if [ -e "$D/var/lib/dbus/machine-id" ] || [ -L "$D/var/lib/dbus/machine-id" ]; then
                is "$(readlink "$D/var/lib/dbus/machine-id")" /etc/machine-id "debian: /var/lib/dbus/machine-id links to /etc/machine-id"
        fi
        like "$(root_field "$D")" '^\$y\$' "debian: root's hash is yescrypt"
        ct verify-password "$D" "$PW"
        is "$RC" 0 "debian: crypt(3) verifies root's password"
        is "$(stat -c '%a %G' "$D/etc/shadow")" "640 shadow" "debian: /etc/shadow keeps mode 0640 and group shadow"
        like "$(grep -c '^' "$D/etc/shadow")" '^[0-9]{2,}$' "debian: the other accounts of /etc/shadow are kept"
        is "$(find "$D/var/cache/apt/archives" -name '*.deb' | wc -l)" 0 "debian: no .deb is left"

        # Boot it to running, log in on the console with the password, power off from inside.
        BOOT_NAMES+=("$N")
        OUT=$(timeout -k 5 180 python3 "$PTY_RUN" --timeout 150 --send "login:" $'root\r' \
                --send "assword:" "$PW"$'\r' --send "# " $'echo LOGGED-IN-$((6 * 7)) $(systemctl is-system-running); systemctl poweroff\r' \
                -- "$BERTH" boot -D "$D" -M "$N" --console=interactive 2>&1)
        RC=$?
        like "$OUT" "LOGGED-IN-42 (running|degraded)" "debian: systemd boots; root logs in on the console with the password"
        is "$RC" 0 "debian: systemctl poweroff ends the boot with status 0"
        [ "$RC" = 0 ] || diag "$(tail -n 30 <<<"$OUT")"
        no_leftovers "$N" "debian: after power-off no state file, lock or cgroup is left"
}
if [ "${BERTH_TEST_DEBIAN_CREATE:-1}" = 0 ]; then
        skip "debian: debootstrap, boot and console login" "BERTH_TEST_DEBIAN_CREATE=0"
else
        debian_full
fi

done_testing
