/* SPDX-License-Identifier: MIT */

/* The connection to a real bus: a private dbus-daemon (system bus type, the shipped policy file
 * included), reached through $DBUS_SYSTEM_BUS_ADDRESS. The agent gets its name, answers through it, and
 * when the daemon is stopped and another one started at the same address, reconnects and gets its name
 * back. Skipped without dbus-daemon. */

#include <signal.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "test-util.h"

#include "agent/bus/interfaces.h"

static const char bus_conf[] =
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig><type>system</type><listen>unix:path=@F@/socket</listen><auth>EXTERNAL</auth>\n"
        "<policy context=\"default\"><allow user=\"*\"/><deny own=\"*\"/><deny send_type=\"method_call\"/>\n"
        "<allow send_type=\"signal\"/><allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
        "<allow send_requested_reply=\"true\" send_type=\"error\"/><allow receive_type=\"method_call\"/>\n"
        "<allow receive_type=\"method_return\"/><allow receive_type=\"error\"/>\n"
        "<allow receive_type=\"signal\"/>\n"
        "<allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
        "</policy><include>" SOURCE_ROOT "/units/io.pandora.conf</include></busconfig>\n";

/* The daemon running now, for the teardown to stop when a test failed half-way. */
static pid_t daemon_pid;

typedef struct State {
        int name_result;
        unsigned name_calls;
} State;

static const char *fake_state(void *userdata) {
        return "running";
}

static size_t fake_n_services(void *userdata) {
        return 0;
}

static int fake_get_service(void *userdata, size_t i, BusServiceInfo *ret) {
        return -ENOENT;
}

static void on_name(void *userdata, const char *name, int result) {
        State *s = userdata;

        s->name_result = result;
        s->name_calls++;
}

/* Starts dbus-daemon on dir/bus.conf and waits for its socket. Returns its pid. */
static pid_t daemon_start(const char *dir, const char *conf) {
        _cleanup_free_ char *arg = NULL, *socket_path = test_path(dir, "socket");
        char *argv[] = { (char *) "dbus-daemon", NULL, (char *) "--nofork", (char *) "--nosyslog", NULL };
        pid_t pid;

        assert_true(asprintf(&arg, "--config-file=%s", conf) >= 0);
        argv[1] = arg;
        (void) unlink(socket_path);
        /* Not posix_spawn(): -I agent/ makes <spawn.h> the agent's own spawn.h. */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* Its warnings (it can't raise its fd limit unprivileged) are not the test's. */
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                if (null >= 0)
                        (void) dup2(null, STDERR_FILENO);
                execvp(argv[0], argv);
                _exit(127);
        }
        for (int i = 0; i < 500 && access(socket_path, F_OK) < 0; i++)
                usleep(10000);
        daemon_pid = pid;
        assert_int_equal(access(socket_path, F_OK), 0);
        return pid;
}

static void daemon_stop(pid_t pid) {
        daemon_pid = 0;
        assert_int_equal(kill(pid, SIGTERM), 0);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static int daemon_teardown(void **state _unused_) {
        if (daemon_pid > 0)
                daemon_stop(daemon_pid);
        return 0;
}

/* Runs e until the name was reported calls times. */
static void wait_name(sd_event *e, const State *s, unsigned calls) {
        for (int i = 0; i < 200 && s->name_calls < calls; i++)
                assert_true(sd_event_run(e, 50000) >= 0);
        assert_int_equal(s->name_calls, calls);
        assert_int_equal(s->name_result, 1);
}

static int on_app(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *app = NULL;

        if (!sd_bus_message_is_method_error(m, NULL))
                assert_true(sd_bus_message_read(m, "v", "s", &app) > 0);
        *(char **) userdata = strdup(app ?: "(error)");
        return 0;
}

/* Reads App through the bus daemon, as busctl would; asynchronously, since the agent answers from the
 * same loop. */
static void assert_reachable(sd_event *e) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *app = NULL;

        assert_int_equal(sd_bus_open_system(&bus), 0);
        assert_int_equal(sd_bus_attach_event(bus, e, 0), 0);
        assert_true(sd_bus_call_method_async(bus, NULL, "io.pandora.shop.web.i1", "/io/pandora/Agent",
                                             "org.freedesktop.DBus.Properties", "Get", on_app, &app, "ss",
                                             "io.pandora.Agent1", "App") >= 0);
        for (int i = 0; i < 200 && !app; i++)
                assert_true(sd_event_run(e, 50000) >= 0);
        assert_non_null(app);
        assert_string_equal(app, "shop");
}

static void test_connect_and_reconnect(void **state _unused_) {
        char *dir = test_dir_new("test-bus-connect");
        _cleanup_free_ char *conf = NULL, *text = test_expand(bus_conf, dir), *address = NULL;
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(bus_agent_freep) BusAgent *b = NULL;
        Metrics m;
        State s = {};
        BusAgentSource source = {
                .app = "shop", .process = "web", .instance = "1", .unit = "shop-web@1.service",
                .metrics = &m, .get_state = fake_state, .n_services = fake_n_services,
                .get_service = fake_get_service, .on_name = on_name, .userdata = &s,
        };
        pid_t pid;

        conf = test_write(dir, "bus.conf", text);
        assert_true(asprintf(&address, "unix:path=%s/socket", dir) >= 0);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
        assert_int_equal(metrics_init(&m, getpid(), NULL), 0);
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(bus_agent_new(&source, &b), 0);

        pid = daemon_start(dir, conf);
        assert_int_equal(bus_agent_connect(b, e, false, 50000), 0);
        wait_name(e, &s, 1);
        assert_reachable(e);

        /* The bus goes away: the agent keeps running, and comes back with its name on the next one. */
        daemon_stop(pid);
        for (int i = 0; i < 5; i++)
                assert_true(sd_event_run(e, 20000) >= 0);
        pid = daemon_start(dir, conf);
        wait_name(e, &s, 2);
        assert_int_equal(b->reconnects, 1);
        assert_reachable(e);

        daemon_stop(pid);
        b = bus_agent_free(b);
        metrics_done(&m);
        test_dir_free(dir);
}

static void test_no_bus_yet(void **state _unused_) {
        char *dir = test_dir_new("test-bus-connect");
        _cleanup_free_ char *conf = NULL, *text = test_expand(bus_conf, dir), *address = NULL;
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(bus_agent_freep) BusAgent *b = NULL;
        Metrics m;
        State s = {};
        BusAgentSource source = {
                .app = "shop", .process = "web", .instance = "1", .metrics = &m, .get_state = fake_state,
                .n_services = fake_n_services, .get_service = fake_get_service, .on_name = on_name,
                .userdata = &s,
        };
        pid_t pid;

        conf = test_write(dir, "bus.conf", text);
        assert_true(asprintf(&address, "unix:path=%s/socket", dir) >= 0);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
        assert_int_equal(metrics_init(&m, getpid(), NULL), 0);
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(bus_agent_new(&source, &b), 0);

        /* No bus at start (dbus starts after the agent): not an error, it is retried. */
        assert_int_equal(bus_agent_connect(b, e, false, 50000), 0);
        assert_null(b->bus);
        pid = daemon_start(dir, conf);
        wait_name(e, &s, 1);
        assert_reachable(e);

        daemon_stop(pid);
        b = bus_agent_free(b);
        metrics_done(&m);
        test_dir_free(dir);
}

static int have_dbus_daemon(void **state _unused_) {
        return system("command -v dbus-daemon >/dev/null") == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_connect_and_reconnect, daemon_teardown),
                cmocka_unit_test_teardown(test_no_bus_yet, daemon_teardown),
        };

        return cmocka_run_group_tests_name("bus-connect", tests, have_dbus_daemon, NULL);
}
