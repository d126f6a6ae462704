/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's one Context, shared by the core's files: agent.c sets it up and runs the loop, tasks.c
 * turns the model into tasks, report.c says what happens (journal, sd_notify), publish.c puts it on
 * D-Bus (metrics, statsd sockets), timers.c keeps its clock, stop deadline and watchdog. Calls between
 * them go one way: agent.c → tasks, report, publish, timers; tasks → publish; report → publish, timers;
 * publish → timers. Subsystems outside core/ never include this header. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "agent/bus/interfaces.h"
#include "agent/control/control.h"
#include "agent/lifecycle/child-env.h"
#include "agent/listen/share.h"
#include "agent/core/agent.h"
#include "agent/lifecycle/lifecycle.h"
#include "agent/lifecycle/notify.h"
#include "agent/log/log.h"
#include "agent/metrics/app.h"
#include "agent/metrics/metrics.h"
#include "agent/metrics/statsd-socket.h"
#include "common/procfile/procfile.h"

/* What publish.c keeps per task (by Task.index) for the bus. */
typedef struct TaskMetrics {
        CounterSet counters;            /* an exec child's, from its statsd socket; a module keeps its own */
        TimingSet timings;
        MetricsAppSink sink;            /* the statsd socket's: counters and timings above */
        StatsdSocket *statsd;           /* NULL: no $RUNTIME_DIRECTORY, or a module */
        char *statsd_service;           /* the service its reports name; NULL: the entry */
        uint64_t starts;
        uint64_t failures;
        uint64_t start_duration_usec;
        bool exit_counted;              /* its child's exit is in ChildrenExits */
} TaskMetrics;

typedef struct Context {
        const AgentOptions *options;
        char *credential_procfile;      /* $CREDENTIALS_DIRECTORY/procfile, when that is what we read */
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
        ControlServer control;          /* RELOAD requests (reload.c); fd -1: none */
        Lifecycle *next;                /* a reload's new generation; NULL: no reload runs */
        Procfile *next_procfile;        /* the model it was made from */
        const Process *next_process;
        bool next_ready;                /* it became ready: the old generation is being stopped */
        bool reload_broken;             /* it died during the handover */
        char *reload_error;             /* why it is being given up */
        int reload_connection;          /* the caller waiting for the answer; -1: none */
        uint64_t reload_begin;
        sd_event_source *reload_timer;  /* reload_timeout_ms */
        unsigned generation;            /* reloads completed */
        unsigned memory_over;           /* consecutive samples above memory_restart */
        ListenShare listen_share;       /* the interposer's requests (share.c); fd -1: not shared */
        int drain_fd;                   /* the running generation's drain flag (a memfd); -1: none */
        int next_drain_fd;              /* a reload's new generation's */
        sd_event_source *drain_timer;   /* the old generation drains, then is stopped */
        const char *listen_preload;     /* the interposer for children's LD_PRELOAD; NULL: none */
        bool listen_reuseport;          /* no `listen`, scale > 1: children bind with SO_REUSEPORT */
        bool reuseport_logged;

        uint64_t watchdog_usec;         /* the unit's WatchdogSec=; 0: none */
        bool watchdog_lapsed;           /* a child missed its own: stop pinging systemd */
        sd_event_source *deadline_timer;
        sd_event_source *watchdog_timer;

        LogCounters log_counters;       /* every entry log.c wrote while the Context ran, for the metrics */

        Metrics metrics;                /* the built-in indicators (publish.c) */
        TaskMetrics *task_metrics;      /* one per task: the process's services, then its entry */
        size_t n_task_metrics;
        sd_event_source *log_sync;      /* copies log_counters into metrics after each dispatch */
        BusAgent *bus;
        char *unit;                     /* the systemd unit we run in; NULL: none */
        bool restarts_known;
        bool bus_name_logged;
} Context;

/* agent.c: the procfile to read: the installed copy, or the unit's credential of it when this user
 * can't read the copy. */
const char *context_procfile_path(Context *c);

/* app-env.c: what p's children start with: the unit's environment, then p's env files, then its env
 * (which wins over the files, as docker compose's environment: wins over env_file:), then its
 * secrets. Logs what it can't read and returns a negative errno. */
int context_child_env(Context *c, const Procfile *pf, const Process *p, char ***ret);

/* tasks.c: adds a task for every service of the process, in start order, and one for its entry.
 * Logs what is wrong and returns a negative errno when a service can't be set up (a bad module). */
int context_add_tasks(Context *c);

/* tasks.c: the same for a process p of another model into l: a reload's new generation. */
int context_add_tasks_to(Context *c, Lifecycle *l, const Procfile *pf, const Process *p);

/* report.c: the lifecycle's handler, logging each event and notifying systemd. */
void context_on_lifecycle_event(Lifecycle *l, LifecycleEvent event, Task *t, void *userdata);

/* report.c: a child sent STATUS=; passes it on to systemd. */
void context_report_child_status(Context *c, const char *name, const char *status);

/* publish.c: the registry, its sampling timer and the per-task metrics, before the tasks are added.
 * Logs and returns a negative errno on failure. */
int context_setup_metrics(Context *c);

/* publish.c: the statsd socket of the exec task about to be added at index (service: its name,
 * NULL for the entry). Returns its path for the child's $PANDORA_METRICS_SOCKET, or NULL when there is
 * none (no $RUNTIME_DIRECTORY; a failure is logged). */
const char *context_open_statsd(Context *c, size_t index, const char *service);

/* publish.c: puts the instance on the bus, once the tasks exist. Never fails the instance: a bus
 * that can't be reached is logged once and retried. */
void context_connect_bus(Context *c);

/* publish.c: counts a lifecycle event and tells the bus's watchers. */
void context_metrics_on_event(Context *c, LifecycleEvent event, Task *t);

/* publish.c: frees the bus, the statsd sockets and the registry. */
void context_metrics_done(Context *c);

/* share.c: shares the unit's sockets with the children's bind() through the interposer (or, with no
 * sockets at scale > 1, has them bind with SO_REUSEPORT; with neither, reports their EADDRINUSE), unless
 * the process says share_listen = false.
 * Logs and returns a negative errno when the request socket can't be opened. */
int context_setup_listen(Context *c);

/* share.c: what a child's environment needs for the interposer; drain_fd: its generation's flag. */
void context_listen_env(const Context *c, int drain_fd, ChildEnvOptions *o);

/* share.c: a new drain flag for a generation (a memfd holding one byte, 0), or -1 when the instance
 * shares no socket or it can't be made. */
int context_new_drain(const Context *c);

/* share.c: raises the flag: that generation's processes accept no more connections on the shared
 * sockets, so that none is cut when they are stopped; the other generation takes them. */
void context_drain(int drain_fd);

/* share.c: writes the unit's shared addresses, "[::]:3000, /run/app.sock", into buf. */
void context_listen_addresses(const Context *c, char *buf, size_t size);

/* reload.c: opens the control socket in $RUNTIME_DIRECTORY (none outside a pandora unit). */
int context_setup_control(Context *c);

/* reload.c: the old generation is done; hands the instance to the new one. Returns true when the
 * instance goes on, false when it must end (no reload, or the new generation died). */
bool context_reload_complete(Context *c);

/* reload.c: hands the instance over to a new generation of the same model, as a reload does (memory
 * restarts). Returns false when it can't begin now (a reload runs, or the instance is not running). */
bool context_restart_gracefully(Context *c);

/* memory.c: restarts the instance gracefully when its cgroup's memory stays above memory_restart for
 * two samples of the metrics; nothing without memory_restart. */
void context_setup_memory_restart(Context *c);

/* reload.c: answers a waiting caller and frees a reload in progress, and the control socket. */
void context_reload_done(Context *c);

/* report.c: a task event of any generation, to the journal. */
void context_report_task_event(Context *c, LifecycleEvent event, Task *t);

/* timers.c: adds the stop-deadline timer (disarmed) and, when the unit has WatchdogSec=, the watchdog
 * timer to c->event. Returns 0 or a negative errno. */
int context_setup_timers(Context *c);

/* timers.c: arms the stop-deadline timer on lifecycle_next_deadline(). */
void context_arm_deadline(Context *c);

/* timers.c: the lifecycle's clock, CLOCK_MONOTONIC in µs (the loop's time while there is a loop). */
uint64_t context_now(void *userdata);
