/* SPDX-License-Identifier: MIT */

/* An instance's agent, as pandora-agent(8) publishes it: one GetManagedObjects() on /io/pandora returns
 * every property of io.pandora.Agent1, io.pandora.Metrics1 (one per built-in indicator, and Absent) and
 * each io.pandora.Service1 (Counters included), so an instance costs one call. Metrics1.List() says what
 * each indicator is. This file only reads replies; read.c sends the calls. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/strv.h"
#include "observe/agent.h"
#include "observe/properties.h"

#define AGENT_INTERFACE "io.pandora.Agent1"
#define METRICS_INTERFACE "io.pandora.Metrics1"
#define SERVICE_INTERFACE "io.pandora.Service1"

/* ---- io.pandora.Agent1 ---- */

static int agent_property(sd_bus_message *m, const char *property, void *userdata) {
        ObserveInstance *i = userdata;

        if (streq(property, "State"))
                return observe_read_variant_string(m, &i->agent_state);
        if (streq(property, "StartedAt"))
                return observe_read_variant(m, 't', &i->agent_started_usec);
        return sd_bus_message_skip(m, "v");
}

/* ---- io.pandora.Metrics1 ---- */

typedef struct MetricsRead {
        ObserveInstance *instance;
        char **absent;
} MetricsRead;

static int append_indicator(ObserveInstance *i, const char *name, char type, sd_bus_message *m) {
        ObserveIndicator *grown, x = { .type = type, .present = true };
        int r;

        if (type == 't')
                r = sd_bus_message_read(m, "v", "t", &x.u);
        else
                r = sd_bus_message_read(m, "v", "d", &x.d);
        if (r < 0)
                return r;
        grown = realloc(i->indicators, sizeof(ObserveIndicator) * (i->n_indicators + 1));
        if (!grown)
                return -ENOMEM;
        i->indicators = grown;
        x.name = strdup(name);
        if (!x.name)
                return -ENOMEM;
        i->indicators[i->n_indicators++] = x;
        return 0;
}

static int metrics_property(sd_bus_message *m, const char *property, void *userdata) {
        MetricsRead *mr = userdata;
        const char *contents;
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        if (streq(property, "Absent") && streq(contents, "as")) {
                r = sd_bus_message_enter_container(m, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_read_strv(m, &mr->absent);
                return r < 0 ? r : sd_bus_message_exit_container(m);
        }
        if (streq(contents, "t") || streq(contents, "d"))
                return append_indicator(mr->instance, property, contents[0], m);
        return sd_bus_message_skip(m, "v");
}

/* Absent names what has no value: never read its UINT64_MAX or NaN as a number. */
static void mark_absent(ObserveInstance *i, char * const *absent) {
        for (size_t k = 0; k < i->n_indicators; k++) {
                ObserveIndicator *x = &i->indicators[k];

                if (strv_find(absent, x->name) || (x->type == 'd' && isnan(x->d)))
                        x->present = false;
        }
}

static int read_metrics(sd_bus_message *m, ObserveInstance *i) {
        _cleanup_strv_free_ char **absent = NULL;
        MetricsRead mr = { .instance = i };
        int r;

        r = observe_for_each_property(m, metrics_property, &mr);
        absent = mr.absent;
        if (r < 0)
                return r;
        mark_absent(i, absent);
        return 0;
}

/* ---- io.pandora.Service1 ---- */

/* Counters (a{sv}) as they are on the bus: counters x, gauges d, timings NAME.count t and .sum, .min,
 * .max d. */
typedef struct RawCounter {
        const char *name;       /* borrowed from the message */
        char type;
        union {
                int64_t x;
                uint64_t t;
                double d;
        };
} RawCounter;

typedef struct RawCounters {
        RawCounter *items;
        size_t n;
} RawCounters;

static int raw_counter(sd_bus_message *m, const char *name, void *userdata) {
        RawCounters *rc = userdata;
        RawCounter c = { .name = name };
        RawCounter *grown;
        const char *contents;
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        if (!streq(contents, "x") && !streq(contents, "t") && !streq(contents, "d"))
                return sd_bus_message_skip(m, "v");
        c.type = contents[0];
        r = sd_bus_message_read(m, "v", contents, &c.x);
        if (r < 0)
                return r;
        grown = realloc(rc->items, sizeof(RawCounter) * (rc->n + 1));
        if (!grown)
                return -ENOMEM;
        rc->items = grown;
        rc->items[rc->n++] = c;
        return 0;
}

/* The entry of rc named base + suffix with type type, or NULL. */
static const RawCounter *raw_find(const RawCounters *rc, const char *base, size_t n, const char *suffix,
                                  char type) {
        for (size_t k = 0; k < rc->n; k++) {
                const char *name = rc->items[k].name;

                if (rc->items[k].type == type && strncmp(name, base, n) == 0 && streq(name + n, suffix))
                        return &rc->items[k];
        }
        return NULL;
}

/* Whether entry k is part of a timing: a d entry NAME.sum/.min/.max whose NAME.count (t) is there too. */
static bool raw_is_timing_part(const RawCounters *rc, const RawCounter *c) {
        const char *dot = strrchr(c->name, '.');

        if (c->type != 'd' || !dot || (!streq(dot, ".sum") && !streq(dot, ".min") && !streq(dot, ".max")))
                return false;
        return raw_find(rc, c->name, dot - c->name, ".count", 't');
}

static int add_app_metric(ObserveService *s, const RawCounters *rc, const RawCounter *c) {
        AppMetric a = {}, *grown;
        size_t n = strlen(c->name);

        if (c->type == 'x')
                a = (AppMetric) { .kind = APP_METRIC_COUNTER, .count = c->x };
        else if (c->type == 'd')
                a = (AppMetric) { .kind = APP_METRIC_GAUGE, .value = c->d };
        else {
                const RawCounter *sum, *min, *max;

                if (n < 6 || !streq(c->name + n - 6, ".count"))
                        return 0;       /* a t entry that is no timing's count: not ours */
                n -= 6;
                sum = raw_find(rc, c->name, n, ".sum", 'd');
                min = raw_find(rc, c->name, n, ".min", 'd');
                max = raw_find(rc, c->name, n, ".max", 'd');
                a = (AppMetric) { .kind = APP_METRIC_TIMING, .n = c->t, .sum = sum ? sum->d : 0,
                                  .min = min ? min->d : NAN, .max = max ? max->d : NAN };
        }
        grown = realloc(s->metrics, sizeof(AppMetric) * (s->n_metrics + 1));
        if (!grown)
                return -ENOMEM;
        s->metrics = grown;
        a.name = strndup(c->name, n);
        if (!a.name)
                return -ENOMEM;
        s->metrics[s->n_metrics++] = a;
        return 0;
}

static int read_counters(sd_bus_message *m, ObserveService *s) {
        _cleanup_free_ RawCounter *items = NULL;
        RawCounters rc = {};
        const char *contents;
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        if (!streq(contents, "a{sv}")) {
                r = sd_bus_message_skip(m, "v");
                return r < 0 ? r : -EBADMSG;
        }
        r = sd_bus_message_enter_container(m, 'v', "a{sv}");
        if (r < 0)
                return r;
        r = observe_for_each_property(m, raw_counter, &rc);
        items = rc.items;
        if (r < 0)
                return r;
        for (size_t k = 0; k < rc.n; k++) {
                if (raw_is_timing_part(&rc, &rc.items[k]))
                        continue;
                r = add_app_metric(s, &rc, &rc.items[k]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

static int service_property(sd_bus_message *m, const char *property, void *userdata) {
        ObserveService *s = userdata;

        if (streq(property, "Name"))
                return observe_read_variant_string(m, &s->name);
        if (streq(property, "Kind"))
                return observe_read_variant_string(m, &s->kind);
        if (streq(property, "State"))
                return observe_read_variant_string(m, &s->state);
        if (streq(property, "Starts"))
                return observe_read_variant(m, 't', &s->starts);
        if (streq(property, "Failures"))
                return observe_read_variant(m, 't', &s->failures);
        if (streq(property, "StartDurationUSec"))
                return observe_read_variant(m, 't', &s->start_duration_usec);
        if (streq(property, "Counters"))
                return read_counters(m, s);
        return sd_bus_message_skip(m, "v");
}

static int read_service(sd_bus_message *m, ObserveInstance *i) {
        ObserveService *grown, *s;
        int r;

        grown = realloc(i->services, sizeof(ObserveService) * (i->n_services + 1));
        if (!grown)
                return -ENOMEM;
        i->services = grown;
        s = &i->services[i->n_services++];
        *s = (ObserveService) {};
        r = observe_for_each_property(m, service_property, s);
        if (r < 0)
                return r;
        if (!s->name)
                return -EBADMSG;
        return 0;
}

/* ---- the reply ---- */

static int read_interface(sd_bus_message *m, ObserveInstance *i) {
        const char *interface;
        int r;

        r = sd_bus_message_read(m, "s", &interface);
        if (r < 0)
                return r;
        if (streq(interface, AGENT_INTERFACE))
                return observe_for_each_property(m, agent_property, i);
        if (streq(interface, METRICS_INTERFACE))
                return read_metrics(m, i);
        if (streq(interface, SERVICE_INTERFACE))
                return read_service(m, i);
        return sd_bus_message_skip(m, "a{sv}");
}

static int read_object(sd_bus_message *m, ObserveInstance *i) {
        int r;

        r = sd_bus_message_skip(m, "o");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                r = read_interface(m, i);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int observe_agent_read_objects(sd_bus_message *reply, ObserveInstance *i) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                r = read_object(reply, i);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        return r < 0 ? r : 0;
}

static int append_help(Observation *o, const char *name, const char *type, const char *help) {
        ObserveIndicatorHelp *grown, h = { .type = type[0] };

        grown = realloc(o->help, sizeof(ObserveIndicatorHelp) * (o->n_help + 1));
        if (!grown)
                return -ENOMEM;
        o->help = grown;
        h.name = strdup(name);
        h.help = strdup(help);
        if (!h.name || !h.help) {
                free(h.name);
                free(h.help);
                return -ENOMEM;
        }
        o->help[o->n_help++] = h;
        return 0;
}

int observe_agent_read_list(sd_bus_message *reply, Observation *o) {
        const char *name, *type, *help;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sss)", &name, &type, &help)) > 0) {
                r = append_help(o, name, type, help);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        return r < 0 ? r : 0;
}
