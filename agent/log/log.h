/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's logging, the one place it writes messages: to the journal with the instance's fields
 * (PANDORA_APP, PANDORA_PROCESS, PANDORA_INSTANCE and, for a service, PANDORA_SERVICE) when it runs
 * under systemd, to stderr otherwise or when the journal can't be reached. Modules log through
 * pandora_log(), children's output lines come from log/capture.c; all of it ends here. Once attached
 * to the event loop it never waits for the journal: what the journal can't take yet waits in a bounded
 * queue, and children's pipes are left unread while the queue is full. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-event.h>

#include "common/macro.h"

/* What the log wrote, for the metrics to publish. Entries are counted once they reached the journal or,
 * failing that, stderr. */
typedef struct LogCounters {
        uint64_t entries[8];            /* entries by priority, LOG_EMERG (0) to LOG_DEBUG (7) */
        uint64_t bytes;                 /* MESSAGE bytes of those entries */
        uint64_t lines_split;           /* children's lines cut at the line limit (once per cut) */
        uint64_t fallbacks;             /* entries the journal refused, written to stderr instead */
        uint64_t lost;                  /* entries neither the journal nor stderr took */
        uint64_t queued;                /* entries waiting for the journal now */
        uint64_t queued_bytes;          /* their size as datagrams */
        uint64_t stalls;                /* times the journal could not take an entry at once */
        uint64_t pauses;                /* times a child's pipe was left unread because the queue was full */
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

/* How much may wait for the journal before children's pipes are left unread (the children then wait in
 * write(), and lose nothing); reading resumes once the queue is down to half of it. One read of a pipe
 * (64 KiB of output) may still add its lines beyond it, and so may a child's last words at its exit. */
#define LOG_QUEUE_MAX (4U * 1024 * 1024)

/* How long the last log_detach_event() waits for a journal that takes nothing, before it writes what is
 * still queued to stderr. */
#define LOG_FLUSH_TIMEOUT_USEC (5 * 1000 * 1000ULL)

/* From now on the journal is written without ever waiting: an entry it can't take at once waits in a
 * queue (in order, with all its fields) sent as soon as the journal's socket is writable, on e. Until
 * then, and after the last log_detach_event(), a write waits for the journal as sd_journal_sendv() does.
 * Calls nest: each is ended by one log_detach_event(). Returns 0, -EBUSY when attached to another loop,
 * or a negative errno. */
int log_attach_event(sd_event *e);

/* Ends one log_attach_event(). The last one sends what is queued, waiting for the journal while it
 * keeps taking entries, at most LOG_FLUSH_TIMEOUT_USEC each time; what it still can't take then goes to
 * stderr. Does nothing when not attached. */
void log_detach_event(void);

/* Whether the queue holds LOG_QUEUE_MAX bytes or more: readers of children's pipes should wait. */
bool log_queue_full(void);

/* A reader waiting for room in the queue (a child's pipe left unread meanwhile). */
typedef struct LogWaiter LogWaiter;
struct LogWaiter {
        void (*resume)(LogWaiter *w);   /* called once there is room again; may read and submit */
        LogWaiter *next;
        bool waiting;
};

/* Calls w->resume once the queue is down to LOG_QUEUE_MAX / 2 (at once when it is already). w must
 * stay valid until then, or until log_waiter_cancel(). */
void log_wait_for_room(LogWaiter *w);

/* Forgets w if it waits. */
void log_waiter_cancel(LogWaiter *w);

/* The journal's socket; NULL: journald's. For tests, which play the journal. */
void log_set_journal_socket(const char *path);

/* The journal's socket for streams; NULL: journald's. For tests, which play the journal. */
void log_set_journal_stream_socket(const char *path);

/* SYSLOG_IDENTIFIER of what service writes: the service; NULL: the process (the entry, the agent). */
const char *log_identifier(const char *service);

/* Opens a journal stream (journal_stream_open()) named log_identifier(service), whose lines are at
 * priority unless they start with "<N>". Returns 0 and a blocking descriptor for a child's output in
 * *ret_fd, -EOPNOTSUPP when the log does not go to the journal, or a negative errno. */
int log_open_stream(const char *service, int priority, int *ret_fd);

/* How long entries wait for journald to read a stream given to log_add_barrier(): it may be held open by
 * a grandchild that keeps writing, or journald may be stopped. */
#define LOG_BARRIER_TIMEOUT_USEC (5 * 1000 * 1000ULL)

/* Takes fd, a journal stream whose writer has exited: entries submitted from now on are sent only once
 * journald has read everything written to it, or after LOG_BARRIER_TIMEOUT_USEC, so that a child's last
 * lines come before the agent's message about its exit, as they do when the agent reads them. Never
 * waits once attached to an event loop (the entries queue meanwhile); closes fd when done. */
void log_add_barrier(int fd);

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
 * use or refuses it, and counts it (when it is sent: a queued entry later). Never waits once attached to
 * an event loop. Returns 0, or -EIO when neither the journal nor stderr took it. */
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
