/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's one Context, shared by its files: agent.c sets it up and runs the loop, agent-tasks.c
 * turns the model into tasks, agent-report.c says what happens (journal, sd_notify). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "agent.h"
#include "lifecycle.h"
#include "log.h"
#include "notify.h"
#include "procfile.h"

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
} Context;

/* agent-tasks.c: adds a task for every service of the process, in start order, and one for its entry.
 * Logs what is wrong and returns a negative errno when a service can't be set up (a bad module). */
int context_add_tasks(Context *c);

/* agent-report.c: the lifecycle's handler, logging each event and notifying systemd. */
void context_on_lifecycle_event(Lifecycle *l, LifecycleEvent event, Task *t, void *userdata);

/* agent-report.c: a child sent STATUS=; passes it on to systemd. */
void context_report_child_status(Context *c, const char *name, const char *status);

/* agent.c: arms the stop-deadline timer on lifecycle_next_deadline(). */
void context_arm_deadline(Context *c);

/* agent.c: the lifecycle's clock, CLOCK_MONOTONIC in µs. */
uint64_t context_now(void *userdata);
