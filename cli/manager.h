/* SPDX-License-Identifier: MIT */
#pragma once

/* A client of the systemd manager over sd-bus, for the command line (never in generator mode):
 * reload, unit states, and start/stop jobs waited for as systemctl waits for them. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cli/transient.h"
#include "common/macro.h"

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

/* The pieces of manager_run_jobs(), for callers that enqueue jobs of several kinds. manager_subscribe()
 * asks for the manager's signals (idempotent); manager_enqueue_job() calls method ("StartUnit",
 * "StopUnit", "RestartUnit") with mode "replace" and appends the job's object path to *jobs;
 * manager_wait_jobs() waits for every job of jobs as manager_run_jobs() does and returns what it returns.
 * Each returns 0 or a negative errno, with the bus error in *error where there is one. */
int manager_subscribe(Manager *m, sd_bus_error *error);
int manager_enqueue_job(Manager *m, const char *method, const char *unit, char ***jobs, sd_bus_error *error);
int manager_wait_jobs(Manager *m, char * const *jobs, char ***ret_failed);

/* Whether a manager answers on the bus: reads its Version. Returns 0 or a negative errno (bus error in
 * *error): sd_bus_open_*() alone does not tell, it connects lazily to the bus, not to systemd. */
int manager_ping(Manager *m, sd_bus_error *error);

/* Dispatches the bus from the event loop e (for signals between calls), at the given priority.
 * Returns 0 or a negative errno. */
int manager_attach_event(Manager *m, sd_event *e, int64_t priority);

/* StartTransientUnit(u, "fail", u's properties, aux): creates u, and aux (NULL: none) alongside without
 * starting it, then starts u; appends the start job's path to *jobs. Returns 0 or a negative errno with
 * the bus error in *error (for a unit of that name already loaded: "Unit ... already exists"). */
int manager_start_transient(Manager *m, const TransientUnit *u, const TransientUnit *aux, char ***jobs,
                            sd_bus_error *error);

/* Called once when job finishes, from the bus's dispatch (never from inside manager_watch_job()), with
 * the unit and the job's result ("done", "failed", "canceled", ...). */
typedef void (*ManagerJobCallback)(const char *unit, const char *result, void *userdata);

/* Calls callback when the job at path job (from manager_enqueue_job() or manager_start_transient(),
 * enqueued since the last dispatch) finishes. Returns 0 or -ENOMEM. */
int manager_watch_job(Manager *m, const char *job, ManagerJobCallback callback, void *userdata);

/* How a service's main process ended last (org.freedesktop.systemd1.Service). */
typedef struct ManagerServiceExit {
        int32_t code;           /* ExecMainCode: CLD_EXITED, CLD_KILLED, CLD_DUMPED; 0: it never ran */
        int32_t status;         /* ExecMainStatus: the exit status or the signal */
        char *result;           /* Result: "success", "exit-code", "signal", "timeout", ... */
        uint32_t restarts;      /* NRestarts: automatic restarts */
} ManagerServiceExit;

void manager_service_exit_done(ManagerServiceExit *e);

/* Reads the exit of a loaded service unit into *ret (free with manager_service_exit_done()).
 * Returns 0 or a negative errno with the bus error in *error. */
int manager_service_exit(Manager *m, const char *unit, ManagerServiceExit *ret, sd_bus_error *error);

/* Calls a manager method that takes a unit name and returns nothing ("ResetFailedUnit", "UnrefUnit").
 * Returns 0 or a negative errno with the bus error in *error. */
int manager_call_unit(Manager *m, const char *method, const char *unit, sd_bus_error *error);

/* What install and remove read of a unit (org.freedesktop.systemd1.Unit); empty strings where the
 * manager has none. */
typedef struct UnitInfo {
        char *load_state;       /* "loaded", "not-found", "bad-setting", "error", "masked" */
        char *source_path;
        char *fragment_path;
        char *load_error;       /* LoadError's message */
} UnitInfo;

void unit_info_done(UnitInfo *u);

/* Reads unit over bus (a plain connection: install reads before it has a Manager). With load, the
 * manager loads it first (from disk, when it is not loaded: "not-found" when there is no such unit);
 * without, a unit the manager has not loaded is 0 and *ret is left alone. Returns 1 (read), 0, or a
 * negative errno with the bus error in *error. */
int manager_unit_info(sd_bus *bus, const char *unit, bool load, UnitInfo *ret, sd_bus_error *error);
