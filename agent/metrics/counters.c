/* SPDX-License-Identifier: MIT */

/* Counters are few per service (tens), so a flat array searched linearly is enough, and keeps the
 * order they first appeared in for whoever lists them. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/metrics/counters.h"

#define COUNTER_NAME_MAX 64

bool counter_name_is_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > COUNTER_NAME_MAX)
                return false;
        return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

const Counter *counter_set_find(const CounterSet *s, const char *name) {
        for (size_t i = 0; i < s->n_counters; i++)
                if (streq(s->counters[i].name, name))
                        return &s->counters[i];
        return NULL;
}

/* Returns the counter called name, made with kind if new, or NULL with *error set. */
static Counter *get_or_add(CounterSet *s, const char *name, CounterKind kind, int *error) {
        Counter *c = (Counter *) counter_set_find(s, name), *grown;
        char *copy;

        if (c) {
                *error = c->kind == kind ? 0 : -EINVAL;
                return c->kind == kind ? c : NULL;
        }
        copy = strdup(name);
        grown = copy ? realloc(s->counters, sizeof(Counter) * (s->n_counters + 1)) : NULL;
        if (!grown) {
                free(copy);
                *error = -ENOMEM;
                return NULL;
        }
        s->counters = grown;
        c = &s->counters[s->n_counters++];
        *c = (Counter) { .name = copy, .kind = kind };
        return c;
}

int counter_set_add(CounterSet *s, const char *name, int64_t delta) {
        Counter *c;
        int r = 0;

        if (!counter_name_is_valid(name) || delta < 0)
                return -EINVAL;
        c = get_or_add(s, name, COUNTER_COUNTER, &r);
        if (!c)
                return r;
        if (c->count > INT64_MAX - delta)
                return -EOVERFLOW;
        c->count += delta;
        return 0;
}

int counter_set_gauge(CounterSet *s, const char *name, double value) {
        Counter *c;
        int r = 0;

        if (!counter_name_is_valid(name))
                return -EINVAL;
        c = get_or_add(s, name, COUNTER_GAUGE, &r);
        if (!c)
                return r;
        c->value = value;
        return 0;
}

void counter_set_done(CounterSet *s) {
        for (size_t i = 0; i < s->n_counters; i++)
                free(s->counters[i].name);
        s->counters = mfree(s->counters);
        s->n_counters = 0;
}

static const char * const counter_kind_table[_COUNTER_KIND_MAX] = {
        [COUNTER_COUNTER] = "counter",
        [COUNTER_GAUGE] = "gauge",
};

const char *counter_kind_to_string(CounterKind k) {
        return k >= 0 && k < _COUNTER_KIND_MAX ? counter_kind_table[k] : NULL;
}
