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

/* Reads a procfile or a file it includes as procfile_load() reads them: opened without blocking (a FIFO
 * or a device never hangs the reader), only a regular file, at most PROCFILE_SIZE_MAX bytes. On success
 * *ret is the text with a NUL after it (it may hold NUL bytes itself) and *ret_size its length. Returns 0,
 * or a negative errno with e set to a message at path: -EISDIR, -EBADFD (not a regular file), -EFBIG,
 * or open()'s and read()'s errors. */
int procfile_read_text(const char *path, char **ret, size_t *ret_size, ProcfileError *e);

/* Returns the absolute path with "." and ".." components and repeated or trailing slashes removed
 * lexically, as path.resolve() does in Node, or NULL when out of memory. systemd refuses paths with
 * ".." in WorkingDirectory= and SourcePath= ("not normalized"). */
char *procfile_path_normalize(const char *absolute);

/* Reads the procfile text (read by procfile_read_text() from p->path) into p, then the `dev` group over
 * it when dev is set. Files it includes are checked like the procfile before libconfig opens them.
 * Returns 0, -EINVAL with e set, or a negative errno from reading an included file (e set too). */
int procfile_parse(Procfile *p, const char *text, size_t size, bool dev, ProcfileError *e);

/* Decides what starts and in which order, checks every cross-reference, fills the resolved fields.
 * auto_scale is what "auto" becomes; negative when $DEFAULT_WORKER_COUNT is invalid (an error only if
 * a process that starts uses "auto"). default_app: the app when the file sets none; NULL: the
 * procfile's directory name.
 * Returns 0, -EINVAL with e set, or -ENOMEM. */
int procfile_resolve(Procfile *p, int auto_scale, const char *default_app, ProcfileError *e);

/* Default values, shared by the built-ins, the parser and the documentation tests. */
#define PROCESS_DEFAULT_SCALE 1
#define PROCESS_DEFAULT_RESTART_DELAY_MS 0
#define PROCESS_DEFAULT_RESTART_BURST 60
#define PROCESS_DEFAULT_RESTART_INTERVAL_S 60
#define PROCESS_DEFAULT_STOP_TIMEOUT_MS 5000
#define PROCESS_DEFAULT_RELOAD_TIMEOUT_MS 30000
#define PROCFILE_DEFAULT_PROCESS "worker"
/* journald's own default burst, for a log_rate_limit that sets only interval_s. */
#define PROCFILE_DEFAULT_LOG_RATE_BURST 10000

/* Upper bounds (pandora.procfile(5), LIMITS). A procfile and each file it includes is read whole: */
#define PROCFILE_SIZE_MAX (16U * 1024 * 1024)
/* Instances of one process group, and of a whole app (every instance is a unit, and every later group
 * is ordered After= each of them): */
#define PROCESS_SCALE_MAX 1000U
#define PROCFILE_INSTANCES_MAX 10000U
/* Durations: a year, well inside systemd's range (microseconds in 64 bits) and the agent's arithmetic;
 * systemd silently replaces a value it can't represent by its default. */
#define PROCFILE_DURATION_MS_MAX (365ULL * 24 * 3600 * 1000)
#define PROCFILE_DURATION_S_MAX (365ULL * 24 * 3600)
/* Counts that systemd keeps as an unsigned int (StartLimitBurst=, LogRateLimitBurst=). */
#define PROCFILE_COUNT_MAX 4294967295ULL
/* libconfig's own limit on nested @include. */
#define PROCFILE_INCLUDE_DEPTH_MAX 10
