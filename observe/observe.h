/* SPDX-License-Identifier: MIT */
#pragma once

/* One reading of every pandora app on a host: systemd's view of each app's target, instances and
 * sockets, and each running instance's agent over D-Bus. pandora-exporter renders it as Prometheus
 * metrics, `pandora-gen --status` as a table or JSON, so both show the same facts.
 *
 * A reading is asynchronous: observe_start() sends the calls on a bus attached to an sd-event loop and
 * calls back once every answer is in or the deadline has passed; observe_read() does the same in a loop
 * of its own and blocks. An agent that does not answer in time is left out of its instance (agent < 0)
 * and counted in Observation.errors; nothing is kept from one reading to the next. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "common/macro.h"

/* A built-in indicator of io.pandora.Metrics1, as the agent published it. */
typedef struct ObserveIndicator {
        char *name;             /* "CgroupMemoryCurrentBytes" */
        char type;              /* 't' or 'd' */
        bool present;           /* false: absent (named in Metrics1.Absent) */
        union {
                uint64_t u;
                double d;
        };
} ObserveIndicator;

/* A row of Metrics1.List(): what an indicator is. */
typedef struct ObserveIndicatorHelp {
        char *name;
        char type;
        char *help;
} ObserveIndicatorHelp;

typedef enum AppMetricKind {
        APP_METRIC_COUNTER,     /* statsd "c", pandora_counter_add(): Counters entry of type x */
        APP_METRIC_GAUGE,       /* statsd "g" and "s", pandora_gauge_set(): type d */
        APP_METRIC_TIMING,      /* statsd "ms", "h", "d": NAME.count (t), .sum, .min, .max (d, ms) */
        _APP_METRIC_KIND_MAX,
        _APP_METRIC_KIND_INVALID = -EINVAL,
} AppMetricKind;

/* One of a service's own metrics (io.pandora.Service1.Counters), timings folded back into one. */
typedef struct AppMetric {
        char *name;             /* as sent: "requests", "db.query" */
        AppMetricKind kind;
        int64_t count;          /* counter */
        double value;           /* gauge */
        uint64_t n;             /* timing: how many, their sum, min and max in ms */
        double sum, min, max;
} AppMetric;

/* An io.pandora.Service1 object: a service of the instance, or its entry (kind "entry"). */
typedef struct ObserveService {
        char *name;
        char *kind;             /* "exec", "module", "entry" */
        char *state;            /* "inactive", "starting", "running", "stopping", "dead" */
        uint64_t starts;
        uint64_t failures;
        uint64_t start_duration_usec;
        AppMetric *metrics;
        size_t n_metrics;
} ObserveService;

/* What systemd says of an instance unit (org.freedesktop.systemd1.Unit and .Service). */
typedef struct ObserveUnit {
        char *name;             /* "shop-web@1.service", "shop-web.socket", "shop.target" */
        char *load_state;       /* "loaded", "not-found", ... */
        char *active_state;     /* "active", "activating", "deactivating", "reloading", "failed", ... */
        char *sub_state;        /* "running", "auto-restart", "listening", ... */
} ObserveUnit;

typedef struct ObserveInstance {
        ObserveUnit unit;
        char *process;          /* "web" */
        char *instance;         /* "1" */

        /* org.freedesktop.systemd1.Service, for a unit that does not run; for one that runs, what its
         * agent says: Restarts (NRestarts) and StartedAt, and MainPID with ObserveOptions.pids.
         * have_service: NRestarts and the start are known. */
        bool have_service;
        uint32_t main_pid;
        uint32_t n_restarts;
        uint64_t start_usec;    /* ExecMainStartTimestamp, CLOCK_REALTIME µs; 0: never started */
        char *result;           /* "success", "exit-code", "signal", "timeout", ... */
        int32_t exit_code;      /* ExecMainCode: CLD_EXITED, CLD_KILLED, CLD_DUMPED; 0: none yet */
        int32_t exit_status;    /* ExecMainStatus: the exit status or the signal */
        char *status_text;      /* the agent's STATUS=, "starting cache (2/4)" */

        /* The agent: 1 it answered, 0 not asked (the unit does not run), or the call's negative errno
         * (-ETIMEDOUT past the deadline; a D-Bus error's errno, such as ServiceUnknown's) */
        int agent;
        char *agent_state;      /* Agent1.State */
        uint64_t agent_started_usec;
        ObserveIndicator *indicators;
        size_t n_indicators;
        ObserveService *services;
        size_t n_services;
} ObserveInstance;

typedef struct ObserveSocket {
        ObserveUnit unit;
        char *process;
        char **listen;          /* "127.0.0.1:8080", "/run/shop/web.sock": Socket.Listen's addresses */
} ObserveSocket;

typedef struct ObserveApp {
        char *name;
        ObserveUnit target;     /* load_state "not-found": no such app */
        ObserveInstance *instances;     /* by process, then instance number */
        size_t n_instances;
        ObserveSocket *sockets;         /* by name */
        size_t n_sockets;
} ObserveApp;

typedef struct Observation {
        ObserveApp *apps;       /* by name */
        size_t n_apps;
        ObserveIndicatorHelp *help;     /* Metrics1.List() of one answering agent, in its order */
        size_t n_help;
        unsigned errors;        /* calls that failed or were not answered in time */
        uint64_t realtime_usec; /* when the reading began, CLOCK_REALTIME */
} Observation;

typedef struct ObserveOptions {
        bool user;              /* the user's manager and bus, and the user's procfile directories */
        bool pids;              /* also each running instance's MainPID (a call to the manager each) */
        const char *app;        /* NULL: every installed app */
        uint64_t timeout_usec;  /* from the start of the reading; 0: OBSERVE_TIMEOUT_USEC_DEFAULT */
        unsigned max_in_flight; /* calls outstanding at once; 0: OBSERVE_IN_FLIGHT_DEFAULT */
} ObserveOptions;

#define OBSERVE_TIMEOUT_USEC_DEFAULT (2 * 1000000ULL)
/* dbus-daemon allows a connection 128 calls awaiting a reply (max_replies_per_connection). */
#define OBSERVE_IN_FLIGHT_DEFAULT 64U

Observation *observation_free(Observation *o);
DEFINE_TRIVIAL_CLEANUP_FUNC(Observation *, observation_free);

/* Called once with the reading (the callee owns it), or with NULL and a negative errno when it could
 * not be made at all (out of memory). Never called from inside observe_start(). */
typedef void (*ObserveCallback)(Observation *o, int error, void *userdata);

typedef struct ObserveRequest ObserveRequest;

/* Starts a reading on bus, which must be attached to an sd-event loop (sd_bus_attach_event()); the
 * loop calls callback. Returns 0 and the request in *ret (free it after the callback, or before to
 * cancel it), or a negative errno. */
int observe_start(sd_bus *bus, const ObserveOptions *options, ObserveCallback callback, void *userdata,
                  ObserveRequest **ret);

ObserveRequest *observe_request_free(ObserveRequest *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ObserveRequest *, observe_request_free);

/* observe_start() on a loop of its own, until the reading is done. bus must not be attached to an event
 * loop. Returns 0 and the reading in *ret, or a negative errno. */
int observe_read(sd_bus *bus, const ObserveOptions *options, Observation **ret);

/* Opens the system bus, or the user's. Returns 0 or a negative errno. */
int observe_bus_open(bool user, sd_bus **ret);

/* ---- derived facts, the same for the table, the JSON and the metrics (model.c) ---- */

typedef enum InstanceState {
        INSTANCE_RUNNING,       /* active */
        INSTANCE_RELOADING,     /* reloading: handing over to a new generation */
        INSTANCE_STARTING,      /* activating, not yet READY=1 */
        INSTANCE_RESTARTING,    /* activating/auto-restart: waiting to be started again */
        INSTANCE_STOPPING,      /* deactivating */
        INSTANCE_FAILED,        /* failed */
        INSTANCE_STOPPED,       /* inactive, or anything else */
        _INSTANCE_STATE_MAX,
        _INSTANCE_STATE_INVALID = -EINVAL,
} InstanceState;

const char *instance_state_to_string(InstanceState s) _pure_;

InstanceState observe_instance_state(const ObserveInstance *i) _pure_;

/* Whether the instance counts as running for a health check: running or reloading. */
bool observe_instance_healthy(const ObserveInstance *i) _pure_;

/* Why the instance is in its state, for failed, restarting, starting and stopping ones: "exit status 1",
 * "killed by SIGKILL", "starting cache (2/4)". Returns a new string, NULL in *ret when there is no
 * reason to give; 0 or -ENOMEM. */
int observe_instance_reason(const ObserveInstance *i, char **ret);

/* The indicator called name, or NULL when the agent did not publish it or it is absent. */
const ObserveIndicator *observe_instance_indicator(const ObserveInstance *i, const char *name) _pure_;

/* The instance's CPU use in percent of one CPU (cgroup if present, else the agent's process) and its
 * memory in bytes (cgroup, else RSS). Return false when the agent did not say. */
bool observe_instance_cpu_percent(const ObserveInstance *i, double *ret);
bool observe_instance_memory_bytes(const ObserveInstance *i, uint64_t *ret);

/* Services (the entry is no service) running, and in all. */
void observe_instance_services(const ObserveInstance *i, unsigned *ret_ready, unsigned *ret_total);

/* Splits an instance unit name of app, "APP-PROCESS@N.service", into PROCESS and N, or a socket's,
 * "APP-PROCESS.socket", into PROCESS (ret_instance NULL). Returns 0, -EINVAL when name is not one of
 * app's, -ENOMEM. */
int observe_parse_unit_name(const char *app, const char *name, char **ret_process, char **ret_instance);
