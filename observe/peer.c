/* SPDX-License-Identifier: MIT */

/* Reaching an agent on its private socket. The rule for when: an instance whose unit runs and whose
 * RuntimeDirectory= holds a socket named bus.sock is read there, and every other one on the bus. The
 * agent makes that socket only with PANDORA_BUS=private, and then never asks for its bus name, so the
 * socket's presence says how the agent publishes without a call to anyone (asking the bus first would
 * cost such an instance a second call, asking the manager for the unit's Environment= every instance
 * one more). It can't be forged: the directory is made by systemd for this unit and only the unit's
 * user may write in it, and systemd removes it when the unit stops, so a socket there is the running
 * agent's own. */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/control.h"
#include "observe/peer.h"

#define PEER_SOCKET_NAME "bus.sock"

int observe_peer_socket(bool user, const char *unit, char **ret) {
        struct stat st;
        char *path;
        int r;

        r = agent_runtime_path(user, unit, PEER_SOCKET_NAME, &path);
        if (r < 0)
                return r;
        if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
                free(path);
                return -ENOENT;
        }
        *ret = path;
        return 0;
}

/* A D-Bus address's value: bytes outside [-0-9A-Za-z_/.\*] as %XX (the D-Bus specification, "Server
 * Addresses"). */
static char *address_escape(const char *s) {
        static const char hex[] = "0123456789abcdef";
        char *out = malloc(strlen(s) * 3 + 1), *p = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    strchr("-_/.\\*", c))
                        *p++ = (char) c;
                else {
                        *p++ = '%';
                        *p++ = hex[c >> 4];
                        *p++ = hex[c & 15];
                }
        }
        *p = '\0';
        return out;
}

int observe_peer_open(sd_event *e, const char *path, sd_bus **ret) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *escaped = address_escape(path), *address = NULL;
        int r;

        if (!escaped || asprintf(&address, "unix:path=%s", escaped) < 0)
                return -ENOMEM;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        (void) sd_bus_set_description(bus, "pandora-agent-private");
        r = sd_bus_set_address(bus, address);
        if (r >= 0)
                /* No file descriptors come from an agent: don't take any. */
                r = sd_bus_negotiate_fds(bus, false);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

sd_bus *observe_peer_close(sd_bus *bus) {
        if (!bus)
                return NULL;
        (void) sd_bus_detach_event(bus);
        return sd_bus_close_unref(bus);
}
