/* SPDX-License-Identifier: MIT */

/* Timings and the statsd sink. Like counters.c, a flat array searched linearly: a service has tens of
 * names, and the order they first appeared in is the order they are listed on the bus. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/metrics/app.h"

const Timing *timing_set_find(const TimingSet *s, const char *name) {
        for (size_t i = 0; i < s->n_timings; i++)
                if (streq(s->timings[i].name, name))
                        return &s->timings[i];
        return NULL;
}

static Timing *timing_get_or_add(TimingSet *s, const char *name) {
        Timing *t = (Timing *) timing_set_find(s, name), *grown;
        char *copy;

        if (t)
                return t;
        copy = strdup(name);
        grown = copy ? realloc(s->timings, sizeof(Timing) * (s->n_timings + 1)) : NULL;
        if (!grown) {
                free(copy);
                return NULL;
        }
        s->timings = grown;
        t = &s->timings[s->n_timings++];
        *t = (Timing) { .name = copy };
        return t;
}

int timing_set_add(TimingSet *s, const char *name, double value, uint64_t weight) {
        Timing *t;

        if (!counter_name_is_valid(name) || !isfinite(value) || value < 0 || weight == 0)
                return -EINVAL;
        t = timing_get_or_add(s, name);
        if (!t)
                return -ENOMEM;
        if (t->count > UINT64_MAX - weight)
                return -EOVERFLOW;
        if (t->count == 0 || value < t->min)
                t->min = value;
        if (t->count == 0 || value > t->max)
                t->max = value;
        t->count += weight;
        t->sum += value * (double) weight;
        return 0;
}

void timing_set_done(TimingSet *s) {
        for (size_t i = 0; i < s->n_timings; i++)
                free(s->timings[i].name);
        s->timings = mfree(s->timings);
        s->n_timings = 0;
}

static int apply_counter(CounterSet *c, const StatsdMetric *m) {
        double scaled = round(m->value / m->sample_rate);

        /* 2^63 as a double: anything at or above it does not fit an int64_t. */
        if (scaled < 0 || scaled >= 9223372036854775808.0)
                return scaled < 0 ? -EINVAL : -EOVERFLOW;
        return counter_set_add(c, m->name, (int64_t) scaled);
}

static int apply_gauge(CounterSet *c, const StatsdMetric *m) {
        const Counter *old = counter_set_find(c, m->name);
        double value = m->value;

        if (m->delta && old && old->kind == COUNTER_GAUGE)
                value += old->value;
        if (!isfinite(value))
                return -EOVERFLOW;
        return counter_set_gauge(c, m->name, value);
}

int metrics_app_apply(const StatsdMetric *m, void *userdata) {
        MetricsAppSink *sink = userdata;
        double weight;

        switch (m->type) {
        case STATSD_COUNTER:
                return apply_counter(sink->counters, m);
        case STATSD_GAUGE:
                return apply_gauge(sink->counters, m);
        case STATSD_TIMING:
                weight = round(1.0 / m->sample_rate);
                if (weight >= 18446744073709551616.0)
                        return -EOVERFLOW;
                return timing_set_add(sink->timings, m->name, m->value, (uint64_t) weight);
        default:
                return -EINVAL;
        }
}
