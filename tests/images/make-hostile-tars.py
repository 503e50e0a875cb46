#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes hostile tar archives for the import tests into OUTDIR, each aimed at AIM (a directory the
test owns and watches, given as an absolute path and reachable as ../AIM_NAME from the target), and a
manifest OUTDIR/MANIFEST with one line per archive: file name, TAB, the member the import must name.

Usage: make-hostile-tars.py OUTDIR AIM"""

import io
import os
import sys
import tarfile

out, aim = sys.argv[1], sys.argv[2]
aim_rel = "../" + os.path.basename(aim)
aim_abs_norel = aim.lstrip("/")
manifest = []


def member(name, type=tarfile.REGTYPE, data=b"", linkname="", size=None, pax=None):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.linkname = linkname
    ti.mode = 0o755 if type == tarfile.DIRTYPE else 0o644
    ti.mtime = 1000000000
    ti.size = len(data) if size is None else size
    if pax:
        ti.pax_headers = pax
    return ti, (data if data else None)


def write(fname, expect, members, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(os.path.join(out, fname), "w", format=fmt) as t:
        for ti, data in members:
            if data is None and ti.size > 0:
                # Header only: the data the header promises never comes (the archive ends there).
                t.fileobj.write(ti.tobuf(fmt, t.encoding, t.errors))
                t.offset += tarfile.BLOCKSIZE
            else:
                t.addfile(ti, io.BytesIO(data) if data else None)
    manifest.append((fname, expect))


ok = member("ok", data=b"fine\n")
evil = b"escaped\n"

write("absolute.tar", aim + "/evil-absolute", [ok, member(aim + "/evil-absolute", data=evil)])
write("dotdot.tar", aim_rel + "/evil-dotdot", [ok, member(aim_rel + "/evil-dotdot", data=evil)])
write("dotdot-middle.tar", "a/../../" + os.path.basename(aim) + "/evil-middle",
      [member("a/", tarfile.DIRTYPE), member("a/../../" + os.path.basename(aim) + "/evil-middle", data=evil)])
write("symlink-dotdot.tar", "l/evil-symlink",
      [member("l", tarfile.SYMTYPE, linkname=aim_rel), member("l/evil-symlink", data=evil)])
write("symlink-absolute.tar", "l/evil-symlink-abs",
      [member("l", tarfile.SYMTYPE, linkname=aim), member("l/evil-symlink-abs", data=evil)])
write("symlink-root.tar", "l/" + aim_abs_norel + "/evil-root",
      [member("l", tarfile.SYMTYPE, linkname="/"), member("l/" + aim_abs_norel + "/evil-root", data=evil)])
write("symlink-chain.tar", "b/evil-chain",
      [member("a", tarfile.SYMTYPE, linkname=aim_rel), member("b", tarfile.SYMTYPE, linkname="a"),
       member("b/evil-chain", data=evil)])
write("symlink-then-dir.tar", "d/",
      [member("d", tarfile.SYMTYPE, linkname=aim_rel), member("d", tarfile.DIRTYPE),
       member("d/evil-dir", data=evil)])
write("symlink-then-dir-slash.tar", "d/",
      [member("d", tarfile.SYMTYPE, linkname=aim), member("d/", tarfile.DIRTYPE),
       member("d/evil-dir2", data=evil)])
write("hardlink-dotdot.tar", "h",
      [member("h", tarfile.LNKTYPE, linkname=aim_rel + "/file"), member("h", data=evil)])
write("hardlink-absolute.tar", "h",
      [member("h", tarfile.LNKTYPE, linkname=aim + "/file"), member("h", data=evil)])
write("hardlink-through-symlink.tar", "h",
      [member("l", tarfile.SYMTYPE, linkname=aim_rel), member("h", tarfile.LNKTYPE, linkname="l/file"),
       member("h", data=evil)])
write("hardlink-to-symlink-dir.tar", "x/evil-hl",
      [member("l", tarfile.SYMTYPE, linkname=aim), member("x", tarfile.LNKTYPE, linkname="l"),
       member("x/evil-hl", data=evil)])
write("huge.tar", "huge", [ok, member("huge", size=300 << 30)])
write("long-name.tar", "a" * 300 + "/" + "b" * 4000, [member("a" * 300 + "/" + "b" * 4000, data=evil)])
write("long-component.tar", "c" * 300, [member("c" * 300, data=evil)])
write("long-symlink.tar", "s", [member("s", tarfile.SYMTYPE, linkname="x" * 5000)])
# A ustar header with a NUL-only name and a valid checksum: no name at all.
write("empty-name.tar", "-", [member("", data=b"x")], fmt=tarfile.USTAR_FORMAT)

with open(os.path.join(out, "MANIFEST"), "w") as m:
    for fname, expect in manifest:
        m.write(f"{fname}\t{expect}\n")
