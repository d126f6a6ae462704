/* SPDX-License-Identifier: MIT */
#pragma once

/* The instance on D-Bus (docs/metrics.md, pandora-agent(8)):
 *
 *   /io/pandora/Agent            io.pandora.Agent1     identity, state, services; Metrics(), Refresh()
 *   /io/pandora/Metrics          io.pandora.Metrics1   one property per built-in indicator; List()
 *   /io/pandora/service/<name>   io.pandora.Service1   one service's state and its own counters
 *
 * The module owns no agent state: it reads everything through a BusAgentSource the agent fills in, so
 * tests serve it from a fake over a socketpair. bus/connect.c adds the connection to the real bus: the
 * well-known name io.pandora.<app>.<process>.i<instance> (bus/names.h), and reconnecting when the bus
 * goes away. bus/private.c serves the same objects instead on a socket of the unit's own
 * ($RUNTIME_DIRECTORY/bus.sock, peer-to-peer D-Bus), for instances that can't use the bus
 * (DynamicUser=yes). The module never logs; name results go to the source's on_name hook. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "agent/metrics/app.h"
#include "agent/metrics/counters.h"
#include "agent/metrics/metrics.h"

typedef struct BusServiceInfo {
        const char *name;
        const char *kind;                       /* "exec", "module", "entry" ... as the agent calls them */
        const char *state;                      /* task_state_to_string() */
        uint64_t starts;
        uint64_t failures;
        uint64_t start_duration_usec;           /* of the last start; 0 before the first */
        const CounterSet *counters;             /* the service's own; NULL: none */
        const TimingSet *timings;               /* NULL: none */
} BusServiceInfo;

/* What the agent gives the bus objects. Strings and pointers are borrowed and must outlive the
 * BusAgent; the callbacks are called from bus handlers and must not block. */
typedef struct BusAgentSource {
        const char *app;
        const char *process;
        const char *instance;
        const char *unit;                       /* "shop-web@1.service" */
        uint64_t started_at_usec;               /* CLOCK_REALTIME, µs */
        Metrics *metrics;

        /* The instance's state, lifecycle phase as a string: "starting", "running", ... */
        const char *(*get_state)(void *userdata);
        /* How many services there are, and service i (< that) in start order. get_service returns 0 or
         * a negative errno. */
        size_t (*n_services)(void *userdata);
        int (*get_service)(void *userdata, size_t i, BusServiceInfo *ret);
        /* The outcome of each request for the well-known name: 1 owned, 0 queued behind another owner,
         * or a negative errno. May be NULL. */
        void (*on_name)(void *userdata, const char *name, int result);
        void *userdata;
} BusAgentSource;

/* The private socket's name in the unit's RuntimeDirectory=, and how many readers it serves at once. */
#define BUS_PRIVATE_SOCKET_NAME "bus.sock"
#define BUS_PRIVATE_PEERS_MAX 16U

typedef struct BusAgent {
        BusAgentSource source;
        char *name;                             /* the well-known name */
        sd_bus *bus;                            /* the current connection, NULL while reconnecting */
        sd_event *event;
        bool user;                              /* user bus rather than system bus */
        sd_event_source *reconnect_timer;
        uint64_t reconnect_usec;                /* retry interval */
        unsigned reconnects;                    /* connections made after the first */

        /* Private mode (bus/private.c) instead of a bus: the listening socket, its path (unlinked when
         * the agent ends), and the connected readers, oldest first. */
        sd_event_source *listener;
        char *listener_path;
        sd_bus *peers[BUS_PRIVATE_PEERS_MAX];
        size_t n_peers;
        sd_id128_t server_id;
        unsigned hellos;                        /* the readers' unique names: ":1.<hellos>" */
} BusAgent;

/* Makes the bus objects for source (copied; what it points to is borrowed). Returns 0; -ENAMETOOLONG
 * when the instance's name can't be a bus name; -ENOMEM. */
int bus_agent_new(const BusAgentSource *source, BusAgent **ret);

/* Drops the connection and frees b. Accepts NULL; returns NULL. */
BusAgent *bus_agent_free(BusAgent *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusAgent *, bus_agent_free);

/* Installs the three interfaces on bus (any connection: the real bus, or a peer in tests). The objects
 * live as long as bus does. Returns 0 or a negative errno from sd-bus. */
int bus_agent_add_objects(BusAgent *b, sd_bus *bus);

/* bus/connect.c: connects to the system bus (user: the user bus) on e, installs the objects and
 * requests the well-known name; from then on, when the bus goes away (or could not be reached at all),
 * retries every retry_usec and asks for the name again. Returns 0 even when the first attempt failed
 * (it is retried); a negative errno only when the retry timer can't be set up. */
int bus_agent_connect(BusAgent *b, sd_event *e, bool user, uint64_t retry_usec);

/* bus/private.c: instead of a bus, listens on dir/bus.sock (dir: $RUNTIME_DIRECTORY, whose first entry
 * is taken; a stale socket of an earlier run is replaced), mode 0666, and serves peer-to-peer D-Bus there:
 * each connection gets the same objects as bus_agent_add_objects() puts on the bus, on e. At most
 * BUS_PRIVATE_PEERS_MAX at once: a new one closes the oldest, so readers that hold a connection open
 * can't lock others out. A reader that hangs up, or lets more than a few replies pile up unread, is
 * dropped; none can stop the loop. Returns 0; -ENXIO without dir, -ENAMETOOLONG when the path does not
 * fit a socket address, or a negative errno from socket(), bind(), listen() or sd-event. */
int bus_agent_listen(BusAgent *b, sd_event *e, const char *dir);

/* bus/private.c, for the module's own files: drops the readers whose unread messages piled up (after
 * signals were queued to all), and closes every reader and the socket (bus_agent_free()). */
void bus_agent_prune_peers(BusAgent *b);
void bus_agent_close_private(BusAgent *b);

/* Tell watchers (PropertiesChanged) that the instance's State or Services changed, or that one
 * service's State, Starts, Failures or StartDurationUSec did: on the bus, and to every reader of the
 * private socket. Do nothing without a connection. Return 0 or a negative errno from sd-bus, which
 * callers may ignore. */
int bus_agent_emit_state_changed(BusAgent *b);
int bus_agent_emit_service_changed(BusAgent *b, const char *service);

/* bus/connect.c: how often systemd restarted unit: its NRestarts, from org.freedesktop.systemd1 on
 * bus. Blocks for one call. Returns 0, or a negative errno (-ENOENT for an unknown unit). */
int bus_query_restarts(sd_bus *bus, const char *unit, uint64_t *ret);
