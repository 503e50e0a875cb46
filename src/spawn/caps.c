#include <errno.h>
#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "capability-util.h"
#include "caps.h"
#include "macro.h"

#define C(x) (UINT64_C(1) << (x))

uint64_t capability_default_set(void) {
        return C(CAP_AUDIT_CONTROL) | C(CAP_AUDIT_WRITE) | C(CAP_CHOWN) | C(CAP_DAC_OVERRIDE) |
               C(CAP_DAC_READ_SEARCH) | C(CAP_FOWNER) | C(CAP_FSETID) | C(CAP_IPC_OWNER) | C(CAP_KILL) |
               C(CAP_LEASE) | C(CAP_LINUX_IMMUTABLE) | C(CAP_MKNOD) | C(CAP_NET_BIND_SERVICE) |
               C(CAP_NET_BROADCAST) | C(CAP_NET_RAW) | C(CAP_SETFCAP) | C(CAP_SETGID) | C(CAP_SETPCAP) |
               C(CAP_SETUID) | C(CAP_SYS_ADMIN) | C(CAP_SYS_BOOT) | C(CAP_SYS_CHROOT) | C(CAP_SYS_NICE) |
               C(CAP_SYS_PTRACE) | C(CAP_SYS_RESOURCE) | C(CAP_SYS_TTY_CONFIG);
}

uint64_t capability_machine_set(const Settings *s) {
        uint64_t set = capability_default_set();
        unsigned last = capability_last_cap();
        uint64_t all = last >= 63 ? UINT64_MAX : (C(last + 1) - 1);

        /* CAP_NET_ADMIN only reaches the network namespace the machine owns; with the host's network
         * it would reach the host's interfaces, routes and firewall. */
        if (s->network == NETWORK_PRIVATE)
                set |= C(CAP_NET_ADMIN);
        set |= s->capability_add;
        set &= ~s->capability_drop;
        return set & all;
}

int capability_bounding_set_limit(uint64_t keep) {
        unsigned last = capability_last_cap();

        for (unsigned c = 0; c <= last; c++) {
                if (keep & C(c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, (unsigned long) c, 0, 0, 0) < 0) {
                        /* A capability the kernel does not know is not in the set to begin with. */
                        if (errno == EINVAL)
                                continue;
                        return negative_errno();
                }
        }
        return 0;
}

int capability_process_limit(uint64_t keep) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return negative_errno();
        if (capget(&h, d) < 0)
                return negative_errno();
        for (int i = 0; i < 2; i++) {
                uint32_t k = (uint32_t) (keep >> (32 * i));
                d[i].effective &= k;
                d[i].permitted &= k;
                d[i].inheritable &= k;
        }
        if (capset(&h, d) < 0)
                return negative_errno();
        return 0;
}
