#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# berth run basics: the PID namespace as the command sees it, the host name, exit statuses, signals,
# exec failures, --as-pid1 and the reaper.
. "$(dirname "$0")/lib.sh"

# --- PID namespace -----------------------------------------------------------------------------------
msh -- 'cat /proc/1/comm'
is "$OUT" berth "PID 1 is the reaper, called berth"
is "$RC" 0 "cat /proc/1/comm exits 0"

msh -- 'tr "\0" " " </proc/1/cmdline'
like "$OUT" "^\(berth-reaper\)" "PID 1's command line is (berth-reaper)"
unlike "$OUT" "$TREE" "PID 1's command line does not show the host path of the tree"

msh -- 'echo $$'
is "$OUT" 2 "the command is PID 2"

# Builtins only, so that no third process shows up.
msh -- 'echo /proc/[0-9]*'
is "$OUT" "/proc/1 /proc/2" "only the reaper and the command exist in the machine's /proc"

msh -- 'ps -o pid,comm; true'
like "$OUT" '^ +1 +berth' "ps shows the reaper as PID 1"
is "$(tail -n +2 <<<"$OUT" | wc -l)" 3 "ps lists exactly the reaper, the shell and ps"

msh -- 'cat /proc/1/status | grep -E "^(PPid|NSpid)"'
like "$OUT" '^PPid:[[:space:]]+0$' "the reaper has no parent inside the machine"

# --- host name ---------------------------------------------------------------------------------------
host_hn=$(hostname)
mrun -- hostname
is "$OUT" "$NAME" "the host name is the machine name"
mrun --hostname=berth-test-host -- cat /proc/sys/kernel/hostname
is "$OUT" "berth-test-host" "--hostname sets the host name"
msh -- 'hostname changed-inside && hostname'
is "$OUT" "changed-inside" "the machine can change its own host name"
is "$(hostname)" "$host_hn" "the host's name is unchanged"

# --- exit statuses -----------------------------------------------------------------------------------
for st in 0 1 42 255; do
        msh -- "exit $st"
        is "$RC" "$st" "exit $st is passed on"
done
mrun -- true
is "$RC" 0 "true gives 0"
mrun -- false
is "$RC" 1 "false gives 1"

msh -- 'kill -TERM $$'
is "$RC" 143 "a command killed by SIGTERM gives 143"
msh -- 'kill -KILL $$'
is "$RC" 137 "a command killed by SIGKILL gives 137"
msh -- 'kill -USR1 $$'
is "$RC" 138 "a command killed by SIGUSR1 gives 138"

# --- exec failures -----------------------------------------------------------------------------------
mrun -- /no/such/command arg
is "$RC" 127 "a missing command (absolute path) gives 127"
like "$ERR" '/no/such/command' "the error names the missing path"
mrun -- no-such-command-xyz
is "$RC" 127 "a missing command (PATH search) gives 127"
like "$ERR" 'no-such-command-xyz' "the error names the missing command"
mrun -- /etc/passwd
is "$RC" 126 "a file that is not executable gives 126"
like "$ERR" '/etc/passwd' "the error names the file that cannot be executed"
mrun -- /etc
is "$RC" 126 "a directory as the command gives 126"
no_leftovers "$NAME" "a command that cannot be executed leaves nothing behind"

# A script whose interpreter is missing exists in the tree but cannot be executed: 126 (berth(1):
# 127 is for a command that is not found in the tree).
BT=$(copy_tree)
printf '#!/nonexistent/interpreter\necho hi\n' >"$BT/bad-interp"
printf 'garbage\0\0\0' >"$BT/garbage"
chmod 755 "$BT/bad-interp" "$BT/garbage"
ln -s /nowhere "$BT/dangling"
RUN_TREE=$BT
mrun -- /garbage
is "$RC" 126 "an executable file in an unknown format gives 126"
mrun -- /bad-interp
is "$RC" 126 "a script whose interpreter is missing gives 126 (it exists, but cannot be executed)"
like "$ERR" "/bad-interp" "... and the error names the script"
mrun -- /dangling
is "$RC" 127 "a dangling symbolic link as the command gives 127"
unset RUN_TREE

# A command that exists on the host but not in the tree: the tree's PATH is searched, not the host's.
if command -v python3 >/dev/null && [ ! -e "$TREE/usr/bin/python3" ]; then
        mrun -- python3 -c 'print(1)'
        is "$RC" 127 "a command only the host has is not found in the machine"
fi

# --- default command, argument handling ---------------------------------------------------------------
new_name
out=$(echo 'echo "shell:$0"; exit 5' | timeout -k 10 "$TIMEOUT" "$BERTH" run -q -D "$TREE" -M "$NAME" 2>/dev/null)
rc=$?
is "$rc" 5 "without a command /bin/sh runs (reading stdin) and its status is passed on"
like "$out" 'shell:(/bin/)?sh' "the default command is the tree's /bin/sh"

mrun -- echo -n -e 'a\tb' --hostname=x
is "$OUT" "$(printf 'a\tb --hostname=x')" "options after the command belong to the command"

mrun -- sh -c 'printf "%s|" "$@"' sh "" "two words" "*"
is "$OUT" "|two words|*|" "arguments are passed unchanged (empty, spaces, globs)"

# --- --as-pid1 ----------------------------------------------------------------------------------------
mrun --as-pid1 -- sh -c 'echo $$; cat /proc/1/comm; true'
is "$OUT" "$(printf '1\nsh')" "--as-pid1 makes the command PID 1"
mrun -a -- sh -c 'echo $$'
is "$OUT" 2 "-a (--as-pid2, nspawn's spelling) keeps the command at PID 2"
mrun --as-pid2 -- sh -c 'echo $$'
is "$OUT" 2 "--as-pid2 keeps the command at PID 2"
mrun --as-pid1 -- sh -c 'exit 9'
is "$RC" 9 "--as-pid1 passes the exit status on"

# --- the reaper ---------------------------------------------------------------------------------------
# An orphan (its parent subshell exits at once) is reparented to PID 1, which must reap it when it
# exits; otherwise it stays a zombie.
msh -- '
        (sleep 1 & echo $! >/tmp/orphan)
        o=$(cat /tmp/orphan)
        echo "ppid:$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$o/status)"
        i=0
        while [ -e /proc/$o ] && [ $i -lt 200 ]; do
                grep -q "^State:.*Z" /proc/$o/status 2>/dev/null && zombie=1
                sleep 0.1; i=$((i+1))
        done
        if [ -e /proc/$o ]; then echo "left:$(grep ^State: /proc/$o/status)"; else echo reaped; fi'
like "$OUT" '^ppid:1$' "an orphan is reparented to the reaper"
like "$OUT" '^reaped$' "the reaper collects the orphan once it exits (no zombie left)"

# Many orphans at once.
msh -- '
        for i in 1 2 3 4 5 6 7 8 9 10; do (true &) ; done
        for i in 1 2 3 4 5 6 7 8 9 10; do (sleep 0.2 &) ; done
        i=0
        while [ $i -lt 100 ]; do
                n=0; for p in /proc/[0-9]*; do n=$((n+1)); done
                [ $n -le 2 ] && break
                sleep 0.1; i=$((i+1))
        done
        echo /proc/[0-9]*'
is "$OUT" "/proc/1 /proc/2" "twenty orphans are all reaped"

# The command's status is passed on even when orphans are still running when it exits.
msh -- '(sleep 30 &); exit 4'
is "$RC" 4 "the command's status wins over orphans still running"
no_leftovers "$NAME" "orphans still running at exit are killed and the machine is removed"

# --- signals from the host ----------------------------------------------------------------------------
for sig in TERM INT HUP; do
        new_name
        machine_bg "$NAME" -- "trap 'echo got-$sig; exit 7' $sig; touch /run/sync/ready; $WAIT_GO; exit 99"
        if wait_ready; then
                kill -"$sig" "$MPID"
                machine_wait
                is "$RC" 7 "SIG$sig to berth reaches the command (its handler's status is passed on)"
                like "$(cat "$SYNC.out")" "got-$sig" "the command's SIG$sig handler ran"
        else
                fail "machine for SIG$sig did not start"
                diag "$(cat "$SYNC.err")"
        fi
done

# The reaper passes on what it receives (TERM, INT, HUP, QUIT, USR1, USR2, WINCH) to the command: sent
# to PID 1 from inside the machine, and from the host to the leader.
for sig in TERM INT HUP QUIT USR1 USR2 WINCH; do
        msh -- "trap 'echo got-$sig; exit 8' $sig; kill -$sig 1; i=0; while [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done; exit 99"
        is "$RC|$OUT" "8|got-$sig" "SIG$sig sent to PID 1 inside reaches the command"
done
new_name
machine_bg "$NAME" -- "trap 'echo got-USR2; exit 6' USR2; touch /run/sync/ready; $WAIT_GO; exit 99"
if wait_ready; then
        bx list --no-legend
        leader=$(awk -v n="$NAME" '$1 == n { print $4 }' <<<"$OUT")
        if [ -n "$leader" ] && [ "$leader" -gt 1 ]; then
                kill -USR2 "$leader"
                machine_wait
                is "$RC" 6 "SIGUSR2 sent from the host to the leader reaches the command"
        else
                fail "no leader listed for $NAME"
        fi
else
        fail "machine for SIGUSR2 did not start"
fi

# SIGKILL of the machine's PID 1 from the host ends the machine: 137, nothing left.
new_name
machine_bg "$NAME" -- "touch /run/sync/ready; $WAIT_GO; exit 99"
if wait_ready; then
        bx list --no-legend
        leader=$(awk -v n="$NAME" '$1 == n { print $4 }' <<<"$OUT")
        [ -n "$leader" ] && [ "$leader" -gt 1 ] && kill -KILL "$leader"
        machine_wait
        is "$RC" 137 "SIGKILL of the machine's PID 1 from the host gives 137"
        no_leftovers "$NAME" "... and leaves nothing behind"
else
        fail "machine for SIGKILL of PID 1 did not start"
fi

# A command that ignores nothing dies of SIGTERM sent to berth, with 143.
new_name
machine_bg "$NAME" -- "touch /run/sync/ready; $WAIT_GO; exit 99"
if wait_ready; then
        # sh -c with a running child: the shell itself gets SIGTERM.
        kill -TERM "$MPID"
        machine_wait
        is "$RC" 143 "SIGTERM to berth ends a command without a handler with 143"
        no_leftovers "$NAME" "nothing is left after a SIGTERM"
else
        fail "machine for plain SIGTERM did not start"
fi

done_testing
