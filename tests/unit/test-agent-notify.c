/* SPDX-License-Identifier: MIT */

/* Notification messages as sd_notify(3) sends them, parsed as systemd reads them, and the agent's
 * socket end to end: a datagram from this process arrives with its pid. */

#include <stdbool.h>
#include <systemd/sd-daemon.h>

#include "test-util.h"

#include "agent/lifecycle/notify.h"

typedef struct Case {
        const char *data;
        int r;
        bool ready, stopping, watchdog, trigger;
        const char *status;
} Case;

static void test_parse_one(size_t i, const Case *c, size_t size) {
        NotifyMessage m = {};

        print_message("# case %zu\n", i);
        assert_int_equal(notify_message_parse(c->data, size, &m), c->r);
        if (c->r < 0)
                return;
        assert_int_equal(m.ready, c->ready);
        assert_int_equal(m.stopping, c->stopping);
        assert_int_equal(m.watchdog, c->watchdog);
        assert_int_equal(m.watchdog_trigger, c->trigger);
        if (c->status)
                assert_string_equal(m.status, c->status);
        else
                assert_null(m.status);
        notify_message_done(&m);
}

static void test_parse(void **state _unused_) {
        static const Case cases[] = {
                { "READY=1", .r = 0, .ready = true },
                { "READY=1\n", .r = 0, .ready = true },
                { "READY=1\nSTATUS=warming up", .r = 0, .ready = true, .status = "warming up" },
                { "STATUS=a\nSTATUS=b\n", .r = 0, .status = "b" },
                { "STATUS=", .r = 0, .status = "" },
                { "STATUS=a=b c", .r = 0, .status = "a=b c" },
                { "WATCHDOG=1", .r = 0, .watchdog = true },
                { "WATCHDOG=trigger", .r = 0, .trigger = true },
                { "STOPPING=1\nMAINPID=42\nFDSTORE=1", .r = 0, .stopping = true },
                /* Other values, prefixes and unknown keys are ignored. */
                { "READY=0\nREADY=11\nXREADY=1\nready=1\n\n", .r = 0 },
                { "", .r = 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                test_parse_one(i, &cases[i], strlen(cases[i].data));
}

static void test_parse_nul(void **state _unused_) {
        static const Case c = { "READY=1\0STATUS=x", .r = -EBADMSG };

        test_parse_one(0, &c, 16);
}

typedef struct Received {
        pid_t pid;
        bool ready;
        char status[64];
        int n;
} Received;

static void on_message(pid_t sender, const NotifyMessage *m, void *userdata) {
        Received *r = userdata;

        r->pid = sender;
        r->ready = m->ready;
        snprintf(r->status, sizeof(r->status), "%s", m->status ?: "");
        r->n++;
}

static void test_socket(void **state _unused_) {
        NotifyServer s;
        Received got = {};
        sd_event *e = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(notify_server_open(&s, e, on_message, &got), 0);
        assert_int_equal(s.address[0], '@');
        assert_true(strlen(s.address) > 1);

        assert_int_equal(setenv("NOTIFY_SOCKET", s.address, 1), 0);
        assert_true(sd_notify(false, "READY=1\nSTATUS=all good") > 0);
        assert_true(sd_event_run(e, 1000000) > 0);
        assert_int_equal(got.n, 1);
        assert_int_equal(got.pid, getpid());
        assert_true(got.ready);
        assert_string_equal(got.status, "all good");

        /* A datagram with a NUL byte is dropped and counted. */
        assert_true(sd_notify(false, "") >= 0);
        assert_true(sd_event_run(e, 1000000) > 0);
        assert_int_equal(got.n, 2);
        unsetenv("NOTIFY_SOCKET");

        notify_server_done(&s);
        notify_server_done(&s);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_nul),
                cmocka_unit_test(test_socket),
        };

        return cmocka_run_group_tests_name("agent-notify", tests, NULL, NULL);
}
