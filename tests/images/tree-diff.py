#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compares two trees as a machine sees them: per path the type, mode, owner, group, mtime (ns),
content, symlink target, device number and every xattr (ACLs and file capabilities included), and
which names share an inode. Prints the differences; exit status 1 when there are any.

Usage: tree-diff.py [--no-mtime=REL]... A B"""

import hashlib
import os
import stat
import sys


def walk(root):
    out, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [None] + dirnames + filenames:
            path = dirpath if name is None else os.path.join(dirpath, name)
            if name is None and dirpath != root:
                continue
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            info = {
                "type": stat.S_IFMT(st.st_mode),
                "mode": oct(st.st_mode),
                "uid": st.st_uid,
                "gid": st.st_gid,
                "mtime": st.st_mtime_ns,
            }
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                info["size"] = st.st_size
                info["sha256"] = h.hexdigest()
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif stat.S_ISLNK(st.st_mode):
                info["target"] = os.readlink(path)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                info["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
            try:
                names = os.listxattr(path, follow_symlinks=False)
            except OSError:
                names = []
            info["xattrs"] = {n: os.getxattr(path, n, follow_symlinks=False).hex() for n in sorted(names)}
            out[rel] = info
    links = sorted(sorted(v) for v in inodes.values() if len(v) > 1)
    return out, links


def main():
    args = sys.argv[1:]
    no_mtime = {a.split("=", 1)[1] for a in args if a.startswith("--no-mtime=")}
    a, b = [x for x in args if not x.startswith("--")]
    ta, la = walk(a)
    tb, lb = walk(b)
    diffs = []
    for rel in sorted(set(ta) | set(tb)):
        if rel not in tb:
            diffs.append(f"{rel}: only in {a}")
            continue
        if rel not in ta:
            diffs.append(f"{rel}: only in {b}")
            continue
        for k in sorted(set(ta[rel]) | set(tb[rel])):
            if k == "mtime" and rel in no_mtime:
                continue
            if ta[rel].get(k) != tb[rel].get(k):
                diffs.append(f"{rel}: {k}: {ta[rel].get(k)!r} != {tb[rel].get(k)!r}")
    if la != lb:
        diffs.append(f"hard links differ: {la!r} != {lb!r}")
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
