/* SPDX-License-Identifier: MIT */

/* Timings and the statsd sink. Like counters.c, a flat array searched linearly: a service has tens of
 * names, and the order they first appeared in is the order they are listed on the bus. The sink checks
 * kinds itself, so that a line naming a metric of another kind is refused as such (-EEXIST), whichever
 * the two kinds are. */

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

/* Whether the counter, gauge or set called name is not of kind. */
static bool name_is_other_kind(const CounterSet *s, const char *name, StatsdType kind) {
        const Counter *c = counter_set_find(s, name);

        if (!c)
                return false;
        switch (kind) {
        case STATSD_COUNTER:
                return c->kind != COUNTER_COUNTER;
        case STATSD_GAUGE:
                return c->kind != COUNTER_GAUGE || c->distinct;
        case STATSD_SET:
                return !c->distinct;
        default:
                return false;
        }
}

static int apply_counter(CounterSet *c, const StatsdMetric *m) {
        double scaled = round(m->value / m->sample_rate);

        if (scaled < 0)
                return -ERANGE;
        /* 2^63 as a double: anything at or above it does not fit an int64_t. */
        if (scaled >= 9223372036854775808.0)
                return -EOVERFLOW;
        return counter_set_add(c, m->name, (int64_t) scaled);
}

static int apply_gauge(CounterSet *c, const StatsdMetric *m) {
        const Counter *old = counter_set_find(c, m->name);
        double value = m->value;

        if (m->delta && old)
                value += old->value;
        if (!isfinite(value))
                return -EOVERFLOW;
        return counter_set_gauge(c, m->name, value);
}

static int apply_timing(TimingSet *t, const StatsdMetric *m) {
        double weight = round(1.0 / m->sample_rate);

        if (weight >= 18446744073709551616.0)
                return -EOVERFLOW;
        return timing_set_add(t, m->name, m->value, (uint64_t) weight);
}

int metrics_app_apply(const StatsdMetric *m, void *userdata) {
        MetricsAppSink *sink = userdata;
        int r;

        if (name_is_other_kind(sink->counters, m->name, m->type))
                return -EEXIST;
        switch (m->type) {
        case STATSD_COUNTER:
                return apply_counter(sink->counters, m);
        case STATSD_GAUGE:
                return apply_gauge(sink->counters, m);
        case STATSD_TIMING:
                return apply_timing(sink->timings, m);
        case STATSD_SET:
                r = counter_set_add_distinct(sink->counters, m->name, m->member, strlen(m->member));
                return r < 0 ? r : 0;
        default:
                return -EINVAL;
        }
}

void metrics_app_tick(void *userdata, uint64_t now_usec) {
        MetricsAppSink *sink = userdata;

        counter_set_reset_distinct(sink->counters);
}
