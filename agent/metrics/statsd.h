/* SPDX-License-Identifier: MIT */
#pragma once

/* The statsd line protocol, as exec children speak it to $PANDORA_METRICS_SOCKET (statsd-socket.h):
 *
 *     <name>:<value>|<type>[|@<sample rate>][|#<tags>]
 *
 * with type c (counter), g (gauge; a value with an explicit + or - adjusts it), ms or h (timing), several
 * lines per datagram separated by '\n'. DogStatsD tags (|#...) are accepted and ignored, so clients that
 * send them work. Names are what a counter may be called (counters.h: 1 to 64 of [A-Za-z0-9_.-]).
 * Anything else is a malformed line: counted and skipped, never fatal. Pure: no I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

#define STATSD_NAME_MAX 64
/* A line longer than this is malformed: no real metric needs it, and it bounds the copy. */
#define STATSD_LINE_MAX 1024

typedef enum StatsdType {
        STATSD_COUNTER,
        STATSD_GAUGE,
        STATSD_TIMING,
        _STATSD_TYPE_MAX,
        _STATSD_TYPE_INVALID = -EINVAL,
} StatsdType;

typedef struct StatsdMetric {
        char name[STATSD_NAME_MAX + 1];
        StatsdType type;
        double value;           /* finite; a timing is >= 0 (milliseconds) */
        bool delta;             /* a gauge whose value had an explicit sign: add it to the current one */
        double sample_rate;     /* in (0, 1]; 1 when not given. A counter's or timing's line stands for
                                 * 1/sample_rate of them */
} StatsdMetric;

typedef struct StatsdStats {
        uint64_t lines;         /* lines taken */
        uint64_t malformed;     /* lines skipped: malformed, or refused by the handler */
} StatsdStats;

/* Parses one line (n bytes, no newline, not NUL-terminated). Returns 0, or -EBADMSG when malformed. */
int statsd_parse_line(const char *line, size_t n, StatsdMetric *ret);

/* Receives one parsed line. Returns 0 when taken, -ENOMEM to stop (out of memory), any other negative
 * errno when it refuses the line (a name already used by another kind), which counts as malformed. */
typedef int (*StatsdHandler)(const StatsdMetric *m, void *userdata);

/* Parses every line of a datagram of n bytes and hands each good one to handler; empty lines (a
 * trailing newline) are skipped. Adds to *stats (may be NULL). Returns 0, or -ENOMEM from the handler. */
int statsd_parse_datagram(const char *data, size_t n, StatsdHandler handler, void *userdata,
                          StatsdStats *stats);

const char *statsd_type_to_string(StatsdType t) _pure_;
