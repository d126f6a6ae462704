/* SPDX-License-Identifier: MIT */
#pragma once

/* What `pandora-gen --dev` prints, as pure functions: journal entries as "web.1/cache | message" lines
 * (foreman's shape, a colour per process on a terminal), -p LEVEL, and the summary line of an instance. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/procfile/procfile.h"

typedef struct DevStyle {
        const char *app;
        char **processes;       /* the started processes in order; a process's colour is its position */
        size_t width;           /* prefixes are padded to this many characters */
        bool colour;            /* ANSI colours (stdout is a terminal) */
} DevStyle;

/* What an entry says about its writer. Fields are NULL when the entry lacks them. */
typedef struct DevEntry {
        const char *process;    /* PANDORA_PROCESS */
        const char *instance;   /* PANDORA_INSTANCE */
        const char *service;    /* PANDORA_SERVICE */
        const char *unit;       /* UNIT, USER_UNIT, _SYSTEMD_USER_UNIT or _SYSTEMD_UNIT: the first present */
        const char *message;    /* MESSAGE */
} DevEntry;

/* The syslog priority named by s: "emerg" .. "debug" or "0" .. "7". Returns it, or -EINVAL. */
int dev_priority_from_string(const char *s) _pure_;

/* The width of the longest prefix the started processes of p can have ("process.N/service"). */
size_t dev_prefix_width(const Procfile *p) _pure_;

/* Who wrote e, "process.instance" or "process.instance/service"; what the entry lacks is taken from its
 * unit's name (<app>-<process>@<instance>.service), else the unit name itself, else the app. Returns a new
 * string, or NULL when out of memory. *ret_process (when not NULL) gets the process name as a new string,
 * or NULL when there is none. */
char *dev_entry_who(const char *app, const DevEntry *e, char **ret_process);

/* Writes e as one line per line of its message: the padded prefix, " | ", the text. Returns 0, or
 * -ENOMEM. An entry without a message writes nothing. */
int dev_entry_write(const DevStyle *style, const DevEntry *e, FILE *f);

/* One instance's summary: "web.1: exited with status 0 (success), 2 restarts". code is the service's
 * ExecMainCode (CLD_EXITED, CLD_KILLED, CLD_DUMPED; 0: never ran), status ExecMainStatus. Returns a new
 * string, or NULL when out of memory. */
char *dev_summary(const char *who, int code, int status, const char *result, unsigned restarts);
