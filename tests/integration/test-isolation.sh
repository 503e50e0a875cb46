#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What the machine sees and may change: /tmp, /proc and /sys masks and read-only parts, /dev, /run,
# host mounts, file descriptors, capabilities, the seccomp filter and no_new_privs.
. "$(dirname "$0")/lib.sh"

# --- /tmp ---------------------------------------------------------------------------------------------
host_tmp_file=$(mktemp /tmp/berth-it-hostfile.XXXXXX)
msh -- "test -e '$host_tmp_file' && echo visible || echo hidden; ls -A /tmp | wc -l"
is "$OUT" "$(printf 'hidden\n0')" "a file in the host's /tmp is not visible; the machine's /tmp starts empty"
rm -f "$host_tmp_file"

inside_name=berth-it-inside-$$
msh -- "echo x >/tmp/$inside_name && stat -c '%a %U' /tmp && stat -f -c %T /tmp"
is "$OUT" "$(printf '1777 root\ntmpfs')" "the machine's /tmp is a tmpfs with mode 1777"
check "a file created in the machine's /tmp does not appear on the host" test ! -e "/tmp/$inside_name"
check "... nor in the tree's /tmp" test ! -e "$TREE/tmp/$inside_name"

# --- /proc masks --------------------------------------------------------------------------------------
for f in kcore kallsyms keys sysrq-trigger timer_list latency_stats timer_stats sched_debug interrupts; do
        if [ ! -e "/proc/$f" ]; then
                msh -- "test -e /proc/$f && echo present || echo absent"
                is "$OUT" absent "/proc/$f (absent on this kernel) is absent in the machine too"
                continue
        fi
        msh -- "stat -c '%F %t:%T' /proc/$f; wc -c </proc/$f"
        is "$OUT" "$(printf 'character special file 1:3\n0')" "/proc/$f is masked by /dev/null (reads empty)"
done
for d in acpi asound scsi; do
        if [ ! -e "/proc/$d" ]; then
                skip "/proc/$d is masked" "not on this kernel"
                continue
        fi
        msh -- "ls -A /proc/$d | wc -l; stat -f -c %T /proc/$d; touch /proc/$d/x 2>&1"
        like "$OUT" "^0$" "/proc/$d is empty in the machine"
        like "$OUT" "^tmpfs$" "/proc/$d is covered by a tmpfs"
        like "$OUT" "Read-only file system" "/proc/$d cannot be written to"
done

# --- /proc read-only parts ----------------------------------------------------------------------------
msh -- 'cat /proc/self/mountinfo'
mi=$OUT
for d in sys bus fs irq; do
        if [ ! -e "/proc/$d" ]; then
                skip "/proc/$d is read-only" "not on this kernel"
                continue
        fi
        like "$mi" "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ /proc/$d ro," "/proc/$d is mounted read-only"
done
msh -- '{ echo berth >/proc/sys/kernel/domainname; } 2>&1'
like "$OUT" "Read-only file system" "writing /proc/sys/kernel/domainname fails with EROFS"
if [ -e /proc/irq/default_smp_affinity ]; then
        msh -- 'cat /proc/irq/default_smp_affinity >/tmp/a; { cat /tmp/a >/proc/irq/default_smp_affinity; } 2>&1'
        like "$OUT" "Read-only file system" "writing /proc/irq/default_smp_affinity fails with EROFS"
fi

# --- /sys ---------------------------------------------------------------------------------------------
like "$mi" "^[0-9]+ [0-9]+ [0-9:]+ / /sys ro,.* - sysfs " "/sys is a read-only sysfs"
msh -- '{ mkdir /sys/berth-x; echo x >/sys/kernel/uevent_helper; } 2>&1'
is "$(grep -c 'Read-only file system' <<<"$OUT")" 2 "/sys cannot be written to (EROFS)"
for d in firmware kernel/security kernel/debug kernel/tracing kernel/config fs/selinux fs/bpf fs/pstore \
        devices/virtual/powercap dev/block; do
        if [ ! -e "/sys/$d" ]; then
                msh -- "test -e /sys/$d && ls -A /sys/$d | wc -l"
                # Absent on the host: absent (or at worst empty) in the machine.
                ok "$([ -z "$OUT" ] || [ "$OUT" = 0 ]; echo $?)" "/sys/$d (absent on this host) shows nothing"
                continue
        fi
        msh -- "ls -A /sys/$d | wc -l; stat -f -c %T /sys/$d"
        is "$OUT" "$(printf '0\ntmpfs')" "/sys/$d is hidden by an empty tmpfs"
done

# /sys/fs/cgroup: the machine's own cgroup only, read-only.
msh -- 'awk "\$5 == \"/sys/fs/cgroup\" { for (i = 6; i < NF; i++) if (\$i == \"-\") print \$(i + 1) }" /proc/self/mountinfo; cat /proc/self/cgroup | grep "^0::"; ls /sys/fs/cgroup | grep -c -e slice -e scope; mkdir /sys/fs/cgroup/x 2>&1; cat /sys/fs/cgroup/cgroup.procs | wc -l'
is "$(sed -n 1p <<<"$OUT")" cgroup2 "/sys/fs/cgroup is a cgroup2 file system"
is "$(sed -n 2p <<<"$OUT")" "0::/" "the machine's cgroup is the root of its cgroup namespace"
is "$(sed -n 3p <<<"$OUT")" 0 "no host slices or scopes are visible in /sys/fs/cgroup"
like "$OUT" "Read-only file system" "/sys/fs/cgroup is read-only"
msh -- 'cat /sys/fs/cgroup/cgroup.procs'
is "$(tr '\n' ' ' <<<"$OUT")" "1 2 " "cgroup.procs lists only the machine's processes (reaper and cat)"

# --- host mounts --------------------------------------------------------------------------------------
unlike "$mi" ' - cgroup ' "no cgroup v1 hierarchy of the host is mounted in the machine"
unlike "$mi" ' /sys/fs/cgroup/[a-z]' "nothing is mounted below /sys/fs/cgroup"
host_only=()
while read -r _ _ _ _ mp _; do
        case "$mp" in
        / | /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /tmp) ;;
        *) host_only+=("$mp") ;;
        esac
done </proc/self/mountinfo
leaked=
for mp in "${host_only[@]}"; do
        if awk -v m="$mp" '$5 == m { f = 1 } END { exit !f }' <<<"$mi"; then
                leaked="$leaked $mp"
        fi
done
is "$leaked" "" "none of the host's ${#host_only[@]} other mount points appears in the machine"
msh -- 'awk "{ print \$5 }" /proc/self/mountinfo | sort | tr "\n" " "'
for mp in / /dev /dev/pts /dev/shm /dev/mqueue /run /tmp /proc /sys /sys/fs/cgroup; do
        like "$OUT" "(^| )$mp( |$)" "$mp is mounted in the machine"
done
mount_count=$(wc -w <<<"$OUT")
ok "$([ "$mount_count" -lt 40 ]; echo $?)" "the machine has only its own mounts ($mount_count)"

# --- /dev ---------------------------------------------------------------------------------------------
msh -- 'ls -A /dev | tr "\n" " "'
is "$OUT" "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " \
        "/dev holds exactly the documented entries (no console with --console=pipe)"
msh -- 'for n in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$n; done'
is "$OUT" "$(printf '%s\n' '/dev/null character special file 1:3 666' '/dev/zero character special file 1:5 666' \
        '/dev/full character special file 1:7 666' '/dev/random character special file 1:8 666' \
        '/dev/urandom character special file 1:9 666' '/dev/tty character special file 5:0 666')" \
        "/dev has the device nodes null zero full random urandom tty, mode 0666"
mrun --user=user -- sh -c 'head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c'
is "$OUT" "$(printf '4\n4')" "an unprivileged user can read /dev/zero and /dev/urandom"
mrun --user=user -- sh -c 'echo x >/dev/null && echo written'
is "$OUT" "written" "an unprivileged user can write to /dev/null"
msh -- 'for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done | tr "\n" " "; ls -A /dev/pts | tr "\n" " "'
is "$OUT" "pts/ptmx /proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 ptmx " \
        "/dev/ptmx, fd and std* are the documented links; /dev/pts is a new instance with only ptmx"
msh -- '{ echo hi >/dev/full; } 2>&1; echo st=$?'
like "$OUT" "No space left on device" "/dev/full is the real full device"
like "$mi" ' /dev/pts .* - devpts ' "/dev/pts is a devpts"
like "$mi" ' /dev/shm .* - tmpfs ' "/dev/shm is a tmpfs"
like "$mi" ' /dev/mqueue .* - mqueue ' "/dev/mqueue is an mqueue file system"
msh -- 'stat -c %a /dev/shm; echo x >/dev/shm/f && cat /dev/shm/f'
is "$OUT" "$(printf '1777\nx')" "/dev/shm is mode 1777 and writable"

# Device nodes the machine makes itself must not open the host's devices: CAP_MKNOD is in the bounding
# set (as with systemd-nspawn, which pairs it with a device cgroup policy), so a policy must keep e.g.
# the host's block devices out of reach. A read-only loop device over a file of our own stands in for
# a host disk.
if command -v losetup >/dev/null; then
        head -c 4096 /dev/zero >"$TEST_TMP/loop-backing"
        printf 'BERTH-HOST-DISK' | dd of="$TEST_TMP/loop-backing" conv=notrunc 2>/dev/null
        loopdev=$(losetup -f --show -r "$TEST_TMP/loop-backing" 2>/dev/null)
        if [ -n "$loopdev" ]; then
                at_exit "losetup -d $loopdev"
                maj=$((0x$(stat -c %t "$loopdev")))
                min=$((0x$(stat -c %T "$loopdev")))
                msh -- "mknod /dev/hostdisk b $maj $min 2>&1; head -c 15 /dev/hostdisk 2>&1; echo"
                unlike "$OUT" "BERTH-HOST-DISK" "a host block device ($loopdev) cannot be read through a node made with mknod"
                losetup -d "$loopdev"
        else
                skip "host block devices are out of reach" "no loop device"
        fi
else
        skip "host block devices are out of reach" "no losetup"
fi
# Only opened for writing, nothing is written.
# Refusing the mknod itself (the device policy does) is as good as refusing the open.
msh -- 'if mknod /dev/kmsg-test c 1 11 2>&1; then sh -c "exec 3>/dev/kmsg-test" 2>&1; echo st=$?; else echo st=mknod-refused; fi'
like "$OUT" "st=([1-9]|mknod-refused)" "the host's kernel log (/dev/kmsg, via mknod) cannot be opened for writing"

# --- /run ---------------------------------------------------------------------------------------------
msh -- 'stat -f -c %T /run; ls -A /run | tr "\n" " "; cat /run/host/container-manager; sha256sum </run/host/os-release'
host_osr=
for f in /etc/os-release /usr/lib/os-release; do
        [ -e "$f" ] && { host_osr=$(sha256sum <"$f"); break; }
done
is "$OUT" "$(printf 'tmpfs\nhost berth\n%s' "$host_osr")" \
        "/run is a fresh tmpfs with /run/host/container-manager (berth) and the host's os-release"

# --- file descriptors ---------------------------------------------------------------------------------
new_name
exec {extra_fd}</etc/hostname
out=$(timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$TREE" -M "$NAME" -- sh -c 'echo /proc/self/fd/*' </dev/null 2>&1)
exec {extra_fd}<&-
# 3 is the directory the shell reads to expand the glob.
is "$out" "/proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 /proc/self/fd/3" \
        "only stdin, stdout and stderr reach the command (an inherited fd is closed)"

# --- capabilities -------------------------------------------------------------------------------------
real_host_bnd=$((0x$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)))
# In its own user namespace a machine starts from every capability (of that namespace), whatever the
# host's bounding set lacks; --private-users=no is limited by the host's (checked below).
host_bnd=$(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1))
# The 26 capabilities of berth(1), by number.
doc_caps=(0 1 2 3 4 5 6 7 8 9 10 11 13 15 18 19 21 22 23 24 26 27 28 29 30 31)
[ "${#doc_caps[@]}" -eq 26 ] || bail_out "the documented capability list is wrong"
doc_set=0
for c in "${doc_caps[@]}"; do doc_set=$((doc_set | (1 << c))); done
CAP_NET_ADMIN=$((1 << 12))
missing=$((doc_set & ~host_bnd))
[ "$missing" -ne 0 ] && diag "$(printf 'the host bounding set lacks %#x of the defaults; they cannot be expected' "$missing")"
capbnd() { sed -n 's/^CapBnd:[[:space:]]*//p' <<<"$1"; }
hex() { printf '%016x' "$1"; }

mrun -- cat /proc/self/status
is "$(capbnd "$OUT")" "$(hex $(((doc_set | CAP_NET_ADMIN) & host_bnd)))" \
        "CapBnd is the documented set plus CAP_NET_ADMIN (private network)"
like "$OUT" "CapEff:[[:space:]]+$(hex $(((doc_set | CAP_NET_ADMIN) & host_bnd)))" "root in the machine has the whole bounding set effective"
mrun --network=host -- cat /proc/self/status
is "$(capbnd "$OUT")" "$(hex $((doc_set & host_bnd)))" "CapBnd is the documented set without CAP_NET_ADMIN with --network=host"
mrun --capability=CAP_SYS_MODULE,sys_rawio -- cat /proc/self/status
is "$(capbnd "$OUT")" "$(hex $(((doc_set | CAP_NET_ADMIN | 1 << 16 | 1 << 17) & host_bnd)))" \
        "--capability=CAP_SYS_MODULE,sys_rawio adds both"
mrun --drop-capability=CAP_SYS_ADMIN,MKNOD -- cat /proc/self/status
is "$(capbnd "$OUT")" "$(hex $(((doc_set | CAP_NET_ADMIN) & ~(1 << 21 | 1 << 27) & host_bnd)))" \
        "--drop-capability=CAP_SYS_ADMIN,MKNOD removes both"
mrun --capability=all -- cat /proc/self/status
is "$(capbnd "$OUT")" "$(hex "$host_bnd")" "--capability=all keeps every capability the host has"
mrun --drop-capability=all -- cat /proc/self/status
is "$(capbnd "$OUT")" "$(hex 0)" "--drop-capability=all empties the bounding set"
mrun --private-users=no -- cat /proc/self/status
is "$(capbnd "$OUT")" "$(hex $(((doc_set | CAP_NET_ADMIN) & real_host_bnd)))" \
        "--private-users=no: the host's bounding set limits the machine's"
msh --drop-capability=CAP_CHOWN -- 'touch /tmp/f; chown 1000 /tmp/f 2>&1; echo st=$?'
like "$OUT" "st=1" "without CAP_CHOWN, chown fails"
mrun -- cat /proc/1/status
like "$OUT" "CapEff:[[:space:]]+0+$" "the reaper runs without capabilities"
mrun --user=user -- cat /proc/self/status
like "$OUT" "CapEff:[[:space:]]+0+$" "a non-root user has no effective capabilities"

# --- seccomp ------------------------------------------------------------------------------------------
mrun -- cat /proc/self/status
like "$OUT" "^Seccomp:[[:space:]]+2$" "the command runs in seccomp filter mode"
like "$OUT" "^Seccomp_filters:[[:space:]]+2$" "two filters are installed"

PROBE=$(probe_path)
if [ -z "$PROBE" ]; then
        skip "seccomp probes" "no C compiler with a static libc"
else
        pr() { mrun --bind-ro="$PROBE:/run/probe" "$@"; }
        host_probe=$("$PROBE" sys listmount sysfs i386_getpid x32_getpid tiocsti)
        # Calls berth(1) lists as refused with EPERM (each with arguments harmless if it got through).
        denied="keyctl add_key request_key bpf perf_event_open open_by_handle_at syslog kexec_load init_module swapoff iopl uselib adjtimex_read"
        # shellcheck disable=SC2086
        pr -- /run/probe sys $denied getpid uname
        for c in $denied; do
                like "$OUT" "^$c=EPERM$" "$c is refused with EPERM"
        done
        like "$OUT" "^getpid=ok$" "getpid is allowed"
        like "$OUT" "^uname=ok$" "uname is allowed"
        for c in listmount sysfs; do
                if grep -q "^$c=ENOSYS" <<<"$host_probe"; then
                        skip "$c (not on the allow-list) gives ENOSYS" "the host kernel lacks $c"
                        continue
                fi
                pr -- /run/probe sys $c
                is "$OUT" "$c=ENOSYS" "$c, which is not on the allow-list, fails with ENOSYS (works on the host)"
        done
        pr -- /run/probe sys unassigned
        is "$OUT" "unassigned=ENOSYS" "an unassigned system call number gives ENOSYS"
        if grep -q "^i386_getpid=ok" <<<"$host_probe"; then
                pr -- /run/probe sys i386_keyctl i386_getpid
                is "$OUT" "$(printf 'i386_keyctl=EPERM\ni386_getpid=ok')" "the filter covers the i386 ABI (keyctl through int 0x80 is refused)"
        else
                skip "the filter covers the i386 ABI" "no IA32 emulation on this kernel"
        fi
        if grep -q "^x32_getpid=ok" <<<"$host_probe"; then
                pr -- /run/probe sys x32_keyctl
                is "$OUT" "x32_keyctl=EPERM" "the filter covers the x32 ABI"
        else
                skip "the filter covers the x32 ABI" "no x32 support on this kernel"
        fi
        if grep -q "^tiocsti=ok" <<<"$host_probe"; then
                pr -- /run/probe sys tiocsti
                is "$OUT" "tiocsti=EPERM" "the TIOCSTI ioctl is refused with EPERM"
        else
                skip "TIOCSTI is refused" "TIOCSTI does not work on the host either"
        fi

        if grep -q "^tiocsti=ok" <<<"$host_probe"; then
                pr -- /run/probe sys tiocsti_high tioclinux
                is "$OUT" "$(printf 'tiocsti_high=EPERM\ntioclinux=EPERM')" \
                        "TIOCSTI with garbage in the upper 32 bits of the request, and TIOCLINUX, are refused with EPERM"
        fi
        # seccomp-groups.c (@process): "the filter loader is expected to restrict the argument to
        # PER_LINUX, PER_LINUX32 and the 0xffffffff query".
        pr -- /run/probe sys personality_query personality_linux32 personality_norandom personality_exec
        like "$OUT" "^personality_query=ok$" "personality(0xffffffff) (a query) is allowed"
        like "$OUT" "^personality_linux32=ok$" "personality(PER_LINUX32) is allowed"
        like "$OUT" "^personality_norandom=EPERM$" "personality(ADDR_NO_RANDOMIZE) is refused (only PER_LINUX, PER_LINUX32 and the query)"
        like "$OUT" "^personality_exec=EPERM$" "personality(READ_IMPLIES_EXEC) is refused"

        pr --system-call-filter='~uname' -- /run/probe sys uname getpid
        is "$OUT" "$(printf 'uname=EPERM\ngetpid=ok')" "--system-call-filter=~uname refuses uname with EPERM"
        pr --system-call-filter='~@timer getpid' -- /run/probe sys getpid uname
        is "$OUT" "$(printf 'getpid=EPERM\nuname=ok')" "a space separated deny list with a group works"
        pr --system-call-filter='~uname' --system-call-filter='~getpid' -- /run/probe sys uname getpid
        is "$OUT" "$(printf 'uname=EPERM\ngetpid=EPERM')" "--system-call-filter may be given several times"
        if ! grep -q "^sysfs=ENOSYS" <<<"$host_probe"; then
                pr --system-call-filter=sysfs -- /run/probe sys sysfs
                is "$OUT" "sysfs=ok" "--system-call-filter=sysfs allows a call not on the default list"
                pr --system-call-filter=@obsolete -- /run/probe sys sysfs
                is "$OUT" "sysfs=ok" "--system-call-filter=@obsolete allows a group"
        fi
        pr --system-call-filter=keyctl -- /run/probe sys keyctl add_key
        is "$OUT" "$(printf 'keyctl=ok\nadd_key=EPERM')" "allowing keyctl explicitly lifts its default EPERM (only keyctl)"
        pr --system-call-filter='~keyctl' -- /run/probe sys keyctl
        is "$OUT" "keyctl=EPERM" "denying an already denied call keeps it EPERM"
fi

# --- no_new_privs -------------------------------------------------------------------------------------
nnp() { sed -n 's/^NoNewPrivs:[[:space:]]*//p' <<<"$OUT"; }
mrun -- cat /proc/self/status
is "$(nnp)" 1 "NoNewPrivs is 1 by default for run"
mrun --no-new-privileges -- cat /proc/self/status
is "$(nnp)" 1 "NoNewPrivs is 1 with --no-new-privileges"
mrun --no-new-privileges=yes -- cat /proc/self/status
is "$(nnp)" 1 "NoNewPrivs is 1 with --no-new-privileges=yes"
mrun --no-new-privileges=no -- cat /proc/self/status
is "$(nnp)" 0 "NoNewPrivs is 0 with --no-new-privileges=no"

done_testing
