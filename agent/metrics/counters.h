/* SPDX-License-Identifier: MIT */
#pragma once

/* A service's own counters and gauges, kept by the agent (pandora_counter_add(), pandora_gauge_set(),
 * statsd lines: app.h) until something publishes them (bus/interfaces.h). A statsd set is a gauge too:
 * one that counts the distinct values it was sent in the current interval, and keeps them to do so. */

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

/* The most distinct values one set counts per interval; more are refused (-E2BIG). */
#define COUNTER_DISTINCT_MAX 65536

/* The values a statsd set was sent in the current interval, as 64-bit hashes: 8 bytes a value whatever
 * its length. Two values whose hashes collide count once (at 65536 values, about one chance in 10^10). */
typedef struct CounterDistinct {
        uint64_t *slots;        /* open addressing, linear probing; 0 is a free slot */
        size_t n_slots;         /* 0 or a power of two */
        size_t n_values;
} CounterDistinct;

typedef struct Counter {
        char *name;
        CounterKind kind;
        int64_t count;          /* COUNTER_COUNTER */
        double value;           /* COUNTER_GAUGE */
        CounterDistinct *distinct;      /* a gauge counting a set's distinct values: them; else NULL */
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

/* Sets gauge name to value, creating it. Returns 0; -EINVAL for a bad name or one used by a counter or
 * a set; -ENOMEM. */
int counter_set_gauge(CounterSet *s, const char *name, double value);

/* Adds value (n bytes, any content) to the set name: a gauge that reads how many distinct values it
 * holds, created at 0. Returns 1 when value is new to it, 0 when it holds it already; -EINVAL for a bad
 * name or one used by a counter or a plain gauge; -E2BIG when it holds COUNTER_DISTINCT_MAX values
 * already; -ENOMEM. */
int counter_set_add_distinct(CounterSet *s, const char *name, const char *value, size_t n);

/* Starts a new interval for every set: each forgets its values (and frees their memory) and reads 0. */
void counter_set_reset_distinct(CounterSet *s);

/* Returns the counter or gauge called name, or NULL. */
const Counter *counter_set_find(const CounterSet *s, const char *name) _pure_;

/* Frees every counter and empties s. */
void counter_set_done(CounterSet *s);

const char *counter_kind_to_string(CounterKind k) _pure_;
