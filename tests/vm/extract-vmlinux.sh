#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes the uncompressed kernel (an ELF vmlinux) out of an x86 bzImage, so that qemu can start it
# through its PVH entry point without running the decompressor.
#
# Usage: extract-vmlinux.sh BZIMAGE OUT
#
# The bzImage's setup header (Documentation/x86/boot.rst) says where the compressed kernel is:
# setup_sects (offset 0x1f1) sectors of real-mode setup plus the boot sector, then the protected-mode
# part, in which payload_offset (0x248) and payload_length (0x24c) give the compressed payload. Its
# first bytes tell the compressor. When the header is missing or does not point at a known format, the
# whole file is searched for the first compression magic that decompresses to an ELF file.
# Exit status: 0 written; 1 not a kernel this script can unpack (OUT is not left behind).
set -euo pipefail
prog=extract-vmlinux
in=${1:?usage: $prog BZIMAGE OUT}
out=${2:?usage: $prog BZIMAGE OUT}

die() {
        echo "$prog: $*" >&2
        rm -f "$out.tmp.$$"
        exit 1
}

# u8/u32 OFFSET: an unsigned little-endian number at OFFSET of the input.
u8() { od -An -tu1 -j "$1" -N1 "$in" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N4 --endian=little "$in" | tr -d ' '; }
hexat() { od -An -tx1 -j "$1" -N"$2" "$in" | tr -d ' \n'; }

# The decompressor for the magic at OFFSET, as a command that reads stdin and writes stdout; empty
# when the bytes there are no known format. Each ignores what follows its stream (the kernel build
# appends the uncompressed size as 4 bytes).
decompressor_at() {
        local m
        m=$(hexat "$1" 6)
        case $m in
        fd377a585a00) echo "xz -dc --single-stream" ;;
        1f8b08*) echo "gzip -dc" ;;
        28b52ffd*) echo "zstd -dcq" ;;
        5d0000*) echo "xz -dc --format=lzma" ;;
        425a68*) echo "bzip2 -dc" ;;
        02214c18*) echo "lz4 -dc" ;;
        894c5a4f*) echo "lzop -dc" ;;
        esac
}

# try OFFSET LENGTH: decompress LENGTH bytes (0: to the end) from OFFSET into OUT.tmp; true when the
# result is an ELF file. gzip and zstd complain about trailing bytes (status 2 / 1) after writing the
# whole stream, so their status is not the verdict: the ELF magic is.
try() {
        local off=$1 len=$2 cmd
        cmd=$(decompressor_at "$off")
        [ -n "$cmd" ] || return 1
        command -v "${cmd%% *}" >/dev/null 2>&1 || { echo "$prog: no ${cmd%% *} to unpack this kernel" >&2; return 1; }
        if [ "$len" -gt 0 ]; then
                tail -c +"$((off + 1))" "$in" | head -c "$len" | $cmd >"$out.tmp.$$" 2>/dev/null || true
        else
                tail -c +"$((off + 1))" "$in" | $cmd >"$out.tmp.$$" 2>/dev/null || true
        fi
        [ "$(head -c 4 "$out.tmp.$$" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]
}

[ -f "$in" ] || die "$in: no such file"
done=
if [ "$(hexat $((0x202)) 4)" = 48647253 ]; then # "HdrS"
        sects=$(u8 $((0x1f1)))
        [ "$sects" -ne 0 ] || sects=4
        poff=$(u32 $((0x248)))
        plen=$(u32 $((0x24c)))
        start=$(((sects + 1) * 512 + poff))
        if [ "$poff" -gt 0 ] && try "$start" "$plen"; then
                done=1
        fi
fi
if [ -z "$done" ]; then
        # No usable header: the first magic of any known format that unpacks to an ELF file.
        for magic in '\xfd7zXZ\x00' '\x1f\x8b\x08' '\x28\xb5\x2f\xfd' '\x5d\x00\x00' 'BZh' '\x02\x21\x4c\x18' '\x89LZO'; do
                for off in $(LC_ALL=C grep -obUaP "$magic" "$in" 2>/dev/null | cut -d: -f1 | head -n 20); do
                        if try "$off" 0; then
                                done=1
                                break 2
                        fi
                done
        done
fi
[ -n "$done" ] || die "$in: no compressed ELF kernel found"
mv -f "$out.tmp.$$" "$out"
