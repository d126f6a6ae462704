/* SPDX-License-Identifier: MIT */
#pragma once

/* The Unix datagram socket exec children send statsd lines to (statsd.h), one per service so that
 * what arrives is counted under that service. Its path goes into the child's $PANDORA_METRICS_SOCKET;
 * existing statsd clients (hot-shots for Node: protocol "uds") work unchanged.
 *
 * The socket never logs: malformed lines are counted, and handed to a report handler the agent sets
 * (statsd_socket_set_report()), at most one a second per socket. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "agent/metrics/statsd.h"

typedef struct StatsdSocket StatsdSocket;

/* How often a socket reports a malformed line at most. */
#define STATSD_REPORT_INTERVAL_USEC 1000000ULL
/* How much of a malformed line a report shows, in bytes of the line. */
#define STATSD_REPORT_LINE_MAX 80

/* One report of a malformed line. */
typedef struct StatsdReport {
        /* The line, printable: bytes outside ASCII's printable range and '\' as \xNN (\\), cut after
         * STATSD_REPORT_LINE_MAX bytes of the line; NUL-terminated. */
        const char *line;
        bool truncated;         /* the line was longer than what line shows */
        const char *reason;     /* why it was not taken: "unknown type (known: c, g, ms, h, d, s)" */
        /* How many other malformed lines came since the previous report and are shown by none: they
         * came within STATSD_REPORT_INTERVAL_USEC of it and were held back. (A report made by the timer
         * that ends such an interval shows the latest held line, which is not counted here.) */
        uint64_t suppressed;
} StatsdReport;

/* Receives a report; s is the socket it is about (statsd_socket_get_path()). Must not free s. */
typedef void (*StatsdReportHandler)(StatsdSocket *s, const StatsdReport *report, void *userdata);

/* Called at the start of each interval with the handler's userdata (statsd_socket_new()) and the time
 * on CLOCK_MONOTONIC in µs: what the handler aggregates per interval (statsd sets) starts afresh even
 * when no line arrives. metrics_app_tick() (app.h) is one. */
typedef void (*StatsdTickHandler)(void *userdata, uint64_t now_usec);

/* The socket path for service under the unit's runtime directory: "<dir>/metrics-<service>.sock", where
 * dir is the first entry of runtime_directory ($RUNTIME_DIRECTORY, which systemd sets to a
 * colon-separated list). Newly allocated in *ret. -ENXIO when runtime_directory is NULL or empty,
 * -ENAMETOOLONG when the path would not fit a sockaddr_un, -ENOMEM. */
int statsd_socket_path(const char *runtime_directory, const char *service, char **ret);

/* Binds a datagram socket at path (a stale socket file there is replaced) and reads it on e: every
 * datagram is parsed (statsd_parse_datagram_full()), each good line goes to handler, and the line and
 * malformed counts are added to *stats (may be NULL; must outlive the socket). Returns 0 and the socket
 * in *ret; -ENAMETOOLONG, or the errno of socket()/bind()/sd_event_add_io(). */
int statsd_socket_new(sd_event *e, const char *path, StatsdHandler handler, void *userdata,
                      StatsdStats *stats, StatsdSocket **ret);

/* From now on hands malformed and refused lines to report (NULL: none), rate-limited: the first one
 * after a quiet STATSD_REPORT_INTERVAL_USEC at once; those within that time of a report are counted,
 * and one STATSD_REPORT_INTERVAL_USEC after the report the latest of them is reported with that count.
 * So a socket reports at most once per interval, and nothing is left unsaid. */
void statsd_socket_set_report(StatsdSocket *s, StatsdReportHandler report, void *userdata);

/* From now on calls tick at every multiple of interval_usec (> 0) on CLOCK_MONOTONIC; tick NULL stops
 * it. Returns 0, -EINVAL for an interval of 0, or the errno of sd_event_add_time(). */
int statsd_socket_set_tick(StatsdSocket *s, uint64_t interval_usec, StatsdTickHandler tick);

/* Stops reading, closes the socket and removes its file. Accepts NULL; returns NULL. */
StatsdSocket *statsd_socket_free(StatsdSocket *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(StatsdSocket *, statsd_socket_free);

const char *statsd_socket_get_path(const StatsdSocket *s) _pure_;

/* Formats n bytes of line for a report into buf as StatsdReport.line says. Returns whether it was cut. */
bool statsd_report_format_line(const char *line, size_t n, char buf[static STATSD_REPORT_LINE_MAX * 4 + 1]);
