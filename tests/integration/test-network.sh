#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --network=private (default: only lo, up; own loopback; /proc/sys/net writable; CAP_NET_ADMIN) and
# --network=host (host interfaces, no CAP_NET_ADMIN, a warning). Host listeners bind 127.0.0.1 only.
. "$(dirname "$0")/lib.sh"

cap_bit_set() { # cap_bit_set HEX BIT
        [ $(((0x$1 >> $2) & 1)) -eq 1 ]
}

# --- private (default) --------------------------------------------------------------------------------
mrun -- ip -o link
is "$(awk -F': ' '{ print $2 }' <<<"$OUT" | tr '\n' ' ')" "lo " "private: ip link shows only lo"
like "$OUT" '<LOOPBACK,UP,LOWER_UP>' "private: lo is up"
mrun --private-network -- ip -o link
is "$(awk -F': ' '{ print $2 }' <<<"$OUT" | tr '\n' ' ')" "lo " "--private-network: only lo"
mrun --network=private -- ip -o addr show dev lo
like "$OUT" 'inet 127\.0\.0\.1/8' "private: lo has 127.0.0.1"
mrun -- cat /proc/self/status
cap_bit_set "$(sed -n 's/^CapEff:[[:space:]]*//p' <<<"$OUT")" 12
ok $? "private: CAP_NET_ADMIN is effective"

# The machine can configure its own network, and the host does not notice.
host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
new_fwd=$((1 - host_fwd))
msh -- "echo $new_fwd >/proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward"
is "$OUT" "$new_fwd" "private: /proc/sys/net is writable"
is "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "private: the host's ip_forward is unchanged"
msh -- 'ip addr add 10.213.7.9/32 dev lo && ip -o addr show dev lo | grep -c 10.213.7.9'
is "$OUT" 1 "private: the machine can add an address to its lo (CAP_NET_ADMIN)"
unlike "$(ip -o addr show dev lo)" '10\.213\.7\.9' "private: the host's lo did not get it"

# Loopback isolation, both ways. The host listens on 127.0.0.1:P (answering host-ok); the machine
# listens on P too (answering inside-ok) and on Q, where the host has nothing.
if ! command -v python3 >/dev/null; then
        skip "loopback isolation" "no python3 for the host listener"
else
        # shellcheck disable=SC2016
        bg SRV python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
q = socket.socket()
q.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write("%d %d\n" % (s.getsockname()[1], q.getsockname()[1]))
q.close()
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    c.sendall(b"host-ok\n")
    c.close()
' "$TEST_TMP/ports"
        if wait_until 30 test -s "$TEST_TMP/ports"; then
                read -r P Q <"$TEST_TMP/ports"
                hq=$(busybox nc -w 3 127.0.0.1 "$Q" </dev/null 2>/dev/null)
                is "$hq" "" "(nothing listens on the host's port $Q before the machine starts)"
                new_name
                machine_bg "$NAME" -- "
                        nc -ll -p $P -e echo inside-ok &
                        nc -ll -p $Q -e echo inside-ok &
                        i=0; while [ \$i -lt 100 ]; do
                                a=\$(nc 127.0.0.1 $P </dev/null 2>/dev/null); b=\$(nc 127.0.0.1 $Q </dev/null 2>/dev/null)
                                [ -n \"\$a\" ] && [ -n \"\$b\" ] && break; sleep 0.1; i=\$((i+1)); done
                        echo \"inside-P:\$a\"; echo \"inside-Q:\$b\"
                        touch /run/sync/ready; $WAIT_GO"
                if wait_ready; then
                        hp=$(busybox nc -w 3 127.0.0.1 "$P" </dev/null 2>/dev/null)
                        hq=$(busybox nc -w 3 127.0.0.1 "$Q" </dev/null 2>/dev/null)
                        touch "$SYNC/go"
                        machine_wait
                        out=$(cat "$SYNC.out")
                        like "$out" "^inside-P:inside-ok$" "private: the machine can listen on a port the host uses, and reaches its own listener"
                        like "$out" "^inside-Q:inside-ok$" "private: the machine reaches its own listener on 127.0.0.1"
                        is "$hp" "host-ok" "private: the host's 127.0.0.1:$P still reaches the host's listener"
                        is "$hq" "" "private: the machine's listener on 127.0.0.1:$Q is not reachable from the host"
                        is "$RC" 0 "private: the listening machine exits cleanly"
                else
                        fail "the listening machine did not start"
                        diag "$(cat "$SYNC.err")"
                fi
                # From the machine, the host's listener is out of reach.
                msh -- "nc -w 3 127.0.0.1 $P </dev/null 2>&1; echo st=\$?"
                unlike "$OUT" "host-ok" "private: the host's listener on 127.0.0.1:$P is not reachable from the machine"
        else
                fail "the host listener did not start"
        fi
fi

# --- host ---------------------------------------------------------------------------------------------
mrun --network=host -- ip -o link
is "$(awk -F': ' '{ print $2 }' <<<"$OUT" | sed 's/@.*//' | sort | tr '\n' ' ')" \
        "$(ip -o link | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' ')" \
        "host: the machine sees the host's interfaces"
like "$ERR" "network=host" "host: a warning is printed"
like "$ERR" "abstract" "host: the warning mentions abstract unix sockets"
mrun -q --network=host -- true
like "$ERR" "network=host" "host: the warning is printed even with -q"
mrun --network=host -- cat /proc/self/status
cap_bit_set "$(sed -n 's/^CapBnd:[[:space:]]*//p' <<<"$OUT")" 12
isnt "$?" 0 "host: CAP_NET_ADMIN is not in the bounding set"
cap_bit_set "$(sed -n 's/^CapEff:[[:space:]]*//p' <<<"$OUT")" 12
isnt "$?" 0 "host: CAP_NET_ADMIN is not effective"
# Harmless if it were allowed: the MTU and ip_forward are set to their current values.
mtu=$(cat /sys/class/net/lo/mtu)
msh --network=host -- "ip link set dev lo mtu $mtu 2>&1; echo st=\$?"
like "$OUT" "st=[1-9]" "host: the machine cannot configure the host's interfaces"
msh --network=host -- "{ echo $host_fwd >/proc/sys/net/ipv4/ip_forward; } 2>&1"
like "$OUT" "Read-only file system" "host: /proc/sys/net is read-only"
is "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "host: ip_forward unchanged"
if [ -n "${P:-}" ]; then
        msh --network=host -- "nc -w 3 127.0.0.1 $P </dev/null"
        is "$OUT" "host-ok" "host: the host's loopback listener is reachable"
fi

done_testing
