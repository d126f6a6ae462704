/* SPDX-License-Identifier: MIT */
#pragma once

/* The command line's install and remove: a procfile becomes (or stops being) an installed copy in the
 * search path, and the manager reloads so that the generator makes the units. These log and print: they
 * are the command line's edge. */

#include <stdbool.h>

typedef struct InstallOptions {
        bool user;              /* the calling user's manager and search path */
        bool persistent;        /* the persistent directory (/etc/pandora) instead of the runtime one */
        const char *agent_path; /* ExecStart='s program, to render the units being compared */
} InstallOptions;

/* Validates the procfile at path and installs a copy of it as APP.procfile; a procfile that fails
 * validation changes nothing. Then reloads the manager, stops the units that went away, starts what a
 * running app now wants, and prints the app's units. Returns 0 or a negative errno (already logged). */
int install_procfile(const char *path, const InstallOptions *o);

/* Stops every unit of app, removes its installed procfile(s) and reloads the manager. Returns 0 or a
 * negative errno (already logged). */
int install_remove(const char *app, const InstallOptions *o);
