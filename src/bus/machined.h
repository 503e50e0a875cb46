#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

/* Registration with systemd-machined, so machinectl, journalctl -M and systemd-run -M see berth's
 * machines. berth makes the machine's scope itself (a transient unit of systemd's, with the monitor in
 * its supervisor cgroup), so the machine is registered at that unit: RegisterMachineWithNetwork, which
 * takes the unit the leader is in. */

typedef struct MachineRegistration {
        const char *name;
        const char *uuid; /* textual, 36 characters */
        const char *root; /* the tree's directory on the host */
        pid_t leader;
        int leader_pidfd;     /* for machined's pidfd-based call, or -EBADF */
        const int *ifindices; /* the machine's network interfaces on the host's side */
        size_t n_ifindices;
} MachineRegistration;

/* "5d1c2a3b-4e5f-…" → 16 bytes. -EINVAL when it is not a UUID. */
int uuid_to_bytes(const char *s, uint8_t ret[16]);

/* Whether machined can be reached on this bus: -ENOMEDIUM (or the bus's error) when it cannot. */
int machined_available(sd_bus *bus);

/* Registers the machine; ret_error gets one line on failure. With a leader pidfd, the call that takes it
 * (RegisterMachineEx, in newer systemd), so machined pins the very process; a machined without that
 * call gets RegisterMachineWithNetwork. ret_method (may be NULL) says which was used. */
int machined_register(sd_bus *bus, const MachineRegistration *r, const char **ret_method, char **ret_error);

/* Drops the registration (UnregisterMachine); a machine machined does not know (it went with its unit)
 * is fine. */
int machined_unregister(sd_bus *bus, const char *name);
