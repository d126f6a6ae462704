/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's logging, the one place it writes messages: to the journal with the instance's fields
 * (PANDORA_APP, PANDORA_PROCESS, PANDORA_INSTANCE and, for a service, PANDORA_SERVICE) when it runs
 * under systemd, to stderr otherwise or when the journal can't be reached. Modules log through
 * pandora_log(), which ends here too. */

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* Names the instance in every entry from now on. The strings are copied; NULL leaves a field out. */
void log_set_identity(const char *app, const char *process, const char *instance);

/* Frees what log_set_identity() copied. */
void log_reset_identity(void);

/* Chooses the journal (true) or stderr (false); by default the journal when $JOURNAL_STREAM or
 * $INVOCATION_ID says systemd started us. */
void log_set_journal(bool journal);

typedef struct LogOrigin {
        const char *service;            /* PANDORA_SERVICE and SYSLOG_IDENTIFIER; NULL: the agent */
        const char *file;               /* CODE_FILE; NULL: none */
        int line;
        const char *func;
        const char * const *fields;     /* more "FIELD=value" entries, NULL-terminated; NULL: none */
} LogOrigin;

/* Logs one entry. Returns 0, or a negative errno when neither the journal nor stderr took it. */
int log_sendv(int priority, const LogOrigin *origin, const char *format, va_list ap) _printf_(3, 0);

/* The agent's own messages. Always returns 0, so that callers can log and go on. */
int log_full(int priority, const char *service, const char *format, ...) _printf_(3, 4);

#define log_error(...) log_full(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, NULL, __VA_ARGS__)
