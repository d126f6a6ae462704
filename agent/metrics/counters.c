/* SPDX-License-Identifier: MIT */

/* Counters are few per service (tens), so a flat array searched linearly is enough, and keeps the
 * order they first appeared in for whoever lists them. A set's values are another matter (a set of user
 * ids may see thousands an interval), so each set has a hash table of its values' hashes. */

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
        if (c->distinct)
                return -EINVAL;
        c->value = value;
        return 0;
}

/* FNV-1a, then a finaliser (splitmix64's) that spreads it over the low bits the table indexes by. The
 * senders are the service's own children (the socket is private to the unit), so no keyed hash is
 * needed against crafted collisions: they could only slow down their own service's metrics. */
static uint64_t value_hash(const char *value, size_t n) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) value[i]) * 0x100000001b3ULL;
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
        h ^= h >> 31;
        return h ?: 1;          /* 0 marks a free slot */
}

/* The slot of hash in slots (n_slots a power of two, never full): where it is, or the free one it
 * goes to. */
static uint64_t *slot_of(uint64_t *slots, size_t n_slots, uint64_t hash) {
        size_t i = hash & (n_slots - 1);

        while (slots[i] != 0 && slots[i] != hash)
                i = (i + 1) & (n_slots - 1);
        return &slots[i];
}

/* Doubles the table (16 slots at first), keeping it at most half full. */
static int distinct_grow(CounterDistinct *d) {
        size_t n = d->n_slots ? d->n_slots * 2 : 16;
        uint64_t *slots = calloc(n, sizeof(uint64_t));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_slots; i++)
                if (d->slots[i] != 0)
                        *slot_of(slots, n, d->slots[i]) = d->slots[i];
        free(d->slots);
        d->slots = slots;
        d->n_slots = n;
        return 0;
}

/* Adds hash to d. Returns 1 when new, 0 when there already, -E2BIG, -ENOMEM. */
static int distinct_add(CounterDistinct *d, uint64_t hash) {
        int r;

        if (d->n_slots > 0 && *slot_of(d->slots, d->n_slots, hash) == hash)
                return 0;
        if (d->n_values >= COUNTER_DISTINCT_MAX)
                return -E2BIG;
        if (2 * (d->n_values + 1) > d->n_slots) {
                r = distinct_grow(d);
                if (r < 0)
                        return r;
        }
        *slot_of(d->slots, d->n_slots, hash) = hash;
        d->n_values++;
        return 1;
}

int counter_set_add_distinct(CounterSet *s, const char *name, const char *value, size_t n) {
        Counter *c = (Counter *) counter_set_find(s, name);
        int r = 0;

        if (!counter_name_is_valid(name) || (c && !c->distinct))
                return -EINVAL;
        if (!c) {
                /* Made first, so that a set never exists without its values. */
                _cleanup_free_ CounterDistinct *d = calloc(1, sizeof(CounterDistinct));

                if (!d)
                        return -ENOMEM;
                c = get_or_add(s, name, COUNTER_GAUGE, &r);
                if (!c)
                        return r;
                c->distinct = TAKE_PTR(d);
        }
        r = distinct_add(c->distinct, value_hash(value, n));
        c->value = (double) c->distinct->n_values;
        return r;
}

static void distinct_clear(CounterDistinct *d) {
        /* Freed rather than zeroed: a burst of values should not hold memory for good. */
        d->slots = mfree(d->slots);
        d->n_slots = d->n_values = 0;
}

void counter_set_reset_distinct(CounterSet *s) {
        for (size_t i = 0; i < s->n_counters; i++) {
                Counter *c = &s->counters[i];

                if (!c->distinct)
                        continue;
                distinct_clear(c->distinct);
                c->value = 0;
        }
}

void counter_set_done(CounterSet *s) {
        for (size_t i = 0; i < s->n_counters; i++) {
                Counter *c = &s->counters[i];

                if (c->distinct) {
                        distinct_clear(c->distinct);
                        free(c->distinct);
                }
                free(c->name);
        }
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
