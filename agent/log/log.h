/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's logging, the one place it writes messages: to the journal with the instance's fields
 * (PANDORA_APP, PANDORA_PROCESS, PANDORA_INSTANCE and, for a service, PANDORA_SERVICE) when it runs
 * under systemd, to stderr otherwise or when the journal can't be reached. Modules log through
 * pandora_log(), children's output lines come from log/capture.c; all of it ends here. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <syslog.h>

#include "common/macro.h"

/* What the log wrote, for the metrics to publish. Entries are counted once they reached the journal or,
 * failing that, stderr. */
typedef struct LogCounters {
        uint64_t entries[8];            /* entries by priority, LOG_EMERG (0) to LOG_DEBUG (7) */
        uint64_t bytes;                 /* MESSAGE bytes of those entries */
        uint64_t lines_split;           /* children's lines cut at the line limit (once per cut) */
        uint64_t fallbacks;             /* entries the journal refused, written to stderr instead */
        uint64_t lost;                  /* entries neither the journal nor stderr took */
} LogCounters;

/* Names the instance in every entry from now on. The strings are copied; NULL leaves a field out. */
void log_set_identity(const char *app, const char *process, const char *instance);

/* Frees what log_set_identity() copied. */
void log_reset_identity(void);

/* Chooses the journal (true) or stderr (false); by default the journal when $JOURNAL_STREAM or
 * $INVOCATION_ID says systemd started us. */
void log_set_journal(bool journal);

/* Counts every entry from now on into *counters (owned by the caller, the Context); NULL: stop. */
void log_set_counters(LogCounters *counters);

/* The counters set by log_set_counters(), or NULL. */
LogCounters *log_get_counters(void);

/* One entry, as log_submit() sends it. */
typedef struct LogEntry {
        int priority;                   /* PRIORITY, 0-7 */
        const char *message;            /* MESSAGE: bytes, may hold NUL, newlines and invalid UTF-8 */
        size_t message_size;
        const char *service;            /* PANDORA_SERVICE; NULL: none */
        const char *identifier;         /* SYSLOG_IDENTIFIER; NULL: the service, else the process */
        pid_t pid;                      /* SYSLOG_PID, the child that wrote it; 0: none */
        bool captured;                  /* a child's line: on stderr as "IDENTIFIER: line", not as ours */
        const struct iovec *fields;     /* more complete "NAME=value" fields, valid journal names */
        size_t n_fields;
} LogEntry;

/* Sends one entry with the instance's fields to the journal, or to stderr when the journal is not in
 * use or refuses it, and counts it. Returns 0, -ENOMEM, or -EIO when neither took it. */
int log_submit(const LogEntry *e);

typedef struct LogOrigin {
        const char *service;            /* PANDORA_SERVICE and SYSLOG_IDENTIFIER; NULL: the agent */
        const char *identifier;         /* SYSLOG_IDENTIFIER when not the service's; NULL: see service */
        const char *file;               /* CODE_FILE; NULL: none */
        int line;
        const char *func;
        const char * const *fields;     /* more "FIELD=value" entries, NULL-terminated; NULL: none. Those
                                         * whose name the journal would refuse are left out. */
} LogOrigin;

/* Logs one entry. Returns 0, or a negative errno when neither the journal nor stderr took it. */
int log_sendv(int priority, const LogOrigin *origin, const char *format, va_list ap) _printf_(3, 0);

/* The agent's own messages. Always returns 0, so that callers can log and go on. */
int log_full(int priority, const char *service, const char *format, ...) _printf_(3, 4);

/* The agent's own message about a service (a lifecycle event): SYSLOG_IDENTIFIER is the process's,
 * PANDORA_SERVICE names service (NULL: none), fields are more "FIELD=value" entries, NULL-terminated
 * (MESSAGE_ID, EXIT_CODE, ...). Always returns 0. */
int log_event(int priority, const char *service, const char * const *fields, const char *format, ...)
        _printf_(4, 5);

/* Whether name may be a field a program sends: 1-64 of [A-Z0-9_], not starting with a digit or '_'
 * (fields starting with '_' are the journal's own). */
bool log_field_name_is_valid(const char *name, size_t size) _pure_;

#define log_error(...) log_full(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, NULL, __VA_ARGS__)
