/* SPDX-License-Identifier: MIT */

/* The BusAgent's connection to the real bus. The agent must outlive the bus daemon (issue 6: stop and
 * start dbus, and the instance is reachable again within a second), so a lost connection is not an
 * error but a state: the Disconnected signal sd-bus synthesizes arms a timer, and each tick tries a new
 * connection, installs the objects on it and asks for the name again. The old connection is dropped
 * from the timer, never from inside its own callback. */

#include <stdlib.h>

#include "agent/bus/interfaces.h"

static int on_name_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusAgent *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        uint32_t reply = 0;
        int r;

        if (e)
                r = -sd_bus_error_get_errno(e);
        else {
                r = sd_bus_message_read(m, "u", &reply);
                /* 1: primary owner; 4: already the owner (a repeated request); 2: queued. */
                if (r >= 0)
                        r = reply == 1 || reply == 4 ? 1 : reply == 2 ? 0 : -EEXIST;
        }
        if (b->source.on_name)
                b->source.on_name(b->source.userdata, b->name, r);
        return 0;
}

static int arm_reconnect(BusAgent *b) {
        uint64_t now;
        int r;

        r = sd_event_now(b->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        r = sd_event_source_set_time(b->reconnect_timer, now + b->reconnect_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(b->reconnect_timer, SD_EVENT_ONESHOT);
}

static int on_bus_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusAgent *b = userdata;

        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected"))
                (void) arm_reconnect(b);
        return 0;
}

static void drop_bus(BusAgent *b) {
        if (!b->bus)
                return;
        (void) sd_bus_detach_event(b->bus);
        b->bus = sd_bus_flush_close_unref(b->bus);
}

/* One attempt: a new connection, the objects, the name. On failure nothing is left behind. */
static int try_connect(BusAgent *b) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = b->user ? sd_bus_open_user_with_description(&bus, "pandora-agent") :
                      sd_bus_open_system_with_description(&bus, "pandora-agent");
        if (r < 0)
                return r;
        /* Disconnected must reach the filter, not end the event loop. */
        r = sd_bus_set_exit_on_disconnect(bus, false);
        if (r >= 0)
                r = sd_bus_add_filter(bus, NULL, on_bus_message, b);
        if (r >= 0)
                r = bus_agent_add_objects(b, bus);
        if (r >= 0)
                r = sd_bus_request_name_async(bus, NULL, b->name, 0, on_name_reply, b);
        if (r >= 0)
                r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        b->bus = TAKE_PTR(bus);
        return 0;
}

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        BusAgent *b = userdata;
        int r;

        drop_bus(b);
        r = try_connect(b);
        if (r < 0)
                return arm_reconnect(b);
        b->reconnects++;
        return 0;
}

int bus_agent_connect(BusAgent *b, sd_event *e, bool user, uint64_t retry_usec) {
        int r;

        b->event = sd_event_ref(e);
        b->user = user;
        b->reconnect_usec = retry_usec;
        r = sd_event_add_time(e, &b->reconnect_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_reconnect_timer, b);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(b->reconnect_timer, "bus-reconnect");
        if (try_connect(b) < 0)
                return arm_reconnect(b);
        return 0;
}

BusAgent *bus_agent_free(BusAgent *b) {
        if (!b)
                return NULL;
        drop_bus(b);
        bus_agent_close_private(b);
        sd_event_source_disable_unref(b->reconnect_timer);
        sd_event_unref(b->event);
        free(b->name);
        return mfree(b);
}

int bus_query_restarts(sd_bus *bus, const char *unit, uint64_t *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        uint32_t n;
        int r;

        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        /* NRestarts is a 'u' (systemd 235 and later), not a 't'. */
        r = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
                                        "org.freedesktop.systemd1.Service", "NRestarts", &error, 'u', &n);
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT))
                return -ENOENT;
        if (r < 0)
                return r;
        *ret = n;
        return 0;
}
