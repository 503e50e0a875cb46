#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Settings files (.nspawn): a trusted one in the state directory applies in full, under the command
# line; one beside the tree is untrusted (what grants privileges is skipped, with a warning); a
# malformed one is a usage error that leaves nothing behind.
. "$(dirname "$0")/lib.sh"

parent=$(mktemp -d "$TEST_TMP/store.XXXXXX")
new_name
M=$NAME
tree="$parent/$M"
cp -a "$TREE/." "$tree/"
echo "from-the-host" >"$TEST_TMP/bindme"

# --- untrusted: beside the tree ------------------------------------------------------------------------
cat >"$parent/$M.nspawn" <<EOT
[Exec]
Hostname=untrusted-name
Environment=FROMFILE=beside
Capability=CAP_SYS_MODULE
[Files]
Bind=$TEST_TMP/bindme:/mnt/bindme
EOT
bx run -D "$tree" -- sh -c 'hostname; echo "$FROMFILE"; cat /mnt/bindme 2>&1; grep CapBnd /proc/self/status'
is "$RC" 0 "a machine with an untrusted settings file runs"
like "$OUT" "^untrusted-name$" "untrusted file: Hostname= applies"
like "$OUT" "^beside$" "untrusted file: Environment= applies"
unlike "$OUT" "from-the-host" "untrusted file: Bind= of a host path is ignored"
like "$ERR" "Bind.*grants privileges" "untrusted file: the ignored Bind= is reported"
like "$ERR" "Capability.*grants privileges" "untrusted file: the ignored Capability= is reported"
unlike "$OUT" "CapBnd:.*[0-9a-f]*1[0-9a-f]{4}$" "untrusted file: no CAP_SYS_MODULE (bit 16) in the bounding set"
no_leftovers "$M" "untrusted file: nothing left behind"

# --- trusted: in the state directory; the command line wins ------------------------------------------
cat >"$STATE_DIR/$M.nspawn" <<EOT
[Exec]
Hostname=trusted-name
Environment=FROMFILE=trusted
[Files]
BindReadOnly=$TEST_TMP/bindme:/mnt/bindme
EOT
bx run -D "$tree" -- sh -c 'hostname; echo "$FROMFILE"; cat /mnt/bindme; touch /mnt/bindme 2>&1'
is "$RC" 1 "a machine with a trusted settings file runs (touch on the read-only bind fails)"
like "$OUT" "^trusted-name$" "trusted file: Hostname= applies (the file beside the tree is not read)"
like "$OUT" "^trusted$" "trusted file: Environment= applies"
like "$OUT" "^from-the-host$" "trusted file: BindReadOnly= of a host path applies"
like "$OUT" "Read-only file system" "trusted file: the bind is read-only"
bx run -D "$tree" --hostname=from-cli -- hostname
is "$OUT" "from-cli" "the command line overrides the settings file"

# --- malformed -----------------------------------------------------------------------------------------
printf '[Exec]\nHostname=not a hostname\n' >"$STATE_DIR/$M.nspawn"
bx run -D "$tree" -- true
is "$RC" 64 "a malformed settings file is a usage error (64)"
like "$ERR" "$M.nspawn', line 2" "... and the message names the file and the line"
no_leftovers "$M" "a malformed settings file leaves nothing behind"
printf 'Hostname=x\n' >"$STATE_DIR/$M.nspawn"
bx run -D "$tree" -- true
is "$RC" 64 "a line outside any [Section] is a usage error (64)"
rm -f "$STATE_DIR/$M.nspawn" "$parent/$M.nspawn"

done_testing
