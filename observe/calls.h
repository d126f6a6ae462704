/* SPDX-License-Identifier: MIT */
#pragma once

/* Method calls sent in parallel on one bus, at most max_in_flight outstanding (dbus-daemon refuses a
 * connection more than 128 awaiting replies), all answered by one deadline: a call still unanswered
 * then, or not yet sent, gets -ETIMEDOUT. The bus must be attached to an sd-event loop. A call made for
 * another connection on the same loop (an agent's private socket) is sent there, in the same window. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "common/macro.h"

/* One call's outcome: reply is the method return (NULL on error), error 0 or a negative errno
 * (-ETIMEDOUT at the deadline; a D-Bus error name mapped by sd_bus_error_get_errno()). */
typedef void (*CallHandler)(sd_bus_message *reply, int error, void *userdata);

/* Called each time the last outstanding call of the queue is handled. */
typedef void (*CallsIdle)(void *userdata);

typedef struct Calls Calls;

/* A queue on bus answering by deadline_usec (CLOCK_MONOTONIC). Returns 0 or -ENOMEM. */
int calls_new(sd_bus *bus, uint64_t deadline_usec, unsigned max_in_flight, CallsIdle idle, void *userdata,
              Calls **ret);

/* Drops every outstanding call without calling its handler. Accepts NULL; returns NULL. */
Calls *calls_free(Calls *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Calls *, calls_free);

/* Queues the method call m (a reference is taken) with handler; it is sent on m's own bus. The handler
 * and idle are called from the event loop only, never from inside calls_add(). Returns 0 or a negative
 * errno. */
int calls_add(Calls *c, sd_bus_message *m, CallHandler handler, void *userdata);

/* A new method call message for c's bus. Returns 0 or a negative errno. */
int calls_new_method(Calls *c, sd_bus_message **ret, const char *destination, const char *path,
                     const char *interface, const char *member);

/* Calls that are queued or awaiting a reply. */
size_t calls_pending(const Calls *c) _pure_;
