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
 * goes away. The module never logs; name results go to the source's on_name hook. */

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

typedef struct BusAgent {
        BusAgentSource source;
        char *name;                             /* the well-known name */
        sd_bus *bus;                            /* the current connection, NULL while reconnecting */
        sd_event *event;
        bool user;                              /* user bus rather than system bus */
        sd_event_source *reconnect_timer;
        uint64_t reconnect_usec;                /* retry interval */
        unsigned reconnects;                    /* connections made after the first */
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

/* Tell watchers (PropertiesChanged) that the instance's State or Services changed, or that one
 * service's State, Starts, Failures or StartDurationUSec did. Do nothing without a connection. Return 0
 * or a negative errno from sd-bus, which callers may ignore. */
int bus_agent_emit_state_changed(BusAgent *b);
int bus_agent_emit_service_changed(BusAgent *b, const char *service);

/* bus/connect.c: how often systemd restarted unit: its NRestarts, from org.freedesktop.systemd1 on
 * bus. Blocks for one call. Returns 0, or a negative errno (-ENOENT for an unknown unit). */
int bus_query_restarts(sd_bus *bus, const char *unit, uint64_t *ret);
