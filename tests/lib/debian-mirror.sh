# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Sourced by the scripts that debootstrap Debian (make-debian-tree.sh, tests/vm/make-vm-image.sh).
#
# debian_find_mirror SUITE: prints the URI of the first apt source of this machine that serves
# Debian's SUITE main archive (nothing when there is none).

# The URI of the first apt source that serves Debian's main archive (not -security, not -updates):
# deb822 *.sources files and one-line *.list files alike.
debian_find_mirror() {
        local f SUITE=$1
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] || continue
                case $f in
                *.sources)
                        # One paragraph per stanza; print the first URI of a stanza of type deb
                        # that names the suite and component main.
                        awk -v suite="$SUITE" '
                                function flush() {
                                        if (types ~ /(^| )deb( |$)/ && suites ~ ("(^| )" suite "( |$)") &&
                                            comps ~ /(^| )main( |$)/ && enabled !~ /^no$/ && uri != "") {
                                                print uri; found = 1; exit
                                        }
                                        types = suites = comps = uri = enabled = ""
                                }
                                /^[ \t]*#/ { next }
                                /^[ \t]*$/ { flush(); next }
                                {
                                        key = tolower($1); sub(/:$/, "", key)
                                        val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                                        if (key == "types") types = val
                                        else if (key == "suites") suites = val
                                        else if (key == "components") comps = val
                                        else if (key == "enabled") enabled = tolower(val)
                                        else if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
                                }
                                END { if (!found) flush() }
                        ' "$f"
                        ;;
                *)
                        # deb [options] URI SUITE COMPONENT...
                        awk -v suite="$SUITE" '
                                $1 != "deb" { next }
                                {
                                        i = 2
                                        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                                        uri = $i; s = $(i + 1)
                                        if (s != suite) next
                                        for (j = i + 2; j <= NF; j++) if ($j == "main") { print uri; exit }
                                }
                        ' "$f"
                        ;;
                esac
        done | head -n 1
}

# debian_mirror_reachable MIRROR SUITE: true when MIRROR's Release file of SUITE can be fetched (or
# when neither curl nor wget is here to ask); otherwise false, with curl's or wget's last line on
# stdout. Lets a machine without the archive skip in seconds, not after a timeout storm.
debian_mirror_reachable() {
        local release="$1/dists/$2/Release" err
        if command -v curl >/dev/null 2>&1; then
                err=$(curl -fsS -o /dev/null --connect-timeout 15 --max-time 60 "$release" 2>&1) ||
                        { echo "$release: $(tail -n 1 <<<"$err")"; return 1; }
        elif command -v wget >/dev/null 2>&1; then
                wget -q -O /dev/null --timeout=30 --tries=2 "$release" 2>/dev/null ||
                        { echo "$release"; return 1; }
        fi
        return 0
}
