/* SPDX-License-Identifier: MIT */

/* libFuzzer target for the statsd parser (statsd.c) and the sink it feeds (metrics/app.c): any datagram
 * must parse without a crash, a leak or undefined behaviour, and every line must be counted once. */

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/metrics/app.h"
#include "agent/metrics/statsd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        CounterSet counters = {};
        TimingSet timings = {};
        MetricsAppSink sink = { .counters = &counters, .timings = &timings };
        StatsdStats stats = {};
        size_t segments = 1;

        for (size_t i = 0; i < size; i++)
                segments += data[i] == '\n';
        if (statsd_parse_datagram((const char *) data, size, metrics_app_apply, &sink, &stats) == 0)
                /* Each line is counted once at most: taken or malformed. */
                assert(stats.lines + stats.malformed <= segments);
        counter_set_done(&counters);
        timing_set_done(&timings);
        return 0;
}
