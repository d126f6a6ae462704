/* SPDX-License-Identifier: MIT */
#pragma once

/* `pandora-gen --dev`: runs an app in the foreground as transient units (dev/units.c), shows its journal
 * (dev/journal.c), restarts it when a watched file changes (dev/watch.c), and takes everything down again
 * on SIGINT or SIGTERM. Nothing is written to disk. */

#include <stdbool.h>

typedef struct DevOptions {
        bool user;              /* the calling user's manager */
        int max_priority;       /* -p: journal entries up to this syslog priority are shown */
        const char *agent_path; /* what every instance runs */
} DevOptions;

/* Runs the procfile at path, loaded with its dev overlay, until SIGINT or SIGTERM, then stops every unit it
 * started and prints a summary line per instance. Logs what fails. Returns 0 after a clean stop, or a
 * negative errno: the procfile is invalid, the manager can't be reached, a unit could not be created
 * (everything created is stopped again), or stopping failed. */
int dev_run(const char *path, const DevOptions *o);
