/* SPDX-License-Identifier: MIT */
#pragma once

/* The state of one `pandora-gen --dev` run, shared by dev.c (setting up, the loop, signals) and
 * dev/lifecycle.c (starting, restarting and stopping the units). */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cli/dev/dev.h"
#include "cli/dev/format.h"
#include "cli/dev/journal.h"
#include "cli/dev/units.h"
#include "cli/dev/watch.h"
#include "cli/manager.h"
#include "common/procfile/procfile.h"

typedef struct DevContext {
        const DevOptions *options;
        Procfile *procfile;
        DevPlan *plan;
        char *scope;            /* pandora-dev-APP-PID.scope: this process, and what every unit BindsTo= */
        char **units;           /* every unit of the plan: services, then sockets */
        char **created;         /* the units the manager created for us: what to stop and let go of */
        DevStyle style;
        Manager *manager;
        sd_event *event;
        DevJournal *journal;
        DevWatch *watch;
        sd_event_source *next_restart;  /* defer: restarts the next instance, outside the bus's dispatch */
        size_t pending_starts;  /* start jobs not finished yet */
        size_t failed_starts;
        size_t restart_next;    /* the plan's instance to restart next */
        bool restarting;        /* a round of restarts runs */
        bool restart_again;     /* something changed during the round: another one follows */
        bool stopping;
} DevContext;

/* Creates and starts every unit of the plan; the start jobs finish in the loop. On failure stops what was
 * created. Returns 0 or a negative errno (logged). */
int dev_start(DevContext *c);

/* Starts a round of restarts (or asks for another one after the running round). */
void dev_restart(DevContext *c);

/* Stops every unit created, prints the journal's last lines and a summary per instance, and lets the units
 * go. Returns 0, or a negative errno when some unit could not be stopped (logged). */
int dev_stop(DevContext *c);
