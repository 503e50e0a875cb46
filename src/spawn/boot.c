#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "boot.h"
#include "fd-util.h"
#include "fs-util.h"
#include "os-release.h"
#include "process-util.h"
#include "strv.h"

int boot_environment(bool boot, char ***ret) {
        static const struct {
                const char *key, *var;
        } fields[] = {
                { "ID", "container_host_id" },
                { "VERSION_ID", "container_host_version_id" },
                { "BUILD_ID", "container_host_build_id" },
                { "VARIANT_ID", "container_host_variant_id" },
                { "IMAGE_ID", "container_host_image_id" },
                { "IMAGE_VERSION", "container_host_image_version" },
        };
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        if (read_small_file_at(AT_FDCWD, "/etc/os-release", 64 * 1024, &text, NULL) < 0)
                (void) read_small_file_at(AT_FDCWD, "/usr/lib/os-release", 64 * 1024, &text, NULL);
        for (size_t i = 0; text && i < ELEMENTSOF(fields); i++) {
                _cleanup_free_ char *v = NULL;
                char *kv;

                if (os_release_get(text, fields[i].key, &v) < 0 || isempty(v) || string_has_cc(v))
                        continue;
                kv = strjoin3(fields[i].var, "=", v);
                if (!kv || strv_push(&env, kv) < 0) {
                        free(kv);
                        return -ENOMEM;
                }
        }
        if (boot) {
                r = strv_extend(&env, "NOTIFY_SOCKET=/run/host/notify");
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

char *tree_pretty_name(int root_fd) {
        static const char *const files[] = { "/etc/os-release", "/usr/lib/os-release" };
        static const char *const keys[] = { "PRETTY_NAME", "NAME", "ID" };

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *text = NULL;
                _cleanup_close_ int fd = open_in_root(root_fd, files[i], O_RDONLY, 0);
                char p[FD_PATH_MAX];

                if (fd < 0 || read_small_file_at(AT_FDCWD, fd_path(fd, p), 64 * 1024, &text, NULL) < 0)
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                        char *v = NULL;
                        if (os_release_get(text, keys[k], &v) >= 0 && !isempty(v) && !string_has_cc(v))
                                return v;
                        free(v);
                }
        }
        return NULL;
}

int boot_exit_status(const siginfo_t *si) {
        if (si->si_code == CLD_KILLED && si->si_status == SIGINT)
                return 0;
        if (si->si_code == CLD_KILLED && si->si_status == SIGHUP)
                return BOOT_EXIT_REBOOT;
        return exit_status_from_siginfo(si);
}
