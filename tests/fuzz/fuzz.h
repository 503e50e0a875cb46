/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared bits of the fuzzers: the libFuzzer entry point, turning the input into a C string, and a check
 * that crashes loudly so both libFuzzer and the replay driver (fuzz-main.c) notice. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (it ends at the first NUL byte, as a C caller would see it). */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                abort();
        if (size > 0)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

#define FUZZ_ASSERT(expr)                                                                                  \
        do {                                                                                               \
                if (!(expr)) {                                                                             \
                        fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__, __LINE__, #expr);  \
                        abort();                                                                           \
                }                                                                                          \
        } while (0)
