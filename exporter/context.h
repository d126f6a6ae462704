/* SPDX-License-Identifier: MIT */
#pragma once

/* The exporter's one Context, shared by exporter.c (setting up, the loop, accepting) and connection.c
 * (one scrape per connection). Calls go exporter.c → connection.c; connection.c reads the Context and
 * adds to its counters, and reaches back only through context_bus(). */

#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "common/macro.h"

/* Connections served at once; more are closed as soon as they are accepted. */
#define CONNECTIONS_MAX 32U
/* A connection that has not sent its request, or not taken its answer, in this time is closed. */
#define CONNECTION_TIMEOUT_USEC (30 * 1000000ULL)

typedef struct Connection Connection;

typedef struct Context {
        sd_event *event;
        sd_bus *bus;                    /* the system bus; opened again at a scrape once it is gone */
        int listen_fd;
        sd_event_source *listen_source;
        Connection *connections;
        unsigned n_connections;
        uint64_t timeout_usec;          /* the deadline of a scrape's reading (--timeout) */
        uint64_t scrape_errors;         /* since the start, for pandora_exporter_scrape_errors_total */
        uint64_t errors_logged_usec;    /* when a scrape's errors were last logged (once a minute) */
} Context;

/* The bus, connected and attached to the loop; reconnects when it was closed (dbus restarted).
 * Returns it, or NULL with the negative errno in *ret_error. */
sd_bus *context_bus(Context *c, int *ret_error);

/* Takes over the accepted connection fd (closed on failure too). Returns 0 or a negative errno. */
int connection_new(Context *c, int fd);

/* Closes x and unlinks it from its Context. Accepts NULL; returns NULL. */
Connection *connection_free(Connection *x);
