/* Pure pieces of booting: what an init is from its target, its signals, signal names, exit decoding. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "boot.h"
#include "init-detect.h"
#include "process-util.h"
#include "tap.h"

int main(void) {
        siginfo_t si = {};

        CHECK_INT(init_kind_from_target("/usr/lib/systemd/systemd", false), ==, INIT_SYSTEMD);
        CHECK_INT(init_kind_from_target("/lib/systemd/systemd", true), ==, INIT_SYSTEMD);
        CHECK_INT(init_kind_from_target("/usr/bin/systemd", false), ==, INIT_UNKNOWN);
        CHECK_INT(init_kind_from_target("/bin/busybox", false), ==, INIT_BUSYBOX);
        CHECK_INT(init_kind_from_target("/sbin/init", true), ==, INIT_SYSVINIT);
        CHECK_INT(init_kind_from_target("/sbin/init", false), ==, INIT_UNKNOWN);
        CHECK_INT(init_kind_from_target("/usr/local/bin/tini", true), ==, INIT_UNKNOWN);

        CHECK_INT(init_poweroff_signal(INIT_SYSTEMD), ==, SIGRTMIN + 4);
        CHECK_INT(init_halt_signal(INIT_SYSTEMD), ==, SIGRTMIN + 3);
        CHECK_INT(init_reboot_signal(INIT_SYSTEMD), ==, SIGINT);
        CHECK_INT(init_poweroff_signal(INIT_BUSYBOX), ==, SIGUSR2);
        CHECK_INT(init_reboot_signal(INIT_BUSYBOX), ==, SIGTERM);
        CHECK_INT(init_poweroff_signal(INIT_SYSVINIT), ==, SIGINT);
        CHECK_INT(init_poweroff_signal(INIT_UNKNOWN), ==, SIGTERM);
        for (int k = 0; k < _INIT_KIND_MAX; k++)
                CHECK_INT(init_kind_from_string(init_kind_to_string((InitKind) k)), ==, k);
        CHECK_INT(init_kind_from_string("reaper"), ==, _INIT_KIND_INVALID);
        CHECK_INT(init_kind_from_string(NULL), ==, _INIT_KIND_INVALID);

        CHECK_INT(signal_from_string("TERM"), ==, SIGTERM);
        CHECK_INT(signal_from_string("SIGTERM"), ==, SIGTERM);
        CHECK_INT(signal_from_string("sigusr1"), ==, SIGUSR1);
        CHECK_INT(signal_from_string("9"), ==, SIGKILL);
        CHECK_INT(signal_from_string("RTMIN"), ==, SIGRTMIN);
        CHECK_INT(signal_from_string("SIGRTMIN+4"), ==, SIGRTMIN + 4);
        CHECK_INT(signal_from_string("RTMIN+999"), ==, -EINVAL);
        CHECK_INT(signal_from_string("RTMIN-1"), ==, -EINVAL);
        CHECK_INT(signal_from_string("0"), ==, -EINVAL);
        CHECK_INT(signal_from_string("65"), ==, -EINVAL);
        CHECK_INT(signal_from_string("BOGUS"), ==, -EINVAL);
        CHECK_INT(signal_from_string(""), ==, -EINVAL);
        CHECK_INT(signal_from_string("SIG"), ==, -EINVAL);

        /* reboot(2) in a PID namespace ends its init: SIGINT for power-off/halt, SIGHUP for reboot. */
        si.si_code = CLD_KILLED;
        si.si_status = SIGINT;
        CHECK_INT(boot_exit_status(&si), ==, 0);
        si.si_status = SIGHUP;
        CHECK_INT(boot_exit_status(&si), ==, BOOT_EXIT_REBOOT);
        si.si_status = SIGKILL;
        CHECK_INT(boot_exit_status(&si), ==, 128 + SIGKILL);
        si.si_code = CLD_EXITED;
        si.si_status = 3;
        CHECK_INT(boot_exit_status(&si), ==, 3);
        return tap_finish();
}
