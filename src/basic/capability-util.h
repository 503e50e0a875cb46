#pragma once

#include <stdint.h>

/* Capability sets as bit masks (bit N = capability N), names as libcap spells them. */

unsigned capability_last_cap(void);
/* "CAP_SYS_ADMIN,net_raw" or "all"; unknown names are -EINVAL. */
int capability_list_parse(const char *s, uint64_t *ret);
/* Space-separated upper-case names; the caller frees. */
char *capability_set_to_string(uint64_t set);
