/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's own notification socket: every exec child finds it in NOTIFY_SOCKET and talks to the
 * agent as a service talks to systemd (sd_notify(3)). The agent reads READY=1, STATUS= and WATCHDOG=1,
 * with the sender's pid from SCM_CREDENTIALS, and folds them into its own notifications. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "common/macro.h"

typedef struct NotifyMessage {
        bool ready;             /* READY=1 */
        bool stopping;          /* STOPPING=1 */
        bool watchdog;          /* WATCHDOG=1 */
        bool watchdog_trigger;  /* WATCHDOG=trigger */
        char *status;           /* the last STATUS=, NULL: none */
} NotifyMessage;

/* Parses one datagram of newline-separated KEY=VALUE assignments as sd_notify(3) sends them. Unknown
 * assignments, and ones of a known key with another value, are ignored, as systemd does. Returns 0,
 * -EBADMSG when the datagram holds a NUL byte, or -ENOMEM. */
int notify_message_parse(const char *data, size_t size, NotifyMessage *ret);

/* Frees the contents of m; accepts an empty message. */
void notify_message_done(NotifyMessage *m);

typedef void (*NotifyHandler)(pid_t sender, const NotifyMessage *m, void *userdata);

typedef struct NotifyServer {
        int fd;
        sd_event_source *source;
        char *address;          /* for NOTIFY_SOCKET: "@" and the abstract name */
        NotifyHandler handler;
        void *userdata;
        unsigned n_dropped;     /* datagrams without credentials, truncated or malformed */
} NotifyServer;

/* Binds a datagram socket to an abstract address the kernel picks and watches it on e. handler is
 * called for each well-formed message with the sender's pid. Returns 0 or a negative errno; either
 * way, notify_server_done() releases what was set up. */
int notify_server_open(NotifyServer *s, sd_event *e, NotifyHandler handler, void *userdata);

/* Closes the socket; accepts a server that was never opened (zeroed, fd -1). */
void notify_server_done(NotifyServer *s);
