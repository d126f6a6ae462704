/* SPDX-License-Identifier: MIT */
#pragma once

/* An agent that is not on the bus but serves its objects on its private socket (PANDORA_BUS=private,
 * pandora-agent(8)): where that socket is, and a peer-to-peer connection to it on the reading's loop. */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "common/macro.h"

/* The private socket of the instance unit: "/run/pandora-agent/<unit without .service>/bus.sock" (its
 * RuntimeDirectory=pandora-agent/%N), under $XDG_RUNTIME_DIR for a user manager. Returns 0 and the path
 * when a socket is there; -ENOENT when there is none (the agent is on the bus, or does not run), -ENXIO
 * for user without $XDG_RUNTIME_DIR, -ENOMEM. */
int observe_peer_socket(bool user, const char *unit, char **ret);

/* A connection to the socket at path, attached to e; it connects without blocking, and calls sent on it
 * before the handshake is done wait for it. Returns 0, or a negative errno (-ECONNREFUSED: nobody
 * listens there). */
int observe_peer_open(sd_event *e, const char *path, sd_bus **ret);

/* Closes bus without flushing (an agent that stopped reading must not hold the reading up). Accepts
 * NULL; returns NULL. */
sd_bus *observe_peer_close(sd_bus *bus);
