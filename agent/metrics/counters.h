/* SPDX-License-Identifier: MIT */
#pragma once

/* A service's own counters and gauges, kept by the agent (pandora_counter_add(), pandora_gauge_set())
 * until something publishes them (the metrics issue: sd-bus). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

typedef enum CounterKind {
        COUNTER_COUNTER,        /* only grows: requests, errors */
        COUNTER_GAUGE,          /* a current value: connections, queue length */
        _COUNTER_KIND_MAX,
        _COUNTER_KIND_INVALID = -EINVAL,
} CounterKind;

typedef struct Counter {
        char *name;
        CounterKind kind;
        int64_t count;          /* COUNTER_COUNTER */
        double value;           /* COUNTER_GAUGE */
} Counter;

typedef struct CounterSet {
        Counter *counters;      /* in the order they were first used */
        size_t n_counters;
} CounterSet;

/* Whether name may name a counter: 1 to 64 of [A-Za-z0-9_.-], as in statsd and D-Bus-friendly. */
bool counter_name_is_valid(const char *name) _pure_;

/* Adds delta (>= 0) to counter name, creating it at 0. Returns 0; -EINVAL for a bad name, a negative
 * delta or a name already used by a gauge; -EOVERFLOW when it would pass INT64_MAX; -ENOMEM. */
int counter_set_add(CounterSet *s, const char *name, int64_t delta);

/* Sets gauge name to value, creating it. Returns 0; -EINVAL for a bad name or one used by a counter;
 * -ENOMEM. */
int counter_set_gauge(CounterSet *s, const char *name, double value);

/* Returns the counter or gauge called name, or NULL. */
const Counter *counter_set_find(const CounterSet *s, const char *name) _pure_;

/* Frees every counter and empties s. */
void counter_set_done(CounterSet *s);

const char *counter_kind_to_string(CounterKind k) _pure_;
