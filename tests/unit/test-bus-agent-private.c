/* SPDX-License-Identifier: MIT */

/* The private socket (PANDORA_BUS=private): the agent listens on DIR/bus.sock in a scratch directory
 * under the build directory, and sd-bus clients connect to it as busctl --address and pandora's readers
 * do. The same objects answer as on the bus; the socket is 0666; readers are bounded, dropped when they
 * hang up, break the protocol or stop reading, and none of that stops the agent. */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "test-util.h"

#include "agent/bus/interfaces.h"

typedef struct Test {
        char *dir;
        char *address;
        sd_event *event;
        Metrics metrics;
        BusAgent *agent;
        const char *state;
        unsigned signals;
} Test;

static const char *fake_state(void *userdata) {
        return ((Test *) userdata)->state;
}

static size_t fake_n_services(void *userdata _unused_) {
        return 1;
}

static int fake_get_service(void *userdata _unused_, size_t i, BusServiceInfo *ret) {
        if (i > 0)
                return -ENOENT;
        *ret = (BusServiceInfo) { .name = "web", .kind = "exec", .state = "running", .starts = 1 };
        return 0;
}

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));
        BusAgentSource source = {
                .app = "shop", .process = "web", .instance = "1", .unit = "shop-web@1.service",
                .get_state = fake_state, .n_services = fake_n_services, .get_service = fake_get_service,
        };

        assert_non_null(t);
        t->state = "running";
        t->dir = test_dir_new("test-bus-agent-private");
        assert_true(asprintf(&t->address, "unix:path=%s/" BUS_PRIVATE_SOCKET_NAME, t->dir) >= 0);
        assert_int_equal(metrics_init(&t->metrics, getpid(), NULL), 0);
        source.metrics = &t->metrics;
        source.userdata = t;
        assert_int_equal(sd_event_new(&t->event), 0);
        assert_int_equal(bus_agent_new(&source, &t->agent), 0);
        /* $RUNTIME_DIRECTORY may list several directories: the first is the unit's own. */
        {
                _cleanup_free_ char *dirs = NULL;

                assert_true(asprintf(&dirs, "%s:/nonexistent", t->dir) >= 0);
                assert_int_equal(bus_agent_listen(t->agent, t->event, dirs), 0);
        }
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;
        _cleanup_free_ char *path = test_path(t->dir, BUS_PRIVATE_SOCKET_NAME);

        t->agent = bus_agent_free(t->agent);
        /* The socket goes with the agent. */
        assert_int_equal(access(path, F_OK), -1);
        sd_event_unref(t->event);
        metrics_done(&t->metrics);
        test_dir_free(t->dir);
        free(t->address);
        free(t);
        return 0;
}

/* A reader, as observe/ opens one: no Hello (bus_client false), on the agent's loop. */
static sd_bus *client_new(Test *t, bool bus_client) {
        sd_bus *bus;

        assert_int_equal(sd_bus_new(&bus), 0);
        assert_true(sd_bus_set_address(bus, t->address) >= 0);
        assert_int_equal(sd_bus_set_bus_client(bus, bus_client), 0);
        assert_true(sd_bus_start(bus) >= 0);
        assert_int_equal(sd_bus_attach_event(bus, t->event, 0), 0);
        return bus;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error _unused_) {
        *(sd_bus_message **) userdata = sd_bus_message_ref(m);
        return 0;
}

/* Calls member on bus and runs the loop until the reply is in; returns it (an error reply too). */
static sd_bus_message *call(Test *t, sd_bus *bus, const char *path, const char *interface,
                            const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_message *reply = NULL;
        va_list ap;

        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "io.pandora.shop.web.i1", path, interface,
                                                        member), 0);
        va_start(ap, types);
        assert_true(sd_bus_message_appendv(m, types, ap) >= 0);
        va_end(ap);
        assert_int_equal(sd_bus_call_async(bus, NULL, m, on_reply, &reply, 5000000), 1);
        while (!reply)
                assert_true(sd_event_run(t->event, 5000000) > 0);
        return reply;
}

static char *get_string(Test *t, sd_bus *bus, const char *path, const char *interface, const char *member) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *s;

        reply = call(t, bus, path, "org.freedesktop.DBus.Properties", "Get", "ss", interface, member);
        if (sd_bus_message_is_method_error(reply, NULL))
                fail_msg("Get %s: %s", member, sd_bus_message_get_error(reply)->message);
        assert_true(sd_bus_message_read(reply, "v", "s", &s) > 0);
        return strdup(s);
}

#define AGENT "/io/pandora/Agent", "io.pandora.Agent1"

/* Runs the loop until the agent has n readers. */
static void wait_peers(Test *t, size_t n) {
        for (int i = 0; i < 500 && t->agent->n_peers != n; i++)
                assert_true(sd_event_run(t->event, 10000) >= 0);
        assert_int_equal(t->agent->n_peers, n);
}

static void test_socket(void **state) {
        Test *t = *state;
        _cleanup_free_ char *path = test_path(t->dir, BUS_PRIVATE_SOCKET_NAME);
        struct stat st;

        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        /* Readers of any user may connect. */
        assert_int_equal(st.st_mode & 07777, 0666);
        assert_int_equal(t->agent->n_peers, 0);
}

static void test_properties_and_objects(void **state) {
        Test *t = *state;
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = client_new(t, false);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *app = NULL, *st = NULL;
        const char *path;
        unsigned objects = 0;
        bool metrics = false, service = false;

        app = get_string(t, bus, AGENT, "App");
        assert_string_equal(app, "shop");
        st = get_string(t, bus, AGENT, "State");
        assert_string_equal(st, "running");
        assert_int_equal(t->agent->n_peers, 1);

        /* The one call observe/ makes per instance. */
        reply = call(t, bus, "/io/pandora", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "");
        assert_false(sd_bus_message_is_method_error(reply, NULL));
        assert_true(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}") > 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                assert_true(sd_bus_message_read(reply, "o", &path) > 0);
                metrics = metrics || streq(path, "/io/pandora/Metrics");
                service = service || streq(path, "/io/pandora/service/web");
                assert_true(sd_bus_message_skip(reply, "a{sa{sv}}") >= 0);
                assert_true(sd_bus_message_exit_container(reply) >= 0);
                objects++;
        }
        assert_true(metrics && service);
        assert_int_equal(objects, 3);

        /* A reader that hangs up is dropped. */
        bus = sd_bus_close_unref(bus);
        wait_peers(t, 0);
}

/* busctl --address opens with Hello(), as on a bus: answered, then the same calls work. */
static void test_bus_client(void **state) {
        Test *t = *state;
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = client_new(t, true);
        _cleanup_free_ char *unit = NULL;
        const char *unique = NULL;

        unit = get_string(t, bus, AGENT, "Unit");
        assert_string_equal(unit, "shop-web@1.service");
        assert_int_equal(sd_bus_get_unique_name(bus, &unique), 0);
        assert_string_equal(unique, ":1.1");
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error _unused_) {
        Test *t = userdata;
        const char *interface;

        assert_true(sd_bus_message_read(m, "s", &interface) > 0);
        t->signals++;
        return 0;
}

/* Change signals reach every reader, with no bus at all. */
static void test_signals(void **state) {
        Test *t = *state;
        _cleanup_(sd_bus_close_unrefp) sd_bus *one = client_new(t, false), *two = client_new(t, false);
        _cleanup_free_ char *st = NULL;

        assert_true(sd_bus_match_signal(one, NULL, NULL, NULL, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_properties_changed, t) >= 0);
        assert_true(sd_bus_match_signal(two, NULL, NULL, NULL, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_properties_changed, t) >= 0);
        wait_peers(t, 2);
        assert_null(t->agent->bus);
        t->state = "stopping";
        assert_int_equal(bus_agent_emit_state_changed(t->agent), 0);
        assert_int_equal(bus_agent_emit_service_changed(t->agent, "web"), 0);
        while (t->signals < 4)
                assert_true(sd_event_run(t->event, 5000000) > 0);
        st = get_string(t, one, AGENT, "State");
        assert_string_equal(st, "stopping");
}

/* At most BUS_PRIVATE_PEERS_MAX readers: one more closes the oldest, and the newest is served. */
static void test_bounded(void **state) {
        Test *t = *state;
        sd_bus *readers[BUS_PRIVATE_PEERS_MAX + 1];
        _cleanup_free_ char *app = NULL;

        for (size_t i = 0; i < BUS_PRIVATE_PEERS_MAX; i++) {
                readers[i] = client_new(t, false);
                wait_peers(t, i + 1);
        }
        readers[BUS_PRIVATE_PEERS_MAX] = client_new(t, false);
        app = get_string(t, readers[BUS_PRIVATE_PEERS_MAX], AGENT, "App");
        assert_string_equal(app, "shop");
        assert_int_equal(t->agent->n_peers, BUS_PRIVATE_PEERS_MAX);
        /* The first reader was closed by the agent: sd-bus sees its connection end. */
        for (int i = 0; i < 500 && sd_bus_is_open(readers[0]) > 0; i++)
                assert_true(sd_event_run(t->event, 10000) >= 0);
        assert_int_equal(sd_bus_is_open(readers[0]), 0);
        assert_true(sd_bus_is_open(readers[1]) > 0);
        for (size_t i = 0; i <= BUS_PRIVATE_PEERS_MAX; i++)
                sd_bus_close_unref(readers[i]);
        wait_peers(t, 0);
}

/* Authenticated, then bytes that are no D-Bus message: the reader is dropped, the agent serves the
 * next one. */
static void test_garbage(void **state) {
        Test *t = *state;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *app = NULL;
        static const char auth[] = "\0AUTH ANONYMOUS\r\nDATA\r\nBEGIN\r\n";
        static const char junk[] = "GET / HTTP/1.0\r\n\r\n";
        char answer[128];
        ssize_t n = 0;
        int fd;

        assert_true(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" BUS_PRIVATE_SOCKET_NAME, t->dir) > 0);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(write(fd, auth, sizeof(auth) - 1), (ssize_t) sizeof(auth) - 1);
        /* The agent's "OK <id>" ends the handshake; the junk must come after it, as a message would. */
        for (int i = 0; i < 500 && !memmem(answer, (size_t) n, "OK ", 3); i++) {
                ssize_t k;

                assert_true(sd_event_run(t->event, 10000) >= 0);
                k = read(fd, answer + n, sizeof(answer) - 1 - (size_t) n);
                n += k > 0 ? k : 0;
        }
        assert_non_null(memmem(answer, (size_t) n, "OK ", 3));
        assert_int_equal(t->agent->n_peers, 1);
        assert_int_equal(write(fd, junk, sizeof(junk) - 1), (ssize_t) sizeof(junk) - 1);
        wait_peers(t, 0);
        close(fd);

        bus = client_new(t, false);
        app = get_string(t, bus, AGENT, "App");
        assert_string_equal(app, "shop");
}

/* A reader that asks and never reads its replies is dropped before its queue grows. */
static void test_unread_replies(void **state) {
        Test *t = *state;
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        bool dropped = false;

        /* Not on the loop: this client only writes, and reads nothing unless told to. */
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_true(sd_bus_set_address(bus, t->address) >= 0);
        assert_int_equal(sd_bus_start(bus), 0);
        for (int i = 0; i < 500 && sd_bus_is_ready(bus) <= 0; i++) {
                assert_true(sd_bus_process(bus, NULL) >= 0);
                assert_true(sd_event_run(t->event, 10000) >= 0);
        }
        assert_true(sd_bus_is_ready(bus) > 0);
        wait_peers(t, 1);
        for (int i = 0; i < 20000 && !dropped; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                uint64_t cookie;

                assert_int_equal(sd_bus_message_new_method_call(bus, &m, NULL, "/io/pandora",
                                                                "org.freedesktop.DBus.ObjectManager",
                                                                "GetManagedObjects"), 0);
                /* With a cookie: a call sent without one says it wants no reply. */
                if (sd_bus_send(bus, m, &cookie) < 0)
                        break;  /* the agent hung up on us */
                while (sd_event_run(t->event, 0) > 0)
                        ;
                dropped = t->agent->n_peers == 0;
        }
        assert_true(dropped);
}

static void test_listen_errors(void **state _unused_) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(bus_agent_freep) BusAgent *b = NULL;
        BusAgentSource source = { .app = "shop", .process = "web", .instance = "1" };
        char long_dir[200];

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(bus_agent_new(&source, &b), 0);
        /* Not started by a unit with RuntimeDirectory=: nowhere private to listen. */
        assert_int_equal(bus_agent_listen(b, e, NULL), -ENXIO);
        assert_int_equal(bus_agent_listen(b, e, ""), -ENXIO);
        memset(long_dir, 'x', sizeof(long_dir) - 1);
        long_dir[0] = '/';
        long_dir[sizeof(long_dir) - 1] = '\0';
        assert_int_equal(bus_agent_listen(b, e, long_dir), -ENAMETOOLONG);
        assert_null(b->listener);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
                cmocka_unit_test_setup_teardown(test_properties_and_objects, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bus_client, setup, teardown),
                cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unread_replies, setup, teardown),
                cmocka_unit_test(test_listen_errors),
        };

        return cmocka_run_group_tests_name("bus-agent-private", tests, NULL, NULL);
}
