/* SPDX-License-Identifier: MIT */
#pragma once

/* A child's stdout and stderr, captured through two pipes into the journal, line by line, with the
 * child's service as PANDORA_SERVICE and SYSLOG_IDENTIFIER (the process's name for the entry). The
 * pipes are read on the agent's sd-event loop; lines are cut as line-buffer.h says, parsed as
 * log/line.h says, and sent by log_submit(). A partial line is sent at EOF, when the child exits, and
 * once the child has written nothing more for LOG_CAPTURE_IDLE_USEC. While the journal's queue is full
 * (log_queue_full()) the pipes are left unread: the child waits in write() and loses nothing.
 *
 * A child whose output is plain text (LOG_FORMAT_TEXT) gets no pipes: its stdout and stderr are journal
 * streams of its own, named by its service, which journald reads as it reads a unit's stdout. The agent
 * never reads them, so its loop can't be held by them and the child waits for journald in write(). */

#include <errno.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "agent/log/line-buffer.h"
#include "agent/log/log.h"

/* How long a partial line waits for the rest of it: long enough for a writer's next write() of the
 * same line, short enough for a prompt or a progress dot to be seen. */
#define LOG_CAPTURE_IDLE_USEC (250 * 1000ULL)

typedef struct LogCapture LogCapture;

/* How a child's output reaches the journal. */
typedef enum LogFormat {
        LOG_FORMAT_AUTO,        /* read by the agent: "<N>" prefixes, JSON loggers, PANDORA_SERVICE, SYSLOG_PID */
        LOG_FORMAT_TEXT,        /* written by the child to journal streams: "<N>" prefixes, nothing parsed */
        _LOG_FORMAT_MAX,
        _LOG_FORMAT_INVALID = -EINVAL,
} LogFormat;

const char *log_format_to_string(LogFormat f) _pure_;
LogFormat log_format_from_string(const char *s) _pure_;

typedef struct LogStream {
        LogCapture *capture;
        int fd;                         /* the pipe's read end; -1 once closed */
        int priority;                   /* of a line that says none: LOG_INFO for stdout; stderr's is chosen */
        sd_event_source *io;
        sd_event_source *idle;          /* flushes a partial line once the writer is quiet */
        LineBuffer buffer;
        LogWaiter waiter;               /* waiting for room in the journal's queue, the pipe unread */
} LogStream;

struct LogCapture {
        sd_event *event;
        char *service;                  /* NULL: the entry */
        pid_t pid;                      /* SYSLOG_PID of its lines; 0 until started */
        LogStream out, err;
        int child_fds[2];               /* the write ends: the child's 1 and 2, until log_capture_started() */
        bool attached;                  /* holds a log_attach_event() of event */
        bool text;                      /* LOG_FORMAT_TEXT: child_fds are journal streams, out and err unused */
        int text_fds[2];                /* the agent's copies of those streams (stderr's: -1 when it shares
                                         * stdout's), until log_capture_drain() hands them to the log */
};

/* The format of the captures made from now on. By default $PANDORA_LOG_FORMAT's ("auto" or "text"),
 * read at the first capture; "auto" when unset. Returns 0, or -EINVAL. */
int log_capture_set_default_format(LogFormat format);

/* The priority of a child's stderr line that names none itself (no "<N>" prefix, no JSON level), for the
 * captures made from now on: LOG_INFO unless set, as systemd logs a unit's stderr at its SyslogLevel=;
 * LOG_ERR for a process whose stderr means errors. Returns 0, or -EINVAL when priority is not 0-7. */
int log_capture_set_default_stderr_priority(int priority);

/* The same for one capture (a service's own choice), before or after its child started. Returns 0, or
 * -EINVAL when priority is not 0-7. */
int log_capture_set_stderr_priority(LogCapture *c, int priority);

/* Makes the pipes and watches their read ends on e; attaches the log to e (log_attach_event()), so that
 * the journal is never waited for while the capture exists. service: the service's name, NULL for the
 * entry. With LOG_FORMAT_TEXT, and a journal to log to, the child's ends are journal streams instead
 * (stderr's of its own when its priority is not info); when a stream can't be opened, pipes, with a
 * warning. Returns 0 or a negative errno; the child's ends are in (*ret)->child_fds. */
int log_capture_new(sd_event *e, const char *service, LogCapture **ret);

/* The child pid runs with the write ends: closes the agent's copies, so that EOF comes when the child
 * (and whatever inherited them) is gone. */
void log_capture_started(LogCapture *c, pid_t pid);

/* Reads what the pipes hold now and sends every line, the partial ones too: the child exited, and its
 * last words go before the agent's message about it. The pipes stay watched while something else still
 * holds them open. Journal streams go to log_add_barrier(): entries wait until journald read them. */
void log_capture_drain(LogCapture *c);

/* Drains, closes, detaches from the loop and frees. Accepts NULL; returns NULL. */
LogCapture *log_capture_free(LogCapture *c);
