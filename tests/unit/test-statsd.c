/* SPDX-License-Identifier: MIT */

/* The statsd line parser (good lines, every way a line can be malformed), datagrams of several lines,
 * the sink into a service's counters and timings, and the socket end to end on an sd-event loop. */

#include <math.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-event.h>

#include "test-util.h"

#include "agent/metrics/app.h"
#include "agent/metrics/statsd-socket.h"
#include "agent/metrics/statsd.h"

static void test_line_one(const char *line, const char *name, StatsdType type, double value, bool delta,
                          double rate) {
        StatsdMetric m;
        int r;

        r = statsd_parse_line(line, strlen(line), &m);
        if (r < 0)
                fail_msg("statsd_parse_line('%s') = %d", line, r);
        assert_string_equal(m.name, name);
        assert_int_equal(m.type, type);
        assert_float_equal(m.value, value, 1e-12);
        assert_int_equal(m.delta, delta);
        assert_float_equal(m.sample_rate, rate, 1e-12);
}

static void test_malformed_one(const char *line, size_t n) {
        StatsdMetric m = { .name = "untouched" };

        if (statsd_parse_line(line, n, &m) != -EBADMSG)
                fail_msg("statsd_parse_line('%.*s') accepted a malformed line", (int) n, line);
        assert_string_equal(m.name, "untouched");
}

#define MALFORMED(s) test_malformed_one(s, sizeof(s) - 1)

static void test_lines(void **state _unused_) {
        test_line_one("requests:1|c", "requests", STATSD_COUNTER, 1, false, 1);
        test_line_one("web.hits:25|c|@0.1", "web.hits", STATSD_COUNTER, 25, false, 0.1);
        test_line_one("queue:42|g", "queue", STATSD_GAUGE, 42, false, 1);
        test_line_one("queue:+3|g", "queue", STATSD_GAUGE, 3, true, 1);
        test_line_one("queue:-3.5|g", "queue", STATSD_GAUGE, -3.5, true, 1);
        test_line_one("db-latency:12|ms", "db-latency", STATSD_TIMING, 12, false, 1);
        test_line_one("db_latency:0.25|ms|@0.5", "db_latency", STATSD_TIMING, 0.25, false, 0.5);
        test_line_one("h:7|h", "h", STATSD_TIMING, 7, false, 1);
        test_line_one("x:1e3|c", "x", STATSD_COUNTER, 1000, false, 1);
        /* DogStatsD tags, as hot-shots sends them, are ignored, before or after the rate. */
        test_line_one("x:1|c|#env:prod,region:eu", "x", STATSD_COUNTER, 1, false, 1);
        test_line_one("x:1|c|#a:b|@0.25", "x", STATSD_COUNTER, 1, false, 0.25);
        test_line_one("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1|c",
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", STATSD_COUNTER, 1,
                      false, 1);
}

static void test_malformed(void **state _unused_) {
        MALFORMED("");
        MALFORMED("requests");
        MALFORMED("requests:1");
        MALFORMED("requests:|c");
        MALFORMED(":1|c");
        MALFORMED("requests:1|");
        MALFORMED("requests:1|x");
        MALFORMED("requests:1|s");
        MALFORMED("requests:1|cc");
        MALFORMED("requests:abc|c");
        MALFORMED("requests:nan|g");
        MALFORMED("requests:inf|c");
        MALFORMED("requests:0x10|c");
        MALFORMED("requests: 1|c");
        MALFORMED("requests:1.|c");
        MALFORMED("requests:.5|c");
        MALFORMED("requests:1e|c");
        MALFORMED("requests:1e999|c");
        MALFORMED("requests:1|c|@0");
        MALFORMED("requests:1|c|@1.5");
        MALFORMED("requests:1|c|@-0.5");
        MALFORMED("requests:1|c|@");
        MALFORMED("requests:1|c|@0.1|@0.1");
        MALFORMED("requests:1|c|x");
        MALFORMED("requests:1|c|");
        MALFORMED("latency:-1|ms");
        MALFORMED("bad name:1|c");
        MALFORMED("bad/name:1|c");
        MALFORMED("bad:name:1|c");
        MALFORMED("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1|c");
        MALFORMED("nul\0x:1|c");
        MALFORMED("x:1|c\0");
        MALFORMED("x:1|c\r");
}

static void test_long_line(void **state _unused_) {
        char line[STATSD_LINE_MAX + 2];

        memset(line, '1', sizeof(line));
        memcpy(line, "x:", 2);
        memcpy(line + sizeof(line) - 2, "|c", 2);
        test_malformed_one(line, sizeof(line));
}

typedef struct Collected {
        StatsdMetric metrics[8];
        size_t n;
        int result;
} Collected;

static int collect(const StatsdMetric *m, void *userdata) {
        Collected *c = userdata;

        if (c->n < ELEMENTSOF(c->metrics))
                c->metrics[c->n++] = *m;
        return c->result;
}

static void test_datagram(void **state _unused_) {
        static const char data[] = "a:1|c\nbroken\nb:2|g\n\nc:3|ms\nd:4|q\ne:5|c";
        Collected c = {};
        StatsdStats stats = { .lines = 10, .malformed = 1 };

        assert_int_equal(statsd_parse_datagram(data, sizeof(data) - 1, collect, &c, &stats), 0);
        assert_int_equal(c.n, 4);
        assert_string_equal(c.metrics[0].name, "a");
        assert_string_equal(c.metrics[1].name, "b");
        assert_string_equal(c.metrics[2].name, "c");
        assert_string_equal(c.metrics[3].name, "e");
        assert_int_equal(stats.lines, 14);
        assert_int_equal(stats.malformed, 3);

        /* A handler refusing a line counts it as malformed; running out of memory stops. */
        c = (Collected) { .result = -EINVAL };
        stats = (StatsdStats) {};
        assert_int_equal(statsd_parse_datagram("a:1|c\nb:1|c\n", 12, collect, &c, &stats), 0);
        assert_int_equal(stats.malformed, 2);
        c = (Collected) { .result = -ENOMEM };
        assert_int_equal(statsd_parse_datagram("a:1|c\nb:1|c\n", 12, collect, &c, NULL), -ENOMEM);
        assert_int_equal(c.n, 1);
        assert_int_equal(statsd_parse_datagram("", 0, collect, &c, NULL), 0);
}

static void test_sink(void **state _unused_) {
        static const char data[] =
                "hits:1|c\nhits:2|c|@0.5\nhits:-1|c\nqueue:10|g\nqueue:-4|g\nqueue:+1.5|g\n"
                "lat:10|ms\nlat:30|ms|@0.5\nlat:2|ms\nhits:3|g\nqueue:1|c\nfresh:-2|g\n";
        CounterSet counters = {};
        TimingSet timings = {};
        MetricsAppSink sink = { .counters = &counters, .timings = &timings };
        StatsdStats stats = {};
        const Counter *c;
        const Timing *t;

        assert_int_equal(statsd_parse_datagram(data, sizeof(data) - 1, metrics_app_apply, &sink, &stats), 0);
        /* Refused: a negative count, a gauge named like a counter and the other way round. */
        assert_int_equal(stats.malformed, 3);
        assert_int_equal(stats.lines, 9);
        c = counter_set_find(&counters, "hits");
        assert_non_null(c);
        assert_int_equal(c->kind, COUNTER_COUNTER);
        assert_int_equal(c->count, 5);
        c = counter_set_find(&counters, "queue");
        assert_int_equal(c->kind, COUNTER_GAUGE);
        assert_float_equal(c->value, 7.5, 1e-12);
        /* A delta on a gauge never set starts from 0. */
        assert_float_equal(counter_set_find(&counters, "fresh")->value, -2, 1e-12);
        t = timing_set_find(&timings, "lat");
        assert_non_null(t);
        assert_int_equal(t->count, 4);
        assert_float_equal(t->sum, 72, 1e-12);
        assert_float_equal(t->min, 2, 1e-12);
        assert_float_equal(t->max, 30, 1e-12);
        assert_null(timing_set_find(&timings, "hits"));
        counter_set_done(&counters);
        timing_set_done(&timings);
}

static void test_timing_set(void **state _unused_) {
        TimingSet s = {};

        assert_int_equal(timing_set_add(&s, "bad name", 1, 1), -EINVAL);
        assert_int_equal(timing_set_add(&s, "x", -1, 1), -EINVAL);
        assert_int_equal(timing_set_add(&s, "x", NAN, 1), -EINVAL);
        assert_int_equal(timing_set_add(&s, "x", 1, 0), -EINVAL);
        assert_int_equal(timing_set_add(&s, "x", 5, UINT64_MAX), 0);
        assert_int_equal(timing_set_add(&s, "x", 5, 1), -EOVERFLOW);
        assert_int_equal(s.n_timings, 1);
        timing_set_done(&s);
        assert_int_equal(s.n_timings, 0);
}

static void test_socket_path(void **state _unused_) {
        _cleanup_free_ char *path = NULL;
        char *none = NULL;
        char longdir[200];

        assert_int_equal(statsd_socket_path("/run/shop-web", "api", &path), 0);
        assert_string_equal(path, "/run/shop-web/metrics-api.sock");
        free(path);
        assert_int_equal(statsd_socket_path("/run/a:/run/b", "api", &path), 0);
        assert_string_equal(path, "/run/a/metrics-api.sock");
        assert_int_equal(statsd_socket_path(NULL, "api", &none), -ENXIO);
        assert_int_equal(statsd_socket_path("", "api", &none), -ENXIO);
        memset(longdir, 'd', sizeof(longdir) - 1);
        longdir[0] = '/';
        longdir[sizeof(longdir) - 1] = '\0';
        assert_int_equal(statsd_socket_path(longdir, "api", &none), -ENAMETOOLONG);
        assert_null(none);
}

static void send_to(const char *path, const char *data) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        strcpy(sa.sun_path, path);
        assert_int_equal(sendto(fd, data, strlen(data), 0, (struct sockaddr *) &sa, sizeof(sa)),
                         (ssize_t) strlen(data));
        close(fd);
}

static void test_socket(void **state _unused_) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(statsd_socket_freep) StatsdSocket *s = NULL;
        _cleanup_free_ char *path = NULL;
        char *dir = test_dir_new("test-statsd");
        CounterSet counters = {};
        TimingSet timings = {};
        MetricsAppSink sink = { .counters = &counters, .timings = &timings };
        StatsdStats stats = {};

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(statsd_socket_path(dir, "api", &path), 0);
        /* A stale socket file from an earlier agent is replaced. */
        free(test_write(dir, "metrics-api.sock", "stale"));
        assert_int_equal(statsd_socket_new(e, path, metrics_app_apply, &sink, &stats, &s), 0);
        assert_string_equal(statsd_socket_get_path(s), path);

        send_to(path, "requests:1|c\nrequests:2|c\nnonsense\n");
        send_to(path, "latency:12|ms");
        while (stats.lines + stats.malformed < 4)
                assert_true(sd_event_run(e, 1000000) > 0);
        assert_int_equal(stats.lines, 3);
        assert_int_equal(stats.malformed, 1);
        assert_int_equal(counter_set_find(&counters, "requests")->count, 3);
        assert_int_equal(timing_set_find(&timings, "latency")->count, 1);

        /* Freeing removes the socket file. */
        s = statsd_socket_free(s);
        assert_int_equal(access(path, F_OK), -1);
        counter_set_done(&counters);
        timing_set_done(&timings);
        test_dir_free(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_datagram),
                cmocka_unit_test(test_sink),
                cmocka_unit_test(test_timing_set),
                cmocka_unit_test(test_socket_path),
                cmocka_unit_test(test_socket),
        };

        return cmocka_run_group_tests_name("statsd", tests, NULL, NULL);
}
