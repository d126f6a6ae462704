/* SPDX-License-Identifier: MIT */

/* The exposition of a reading made by hand: the text format 0.0.4 and OpenMetrics, byte for byte for a
 * small app (a running instance with indicators, services and app metrics, a failed one with none),
 * and the rules: absent indicators left out, a name taken by another kind or sanitised alike left out,
 * label values and help escaped, one family per name with HELP and TYPE first. */

#include <math.h>
#include <sys/wait.h>

#include "test-util.h"

#include "exporter/render.h"

static ObserveIndicator indicator_u(const char *name, uint64_t u, bool present) {
        ObserveIndicator x = { .name = strdup(name), .type = 't', .present = present, .u = u };

        assert_non_null(x.name);
        return x;
}

static ObserveIndicator indicator_d(const char *name, double d) {
        ObserveIndicator x = { .name = strdup(name), .type = 'd', .present = true, .d = d };

        assert_non_null(x.name);
        return x;
}

static AppMetric app_metric(const char *name, AppMetricKind kind, double value) {
        AppMetric a = { .name = strdup(name), .kind = kind };

        assert_non_null(a.name);
        if (kind == APP_METRIC_COUNTER)
                a.count = (int64_t) value;
        else if (kind == APP_METRIC_GAUGE)
                a.value = value;
        else
                a = (AppMetric) { .name = a.name, .kind = kind, .n = 2, .sum = value, .min = 10, .max = 20 };
        return a;
}

static void set_unit(ObserveUnit *u, const char *name, const char *active, const char *sub) {
        *u = (ObserveUnit) { .name = strdup(name), .load_state = strdup("loaded"),
                             .active_state = strdup(active), .sub_state = strdup(sub) };
}

static void add_help(Observation *o, const char *name, char type, const char *help) {
        o->help = realloc(o->help, sizeof(ObserveIndicatorHelp) * (o->n_help + 1));
        assert_non_null(o->help);
        o->help[o->n_help++] = (ObserveIndicatorHelp) { .name = strdup(name), .type = type,
                                                        .help = strdup(help) };
}

/* App shop: web@1 running with an agent that answered, web@2 failed (exit status 1). */
static Observation *shop(void) {
        Observation *o = calloc(1, sizeof(Observation));
        ObserveInstance *i;
        ObserveService *s;

        assert_non_null(o);
        add_help(o, "UptimeUSec", 't', "Time since the agent started, in µs");
        add_help(o, "CPUUserSeconds", 'd', "CPU time in user mode, in seconds");
        add_help(o, "Threads", 't', "Threads of the agent process");
        o->apps = calloc(1, sizeof(ObserveApp));
        o->n_apps = 1;
        o->apps[0].name = strdup("shop");
        set_unit(&o->apps[0].target, "shop.target", "active", "active");
        o->apps[0].instances = calloc(2, sizeof(ObserveInstance));
        o->apps[0].n_instances = 2;

        i = &o->apps[0].instances[0];
        set_unit(&i->unit, "shop-web@1.service", "active", "running");
        i->process = strdup("web");
        i->instance = strdup("1");
        *i = (ObserveInstance) { .unit = i->unit, .process = i->process, .instance = i->instance,
                                 .have_service = true, .main_pid = 42, .n_restarts = 2,
                                 .start_usec = UINT64_C(1700000000500000), .agent = 1 };
        i->indicators = calloc(3, sizeof(ObserveIndicator));
        i->indicators[0] = indicator_u("UptimeUSec", 1500000, true);
        i->indicators[1] = indicator_d("CPUUserSeconds", 0.25);
        i->indicators[2] = indicator_u("Threads", UINT64_MAX, false);
        i->n_indicators = 3;
        i->services = calloc(2, sizeof(ObserveService));
        i->n_services = 2;
        s = &i->services[0];
        *s = (ObserveService) { .name = strdup("cache"), .kind = strdup("exec"), .state = strdup("running"),
                                .starts = 1, .start_duration_usec = 2500 };
        s->metrics = calloc(4, sizeof(AppMetric));
        s->metrics[0] = app_metric("requests", APP_METRIC_COUNTER, 7);
        s->metrics[1] = app_metric("queue.depth", APP_METRIC_GAUGE, 2.5);
        s->metrics[2] = app_metric("db", APP_METRIC_TIMING, 30);
        s->metrics[3] = app_metric("requests_total", APP_METRIC_COUNTER, 1);   /* same family: left out */
        s->n_metrics = 4;
        s = &i->services[1];
        *s = (ObserveService) { .name = strdup("entry"), .kind = strdup("entry"),
                                .state = strdup("starting") };

        i = &o->apps[0].instances[1];
        set_unit(&i->unit, "shop-web@2.service", "failed", "failed");
        i->process = strdup("web");
        i->instance = strdup("2");
        i->have_service = true;
        i->n_restarts = 5;
        i->result = strdup("exit-code");
        i->exit_code = CLD_EXITED;
        i->exit_status = 1;
        return o;
}

static char *render(const Observation *o, RenderFormat f) {
        RenderExporter x = { .version = "0.1.0", .scrape_duration_seconds = 0.0125,
                             .scrape_errors_total = 3 };
        char *text = NULL;
        size_t n = 0;

        assert_int_equal(render_metrics(o, &x, f, &text, &n), 0);
        assert_int_equal(strlen(text), n);
        return text;
}

static const char text_expected[] =
        "# HELP pandora_build_info The version of pandora-exporter\n"
        "# TYPE pandora_build_info gauge\n"
        "pandora_build_info{version=\"0.1.0\"} 1\n"
        "# HELP pandora_exporter_scrape_duration_seconds How long reading systemd and every agent took for "
        "this scrape, in seconds\n"
        "# TYPE pandora_exporter_scrape_duration_seconds gauge\n"
        "pandora_exporter_scrape_duration_seconds 0.0125\n"
        "# HELP pandora_exporter_scrape_errors_total Calls to systemd or an agent that failed or were not "
        "answered in time, since the exporter started; the instance's own metrics are left out of that "
        "scrape\n"
        "# TYPE pandora_exporter_scrape_errors_total counter\n"
        "pandora_exporter_scrape_errors_total 3\n"
        "# HELP pandora_instance_up Whether systemd runs the instance: 1 when active or reloading, else 0\n"
        "# TYPE pandora_instance_up gauge\n"
        "pandora_instance_up{app=\"shop\",process=\"web\",instance=\"1\"} 1\n"
        "pandora_instance_up{app=\"shop\",process=\"web\",instance=\"2\"} 0\n"
        "# HELP pandora_instance_state The instance's state as pandora-gen --status shows it: 1 for the "
        "current one\n"
        "# TYPE pandora_instance_state gauge\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"1\",state=\"running\"} 1\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"1\",state=\"reloading\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"1\",state=\"starting\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"1\",state=\"restarting\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"1\",state=\"stopping\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"1\",state=\"failed\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"1\",state=\"stopped\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"2\",state=\"running\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"2\",state=\"reloading\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"2\",state=\"starting\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"2\",state=\"restarting\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"2\",state=\"stopping\"} 0\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"2\",state=\"failed\"} 1\n"
        "pandora_instance_state{app=\"shop\",process=\"web\",instance=\"2\",state=\"stopped\"} 0\n"
        "# HELP pandora_instance_restarts_total How often systemd restarted the instance's unit "
        "(NRestarts)\n"
        "# TYPE pandora_instance_restarts_total counter\n"
        "pandora_instance_restarts_total{app=\"shop\",process=\"web\",instance=\"1\"} 2\n"
        "pandora_instance_restarts_total{app=\"shop\",process=\"web\",instance=\"2\"} 5\n"
        "# HELP pandora_instance_start_time_seconds When the instance's main process last started, in "
        "seconds "
        "since the epoch\n"
        "# TYPE pandora_instance_start_time_seconds gauge\n"
        "pandora_instance_start_time_seconds{app=\"shop\",process=\"web\",instance=\"1\"} 1700000000.5\n"
        "# HELP pandora_uptime_seconds Time since the agent started, in seconds\n"
        "# TYPE pandora_uptime_seconds gauge\n"
        "pandora_uptime_seconds{app=\"shop\",process=\"web\",instance=\"1\"} 1.5\n"
        "# HELP pandora_cpu_user_seconds_total CPU time in user mode, in seconds\n"
        "# TYPE pandora_cpu_user_seconds_total counter\n"
        "pandora_cpu_user_seconds_total{app=\"shop\",process=\"web\",instance=\"1\"} 0.25\n"
        "# HELP pandora_instance_service_up Whether a service of the instance (or its entry) is running\n"
        "# TYPE pandora_instance_service_up gauge\n"
        "pandora_instance_service_up{app=\"shop\",process=\"web\",instance=\"1\",service=\"cache\"} 1\n"
        "pandora_instance_service_up{app=\"shop\",process=\"web\",instance=\"1\",service=\"entry\"} 0\n"
        "# HELP pandora_instance_service_starts_total How often a service of the instance (or its entry) "
        "was "
        "started\n"
        "# TYPE pandora_instance_service_starts_total counter\n"
        "pandora_instance_service_starts_total{app=\"shop\",process=\"web\",instance=\"1\","
        "service=\"cache\"} 1\n"
        "pandora_instance_service_starts_total{app=\"shop\",process=\"web\",instance=\"1\","
        "service=\"entry\"} 0\n"
        "# HELP pandora_instance_service_failures_total How often a service of the instance (or its entry) "
        "failed to start or died\n"
        "# TYPE pandora_instance_service_failures_total counter\n"
        "pandora_instance_service_failures_total{app=\"shop\",process=\"web\",instance=\"1\","
        "service=\"cache\"} 0\n"
        "pandora_instance_service_failures_total{app=\"shop\",process=\"web\",instance=\"1\","
        "service=\"entry\"} 0\n"
        "# HELP pandora_instance_service_start_duration_seconds How long the last start of a service of the "
        "instance took, in seconds\n"
        "# TYPE pandora_instance_service_start_duration_seconds gauge\n"
        "pandora_instance_service_start_duration_seconds{app=\"shop\",process=\"web\",instance=\"1\","
        "service=\"cache\"} 0.0025\n"
        "# HELP pandora_app_requests_total App counter 'requests' of a service (statsd c, "
        "pandora_counter_add())\n"
        "# TYPE pandora_app_requests_total counter\n"
        "pandora_app_requests_total{app=\"shop\",process=\"web\",instance=\"1\",service=\"cache\"} 7\n"
        "# HELP pandora_app_queue_depth App gauge 'queue.depth' of a service (statsd g or s, "
        "pandora_gauge_set())\n"
        "# TYPE pandora_app_queue_depth gauge\n"
        "pandora_app_queue_depth{app=\"shop\",process=\"web\",instance=\"1\",service=\"cache\"} 2.5\n"
        "# HELP pandora_app_db_seconds App timing 'db' of a service, in seconds (statsd ms, h or d)\n"
        "# TYPE pandora_app_db_seconds summary\n"
        "pandora_app_db_seconds_sum{app=\"shop\",process=\"web\",instance=\"1\",service=\"cache\"} 0.03\n"
        "pandora_app_db_seconds_count{app=\"shop\",process=\"web\",instance=\"1\",service=\"cache\"} 2\n";

static void expect_text(const char *got, const char *expected) {
        if (streq(got, expected))
                return;
        for (size_t k = 0; got[k] || expected[k]; k++)
                if (got[k] != expected[k]) {
                        size_t from = k > 60 ? k - 60 : 0;

                        fail_msg("differs at byte %zu:\n  got:      ...%.120s\n  expected: ...%.120s", k,
                                 got + from, expected + from);
                }
}

static void test_text(void **state) {
        _cleanup_(observation_freep) Observation *o = shop();
        _cleanup_free_ char *text = render(o, RENDER_TEXT);

        expect_text(text, text_expected);
        assert_string_equal(render_content_type(RENDER_TEXT), "text/plain; version=0.0.4; charset=utf-8");
}

/* OpenMetrics: counters' and infos' families without their suffix, "# EOF" last. */
static void test_openmetrics(void **state) {
        _cleanup_(observation_freep) Observation *o = shop();
        _cleanup_free_ char *text = render(o, RENDER_OPENMETRICS);
        size_t n = strlen(text);

        assert_non_null(strstr(text, "# HELP pandora_build The version of pandora-exporter\n"
                                     "# TYPE pandora_build info\n"
                                     "pandora_build_info{version=\"0.1.0\"} 1\n"));
        assert_non_null(strstr(text, "# TYPE pandora_instance_restarts counter\n"
                                     "pandora_instance_restarts_total{app=\"shop\",process=\"web\","
                                     "instance=\"1\"} 2\n"));
        assert_non_null(strstr(text, "# TYPE pandora_app_db_seconds summary\n"));
        assert_null(strstr(text, "# TYPE pandora_app_requests_total"));
        assert_true(n > 6 && streq(text + n - 6, "# EOF\n"));
        assert_null(strstr(text, "# EOF\n#"));
}

/* Without a reading, the exporter's own metrics alone. */
static void test_no_observation(void **state) {
        _cleanup_free_ char *text = render(NULL, RENDER_TEXT);

        assert_non_null(strstr(text, "pandora_exporter_scrape_errors_total 3\n"));
        assert_null(strstr(text, "pandora_instance_up"));
}

/* A name taken by a family of another kind is left out; labels and help are escaped. */
static void test_conflicts_and_escaping(void **state) {
        _cleanup_(observation_freep) Observation *o = shop();
        RenderExporter x = { .version = "1\"2\\3\n4" };
        _cleanup_free_ char *text = NULL;
        ObserveService *s = &o->apps[0].instances[0].services[0];
        size_t n;

        /* A gauge named like the counter's family: pandora_app_requests is a counter's already. */
        free(s->metrics[3].name);
        s->metrics[3] = app_metric("requests", APP_METRIC_GAUGE, 1);
        free(o->help[0].help);
        o->help[0].help = strdup("back\\slash\nnew \"line\" in µs");
        assert_int_equal(render_metrics(o, &x, RENDER_TEXT, &text, &n), 0);
        assert_non_null(strstr(text, "pandora_build_info{version=\"1\\\"2\\\\3\\n4\"} 1\n"));
        assert_non_null(strstr(text, "# HELP pandora_uptime_seconds back\\\\slash\\nnew \"line\" "
                                     "in seconds\n"));
        assert_null(strstr(text, "pandora_app_requests{"));
        free(text);
        assert_int_equal(render_metrics(o, &x, RENDER_OPENMETRICS, &text, &n), 0);
        assert_non_null(strstr(text, "# HELP pandora_uptime_seconds back\\\\slash\\nnew \\\"line\\\" "
                                     "in seconds\n"));
}

static void test_double_one(double d, const char *expected) {
        char buf[32];

        render_double(buf, d);
        assert_string_equal(buf, expected);
}

static void test_double(void **state) {
        test_double_one(NAN, "NaN");
        test_double_one(INFINITY, "+Inf");
        test_double_one(-INFINITY, "-Inf");
        test_double_one(0, "0");
        test_double_one(1893985 / 1e6, "1.893985");
        test_double_one(0.1, "0.1");
        test_double_one(1e300, "1e+300");
        test_double_one(1.0 / 3, "0.33333333333333331");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_text),
                cmocka_unit_test(test_openmetrics),
                cmocka_unit_test(test_no_observation),
                cmocka_unit_test(test_conflicts_and_escaping),
                cmocka_unit_test(test_double),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
