/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's control socket (common/control.h has the protocol): $RUNTIME_DIRECTORY/control.sock,
 * readable and writable by the unit's user only. A request is handed to the core's callback with the
 * connection, which stays open until control_reply() answers it, so `systemctl reload` waits for the
 * whole handover. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "common/control.h"

typedef struct ControlServer ControlServer;

/* A request arrived; reply (now or later) with control_reply(s, connection, ...). */
typedef void (*ControlHandler)(ControlServer *s, int connection, const char *request, void *userdata);

struct ControlServer {
        int fd;                 /* -1: not open */
        sd_event_source *source;
        char *path;
        ControlHandler handler;
        void *userdata;
};

/* Binds the socket at dir/control.sock (a stale one from an earlier run of the unit is replaced) and
 * watches it on e. Returns 0, or a negative errno; either way control_server_done() cleans up. */
int control_server_open(ControlServer *s, sd_event *e, const char *dir, ControlHandler handler, void *userdata);

/* Sends "ANSWER text" on connection and closes it. */
void control_reply(int connection, ControlAnswer answer, const char *text);

/* Closes and removes the socket; accepts a server that was never opened (zeroed, fd -1). */
void control_server_done(ControlServer *s);
