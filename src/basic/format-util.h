#pragma once

#include <stddef.h>
#include <stdint.h>

/* Sizes and durations for people, in as few characters as a table column wants. */

#define FORMAT_BYTES_MAX    16
#define FORMAT_TIMESPAN_MAX 32

/* Bytes with a binary unit and one decimal, truncated: "0B", "1023B", "1.0K", "12.3M", "4.0G". Returns
 * buf. */
char *format_bytes(uint64_t bytes, char *buf, size_t size);

/* A duration in microseconds, to the precision that matters at its size: "850us", "12ms", "1.2s",
 * "2min 3s", "1h 2min", "3d 4h". Returns buf. */
char *format_timespan_usec(uint64_t usec, char *buf, size_t size);
