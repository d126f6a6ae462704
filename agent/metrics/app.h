/* SPDX-License-Identifier: MIT */
#pragma once

/* The app's own metrics beyond counters and gauges (counters.h): timings, kept as count, sum, min and
 * max per name, which is what a D-Bus reader can use without a histogram format; and the sink that
 * applies statsd lines (statsd.h) to one service's counters and timings. */

#include <stddef.h>
#include <stdint.h>

#include "agent/metrics/counters.h"
#include "agent/metrics/statsd.h"

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
 * must be >= 0; a gauge is set, or adjusted by a signed value; a timing is recorded round(1 / rate)
 * times. Returns 0, -EINVAL or -EOVERFLOW when the line is refused (a negative count, a name used by
 * another kind), -ENOMEM. */
int metrics_app_apply(const StatsdMetric *m, void *userdata);
