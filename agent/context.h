/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's one Context, shared by its files: agent.c sets it up and runs the loop, agent-tasks.c
 * turns the model into tasks, agent-report.c says what happens (journal, sd_notify), agent-metrics.c
 * publishes it on D-Bus (metrics, statsd sockets). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "agent.h"
#include "bus-agent.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics-app.h"
#include "metrics.h"
#include "notify.h"
#include "procfile.h"
#include "statsd-socket.h"

/* What agent-metrics.c keeps per task (by Task.index) for the bus. */
typedef struct TaskMetrics {
        CounterSet counters;            /* an exec child's, from its statsd socket; a module keeps its own */
        TimingSet timings;
        MetricsAppSink sink;            /* the statsd socket's: counters and timings above */
        StatsdSocket *statsd;           /* NULL: no $RUNTIME_DIRECTORY, or a module */
        uint64_t starts;
        uint64_t failures;
        uint64_t start_duration_usec;
        bool exit_counted;              /* its child's exit is in ChildrenExits */
} TaskMetrics;

typedef struct Context {
        const AgentOptions *options;
        sd_event *event;
        Procfile *procfile;
        const Process *process;
        Lifecycle lifecycle;
        size_t n_services;              /* tasks that are services; the entry, if any, is the last task */
        NotifyServer notify;

        int *listen_fds;                /* from the unit's Sockets=, at 3 and up */
        size_t n_listen_fds;
        char **listen_fd_names;
        char *listen_fd_names_joined;   /* LISTEN_FDNAMES for children */

        uint64_t watchdog_usec;         /* the unit's WatchdogSec=; 0: none */
        bool watchdog_lapsed;           /* a child missed its own: stop pinging systemd */
        sd_event_source *deadline_timer;
        sd_event_source *watchdog_timer;

        LogCounters log_counters;       /* every entry log.c wrote while the Context ran, for the metrics */

        Metrics metrics;                /* the built-in indicators (agent-metrics.c) */
        TaskMetrics *task_metrics;      /* one per task: the process's services, then its entry */
        size_t n_task_metrics;
        sd_event_source *log_sync;      /* copies log_counters into metrics after each dispatch */
        BusAgent *bus;
        char *unit;                     /* the systemd unit we run in; NULL: none */
        bool restarts_known;
        bool bus_name_logged;
} Context;

/* agent-tasks.c: adds a task for every service of the process, in start order, and one for its entry.
 * Logs what is wrong and returns a negative errno when a service can't be set up (a bad module). */
int context_add_tasks(Context *c);

/* agent-report.c: the lifecycle's handler, logging each event and notifying systemd. */
void context_on_lifecycle_event(Lifecycle *l, LifecycleEvent event, Task *t, void *userdata);

/* agent-report.c: a child sent STATUS=; passes it on to systemd. */
void context_report_child_status(Context *c, const char *name, const char *status);

/* agent-metrics.c: the registry, its sampling timer and the per-task metrics, before the tasks are added.
 * Logs and returns a negative errno on failure. */
int context_setup_metrics(Context *c);

/* agent-metrics.c: the statsd socket of the exec task about to be added at index (service: its name,
 * NULL for the entry). Returns its path for the child's $PANDORA_METRICS_SOCKET, or NULL when there is
 * none (no $RUNTIME_DIRECTORY; a failure is logged). */
const char *context_open_statsd(Context *c, size_t index, const char *service);

/* agent-metrics.c: puts the instance on the bus, once the tasks exist. Never fails the instance: a bus
 * that can't be reached is logged once and retried. */
void context_connect_bus(Context *c);

/* agent-metrics.c: counts a lifecycle event and tells the bus's watchers. */
void context_metrics_on_event(Context *c, LifecycleEvent event, Task *t);

/* agent-metrics.c: frees the bus, the statsd sockets and the registry. */
void context_metrics_done(Context *c);

/* agent.c: arms the stop-deadline timer on lifecycle_next_deadline(). */
void context_arm_deadline(Context *c);

/* agent.c: the lifecycle's clock, CLOCK_MONOTONIC in µs. */
uint64_t context_now(void *userdata);
