/* SPDX-License-Identifier: MIT */

/* The three interfaces over a private connection: a socketpair with one sd-bus as server (serving the
 * objects from a fake BusAgentSource) and one as client, both on one sd-event loop, so no bus daemon
 * is needed. Calls are sent asynchronously and the loop runs until the reply is in. */

#include <math.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "test-util.h"

#include "agent/bus/interfaces.h"

typedef struct Fake {
        const char *state;
        BusServiceInfo services[2];
        CounterSet counters;
        TimingSet timings;
} Fake;

static const char *fake_state(void *userdata) {
        return ((Fake *) userdata)->state;
}

static size_t fake_n_services(void *userdata) {
        return 2;
}

static int fake_get_service(void *userdata, size_t i, BusServiceInfo *ret) {
        Fake *f = userdata;

        if (i >= 2)
                return -ENOENT;
        *ret = f->services[i];
        return 0;
}

typedef struct Test {
        sd_event *event;
        sd_bus *server, *client;
        Metrics metrics;
        Fake fake;
        BusAgent *agent;
        sd_bus_message *reply;
        unsigned signals;
} Test;

static uint64_t fixed_clock(void) {
        return 4000000;
}

static void fake_init(Fake *f) {
        *f = (Fake) {
                .state = "running",
                .services = {
                        { .name = "web", .kind = "exec", .state = "running", .starts = 2, .failures = 1,
                          .start_duration_usec = 1500 },
                        { .name = "my-db", .kind = "module", .state = "starting", .starts = 1 },
                },
        };
        assert_int_equal(counter_set_add(&f->counters, "requests", 3), 0);
        assert_int_equal(counter_set_gauge(&f->counters, "queue", 2.5), 0);
        assert_int_equal(timing_set_add(&f->timings, "latency", 10, 1), 0);
        assert_int_equal(timing_set_add(&f->timings, "latency", 20, 1), 0);
}

static void connect_pair(Test *t) {
        sd_id128_t id;
        int fds[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
        assert_int_equal(sd_id128_randomize(&id), 0);
        assert_int_equal(sd_bus_new(&t->server), 0);
        assert_int_equal(sd_bus_set_fd(t->server, fds[0], fds[0]), 0);
        assert_int_equal(sd_bus_set_server(t->server, 1, id), 0);
        assert_int_equal(sd_bus_new(&t->client), 0);
        assert_int_equal(sd_bus_set_fd(t->client, fds[1], fds[1]), 0);
        assert_int_equal(sd_bus_start(t->server), 0);
        assert_int_equal(sd_bus_start(t->client), 0);
        assert_int_equal(sd_bus_attach_event(t->server, t->event, 0), 0);
        assert_int_equal(sd_bus_attach_event(t->client, t->event, 0), 0);
}

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));
        BusAgentSource source = {
                .app = "shop", .process = "web", .instance = "1", .unit = "shop-web@1.service",
                .started_at_usec = UINT64_C(1700000000000000),
                .get_state = fake_state, .n_services = fake_n_services, .get_service = fake_get_service,
        };

        assert_non_null(t);
        fake_init(&t->fake);
        t->fake.services[0].counters = &t->fake.counters;
        t->fake.services[0].timings = &t->fake.timings;
        assert_int_equal(metrics_init(&t->metrics, 1234, "/system.slice/shop-web@1.service"), 0);
        t->metrics.sources = (MetricsSources) {
                .proc_root = FIXTURES_DIR "/metrics/proc",
                .cgroup_root = FIXTURES_DIR "/metrics/cgroup",
        };
        t->metrics.ticks_per_sec = 100;
        t->metrics.clock = fixed_clock;
        t->metrics.started_usec = 1000000;
        metrics_sample(&t->metrics, 5000000);
        source.metrics = &t->metrics;
        source.userdata = &t->fake;

        assert_int_equal(sd_event_new(&t->event), 0);
        connect_pair(t);
        assert_int_equal(bus_agent_new(&source, &t->agent), 0);
        assert_string_equal(t->agent->name, "io.pandora.shop.web.i1");
        assert_int_equal(bus_agent_add_objects(t->agent, t->server), 0);
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        t->agent = bus_agent_free(t->agent);
        sd_bus_message_unref(t->reply);
        /* No flush: nothing of the test's is left to send, and the peer may be gone already. */
        sd_bus_close_unref(t->client);
        sd_bus_close_unref(t->server);
        sd_event_unref(t->event);
        metrics_done(&t->metrics);
        counter_set_done(&t->fake.counters);
        timing_set_done(&t->fake.timings);
        free(t);
        return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Test *t = userdata;

        t->reply = sd_bus_message_ref(m);
        return 0;
}

/* Sends a call with the given arguments ("" for none) and runs the loop until its reply is in t->reply;
 * returns the reply's errno (0 for a method return). */
static int call(Test *t, const char *path, const char *interface, const char *member, const char *types,
                ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;

        t->reply = sd_bus_message_unref(t->reply);
        assert_int_equal(sd_bus_message_new_method_call(t->client, &m, NULL, path, interface, member), 0);
        va_start(ap, types);
        assert_true(sd_bus_message_appendv(m, types, ap) >= 0);
        va_end(ap);
        assert_int_equal(sd_bus_call_async(t->client, NULL, m, on_reply, t, 0), 1);
        while (!t->reply)
                assert_true(sd_event_run(t->event, 5000000) > 0);
        return sd_bus_message_is_method_error(t->reply, NULL) ? -sd_bus_message_get_errno(t->reply) : 0;
}

/* Reads property member of interface at path; leaves t->reply positioned inside the variant. */
static void get(Test *t, const char *path, const char *interface, const char *member, const char *type) {
        int r;

        r = call(t, path, "org.freedesktop.DBus.Properties", "Get", "ss", interface, member);
        if (r < 0)
                fail_msg("Get %s.%s: %s", interface, member, sd_bus_message_get_error(t->reply)->message);
        assert_true(sd_bus_message_enter_container(t->reply, 'v', type) > 0);
}

static const char *get_string(Test *t, const char *path, const char *interface, const char *member) {
        const char *s;

        get(t, path, interface, member, "s");
        assert_true(sd_bus_message_read(t->reply, "s", &s) > 0);
        return s;
}

static uint64_t get_u64(Test *t, const char *path, const char *interface, const char *member) {
        uint64_t v;

        get(t, path, interface, member, "t");
        assert_true(sd_bus_message_read(t->reply, "t", &v) > 0);
        return v;
}

static double get_double(Test *t, const char *path, const char *interface, const char *member) {
        double v;

        get(t, path, interface, member, "d");
        assert_true(sd_bus_message_read(t->reply, "d", &v) > 0);
        return v;
}

#define AGENT "/io/pandora/Agent", "io.pandora.Agent1"
#define METRICS "/io/pandora/Metrics", "io.pandora.Metrics1"
#define WEB "/io/pandora/service/web", "io.pandora.Service1"
#define DB "/io/pandora/service/my_2ddb", "io.pandora.Service1"
#define INTROSPECTABLE "org.freedesktop.DBus.Introspectable"

static void test_agent_properties(void **state) {
        Test *t = *state;
        const char *name[2], *kind[2], *st[2];

        assert_string_equal(get_string(t, AGENT, "App"), "shop");
        assert_string_equal(get_string(t, AGENT, "Process"), "web");
        assert_string_equal(get_string(t, AGENT, "Instance"), "1");
        assert_string_equal(get_string(t, AGENT, "Unit"), "shop-web@1.service");
        assert_string_equal(get_string(t, AGENT, "State"), "running");
        assert_int_equal(get_u64(t, AGENT, "StartedAt"), UINT64_C(1700000000000000));

        get(t, AGENT, "Services", "a(sss)");
        assert_true(sd_bus_message_read(t->reply, "a(sss)", 2, &name[0], &kind[0], &st[0], &name[1],
                                        &kind[1], &st[1]) > 0);
        assert_string_equal(name[0], "web");
        assert_string_equal(kind[0], "exec");
        assert_string_equal(st[0], "running");
        assert_string_equal(name[1], "my-db");
        assert_string_equal(kind[1], "module");
        assert_string_equal(st[1], "starting");
}

static void test_metrics_properties(void **state) {
        Test *t = *state;
        const char *s;
        unsigned n = 0;
        bool restarts = false, usage = false;

        assert_int_equal(get_u64(t, METRICS, "UptimeUSec"), 3000000);
        assert_int_equal(get_u64(t, METRICS, "Threads"), 3);
        assert_int_equal(get_u64(t, METRICS, "CgroupMemoryPeakBytes"), 73400320);
        assert_float_equal(get_double(t, METRICS, "CPUUserSeconds"), 2.5, 1e-12);
        assert_float_equal(get_double(t, METRICS, "HostLoad15"), 12.4, 1e-12);
        /* Absent: UINT64_MAX and NaN, and named in Absent. */
        assert_true(get_u64(t, METRICS, "Restarts") == UINT64_MAX);
        assert_true(isnan(get_double(t, METRICS, "CPUUsagePercent")));

        get(t, METRICS, "Absent", "as");
        assert_true(sd_bus_message_enter_container(t->reply, 'a', "s") > 0);
        while (sd_bus_message_read(t->reply, "s", &s) > 0) {
                restarts = restarts || streq(s, "Restarts");
                usage = usage || streq(s, "CPUUsagePercent");
                n++;
        }
        assert_true(restarts && usage);
        /* Restarts, the two CPU usages, the loop's two. */
        assert_int_equal(n, 5);
}

/* The Metrics1 vtable and the registry's table agree on every name and type. */
static void test_metrics_vtable_matches_table(void **state) {
        Test *t = *state;
        const char *xml;
        unsigned properties = 0;

        assert_int_equal(call(t, "/io/pandora/Metrics", INTROSPECTABLE, "Introspect", ""), 0);
        assert_true(sd_bus_message_read(t->reply, "s", &xml) > 0);
        for (MetricId id = 0; id < _METRIC_MAX; id++) {
                _cleanup_free_ char *element = NULL;

                assert_true(asprintf(&element, "<property name=\"%s\" type=\"%c\"",
                                     metric_definition(id)->name, metric_definition(id)->type) >= 0);
                if (!strstr(xml, element))
                        fail_msg("io.pandora.Metrics1 lacks %s", element);
        }
        for (const char *p = strstr(xml, "io.pandora.Metrics1"); (p = strstr(p, "<property ")); p++)
                properties++;
        assert_int_equal(properties, _METRIC_MAX + 1);
}

static void test_metrics_call(void **state) {
        Test *t = *state;
        unsigned n = 0, present = 0;
        bool threads = false, requests = false, queue = false, latency = false, restarts = false;
        const char *key;

        for (MetricId id = 0; id < _METRIC_MAX; id++)
                present += t->metrics.values[id].present || metric_definition(id)->get;
        assert_int_equal(call(t, AGENT, "Metrics", ""), 0);
        assert_true(sd_bus_message_enter_container(t->reply, 'a', "{sv}") > 0);
        while (sd_bus_message_enter_container(t->reply, 'e', "sv") > 0) {
                const char *type;
                char kind;

                assert_true(sd_bus_message_read(t->reply, "s", &key) > 0);
                assert_true(sd_bus_message_peek_type(t->reply, &kind, &type) > 0);
                if (streq(key, "Threads")) {
                        uint64_t v;

                        assert_true(sd_bus_message_read(t->reply, "v", "t", &v) > 0);
                        threads = v == 3;
                } else if (streq(key, "web:requests")) {
                        int64_t v;

                        assert_true(sd_bus_message_read(t->reply, "v", "x", &v) > 0);
                        requests = v == 3;
                } else if (streq(key, "web:queue")) {
                        double v;

                        assert_true(sd_bus_message_read(t->reply, "v", "d", &v) > 0);
                        queue = v == 2.5;
                } else if (streq(key, "web:latency.sum")) {
                        double v;

                        assert_true(sd_bus_message_read(t->reply, "v", "d", &v) > 0);
                        latency = v == 30;
                } else
                        assert_true(sd_bus_message_skip(t->reply, "v") >= 0);
                restarts = restarts || streq(key, "Restarts");
                assert_true(sd_bus_message_exit_container(t->reply) >= 0);
                n++;
        }
        assert_true(threads && requests && queue && latency);
        assert_false(restarts);
        /* Every present indicator, two counters and a timing's four. */
        assert_int_equal(n, present + 2 + 4);
}

static void test_list(void **state) {
        Test *t = *state;
        const char *name, *type, *help;
        unsigned n = 0;

        assert_int_equal(call(t, METRICS, "List", ""), 0);
        assert_true(sd_bus_message_enter_container(t->reply, 'a', "(sss)") > 0);
        while (sd_bus_message_read(t->reply, "(sss)", &name, &type, &help) > 0) {
                const MetricDefinition *def = metric_definition((MetricId) n);

                assert_string_equal(name, def->name);
                assert_int_equal(type[0], def->type);
                assert_string_equal(help, def->help);
                n++;
        }
        assert_int_equal(n, _METRIC_MAX);
}

static void test_service_objects(void **state) {
        Test *t = *state;
        const char *xml, *key, *keys[7] = {};
        int64_t count;
        uint64_t u;
        double d[4];

        assert_string_equal(get_string(t, WEB, "Name"), "web");
        assert_string_equal(get_string(t, WEB, "State"), "running");
        assert_int_equal(get_u64(t, WEB, "Starts"), 2);
        assert_int_equal(get_u64(t, WEB, "Failures"), 1);
        assert_int_equal(get_u64(t, WEB, "StartDurationUSec"), 1500);
        assert_string_equal(get_string(t, DB, "Name"), "my-db");
        assert_string_equal(get_string(t, DB, "Kind"), "module");

        get(t, WEB, "Counters", "a{sv}");
        assert_true(sd_bus_message_read(t->reply, "a{sv}", 6, &keys[0], "x", &count, &keys[1], "d", &d[0],
                                        &keys[2], "t", &u, &keys[3], "d", &d[1], &keys[4], "d", &d[2],
                                        &keys[5], "d", &d[3]) > 0);
        test_strv_equal((char **) keys, STRV("requests", "queue", "latency.count", "latency.sum",
                                             "latency.min", "latency.max"), "Counters");
        assert_int_equal(count, 3);
        assert_int_equal(u, 2);
        assert_float_equal(d[0], 2.5, 0);
        assert_float_equal(d[1], 30, 0);
        assert_float_equal(d[2], 10, 0);
        assert_float_equal(d[3], 20, 0);
        get(t, DB, "Counters", "a{sv}");
        assert_int_equal(sd_bus_message_enter_container(t->reply, 'a', "{sv}"), 1);
        assert_int_equal(sd_bus_message_read(t->reply, "{sv}", &key, "x", &count), 0);

        /* No such service, and the node list of the parent. */
        assert_true(call(t, "/io/pandora/service/nope", "org.freedesktop.DBus.Properties", "Get", "ss",
                         "io.pandora.Service1", "State") < 0);
        assert_int_equal(call(t, "/io/pandora/service", INTROSPECTABLE, "Introspect", ""), 0);
        assert_true(sd_bus_message_read(t->reply, "s", &xml) > 0);
        assert_non_null(strstr(xml, "<node name=\"web\"/>"));
        assert_non_null(strstr(xml, "<node name=\"my_2ddb\"/>"));
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Test *t = userdata;
        const char *interface;

        assert_true(sd_bus_message_read(m, "s", &interface) > 0);
        t->signals++;
        return 0;
}

static void test_emit(void **state) {
        Test *t = *state;

        assert_true(sd_bus_match_signal(t->client, NULL, NULL, NULL, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_properties_changed, t) >= 0);
        assert_int_equal(bus_agent_emit_state_changed(t->agent), 0);        /* no connection yet: nothing */
        t->agent->bus = sd_bus_ref(t->server);
        t->fake.state = "stopping";
        assert_true(bus_agent_emit_state_changed(t->agent) >= 0);
        assert_true(bus_agent_emit_service_changed(t->agent, "my-db") >= 0);
        while (t->signals < 2)
                assert_true(sd_event_run(t->event, 5000000) > 0);
        assert_string_equal(get_string(t, AGENT, "State"), "stopping");
        /* bus_agent_free() in teardown drops this reference and closes the connection. */
}

static void test_refresh(void **state) {
        Test *t = *state;

        t->metrics.sources.proc_root = "/nonexistent";
        assert_int_equal(call(t, AGENT, "Refresh", ""), 0);
        assert_true(get_u64(t, METRICS, "Threads") == UINT64_MAX);
        assert_true(get_u64(t, METRICS, "CgroupTasks") == 7);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_agent_properties, setup, teardown),
                cmocka_unit_test_setup_teardown(test_metrics_properties, setup, teardown),
                cmocka_unit_test_setup_teardown(test_metrics_vtable_matches_table, setup, teardown),
                cmocka_unit_test_setup_teardown(test_metrics_call, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list, setup, teardown),
                cmocka_unit_test_setup_teardown(test_service_objects, setup, teardown),
                cmocka_unit_test_setup_teardown(test_emit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
        };

        return cmocka_run_group_tests_name("bus-agent", tests, NULL, NULL);
}
