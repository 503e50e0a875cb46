#include <errno.h>

#include "exit-codes.h"

int exit_code_from_errno(int r) {
        switch (r < 0 ? -r : r) {
        case ENOENT:
        case ENOTDIR:
        case ENOMEDIUM:
        case ENXIO:
        case ESRCH:
                return EXIT_BERTH_NOT_FOUND;
        case EBUSY:
        case EEXIST:
                return EXIT_BERTH_BUSY;
        case EPERM:
        case EACCES:
                return EXIT_BERTH_PERMISSION;
        case EOPNOTSUPP:
        case EPROTONOSUPPORT:
        case ENOSYS:
        case ENOPKG: /* a program the host lacks (the message names its package) */
                return EXIT_BERTH_UNSUPPORTED;
        case EINVAL:
        case ENOTTY:
                return EXIT_BERTH_USAGE;
        case EPROTO:
        case ENOMEM:
                return EXIT_BERTH_INTERNAL;
        default:
                return EXIT_BERTH_FAILURE;
        }
}
