/* SPDX-License-Identifier: MIT */

/* observe/ reading an agent on its private socket (PANDORA_BUS=private): a whole reading, with a fake
 * manager (a peer on a socketpair answering the calls observe/ makes of systemd) and a real BusAgent
 * listening in a scratch $XDG_RUNTIME_DIR under the build directory, as a user manager's instance's
 * would. The running instance with a socket is read there, and its restarts and start come from the
 * manager; one whose socket nobody listens on any more is the reading's one error; observe_peer_socket()
 * finds only sockets. */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "test-util.h"

#include "agent/bus/interfaces.h"
#include "common/strv.h"
#include "observe/observe.h"
#include "observe/peer.h"

/* ---- the fake manager ---- */

static int append_unit(sd_bus_message *reply, const char *name) {
        const char *active = "active", *sub = streq(name, "shop.target") ? "active" : "running";

        return sd_bus_message_append(reply, "(ssssssouso)", name, "", "loaded", active, sub, "", "/", 0, "",
                                     "/");
}

static int method_list_by_names(sd_bus_message *m, void *userdata _unused_, sd_bus_error *error _unused_) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = sd_bus_message_read_strv(m, &names);
        if (r >= 0)
                r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
        for (char **n = names; r >= 0 && n && *n; n++)
                r = append_unit(reply, *n);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_list_by_patterns(sd_bus_message *m, void *userdata _unused_,
                                   sd_bus_error *error _unused_) {
        /* Nothing beyond what the target wants. */
        return sd_bus_reply_method_return(m, "a(ssssssouso)", 0);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListUnitsByNames", "as", "a(ssssssouso)", method_list_by_names, 0),
        SD_BUS_METHOD("ListUnitsByPatterns", "asas", "a(ssssssouso)", method_list_by_patterns, 0),
        SD_BUS_VTABLE_END,
};

static int property_wants(sd_bus *bus _unused_, const char *path _unused_, const char *interface _unused_,
                          const char *property _unused_, sd_bus_message *reply, void *userdata _unused_,
                          sd_bus_error *error _unused_) {
        return sd_bus_message_append(reply, "as", 2, "shop-web@1.service", "shop-web@2.service");
}

static const sd_bus_vtable unit_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Wants", "as", property_wants, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

static const uint32_t fake_restarts = 3, fake_pid = 4242;
static const uint64_t fake_start = UINT64_C(1700000000000000);

/* Every unit object exists; the Service properties read from one static block. */
typedef struct FakeService {
        uint32_t main_pid;
        uint32_t n_restarts;
        uint64_t start;
} FakeService;

static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("MainPID", "u", NULL, offsetof(FakeService, main_pid),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("NRestarts", "u", NULL, offsetof(FakeService, n_restarts),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ExecMainStartTimestamp", "t", NULL, offsetof(FakeService, start),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

static FakeService fake_service;

static int find_unit(sd_bus *bus _unused_, const char *path _unused_, const char *interface _unused_,
                     void *userdata _unused_, void **ret_found, sd_bus_error *error _unused_) {
        *ret_found = &fake_service;
        return 1;
}

/* ---- the test ---- */

typedef struct Test {
        char *dir;
        sd_event *event;
        sd_bus *manager, *client;
        Metrics metrics;
        BusAgent *agent;
        Observation *o;
        int error;
        bool done;
} Test;

static const char *fake_state(void *userdata _unused_) {
        return "running";
}

static size_t fake_n_services(void *userdata _unused_) {
        return 1;
}

static int fake_get_service(void *userdata _unused_, size_t i, BusServiceInfo *ret) {
        if (i > 0)
                return -ENOENT;
        *ret = (BusServiceInfo) { .name = "cache", .kind = "exec", .state = "running", .starts = 1 };
        return 0;
}

static void connect_manager(Test *t) {
        sd_id128_t id;
        int fds[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
        assert_int_equal(sd_id128_randomize(&id), 0);
        assert_int_equal(sd_bus_new(&t->manager), 0);
        assert_int_equal(sd_bus_set_fd(t->manager, fds[0], fds[0]), 0);
        assert_int_equal(sd_bus_set_server(t->manager, 1, id), 0);
        assert_true(sd_bus_add_object_vtable(t->manager, NULL, "/org/freedesktop/systemd1",
                                             "org.freedesktop.systemd1.Manager", manager_vtable, NULL) >= 0);
        assert_true(sd_bus_add_fallback_vtable(t->manager, NULL, "/org/freedesktop/systemd1/unit",
                                               "org.freedesktop.systemd1.Unit", unit_vtable, find_unit,
                                               NULL) >= 0);
        assert_true(sd_bus_add_fallback_vtable(t->manager, NULL, "/org/freedesktop/systemd1/unit",
                                               "org.freedesktop.systemd1.Service", service_vtable, find_unit,
                                               NULL) >= 0);
        assert_int_equal(sd_bus_new(&t->client), 0);
        assert_int_equal(sd_bus_set_fd(t->client, fds[1], fds[1]), 0);
        assert_int_equal(sd_bus_start(t->manager), 0);
        assert_int_equal(sd_bus_start(t->client), 0);
        assert_int_equal(sd_bus_attach_event(t->manager, t->event, 0), 0);
        assert_int_equal(sd_bus_attach_event(t->client, t->event, 0), 0);
}

/* A socket at path that nobody listens on: an agent that died without removing it. */
static void stale_socket(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_true(strlen(path) < sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        close(fd);
}

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));
        BusAgentSource source = {
                .app = "shop", .process = "web", .instance = "1", .unit = "shop-web@1.service",
                .started_at_usec = UINT64_C(1800000000000000),
                .get_state = fake_state, .n_services = fake_n_services, .get_service = fake_get_service,
        };
        _cleanup_free_ char *agents = NULL, *one = NULL, *two = NULL, *stale = NULL;

        assert_non_null(t);
        fake_service = (FakeService) { fake_pid, fake_restarts, fake_start };
        t->dir = test_dir_new("test-observe-private");
        assert_int_equal(setenv("XDG_RUNTIME_DIR", t->dir, 1), 0);
        agents = test_mkdir(t->dir, "pandora-agent");
        one = test_mkdir(agents, "shop-web@1");
        two = test_mkdir(agents, "shop-web@2");
        stale = test_path(two, "bus.sock");
        stale_socket(stale);

        assert_int_equal(metrics_init(&t->metrics, getpid(), NULL), 0);
        source.metrics = &t->metrics;
        assert_int_equal(sd_event_new(&t->event), 0);
        assert_int_equal(bus_agent_new(&source, &t->agent), 0);
        assert_int_equal(bus_agent_listen(t->agent, t->event, one), 0);
        connect_manager(t);
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        observation_free(t->o);
        t->agent = bus_agent_free(t->agent);
        sd_bus_close_unref(t->client);
        sd_bus_close_unref(t->manager);
        sd_event_unref(t->event);
        metrics_done(&t->metrics);
        test_dir_free(t->dir);
        free(t);
        return 0;
}

static void on_observed(Observation *o, int error, void *userdata) {
        Test *t = userdata;

        t->o = o;
        t->error = error;
        t->done = true;
}

static void test_reading(void **state) {
        Test *t = *state;
        ObserveOptions options = { .user = true, .app = "shop", .timeout_usec = 5000000 };
        _cleanup_(observe_request_freep) ObserveRequest *request = NULL;
        const ObserveInstance *one, *two;
        const ObserveIndicator *uptime;

        assert_int_equal(observe_start(t->client, &options, on_observed, t, &request), 0);
        while (!t->done)
                assert_true(sd_event_run(t->event, 5000000) > 0);
        assert_int_equal(t->error, 0);
        assert_non_null(t->o);
        assert_int_equal(t->o->n_apps, 1);
        assert_int_equal(t->o->apps[0].n_instances, 2);
        one = &t->o->apps[0].instances[0];
        two = &t->o->apps[0].instances[1];
        assert_string_equal(one->unit.name, "shop-web@1.service");

        /* Read on its socket: Agent1, Metrics1 and the service, in one call. */
        assert_int_equal(one->agent, 1);
        assert_string_equal(one->agent_state, "running");
        assert_int_equal(one->agent_started_usec, UINT64_C(1800000000000000));
        uptime = observe_instance_indicator(one, "UptimeUSec");
        assert_non_null(uptime);
        assert_int_equal(one->n_services, 1);
        assert_string_equal(one->services[0].name, "cache");
        /* The agent could not ask systemd: its restarts and start are the manager's. */
        assert_true(one->have_service);
        assert_int_equal(one->n_restarts, fake_restarts);
        assert_int_equal(one->start_usec, fake_start);
        /* The indicators' help, from the only agent there was. */
        assert_int_equal(t->o->n_help, _METRIC_MAX);

        /* A socket nobody listens on: the agent's failure, counted, and the manager still asked. */
        assert_int_equal(two->agent, -ECONNREFUSED);
        assert_true(two->have_service);
        assert_int_equal(two->n_restarts, fake_restarts);
        assert_int_equal(t->o->errors, 1);

        /* The reading's connection to the agent is gone with it. */
        request = observe_request_free(request);
        for (int i = 0; i < 100 && t->agent->n_peers > 0; i++)
                assert_true(sd_event_run(t->event, 10000) >= 0);
        assert_int_equal(t->agent->n_peers, 0);
}

static void test_socket_path(void **state) {
        Test *t = *state;
        _cleanup_free_ char *path = NULL, *expected = NULL, *file = NULL, *three = NULL;

        assert_int_equal(observe_peer_socket(true, "shop-web@1.service", &path), 0);
        expected = test_path(t->dir, "pandora-agent/shop-web@1/bus.sock");
        assert_string_equal(path, expected);
        /* No directory, or a file that is not a socket: the agent is on the bus. */
        assert_int_equal(observe_peer_socket(true, "shop-web@9.service", &path), -ENOENT);
        three = test_mkdir(t->dir, "pandora-agent/shop-web@3");
        file = test_write(three, "bus.sock", "");
        assert_int_equal(observe_peer_socket(true, "shop-web@3.service", &path), -ENOENT);
        assert_int_equal(unsetenv("XDG_RUNTIME_DIR"), 0);
        assert_int_equal(observe_peer_socket(true, "shop-web@1.service", &path), -ENXIO);
        /* The system manager's units: under /run, where this test has made nothing. */
        assert_int_equal(observe_peer_socket(false, "shop-nosuch-test@1.service", &path), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_reading, setup, teardown),
                cmocka_unit_test_setup_teardown(test_socket_path, setup, teardown),
        };

        return cmocka_run_group_tests_name("observe-private", tests, NULL, NULL);
}
