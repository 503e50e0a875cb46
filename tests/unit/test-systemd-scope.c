/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* src/bus/systemd-scope.c: the CPU and memory-node lists as the bitmasks systemd's AllowedCPUs= and
 * AllowedMemoryNodes= take over D-Bus. (The D-Bus calls themselves are tested in the VM bed.) */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "systemd-scope.h"
#include "tap.h"

static void mask_ok(const char *list, const uint8_t *expected, size_t n) {
        uint8_t *mask = NULL;
        size_t size = 99;
        int r = cpu_list_to_mask(list, &mask, &size);

        if (!CHECK_MSG(r == 0 && size == n && (n == 0 || memcmp(mask, expected, n) == 0), "'%s' as a mask", list))
                tap_diag("r = %d, size = %zu", r, size);
        free(mask);
}

static void mask_bad(const char *list) {
        uint8_t *mask = NULL;
        size_t size = 0;

        CHECK_MSG(cpu_list_to_mask(list, &mask, &size) == -EINVAL && !mask, "'%s' is refused", list);
}

int main(void) {
        mask_ok("", NULL, 0);
        mask_ok("0", (const uint8_t[]){ 0x01 }, 1);
        mask_ok("1", (const uint8_t[]){ 0x02 }, 1);
        mask_ok("0-3,6", (const uint8_t[]){ 0x4f }, 1);
        mask_ok("0 2", (const uint8_t[]){ 0x05 }, 1);
        mask_ok("7", (const uint8_t[]){ 0x80 }, 1);
        mask_ok("8", (const uint8_t[]){ 0x00, 0x01 }, 2);
        mask_ok("6-9", (const uint8_t[]){ 0xc0, 0x03 }, 2);
        mask_ok("15,0", (const uint8_t[]){ 0x01, 0x80 }, 2);
        mask_ok("1,1,1-1", (const uint8_t[]){ 0x02 }, 1);
        {
                uint8_t big[1024] = {};
                big[1023] = 0x80;
                mask_ok("8191", big, sizeof(big)); /* the highest CPU there is */
        }
        mask_bad("3-1");
        mask_bad("a");
        mask_bad("1-");
        mask_bad("-1");
        mask_bad("1;2");
        mask_bad("8192");
        mask_bad("99999999999999999999");
        return tap_finish();
}
