#pragma once

/* What a monitor leaves behind when it is SIGKILLed: its state file, its cgroup, its scratch dirs, its
 * console socket. The next berth call that takes the machine's lock finds them and removes them. */

/* With the name's lock held: removes the leftovers of a previous machine of this name, if any.
 * Returns 1 if something was cleaned. */
int machine_cleanup_stale(const char *state_dir, const char *name);

/* Cleans every stale machine whose lock is free. Returns the number cleaned. */
int machines_gc(const char *state_dir);

/* Removes a directory tree without following symlinks or crossing mounts. */
int rm_rf(const char *path);
