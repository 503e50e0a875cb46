#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int parse_boolean(const char *s);
int safe_atou32(const char *s, uint32_t *ret);
int safe_atou64(const char *s, uint64_t *ret);
int safe_atoi64(const char *s, int64_t *ret);
/* Seconds with an optional sign and fraction ("86400", "-3.5") into nanoseconds. */
int parse_sec_signed_ns(const char *s, int64_t *ret_ns);
bool uuid_is_valid(const char *s);

/* "YYYY-MM-DD HH:MM:SS" in local time for microseconds since the epoch, "-" for 0. Returns buf. */
char *format_timestamp_usec(uint64_t usec, char *buf, size_t size);
