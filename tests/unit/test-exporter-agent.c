/* SPDX-License-Identifier: MIT */

/* observe/ reads what the agent publishes: the agent's own bus objects (agent/bus/, fed by a fake
 * source as in test-bus-agent) served on one end of a socketpair, GetManagedObjects() and List() called
 * from the other, and the replies read into an ObserveInstance as the exporter and --status get them. */

#include <math.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "test-util.h"

#include "agent/bus/interfaces.h"
#include "observe/agent.h"

typedef struct Test {
        sd_event *event;
        sd_bus *server, *client;
        Metrics metrics;
        BusServiceInfo services[2];
        CounterSet counters;
        TimingSet timings;
        BusAgent *agent;
        sd_bus_message *reply;
} Test;

static const char *fake_state(void *userdata) {
        return "running";
}

static size_t fake_n_services(void *userdata) {
        return 2;
}

static int fake_get_service(void *userdata, size_t i, BusServiceInfo *ret) {
        Test *t = userdata;

        if (i >= 2)
                return -ENOENT;
        *ret = t->services[i];
        return 0;
}

static uint64_t fixed_clock(void) {
        return 4000000;
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
        t->services[0] = (BusServiceInfo) { .name = "web", .kind = "exec", .state = "running", .starts = 2,
                                            .failures = 1, .start_duration_usec = 1500,
                                            .counters = &t->counters, .timings = &t->timings };
        t->services[1] = (BusServiceInfo) { .name = "entry", .kind = "entry", .state = "starting",
                                            .starts = 1 };
        assert_int_equal(counter_set_add(&t->counters, "requests", 3), 0);
        assert_int_equal(counter_set_gauge(&t->counters, "queue", 2.5), 0);
        /* A gauge whose name looks like a timing's part, without a timing of that name. */
        assert_int_equal(counter_set_gauge(&t->counters, "pool.max", 8), 0);
        assert_int_equal(timing_set_add(&t->timings, "db.query", 10, 1), 0);
        assert_int_equal(timing_set_add(&t->timings, "db.query", 20, 1), 0);
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
        source.userdata = t;
        assert_int_equal(sd_event_new(&t->event), 0);
        connect_pair(t);
        assert_int_equal(bus_agent_new(&source, &t->agent), 0);
        assert_int_equal(bus_agent_add_objects(t->agent, t->server), 0);
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        t->agent = bus_agent_free(t->agent);
        sd_bus_message_unref(t->reply);
        sd_bus_close_unref(t->client);
        sd_bus_close_unref(t->server);
        sd_event_unref(t->event);
        metrics_done(&t->metrics);
        counter_set_done(&t->counters);
        timing_set_done(&t->timings);
        free(t);
        return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Test *t = userdata;

        t->reply = sd_bus_message_ref(m);
        return 0;
}

static void call(Test *t, const char *path, const char *interface, const char *member) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        t->reply = sd_bus_message_unref(t->reply);
        assert_int_equal(sd_bus_message_new_method_call(t->client, &m, NULL, path, interface, member), 0);
        assert_int_equal(sd_bus_call_async(t->client, NULL, m, on_reply, t, 0), 1);
        while (!t->reply)
                assert_true(sd_event_run(t->event, 5000000) > 0);
        assert_false(sd_bus_message_is_method_error(t->reply, NULL));
}

/* Frees what i holds, through observation_free(), which frees a reading's arrays. */
static void instance_done(ObserveInstance *i) {
        Observation *o = calloc(1, sizeof(Observation));

        assert_non_null(o);
        o->apps = calloc(1, sizeof(ObserveApp));
        assert_non_null(o->apps);
        o->n_apps = 1;
        o->apps[0].instances = malloc(sizeof(ObserveInstance));
        assert_non_null(o->apps[0].instances);
        o->apps[0].instances[0] = *i;
        o->apps[0].n_instances = 1;
        observation_free(o);
}

static const AppMetric *find_metric(const ObserveService *s, const char *name) {
        for (size_t k = 0; k < s->n_metrics; k++)
                if (streq(s->metrics[k].name, name))
                        return &s->metrics[k];
        return NULL;
}

static void test_objects(void **state) {
        Test *t = *state;
        ObserveInstance i = {};
        const ObserveIndicator *x;
        const AppMetric *a;
        unsigned ready, total;
        size_t present = 0;

        call(t, "/io/pandora", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
        assert_int_equal(observe_agent_read_objects(t->reply, &i), 0);

        assert_string_equal(i.agent_state, "running");
        assert_int_equal(i.agent_started_usec, UINT64_C(1700000000000000));
        /* Every indicator, as the agent's table has them. */
        assert_int_equal(i.n_indicators, _METRIC_MAX);
        for (MetricId id = 0; id < _METRIC_MAX; id++) {
                MetricValue v;

                metrics_get(&t->metrics, id, &v);
                x = &i.indicators[id];
                assert_string_equal(x->name, metric_definition(id)->name);
                assert_int_equal(x->type, metric_definition(id)->type);
                assert_int_equal(x->present, v.present);
                present += x->present;
                if (v.present && x->type == 't')
                        assert_int_equal(x->u, v.u);
                else if (v.present)
                        assert_float_equal(x->d, v.d, 0);
        }
        assert_true(present > 0 && present < _METRIC_MAX);
        x = observe_instance_indicator(&i, "Threads");
        assert_non_null(x);
        assert_int_equal(x->u, 3);
        assert_null(observe_instance_indicator(&i, "Restarts"));       /* absent */

        assert_int_equal(i.n_services, 2);
        assert_string_equal(i.services[0].name, "web");
        assert_string_equal(i.services[0].kind, "exec");
        assert_string_equal(i.services[0].state, "running");
        assert_int_equal(i.services[0].starts, 2);
        assert_int_equal(i.services[0].failures, 1);
        assert_int_equal(i.services[0].start_duration_usec, 1500);
        assert_string_equal(i.services[1].name, "entry");
        observe_instance_services(&i, &ready, &total);
        assert_int_equal(ready, 1);
        assert_int_equal(total, 1);

        /* The service's own metrics, the timing folded back from its four entries. */
        assert_int_equal(i.services[0].n_metrics, 4);
        a = find_metric(&i.services[0], "requests");
        assert_non_null(a);
        assert_int_equal(a->kind, APP_METRIC_COUNTER);
        assert_int_equal(a->count, 3);
        a = find_metric(&i.services[0], "queue");
        assert_int_equal(a->kind, APP_METRIC_GAUGE);
        assert_float_equal(a->value, 2.5, 0);
        a = find_metric(&i.services[0], "pool.max");
        assert_non_null(a);
        assert_int_equal(a->kind, APP_METRIC_GAUGE);
        a = find_metric(&i.services[0], "db.query");
        assert_non_null(a);
        assert_int_equal(a->kind, APP_METRIC_TIMING);
        assert_int_equal(a->n, 2);
        assert_float_equal(a->sum, 30, 0);
        assert_float_equal(a->min, 10, 0);
        assert_float_equal(a->max, 20, 0);
        assert_int_equal(i.services[1].n_metrics, 0);
        instance_done(&i);
}

static void test_list(void **state) {
        Test *t = *state;
        Observation *o = calloc(1, sizeof(Observation));

        assert_non_null(o);
        call(t, "/io/pandora/Metrics", "io.pandora.Metrics1", "List");
        assert_int_equal(observe_agent_read_list(t->reply, o), 0);
        assert_int_equal(o->n_help, _METRIC_MAX);
        for (MetricId id = 0; id < _METRIC_MAX; id++) {
                assert_string_equal(o->help[id].name, metric_definition(id)->name);
                assert_int_equal(o->help[id].type, metric_definition(id)->type);
                assert_string_equal(o->help[id].help, metric_definition(id)->help);
        }
        observation_free(o);
}

/* A reply of another shape is an error, not a crash. */
static void test_wrong_reply(void **state) {
        Test *t = *state;
        ObserveInstance i = {};

        call(t, "/io/pandora/Metrics", "io.pandora.Metrics1", "List");
        assert_true(observe_agent_read_objects(t->reply, &i) < 0);
        instance_done(&i);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_objects, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_reply, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
