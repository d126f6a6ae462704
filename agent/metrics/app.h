/* SPDX-License-Identifier: MIT */
#pragma once

/* The app's own metrics beyond counters and gauges (counters.h): timings, kept as count, sum, min and
 * max per name, which is what a D-Bus reader can use without a histogram format; and the sink that
 * applies statsd lines (statsd.h) to one service's counters, gauges, sets and timings.
 *
 * A statsd set counts the distinct values it is sent per interval. It is published as a gauge of the
 * same name reading how many the current interval has had so far; at the start of each interval
 * (metrics_app_tick(), which the agent has the statsd socket call on every multiple of
 * METRICS_APP_SET_INTERVAL_USEC: statsd_socket_set_tick()) every set starts again at 0. */

#include <stddef.h>
#include <stdint.h>

#include "agent/metrics/counters.h"
#include "agent/metrics/statsd.h"

/* A statsd set's interval: the agent's sampling interval. */
#define METRICS_APP_SET_INTERVAL_USEC (10 * 1000000ULL)

typedef struct Timing {
        char *name;
        uint64_t count;
        double sum;             /* milliseconds, like the values */
        double min;
        double max;
} Timing;

typedef struct TimingSet {
        Timing *timings;        /* in the order they were first used */
        size_t n_timings;
} TimingSet;

/* Records weight samples of value (>= 0, finite) under name (counter_name_is_valid()). Returns 0,
 * -EINVAL for a bad name, value or a weight of 0, -EOVERFLOW when the count would pass UINT64_MAX,
 * -ENOMEM. */
int timing_set_add(TimingSet *s, const char *name, double value, uint64_t weight);

/* Returns the timing called name, or NULL. */
const Timing *timing_set_find(const TimingSet *s, const char *name) _pure_;

/* Frees every timing and empties s. */
void timing_set_done(TimingSet *s);

/* Where one service's statsd lines go. */
typedef struct MetricsAppSink {
        CounterSet *counters;
        TimingSet *timings;
} MetricsAppSink;

/* A StatsdHandler (userdata: a MetricsAppSink) applying m: a counter adds round(value / rate), which
 * must be >= 0; a gauge is set, or adjusted by a signed value; a timing (ms, h, d) is recorded
 * round(1 / rate) times; a set's value is added to the set (counter_set_add_distinct()), whatever the
 * rate. Returns 0; -EEXIST when the name is a counter, gauge or set and m another of the three (timings
 * are apart), -ERANGE for a negative count, -EOVERFLOW, -E2BIG for a set that is full, -ENOMEM. */
int metrics_app_apply(const StatsdMetric *m, void *userdata);

/* A StatsdTickHandler (userdata: a MetricsAppSink): a new interval begins, every set of the sink's
 * counters reads 0 again (counter_set_reset_distinct()). now_usec is not needed. */
void metrics_app_tick(void *userdata, uint64_t now_usec);
