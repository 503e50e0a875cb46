#pragma once

#include <stdint.h>

#include "settings.h"

/* systemd-nspawn's default bounding set: 26 capabilities. */
uint64_t capability_default_set(void);
/* What a machine keeps: the default set, CAP_NET_ADMIN with a private network, then --capability and
 * --drop-capability. */
uint64_t capability_machine_set(const Settings *s);

/* Drops everything outside keep from the bounding set (needs CAP_SETPCAP). */
int capability_bounding_set_limit(uint64_t keep);
/* Limits this process's effective, permitted and inheritable sets to keep, and clears the ambient set. */
int capability_process_limit(uint64_t keep);
