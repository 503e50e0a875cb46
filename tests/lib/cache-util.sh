# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# For the scripts that build cached test fixtures (make-debian-tree.sh, tests/vm/make-vm-image.sh):
# a build happens in NAME.tmp.PID under NAME.lock and is renamed into place when complete.

# remove_tree DIR: unmounts whatever is mounted below DIR (debootstrap's /proc and /sys of a killed
# build, a chroot step's), deepest first, then removes DIR without crossing into a file system that
# could not be unmounted. (mountinfo field 5 is the mount point, with octal escapes, which the paths
# these scripts make never need.)
remove_tree() {
        local t=$1
        [ -e "$t" ] || return 0
        t=$(realpath "$t")
        awk -v t="$t" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
                while IFS= read -r m; do
                        umount -l "$m" 2>/dev/null || true
                done
        rm -rf --one-file-system "$t"
}

# remove_stale_tmp NAME: removes the NAME.tmp.PID leftovers of builders that died (call it with the
# lock held, so no build of NAME is running).
remove_stale_tmp() {
        local old pid
        for old in "$1".tmp.*; do
                [ -e "$old" ] || continue
                pid=${old##*.tmp.}
                pid=${pid%%.*}
                if [ "$pid" != $$ ] && ! kill -0 "$pid" 2>/dev/null; then
                        remove_tree "$old"
                fi
        done
}

# build_begin NAME: the temporary names of a build of NAME (tmp, NAME.tmp.PID, and log beside it) and
# traps that, when the script ends however it ends, stop the debootstrap it may be running (its PID in
# dbpid, in a session of its own: debootstrap unmounts its /proc and /sys on SIGTERM) and remove both;
# remove_tree catches what is left mounted.
build_begin() {
        tmp="$1.tmp.$$"
        log="$1.tmp.$$.log"
        dbpid=
        trap build_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
}

build_cleanup() {
        if [ -n "$dbpid" ]; then
                kill -TERM -- "-$dbpid" 2>/dev/null || kill -TERM "$dbpid" 2>/dev/null || true
                wait "$dbpid" 2>/dev/null || true
        fi
        remove_tree "$tmp"
        rm -f "$log"
}
