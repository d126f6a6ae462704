/* SPDX-License-Identifier: MIT */

/* The exposition is written family by family: samples go to their family's own buffer as the reading
 * is walked instance by instance, and the families are joined at the end, each after its HELP and TYPE.
 * Families are looked up by name in a tsearch(3) tree. The built-in indicators' families are made first,
 * in the agent's List() order, so the output follows the indicator table. */

#include <inttypes.h>
#include <math.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/string-util.h"
#include "exporter/names.h"
#include "exporter/render.h"

typedef struct Family {
        char *name;             /* a counter's without _total, an info's without _info */
        PromKind kind;
        char *help;
        double divisor;         /* for built-in indicators: bus value / divisor */
        char *buf;
        size_t size;
        FILE *samples;
        const void *last_owner; /* the service whose own metric was added last: its labels are taken */
} Family;

typedef struct Renderer {
        RenderFormat format;
        Family **families;      /* in the order they are written */
        size_t n_families;
        void *by_name;          /* tsearch tree of Family *, by name */
        void *by_indicator;     /* tsearch tree of IndicatorFamily *, by indicator name */
        int error;
} Renderer;

typedef struct IndicatorFamily {
        const char *indicator;  /* borrowed from the reading */
        Family *family;
} IndicatorFamily;

static const char * const content_types[_RENDER_FORMAT_MAX] = {
        [RENDER_TEXT] = "text/plain; version=0.0.4; charset=utf-8",
        [RENDER_OPENMETRICS] = "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

const char *render_content_type(RenderFormat f) {
        return f >= 0 && f < _RENDER_FORMAT_MAX ? content_types[f] : NULL;
}

void render_double(char out[static 32], double d) {
        if (isnan(d))
                snprintf(out, 32, "NaN");
        else if (isinf(d))
                snprintf(out, 32, "%sInf", d > 0 ? "+" : "-");
        else {
                snprintf(out, 32, "%.15g", d);
                if (strtod(out, NULL) != d)
                        snprintf(out, 32, "%.17g", d);
        }
}

static int compare_family(const void *a, const void *b) {
        return strcmp(((const Family *) a)->name, ((const Family *) b)->name);
}

static int compare_indicator(const void *a, const void *b) {
        return strcmp(((const IndicatorFamily *) a)->indicator, ((const IndicatorFamily *) b)->indicator);
}

static Family *family_free(Family *f) {
        if (!f)
                return NULL;
        if (f->samples)
                fclose(f->samples);
        free(f->buf);
        free(f->name);
        free(f->help);
        free(f);
        return NULL;
}

static void nothing(void *p) {
}

static void renderer_done(Renderer *R) {
        tdestroy(R->by_name, nothing);
        tdestroy(R->by_indicator, free);
        for (size_t i = 0; i < R->n_families; i++)
                family_free(R->families[i]);
        free(R->families);
}

/* The family called name, made with kind and help when it is new; NULL when the name is taken by a
 * family of another kind (or out of memory: R->error). */
static Family *family_get(Renderer *R, const char *name, PromKind kind, const char *help) {
        Family key = { .name = (char *) name }, *f, **grown;
        void *found = tfind(&key, &R->by_name, compare_family);

        if (found)
                return (*(Family **) found)->kind == kind ? *(Family **) found : NULL;
        f = calloc(1, sizeof(Family));
        grown = f ? realloc(R->families, sizeof(Family *) * (R->n_families + 1)) : NULL;
        if (grown)
                R->families = grown;
        if (f)
                *f = (Family) { .name = strdup(name), .kind = kind, .help = strdup(help), .divisor = 1 };
        if (f && f->name && f->help)
                f->samples = open_memstream(&f->buf, &f->size);
        if (!grown || !f->samples || !tsearch(f, &R->by_name, compare_family)) {
                family_free(f);
                R->error = -ENOMEM;
                return NULL;
        }
        R->families[R->n_families++] = f;
        return f;
}

/* The full name of a sample of f: a counter's ends in _total, an info's in _info. */
static const char *sample_suffix(const Family *f) {
        return f->kind == PROM_COUNTER ? "_total" : f->kind == PROM_INFO ? "_info" : "";
}

static void sample(Family *f, const char *suffix, const char *labels, const char *value) {
        if (!f)
                return;
        if (labels[0])
                fprintf(f->samples, "%s%s%s{%s} %s\n", f->name, sample_suffix(f), suffix, labels, value);
        else
                fprintf(f->samples, "%s%s%s %s\n", f->name, sample_suffix(f), suffix, value);
}

static void sample_double(Family *f, const char *suffix, const char *labels, double d) {
        char value[32];

        render_double(value, d);
        sample(f, suffix, labels, value);
}

static void sample_u64(Family *f, const char *labels, uint64_t u) {
        char value[32];

        snprintf(value, sizeof(value), "%" PRIu64, u);
        sample(f, "", labels, value);
}

/* Appends s as a label value, escaped. */
static void append_label(FILE *out, const char *name, const char *s, bool first) {
        fprintf(out, "%s%s=\"", first ? "" : ",", name);
        for (const char *p = s ?: ""; *p; p++)
                if (*p == '\\' || *p == '"')
                        fprintf(out, "\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", out);
                else
                        fputc(*p, out);
        fputc('"', out);
}

/* name="value", escaped. */
static char *label_one(const char *name, const char *value) {
        char *buf = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&buf, &size);

        if (!out)
                return NULL;
        append_label(out, name, value, true);
        if (fclose(out) != 0)
                return mfree(buf);
        return buf;
}

/* "app=...,process=...,instance=..." (+ ",EXTRA=value" when extra is not NULL). */
static char *labels_new(const char *app, const ObserveInstance *i, const char *extra, const char *value) {
        char *buf = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&buf, &size);

        if (!out)
                return NULL;
        append_label(out, "app", app, true);
        append_label(out, "process", i->process, false);
        append_label(out, "instance", i->instance, false);
        if (extra)
                append_label(out, extra, value, false);
        if (fclose(out) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* ---- the families ---- */

static Family *indicator_family(Renderer *R, const char *name, const char *help) {
        IndicatorFamily key = { .indicator = name }, *e;
        _cleanup_(prom_indicator_done) PromIndicator p = {};
        void *found = tfind(&key, &R->by_indicator, compare_indicator);
        Family *f;

        if (found)
                return (*(IndicatorFamily **) found)->family;
        if (prom_indicator(name, help, &p) < 0)
                return NULL;    /* no metric name can be made of it: left out */
        f = family_get(R, p.family, p.kind, p.help);
        if (!f)
                return NULL;
        f->divisor = p.divisor;
        e = malloc(sizeof(IndicatorFamily));
        if (e)
                *e = (IndicatorFamily) { .indicator = name, .family = f };
        if (!e || !tsearch(e, &R->by_indicator, compare_indicator)) {
                free(e);
                R->error = -ENOMEM;
                return NULL;
        }
        return f;
}

static void write_indicators(Renderer *R, const ObserveInstance *i, const char *labels) {
        for (size_t k = 0; k < i->n_indicators; k++) {
                const ObserveIndicator *x = &i->indicators[k];
                Family *f;

                if (!x->present)
                        continue;
                f = indicator_family(R, x->name, NULL);
                if (!f)
                        continue;
                if (x->type == 't' && f->divisor == 1)
                        sample_u64(f, labels, x->u);
                else
                        sample_double(f, "", labels, (x->type == 't' ? (double) x->u : x->d) / f->divisor);
        }
}

/* The family of an app metric: pandora_app_<name> (a counter's without a _total it already has),
 * pandora_app_<name>_seconds for a timing. NULL when its name is taken by another kind. */
static Family *app_family(Renderer *R, const AppMetric *a) {
        _cleanup_free_ char *name = prom_app_name(a->name), *base = NULL, *help = NULL;
        size_t n = name ? strlen(name) : 0, t = strlen("_total");

        if (a->kind == APP_METRIC_COUNTER && n > t && streq(name + n - t, "_total"))
                name[n - t] = '\0';
        if (a->kind == APP_METRIC_COUNTER)
                help = strprintf("App counter '%s' of a service (statsd c, pandora_counter_add())", a->name);
        else if (a->kind == APP_METRIC_GAUGE)
                help = strprintf("App gauge '%s' of a service (statsd g or s, pandora_gauge_set())",
                                 a->name);
        else
                help = strprintf("App timing '%s' of a service, in seconds (statsd ms, h or d)", a->name);
        if (name)
                base = a->kind == APP_METRIC_TIMING ? strprintf("%s_seconds", name) : strdup(name);
        if (!help || !base) {
                R->error = -ENOMEM;
                return NULL;
        }
        return family_get(R, base, a->kind == APP_METRIC_COUNTER ? PROM_COUNTER :
                                   a->kind == APP_METRIC_GAUGE ? PROM_GAUGE : PROM_SUMMARY, help);
}

static void write_app_metric(Renderer *R, const ObserveService *s, const AppMetric *a, const char *labels) {
        Family *f = app_family(R, a);

        /* Two names of one service that sanitise alike: the first one stands. */
        if (!f || f->last_owner == s)
                return;
        f->last_owner = s;
        if (a->kind == APP_METRIC_COUNTER)
                sample_double(f, "", labels, (double) a->count);
        else if (a->kind == APP_METRIC_GAUGE)
                sample_double(f, "", labels, a->value);
        else {
                sample_double(f, "_sum", labels, a->sum / 1000);
                sample_double(f, "_count", labels, (double) a->n);
        }
}

typedef struct ServiceFamilies {
        Family *up, *starts, *failures, *duration;
} ServiceFamilies;

static void write_services(Renderer *R, const ServiceFamilies *sf, const char *app,
                           const ObserveInstance *i) {
        for (size_t k = 0; k < i->n_services && R->error == 0; k++) {
                const ObserveService *s = &i->services[k];
                _cleanup_free_ char *labels = labels_new(app, i, "service", s->name);

                if (!labels) {
                        R->error = -ENOMEM;
                        return;
                }
                sample_u64(sf->up, labels, s->state && streq(s->state, "running"));
                sample_u64(sf->starts, labels, s->starts);
                sample_u64(sf->failures, labels, s->failures);
                if (s->starts > 0)
                        sample_double(sf->duration, "", labels, (double) s->start_duration_usec / 1e6);
                for (size_t m = 0; m < s->n_metrics; m++)
                        write_app_metric(R, s, &s->metrics[m], labels);
        }
}

typedef struct InstanceFamilies {
        Family *up, *state, *restarts, *start_time;
        ServiceFamilies services;
} InstanceFamilies;

static void write_instance(Renderer *R, const InstanceFamilies *fs, const char *app,
                           const ObserveInstance *i) {
        _cleanup_free_ char *labels = labels_new(app, i, NULL, NULL);
        InstanceState state = observe_instance_state(i);

        if (!labels) {
                R->error = -ENOMEM;
                return;
        }
        sample_u64(fs->up, labels, observe_instance_healthy(i));
        for (InstanceState s = 0; s < _INSTANCE_STATE_MAX; s++) {
                _cleanup_free_ char *l = labels_new(app, i, "state", instance_state_to_string(s));

                if (!l) {
                        R->error = -ENOMEM;
                        return;
                }
                sample_u64(fs->state, l, s == state);
        }
        if (i->have_service) {
                sample_u64(fs->restarts, labels, i->n_restarts);
                if (i->start_usec > 0)
                        sample_double(fs->start_time, "", labels, (double) i->start_usec / 1e6);
        }
        if (i->agent <= 0)
                return;
        write_indicators(R, i, labels);
        write_services(R, &fs->services, app, i);
}

static void make_instance_families(Renderer *R, InstanceFamilies *fs) {
        fs->up = family_get(R, "pandora_instance_up", PROM_GAUGE,
                            "Whether systemd runs the instance: 1 when active or reloading, else 0");
        fs->state = family_get(R, "pandora_instance_state", PROM_GAUGE,
                               "The instance's state as pandora-gen --status shows it: 1 for the current "
                               "one");
        fs->restarts = family_get(R, "pandora_instance_restarts", PROM_COUNTER,
                                  "How often systemd restarted the instance's unit (NRestarts)");
        fs->start_time = family_get(R, "pandora_instance_start_time_seconds", PROM_GAUGE,
                                    "When the instance's main process last started, in seconds since the "
                                    "epoch");
}

static void make_service_families(Renderer *R, ServiceFamilies *sf) {
        sf->up = family_get(R, "pandora_instance_service_up", PROM_GAUGE,
                            "Whether a service of the instance (or its entry) is running");
        sf->starts = family_get(R, "pandora_instance_service_starts", PROM_COUNTER,
                                "How often a service of the instance (or its entry) was started");
        sf->failures = family_get(R, "pandora_instance_service_failures", PROM_COUNTER,
                                  "How often a service of the instance (or its entry) failed to start or "
                                  "died");
        sf->duration = family_get(R, "pandora_instance_service_start_duration_seconds", PROM_GAUGE,
                                  "How long the last start of a service of the instance took, in seconds");
}

static void write_exporter(Renderer *R, const RenderExporter *x) {
        _cleanup_free_ char *version = label_one("version", x->version);

        if (!version) {
                R->error = -ENOMEM;
                return;
        }
        sample(family_get(R, "pandora_build", PROM_INFO, "The version of pandora-exporter"), "", version,
               "1");
        sample_double(family_get(R, "pandora_exporter_scrape_duration_seconds", PROM_GAUGE,
                                 "How long reading systemd and every agent took for this scrape, in "
                                 "seconds"),
                      "", "", x->scrape_duration_seconds);
        sample_u64(family_get(R, "pandora_exporter_scrape_errors", PROM_COUNTER,
                              "Calls to systemd or an agent that failed or were not answered in time, "
                              "since the exporter started; the instance's own metrics are left out of "
                              "that scrape"),
                   "", x->scrape_errors_total);
}

static void write_observation(Renderer *R, const Observation *o) {
        InstanceFamilies fs = {};

        make_instance_families(R, &fs);
        for (size_t k = 0; k < o->n_help; k++)
                (void) indicator_family(R, o->help[k].name, o->help[k].help);
        make_service_families(R, &fs.services);
        for (size_t a = 0; a < o->n_apps && R->error == 0; a++)
                for (size_t k = 0; k < o->apps[a].n_instances && R->error == 0; k++)
                        write_instance(R, &fs, o->apps[a].name, &o->apps[a].instances[k]);
}

/* ---- the output ---- */

static void write_help(FILE *out, const char *help, RenderFormat format) {
        for (const char *p = help; *p; p++)
                if (*p == '\\')
                        fputs("\\\\", out);
                else if (*p == '\n')
                        fputs("\\n", out);
                else if (*p == '"' && format == RENDER_OPENMETRICS)
                        fputs("\\\"", out);
                else
                        fputc(*p, out);
}

static void write_family(FILE *out, Family *f, RenderFormat format) {
        const char *suffix = format == RENDER_TEXT ? sample_suffix(f) : "";
        const char *kind = prom_kind_to_string(f->kind);

        /* The text format 0.0.4 has no info; OpenMetrics calls untyped unknown. */
        if (format == RENDER_TEXT && f->kind == PROM_INFO)
                kind = "gauge";
        else if (format == RENDER_OPENMETRICS && f->kind == PROM_UNTYPED)
                kind = "unknown";
        fprintf(out, "# HELP %s%s ", f->name, suffix);
        write_help(out, f->help, format);
        fprintf(out, "\n# TYPE %s%s %s\n", f->name, suffix, kind);
        fwrite(f->buf, 1, f->size, out);
}

int render_metrics(const Observation *o, const RenderExporter *x, RenderFormat f, char **ret,
                   size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        Renderer R = { .format = f };
        size_t size = 0;
        FILE *out;
        int r = 0;

        write_exporter(&R, x);
        if (o && R.error == 0)
                write_observation(&R, o);
        out = R.error == 0 ? open_memstream(&buf, &size) : NULL;
        for (size_t k = 0; out && k < R.n_families; k++) {
                Family *fam = R.families[k];

                if (fflush(fam->samples) != 0 || ferror(fam->samples))
                        r = -ENOMEM;
                else if (fam->size > 0)
                        write_family(out, fam, f);
        }
        if (out && f == RENDER_OPENMETRICS)
                fputs("# EOF\n", out);
        if (out && fclose(out) != 0)
                r = -ENOMEM;
        renderer_done(&R);
        if (R.error < 0 || !out || r < 0)
                return R.error ?: -ENOMEM;
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}
