/* SPDX-License-Identifier: MIT */
#pragma once

/* A client of the systemd manager over sd-bus, for the command line (never in generator mode):
 * reload, unit states, and start/stop jobs waited for as systemctl waits for them. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct Manager Manager;

/* Connects to the system manager, or with user to the calling user's. Returns 0 or a negative errno. */
int manager_open(bool user, Manager **ret);

Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Asks the manager to reload (and so to rerun its generators); returns when the reload is done.
 * Returns 0 or a negative errno with the bus error in *error. */
int manager_reload(Manager *m, sd_bus_error *error);

/* The unit's ActiveState ("active", "inactive", ...); "inactive" for a unit the manager has not loaded.
 * Returns 0 or a negative errno with the bus error in *error. */
int manager_active_state(Manager *m, const char *unit, char **ret, sd_bus_error *error);

/* Calls method ("StartUnit" or "StopUnit") with mode "replace" for every unit and waits until all the
 * jobs are finished. Returns 0 when every job's result is "done"; -EIO when some job failed, with
 * "UNIT (RESULT)" for each in *ret_failed; another negative errno with the bus error in *error. */
int manager_run_jobs(Manager *m, const char *method, char * const *units, char ***ret_failed,
                     sd_bus_error *error);
