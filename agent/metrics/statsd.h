/* SPDX-License-Identifier: MIT */
#pragma once

/* The statsd line protocol, as exec children speak it to $PANDORA_METRICS_SOCKET (statsd-socket.h):
 *
 *     <name>:<value>|<type>[|@<sample rate>][|#<tags>]
 *
 * with type c (counter), g (gauge; a value with an explicit + or - adjusts it), ms, h or d (timing; d is
 * DogStatsD's distribution), s (set: the value is any text, and what counts is how many distinct ones
 * arrive per interval, app.h), several lines per datagram separated by '\n'. DogStatsD's other fields
 * (|#tags, |c:<container>, |T<timestamp>, |card:...) are accepted and ignored, so clients that send them
 * work. Names are sanitised as statsd's own server does (statsd_name_sanitize()) and must then be what a
 * counter may be called (counters.h: 1 to 64 of [A-Za-z0-9_.-]). Anything else is a malformed line:
 * counted, skipped and reported with a reason, never fatal. Pure: no I/O. */

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
        STATSD_SET,
        _STATSD_TYPE_MAX,
        _STATSD_TYPE_INVALID = -EINVAL,
} StatsdType;

typedef struct StatsdMetric {
        char name[STATSD_NAME_MAX + 1];         /* sanitised */
        StatsdType type;
        double value;           /* finite; a timing is >= 0 (milliseconds); 0 for a set */
        bool delta;             /* a gauge whose value had an explicit sign: add it to the current one */
        double sample_rate;     /* in (0, 1]; 1 when not given. A counter's or timing's line stands for
                                 * 1/sample_rate of them; a set ignores it */
        char member[STATSD_LINE_MAX + 1];       /* a set's value, as sent (not empty); "" otherwise */
} StatsdMetric;

typedef struct StatsdStats {
        uint64_t lines;         /* lines taken */
        uint64_t malformed;     /* lines skipped: malformed, or refused by the handler */
} StatsdStats;

/* Sanitises a metric name of n bytes as statsd's server does (stats.js, sanitizeKeyName()): every run of
 * whitespace becomes one '_', '/' becomes '-', and every other character outside [A-Za-z0-9_.-] is
 * dropped ("GET /api users" → "GET_-api_users"). Whitespace is ASCII's (space, \t, \v, \f, \r); bytes of
 * other UTF-8 characters are dropped. Returns 0 with the name in ret; -EBADMSG when nothing is left,
 * -ENAMETOOLONG when the result is longer than STATSD_NAME_MAX. */
int statsd_name_sanitize(const char *s, size_t n, char ret[static STATSD_NAME_MAX + 1]);

/* Parses one line (n bytes, no newline, not NUL-terminated). Returns 0, or -EBADMSG when malformed;
 * then *reason (when reason is not NULL) says why, as a static string. */
int statsd_parse_line(const char *line, size_t n, StatsdMetric *ret, const char **reason);

/* Receives one parsed line. Returns 0 when taken, -ENOMEM to stop (out of memory), any other negative
 * errno when it refuses the line, which counts as malformed. The errnos the report names
 * (statsd_refusal_to_string()): -EEXIST the name belongs to a metric of another kind, -ERANGE a counter
 * would go down, -EOVERFLOW the value is out of range, -E2BIG a set holds too many values. */
typedef int (*StatsdHandler)(const StatsdMetric *m, void *userdata);

/* Receives each line that was not taken: its bytes as received (n of them, no newline, not
 * NUL-terminated, possibly binary) and why, a static string. */
typedef void (*StatsdRejectHandler)(const char *line, size_t n, const char *reason, void *userdata);

/* Parses every line of a datagram of n bytes and hands each good one to handler; empty lines (a
 * trailing newline) are skipped. Each malformed or refused line goes to reject (may be NULL). Adds to
 * *stats (may be NULL). Returns 0, or -ENOMEM from the handler, which stops at that line. */
int statsd_parse_datagram_full(const char *data, size_t n, StatsdHandler handler, void *userdata,
                               StatsdRejectHandler reject, void *reject_userdata, StatsdStats *stats);

/* The same without reports. */
int statsd_parse_datagram(const char *data, size_t n, StatsdHandler handler, void *userdata,
                          StatsdStats *stats);

/* Why a handler refused a line, from its negative errno: the four above in statsd's words, others as
 * strerror() says. */
const char *statsd_refusal_to_string(int error);

const char *statsd_type_to_string(StatsdType t) _pure_;
