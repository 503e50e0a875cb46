#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compares two directory trees the way a faithful copy must match its source, and reports the first
difference (exit 1) or nothing (exit 0).

    tree-compare.py [--skip REL]... A B

Per entry (never following a symlink): type, permission bits with setuid/setgid/sticky, owner, group,
mtime (to the nanosecond), size and content of regular files, device numbers, symlink targets, and
every xattr (user.*, trusted.*, security.capability, system.posix_acl_*). Directories must hold the
same names. Hard links must group the same way: two names are one inode in A exactly when they are in
B. --skip REL leaves out the contents of the directory REL (relative to the top), e.g. a mount point.
"""
import hashlib
import os
import stat
import sys


def xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    return {n: os.getxattr(path, n, follow_symlinks=False) for n in sorted(names)}


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe(path, rel, st):
    d = {
        "type": stat.S_IFMT(st.st_mode),
        "mode": oct(stat.S_IMODE(st.st_mode)),
        "uid": st.st_uid,
        "gid": st.st_gid,
        "mtime_ns": st.st_mtime_ns,
        "xattrs": xattrs(path),
    }
    if stat.S_ISREG(st.st_mode):
        d["size"] = st.st_size
        d["sha256"] = digest(path)
    elif stat.S_ISLNK(st.st_mode):
        d["target"] = os.readlink(path)
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        d["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
    return d


def walk(top, skip):
    """Yields (rel, path, stat) for top and everything below it, sorted, without following symlinks."""
    stack = [""]
    while stack:
        rel = stack.pop()
        path = os.path.join(top, rel) if rel else top
        st = os.lstat(path)
        yield rel, path, st
        if stat.S_ISDIR(st.st_mode) and rel not in skip:
            for name in sorted(os.listdir(path), reverse=True):
                stack.append(os.path.join(rel, name) if rel else name)


def main(argv):
    skip = set()
    while len(argv) > 2 and argv[0] == "--skip":
        skip.add(argv[1])
        argv = argv[2:]
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = argv
    ea = list(walk(a, skip))
    eb = list(walk(b, skip))
    names_a = [r for r, _, _ in ea]
    names_b = [r for r, _, _ in eb]
    if names_a != names_b:
        only_a = sorted(set(names_a) - set(names_b))
        only_b = sorted(set(names_b) - set(names_a))
        print(f"entries differ: only in A {only_a[:5]}, only in B {only_b[:5]}")
        return 1
    links_a, links_b = {}, {}
    for (rel, pa, sa), (_, pb, sb) in zip(ea, eb):
        da, db = describe(pa, rel, sa), describe(pb, rel, sb)
        for k in da.keys() | db.keys():
            if da.get(k) != db.get(k):
                print(f"'{rel or '.'}': {k} differs: {da.get(k)!r} != {db.get(k)!r}")
                return 1
        if not stat.S_ISDIR(sa.st_mode):
            links_a.setdefault((sa.st_dev, sa.st_ino), []).append(rel)
            links_b.setdefault((sb.st_dev, sb.st_ino), []).append(rel)
    groups_a = sorted(sorted(g) for g in links_a.values())
    groups_b = sorted(sorted(g) for g in links_b.values())
    if groups_a != groups_b:
        diff = [g for g in groups_a if g not in groups_b] or [g for g in groups_b if g not in groups_a]
        print(f"hard links differ around {diff[:3]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
