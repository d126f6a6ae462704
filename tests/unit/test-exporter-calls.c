/* SPDX-License-Identifier: MIT */

/* observe/calls.c, the window of parallel calls with one deadline, against a peer on a socketpair that
 * answers "Now" at once and "Never" never: answered calls get their replies, silent ones -ETIMEDOUT at
 * the deadline, calls the deadline overtook in the queue are never sent, no more than max_in_flight
 * are outstanding, and the idle callback comes once, after the last. */

#include <sys/socket.h>
#include <time.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "test-util.h"

#include "observe/calls.h"

typedef struct Test {
        sd_event *event;
        sd_bus *server, *client;
        unsigned now_calls, never_calls;
        sd_bus_message *held[8];        /* "Never" calls, kept unanswered */
        unsigned n_held;
        unsigned replies, timeouts, idles;
} Test;

static int method_now(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Test *t = userdata;

        t->now_calls++;
        return sd_bus_reply_method_return(m, "u", t->now_calls);
}

static int method_never(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Test *t = userdata;

        t->never_calls++;
        assert_true(t->n_held < ELEMENTSOF(t->held));
        t->held[t->n_held++] = sd_bus_message_ref(m);
        return 1;
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Now", "", "u", method_now, 0),
        SD_BUS_METHOD("Never", "", "", method_never, 0),
        SD_BUS_VTABLE_END,
};

static int setup(void **state) {
        Test *t = calloc(1, sizeof(Test));
        sd_id128_t id;
        int fds[2];

        assert_non_null(t);
        assert_int_equal(sd_event_new(&t->event), 0);
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
        assert_int_equal(sd_bus_add_object_vtable(t->server, NULL, "/test", "io.pandora.Test", vtable, t),
                         0);
        *state = t;
        return 0;
}

static int teardown(void **state) {
        Test *t = *state;

        for (unsigned k = 0; k < t->n_held; k++)
                sd_bus_message_unref(t->held[k]);
        sd_bus_close_unref(t->client);
        sd_bus_close_unref(t->server);
        sd_event_unref(t->event);
        free(t);
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static void on_done(sd_bus_message *reply, int error, void *userdata) {
        Test *t = userdata;

        if (error == -ETIMEDOUT)
                t->timeouts++;
        else {
                assert_int_equal(error, 0);
                assert_non_null(reply);
                t->replies++;
        }
}

static void on_idle(void *userdata) {
        Test *t = userdata;

        t->idles++;
        assert_int_equal(sd_event_exit(t->event, 0), 0);
}

static void add(Test *t, Calls *c, const char *member) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        assert_int_equal(calls_new_method(c, &m, NULL, "/test", "io.pandora.Test", member), 0);
        assert_int_equal(calls_add(c, m, on_done, t), 0);
}

/* Three answered, two silent, three at a time: the silent ones hold two slots to the end. */
static void test_deadline(void **state) {
        Test *t = *state;
        uint64_t start = now_usec(), elapsed;
        Calls *c = NULL;

        assert_int_equal(calls_new(t->client, start + 200000, 3, on_idle, t, &c), 0);
        add(t, c, "Now");
        add(t, c, "Never");
        add(t, c, "Now");
        add(t, c, "Never");
        add(t, c, "Now");
        /* Nothing is sent, nor any handler called, from inside calls_add(). */
        assert_int_equal(calls_pending(c), 5);
        assert_int_equal(t->replies + t->timeouts, 0);
        assert_int_equal(sd_event_loop(t->event), 0);
        elapsed = now_usec() - start;
        assert_int_equal(t->replies, 3);
        assert_int_equal(t->timeouts, 2);
        assert_int_equal(t->idles, 1);
        assert_int_equal(calls_pending(c), 0);
        assert_true(elapsed >= 200000 && elapsed < 2000000);
        calls_free(c);
}

/* One slot: the silent call holds it until the deadline, which overtakes the one waiting behind it. */
static void test_overtaken(void **state) {
        Test *t = *state;
        Calls *c = NULL;

        assert_int_equal(calls_new(t->client, now_usec() + 100000, 1, on_idle, t, &c), 0);
        add(t, c, "Never");
        add(t, c, "Now");
        assert_int_equal(sd_event_loop(t->event), 0);
        assert_int_equal(t->timeouts, 2);
        assert_int_equal(t->now_calls, 0);
        assert_int_equal(t->idles, 1);
        calls_free(c);
}

/* Freed with calls outstanding: no handler runs afterwards. */
static void test_cancel(void **state) {
        Test *t = *state;
        Calls *c = NULL;

        assert_int_equal(calls_new(t->client, now_usec() + 100000, 4, on_idle, t, &c), 0);
        add(t, c, "Never");
        add(t, c, "Now");
        assert_true(sd_event_run(t->event, 50000) >= 0);
        calls_free(c);
        for (int k = 0; k < 5; k++)
                assert_true(sd_event_run(t->event, 50000) >= 0);
        assert_int_equal(t->timeouts, 0);
        assert_int_equal(t->idles, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
                cmocka_unit_test_setup_teardown(test_overtaken, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
