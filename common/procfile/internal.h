/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared between the parts of the procfile model; not for the generator or the agent. */

#include <stdarg.h>

#include "common/procfile/procfile.h"

/* Sets e (when not NULL) to the given location and message and returns -EINVAL, or -ENOMEM when the
 * message can't be allocated. file, field: NULL to leave out; line: 0 to leave out. */
int procfile_error_set(ProcfileError *e, const char *file, unsigned line, const char *field,
                       const char *format, ...) _printf_(5, 6);
int procfile_error_setv(ProcfileError *e, const char *file, unsigned line, const char *field,
                        const char *format, va_list ap) _printf_(5, 0);

/* Returns a new, empty procfile for path (absolute), or NULL when out of memory. */
Procfile *procfile_new(const char *path);

/* Returns the process or service called name, creating it (appended, so definition order holds)
 * when missing. NULL when out of memory. */
Process *procfile_ensure_process(Procfile *p, const char *name);
Service *procfile_ensure_service(Procfile *p, const char *name);

/* Defines the built-in processes worker and background, as Pandora.js does before reading the file. */
int procfile_add_builtins(Procfile *p, bool dev);

/* Reads the libconfig file at p->path into p, then the `dev` group over it when dev is set.
 * Returns 0, -EINVAL with e set, or a negative errno from reading the file (e set too). */
int procfile_parse(Procfile *p, bool dev, ProcfileError *e);

/* Decides what starts and in which order, checks every cross-reference, fills the resolved fields.
 * auto_scale is what "auto" becomes; negative when $DEFAULT_WORKER_COUNT is invalid (an error only if
 * a process that starts uses "auto"). default_app: the app when the file sets none; NULL: the
 * procfile's directory name.
 * Returns 0, -EINVAL with e set, or -ENOMEM. */
int procfile_resolve(Procfile *p, int auto_scale, const char *default_app, ProcfileError *e);

/* Default values, shared by the built-ins, the parser and the documentation tests. */
#define PROCESS_DEFAULT_SCALE 1
#define PROCESS_DEFAULT_RESTART_DELAY_MS 100
#define PROCESS_DEFAULT_RESTART_BURST 60
#define PROCESS_DEFAULT_RESTART_INTERVAL_S 60
#define PROCESS_DEFAULT_STOP_TIMEOUT_MS 5000
#define PROCESS_DEFAULT_RELOAD_TIMEOUT_MS 30000
#define PROCFILE_DEFAULT_PROCESS "worker"
/* journald's own default burst, for a log_rate_limit that sets only interval_s. */
#define PROCFILE_DEFAULT_LOG_RATE_BURST 10000
