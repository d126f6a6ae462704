/* SPDX-License-Identifier: MIT */
#pragma once

/* pandora-gen --status [APP] [--json] [--watch]: one table per app, one row per instance, from one
 * reading of systemd and the agents (observe/), the same reading pandora-exporter renders. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "observe/observe.h"

/* Exit statuses besides 0 (every instance runs) and 1 (nothing could be read), as LSB's status
 * action has them. */
#define STATUS_EXIT_NOT_RUNNING 3       /* some instance is not running */
#define STATUS_EXIT_NO_APP 4            /* APP is not installed (no APP.target) */

typedef struct StatusOptions {
        bool user;              /* the user's manager, bus and journal */
        bool json;
        bool watch;             /* refresh every STATUS_WATCH_USEC until interrupted */
        const char *app;        /* NULL: every installed app */
} StatusOptions;

#define STATUS_WATCH_USEC (2 * 1000000ULL)

/* Reads and prints; with watch, again and again. Returns the exit status (of the last reading). */
int status_run(const StatusOptions *o);

/* How a reading is printed: colours (a terminal), the width to fit rows in (0: no limit), the
 * time uptimes are counted to, and each instance's last error line (errors[k] for the k-th instance
 * of the reading, in order; NULL or fewer: none). */
typedef struct StatusStyle {
        bool colour;
        size_t width;
        uint64_t now_usec;      /* CLOCK_REALTIME */
        char **errors;
        size_t n_errors;
} StatusStyle;

/* The tables of o, each app's after its target's line. Returns 0 or -ENOMEM. */
int status_write_table(FILE *f, const Observation *o, const StatusStyle *s);

/* o as one line of JSON: {"apps": [{"app", "target", "instances": [...], "sockets": [...]}],
 * "healthy"}. Returns 0 or -ENOMEM. */
int status_write_json(FILE *f, const Observation *o, const StatusStyle *s);

/* The exit status o calls for: 0, STATUS_EXIT_NOT_RUNNING or STATUS_EXIT_NO_APP (an app of o without a
 * target). */
int status_exit_code(const Observation *o) _pure_;
