#pragma once

/* Which device nodes a machine may open or create, enforced by a BPF_PROG_TYPE_CGROUP_DEVICE program on
 * its cgroup (cgroup v2; it works on hybrid hosts too, where the v2 tree has no controllers). Without
 * it, root in a machine holding CAP_MKNOD could make and read a node for the host's disks. Allowed:
 * the character devices berth puts in the machine's /dev — null, zero, full, random, urandom, tty,
 * console, ptmx and the pty slaves. */

int device_policy_attach(int cgroup_fd);
