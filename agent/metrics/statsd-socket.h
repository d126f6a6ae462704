/* SPDX-License-Identifier: MIT */
#pragma once

/* The Unix datagram socket exec children send statsd lines to (statsd.h), one per service so that
 * what arrives is counted under that service. Its path goes into the child's $PANDORA_METRICS_SOCKET;
 * existing statsd clients (hot-shots for Node: protocol "unix_dgram") work unchanged. */

#include <systemd/sd-event.h>

#include "agent/metrics/statsd.h"

typedef struct StatsdSocket StatsdSocket;

/* The socket path for service under the unit's runtime directory: "<dir>/metrics-<service>.sock", where
 * dir is the first entry of runtime_directory ($RUNTIME_DIRECTORY, which systemd sets to a
 * colon-separated list). Newly allocated in *ret. -ENXIO when runtime_directory is NULL or empty,
 * -ENAMETOOLONG when the path would not fit a sockaddr_un, -ENOMEM. */
int statsd_socket_path(const char *runtime_directory, const char *service, char **ret);

/* Binds a datagram socket at path (a stale socket file there is replaced) and reads it on e: every
 * datagram is parsed with statsd_parse_datagram(), each good line goes to handler, and the line and
 * malformed counts are added to *stats (may be NULL; must outlive the socket). Returns 0 and the socket
 * in *ret; -ENAMETOOLONG, or the errno of socket()/bind()/sd_event_add_io(). */
int statsd_socket_new(sd_event *e, const char *path, StatsdHandler handler, void *userdata,
                      StatsdStats *stats, StatsdSocket **ret);

/* Stops reading, closes the socket and removes its file. Accepts NULL; returns NULL. */
StatsdSocket *statsd_socket_free(StatsdSocket *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(StatsdSocket *, statsd_socket_free);

const char *statsd_socket_get_path(const StatsdSocket *s) _pure_;
