#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machined.h"
#include "macro.h"

#define MACHINED_DEST     "org.freedesktop.machine1"
#define MACHINED_PATH     "/org/freedesktop/machine1"
#define MACHINED_IFACE    "org.freedesktop.machine1.Manager"
#define CALL_TIMEOUT_USEC (30ULL * 1000000ULL)

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int uuid_to_bytes(const char *s, uint8_t ret[16]) {
        size_t n = 0;

        if (!s || strlen(s) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36; i++) {
                int hi, lo;
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return -EINVAL;
                        continue;
                }
                hi = unhex(s[i]);
                lo = unhex(s[i + 1]);
                if (hi < 0 || lo < 0 || n >= 16)
                        return -EINVAL;
                ret[n++] = (uint8_t) (hi << 4 | lo);
                i++;
        }
        return n == 16 ? 0 : -EINVAL;
}

int machined_available(sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r, has = 0;

        /* Running, or activatable on demand. */
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", MACHINED_DEST);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &has);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        if (has)
                return 0;
        reply = sd_bus_message_unref(reply);
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "ListActivatableNames", &error, &reply, NULL);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (;;) {
                const char *name;
                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -ENOMEDIUM;
                if (streq(name, MACHINED_DEST))
                        return 0;
        }
}

/* One (sv) of an a(sv) property list whose value is an array ("ay", "ai"): n bytes from p. */
static int append_array_property(sd_bus_message *m, const char *key, char type, const void *p, size_t n) {
        char sig[3] = { 'a', type, '\0' };
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', sig);
        if (r >= 0)
                r = sd_bus_message_append_array(m, type, p, n);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int build_register_ex(sd_bus *bus, const MachineRegistration *reg, const uint8_t id[16],
                             sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, MACHINED_DEST, MACHINED_PATH, MACHINED_IFACE,
                                           "RegisterMachineEx");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", reg->name);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = append_array_property(m, "Id", 'y', id, 16);
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)", "Service", "s", "berth", "Class", "s",
                                          "container", "LeaderPIDFD", "h", reg->leader_pidfd, "LeaderPID",
                                          "u", (uint32_t) reg->leader, "RootDirectory", "s",
                                          reg->root ?: "");
        if (r >= 0 && reg->n_ifindices > 0)
                r = append_array_property(m, "NetworkInterfaces", 'i', reg->ifindices,
                                          reg->n_ifindices * sizeof(int));
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static int build_register(sd_bus *bus, const MachineRegistration *reg, const uint8_t id[16],
                          sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, MACHINED_DEST, MACHINED_PATH, MACHINED_IFACE,
                                           "RegisterMachineWithNetwork");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", reg->name);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', id, 16);
        if (r >= 0)
                r = sd_bus_message_append(m, "ssus", "berth", "container", (uint32_t) reg->leader,
                                          reg->root ?: "");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'i', reg->ifindices ?: (const int *) "",
                                                reg->n_ifindices * sizeof(int));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static bool error_is_unknown_method(const sd_bus_error *e) {
        return sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD) ||
               sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_INTERFACE);
}

int machined_register(sd_bus *bus, const MachineRegistration *reg, const char **ret_method,
                      char **ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *method = NULL;
        uint8_t id[16];
        int r;

        r = uuid_to_bytes(reg->uuid, id);
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "the machine's UUID '%s' is not one", reg->uuid) < 0)
                        *ret_error = NULL;
                return r;
        }
        if (reg->leader_pidfd >= 0) {
                method = "RegisterMachineEx";
                r = build_register_ex(bus, reg, id, &m);
                if (r >= 0) {
                        r = sd_bus_call(bus, m, CALL_TIMEOUT_USEC, &error, NULL);
                        if (r < 0 && error_is_unknown_method(&error)) {
                                /* An older machined, as Debian 12's. */
                                method = NULL;
                                m = sd_bus_message_unref(m);
                                sd_bus_error_free(&error);
                        }
                }
        }
        if (!method) {
                method = "RegisterMachineWithNetwork";
                r = build_register(bus, reg, id, &m);
                if (r >= 0)
                        r = sd_bus_call(bus, m, CALL_TIMEOUT_USEC, &error, NULL);
        }
        if (r < 0 && ret_error) {
                if (!sd_bus_error_is_set(&error) &&
                    asprintf(ret_error, "cannot register with machined (%s): %s", method, strerror(-r)) < 0)
                        *ret_error = NULL;
                else if (sd_bus_error_is_set(&error) &&
                         asprintf(ret_error, "systemd-machined refused to register machine '%s': %s",
                                  reg->name, error.message ?: strerror(-r)) < 0)
                        *ret_error = NULL;
        }
        sd_bus_error_free(&error);
        if (r >= 0 && ret_method)
                *ret_method = method;
        return r;
}

int machined_unregister(sd_bus *bus, const char *name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, MACHINED_DEST, MACHINED_PATH, MACHINED_IFACE, "UnregisterMachine",
                               &error, NULL, "s", name);
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.machine1.NoSuchMachine"))
                r = 0;
        sd_bus_error_free(&error);
        return r;
}
