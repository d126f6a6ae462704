/* SPDX-License-Identifier: MIT */

/* The statsd line parser (good lines, names sanitised as statsd's server does, every way a line can be
 * malformed and the reason given), datagrams of several lines, hot-shots' exact wire format through the
 * sink into a service's counters, gauges, sets and timings, sets across intervals, and the socket end to
 * end on an sd-event loop: rate-limited reports of malformed lines, interval ticks. */

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

        r = statsd_parse_line(line, strlen(line), &m, NULL);
        if (r < 0)
                fail_msg("statsd_parse_line('%s') = %d", line, r);
        assert_string_equal(m.name, name);
        assert_int_equal(m.type, type);
        assert_float_equal(m.value, value, 1e-12);
        assert_int_equal(m.delta, delta);
        assert_float_equal(m.sample_rate, rate, 1e-12);
        assert_string_equal(m.member, "");
}

static void test_set_one(const char *line, const char *name, const char *member) {
        StatsdMetric m;

        if (statsd_parse_line(line, strlen(line), &m, NULL) < 0)
                fail_msg("statsd_parse_line('%s') refused a set", line);
        assert_string_equal(m.name, name);
        assert_int_equal(m.type, STATSD_SET);
        assert_string_equal(m.member, member);
}

static void test_malformed_one(const char *line, size_t n, const char *reason) {
        StatsdMetric m = { .name = "untouched" };
        const char *why = NULL;

        if (statsd_parse_line(line, n, &m, &why) != -EBADMSG)
                fail_msg("statsd_parse_line('%.*s') accepted a malformed line", (int) n, line);
        assert_string_equal(m.name, "untouched");
        if (!why || !streq(why, reason))
                fail_msg("statsd_parse_line('%.*s'): reason '%s', expected '%s'", (int) n, line,
                         why ?: "(null)", reason);
        /* The reason is optional. */
        assert_int_equal(statsd_parse_line(line, n, &m, NULL), -EBADMSG);
}

#define MALFORMED(s, reason) test_malformed_one(s, sizeof(s) - 1, reason)

static void test_lines(void **state _unused_) {
        test_line_one("requests:1|c", "requests", STATSD_COUNTER, 1, false, 1);
        test_line_one("web.hits:25|c|@0.1", "web.hits", STATSD_COUNTER, 25, false, 0.1);
        test_line_one("queue:42|g", "queue", STATSD_GAUGE, 42, false, 1);
        test_line_one("queue:+3|g", "queue", STATSD_GAUGE, 3, true, 1);
        test_line_one("queue:-3.5|g", "queue", STATSD_GAUGE, -3.5, true, 1);
        test_line_one("db-latency:12|ms", "db-latency", STATSD_TIMING, 12, false, 1);
        test_line_one("db_latency:0.25|ms|@0.5", "db_latency", STATSD_TIMING, 0.25, false, 0.5);
        test_line_one("h:7|h", "h", STATSD_TIMING, 7, false, 1);
        /* DogStatsD's distribution is a timing. */
        test_line_one("latency:30|d", "latency", STATSD_TIMING, 30, false, 1);
        test_line_one("latency:0.5|d|@0.25|#route:/api", "latency", STATSD_TIMING, 0.5, false, 0.25);
        test_line_one("x:1e3|c", "x", STATSD_COUNTER, 1000, false, 1);
        test_line_one("x:1e+21|c", "x", STATSD_COUNTER, 1e21, false, 1);
        /* DogStatsD tags, as hot-shots sends them, are ignored, before or after the rate; so are its
         * timestamp, container id and cardinality fields. */
        test_line_one("x:1|c|#env:prod,region:eu", "x", STATSD_COUNTER, 1, false, 1);
        test_line_one("x:1|c|#a:b|@0.25", "x", STATSD_COUNTER, 1, false, 0.25);
        test_line_one("x:1|c|#", "x", STATSD_COUNTER, 1, false, 1);
        test_line_one("x:1|c|@0.5|T1656581400", "x", STATSD_COUNTER, 1, false, 0.5);
        test_line_one("x:1|c|#a:b|c:0123456789abcdef|card:low|e:it-false", "x", STATSD_COUNTER, 1, false, 1);
        test_line_one("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1|c",
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", STATSD_COUNTER, 1,
                      false, 1);
        /* Names are sanitised as statsd's server does it. */
        test_line_one("bad name:1|c", "bad_name", STATSD_COUNTER, 1, false, 1);
        test_line_one("GET /api users:1|c", "GET_-api_users", STATSD_COUNTER, 1, false, 1);
        test_line_one("caf\xc3\xa9:1|g", "caf", STATSD_GAUGE, 1, false, 1);

        /* Sets: the value is text, and a rate or tags change nothing. */
        test_set_one("users:alice|s", "users", "alice");
        test_set_one("users:alice|s|#env:test", "users", "alice");
        test_set_one("users:42|s|@0.5", "users", "42");
        test_set_one("ips:10.0.0.1|s", "ips", "10.0.0.1");
        test_set_one("urls:http://x/y?z=1|s", "urls", "http://x/y?z=1");
        test_set_one("u:with space\t|s", "u", "with space\t");
}

static void test_name_sanitize_one(const char *in, const char *expected) {
        char name[STATSD_NAME_MAX + 1];
        int r = statsd_name_sanitize(in, strlen(in), name);

        if (!expected) {
                if (r != -EBADMSG && r != -ENAMETOOLONG)
                        fail_msg("statsd_name_sanitize('%s') = %d ('%s'), expected a refusal", in, r,
                                 r >= 0 ? name : "");
                return;
        }
        if (r < 0)
                fail_msg("statsd_name_sanitize('%s') = %d, expected '%s'", in, r, expected);
        assert_string_equal(name, expected);
}

/* Each expectation is what statsd's stats.js makes of the name: s.replace(/\s+/g, '_')
 * .replace(/\//g, '-').replace(/[^a-zA-Z_\-0-9\.]/g, ''). */
static void test_name_sanitize(void **state _unused_) {
        test_name_sanitize_one("requests", "requests");
        test_name_sanitize_one("web.hits_2-x", "web.hits_2-x");
        test_name_sanitize_one("my metric", "my_metric");
        test_name_sanitize_one("a  \t b", "a_b");
        test_name_sanitize_one(" lead", "_lead");
        test_name_sanitize_one("trail \r", "trail_");
        test_name_sanitize_one("api/v1/users", "api-v1-users");
        test_name_sanitize_one("a / b", "a_-_b");
        test_name_sanitize_one("a+b*c(d)", "abcd");
        test_name_sanitize_one("shop,env=prod", "shopenvprod");
        /* The run of whitespace is the input's: a dropped character between two spaces leaves two. */
        test_name_sanitize_one("a \x01 b", "a__b");
        test_name_sanitize_one("\xe2\x82\xac" "5", "5");
        test_name_sanitize_one("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!!!!b",
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
        test_name_sanitize_one("", NULL);
        test_name_sanitize_one("!!!", NULL);
        test_name_sanitize_one("\xc3\xa9", NULL);
        test_name_sanitize_one("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b", NULL);
}

static void test_malformed(void **state _unused_) {
        MALFORMED("requests", "no ':' after the name");
        MALFORMED("requests:1", "no '|' and type after the value");
        MALFORMED("requests:|c", "value is not a decimal number");
        MALFORMED(":1|c", "empty name");
        MALFORMED("!!:1|c", "no character of the name is one a name may have");
        MALFORMED("requests:1|", "unknown type (known: c, g, ms, h, d, s)");
        MALFORMED("requests:1|x", "unknown type (known: c, g, ms, h, d, s)");
        MALFORMED("requests:1|cc", "unknown type (known: c, g, ms, h, d, s)");
        MALFORMED("requests:1|S", "unknown type (known: c, g, ms, h, d, s)");
        MALFORMED("requests:abc|c", "value is not a decimal number");
        MALFORMED("requests:nan|g", "value is not a decimal number");
        MALFORMED("requests:inf|c", "value is not a decimal number");
        MALFORMED("requests:0x10|c", "value is not a decimal number");
        MALFORMED("requests: 1|c", "value is not a decimal number");
        MALFORMED("requests:1.|c", "value is not a decimal number");
        MALFORMED("requests:.5|c", "value is not a decimal number");
        MALFORMED("requests:1e|c", "value is not a decimal number");
        MALFORMED("requests:1e999|c", "value is not a decimal number");
        MALFORMED("requests:1|c|@0", "sample rate is not a number in (0, 1]");
        MALFORMED("requests:1|c|@1.5", "sample rate is not a number in (0, 1]");
        MALFORMED("requests:1|c|@-0.5", "sample rate is not a number in (0, 1]");
        MALFORMED("requests:1|c|@", "sample rate is not a number in (0, 1]");
        MALFORMED("requests:1|c|@0.1|@0.1", "sample rate given twice");
        MALFORMED("requests:1|c|x", "unknown field after the type (known: |@rate, |#tags)");
        MALFORMED("requests:1|c|", "unknown field after the type (known: |@rate, |#tags)");
        MALFORMED("requests:1|c|T", "unknown field after the type (known: |@rate, |#tags)");
        MALFORMED("requests:1|c|T12a", "unknown field after the type (known: |@rate, |#tags)");
        MALFORMED("requests:1|c|:x", "unknown field after the type (known: |@rate, |#tags)");
        MALFORMED("latency:-1|ms", "negative timing");
        MALFORMED("latency:-1|d", "negative timing");
        MALFORMED("users:|s", "empty set value");
        MALFORMED("bad:name:1|c", "value is not a decimal number");
        MALFORMED("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1|c",
                  "name longer than 64 characters");
        MALFORMED("nul\0x:1|c", "NUL byte in the line");
        MALFORMED("x:1|c\0", "NUL byte in the line");
        MALFORMED("x:1|c\r", "unknown type (known: c, g, ms, h, d, s)");
        /* hot-shots' event() and check(): DogStatsD's own line kinds. */
        MALFORMED("_e{6,2}:deploy|v2|#env:test", "DogStatsD events and service checks are not supported");
        MALFORMED("_sc|db|0|#env:test", "DogStatsD events and service checks are not supported");
}

static void test_long_line(void **state _unused_) {
        char line[STATSD_LINE_MAX + 2];

        memset(line, '1', sizeof(line));
        memcpy(line, "x:", 2);
        memcpy(line + sizeof(line) - 2, "|c", 2);
        test_malformed_one(line, sizeof(line), "line longer than 1024 bytes");
        /* At 1024 bytes the line is read (and its 1020 digits are too many for a double). */
        memcpy(line + sizeof(line) - 4, "|c", 2);
        test_malformed_one(line, sizeof(line) - 2, "value is not a decimal number");
}

static void test_refusal_to_string(void **state _unused_) {
        assert_string_equal(statsd_refusal_to_string(-EEXIST),
                            "the name belongs to a metric of another kind");
        assert_string_equal(statsd_refusal_to_string(-ERANGE),
                            "a counter can't go down (a gauge can: 'name:-1|g')");
        assert_string_equal(statsd_refusal_to_string(-EOVERFLOW), "value out of range");
        assert_string_equal(statsd_refusal_to_string(-E2BIG),
                            "the set holds too many distinct values in this interval");
        assert_string_equal(statsd_refusal_to_string(-EINVAL), strerror(EINVAL));
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

/* What a reject handler was given, line and reason, as "line: reason\n" each. */
typedef struct Rejects {
        char text[1024];
        size_t n;
} Rejects;

static void collect_reject(const char *line, size_t n, const char *reason, void *userdata) {
        Rejects *r = userdata;
        size_t used = strlen(r->text);

        snprintf(r->text + used, sizeof(r->text) - used, "%.*s: %s\n", (int) n, line, reason);
        r->n++;
}

static void test_datagram(void **state _unused_) {
        static const char data[] = "a:1|c\nbroken\nb:2|g\n\nc:3|ms\nd:4|q\ne:5|c";
        Collected c = {};
        Rejects rejects = {};
        StatsdStats stats = { .lines = 10, .malformed = 1 };

        assert_int_equal(statsd_parse_datagram(data, sizeof(data) - 1, collect, &c, &stats), 0);
        assert_int_equal(c.n, 4);
        assert_string_equal(c.metrics[0].name, "a");
        assert_string_equal(c.metrics[1].name, "b");
        assert_string_equal(c.metrics[2].name, "c");
        assert_string_equal(c.metrics[3].name, "e");
        assert_int_equal(stats.lines, 14);
        assert_int_equal(stats.malformed, 3);

        /* The same with reports: each malformed line once, with its reason. */
        c = (Collected) {};
        stats = (StatsdStats) {};
        assert_int_equal(statsd_parse_datagram_full(data, sizeof(data) - 1, collect, &c, collect_reject,
                                                    &rejects, &stats), 0);
        assert_int_equal(stats.malformed, 2);
        assert_int_equal(rejects.n, 2);
        assert_string_equal(rejects.text, "broken: no ':' after the name\n"
                                          "d:4|q: unknown type (known: c, g, ms, h, d, s)\n");

        /* A handler refusing a line counts it as malformed, and the report names its errno; running out
         * of memory stops, unreported. */
        c = (Collected) { .result = -ERANGE };
        stats = (StatsdStats) {};
        rejects = (Rejects) {};
        assert_int_equal(statsd_parse_datagram_full("a:1|c\nb:1|c\n", 12, collect, &c, collect_reject,
                                                    &rejects, &stats), 0);
        assert_int_equal(stats.malformed, 2);
        assert_string_equal(rejects.text, "a:1|c: a counter can't go down (a gauge can: 'name:-1|g')\n"
                                          "b:1|c: a counter can't go down (a gauge can: 'name:-1|g')\n");
        c = (Collected) { .result = -ENOMEM };
        rejects = (Rejects) {};
        assert_int_equal(statsd_parse_datagram_full("a:1|c\nb:1|c\n", 12, collect, &c, collect_reject,
                                                    &rejects, NULL), -ENOMEM);
        assert_int_equal(c.n, 1);
        assert_int_equal(rejects.n, 0);
        assert_int_equal(statsd_parse_datagram("", 0, collect, &c, NULL), 0);
        assert_int_equal(statsd_parse_datagram("\n\n", 2, collect, &c, NULL), 0);
}

static void test_sink(void **state _unused_) {
        static const char data[] =
                "hits:1|c\nhits:2|c|@0.5\nhits:-1|c\nqueue:10|g\nqueue:-4|g\nqueue:+1.5|g\n"
                "lat:10|ms\nlat:30|ms|@0.5\nlat:2|ms\nhits:3|g\nqueue:1|c\nfresh:-2|g\n"
                "users:a|s\nusers:1|g\nusers:1|c\nhits:a|s\nqueue:a|s\nlat:a|s\n";
        CounterSet counters = {};
        TimingSet timings = {};
        MetricsAppSink sink = { .counters = &counters, .timings = &timings };
        Rejects rejects = {};
        StatsdStats stats = {};
        const Counter *c;
        const Timing *t;

        assert_int_equal(statsd_parse_datagram_full(data, sizeof(data) - 1, metrics_app_apply, &sink,
                                                    collect_reject, &rejects, &stats), 0);
        /* Refused: a negative count, and every line naming a counter, gauge or set as another of the
         * three. Timings are apart: a set may share a timing's name. */
        assert_string_equal(rejects.text,
                            "hits:-1|c: a counter can't go down (a gauge can: 'name:-1|g')\n"
                            "hits:3|g: the name belongs to a metric of another kind\n"
                            "queue:1|c: the name belongs to a metric of another kind\n"
                            "users:1|g: the name belongs to a metric of another kind\n"
                            "users:1|c: the name belongs to a metric of another kind\n"
                            "hits:a|s: the name belongs to a metric of another kind\n"
                            "queue:a|s: the name belongs to a metric of another kind\n");
        assert_int_equal(stats.malformed, 7);
        assert_int_equal(stats.lines, 11);
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
        assert_float_equal(counter_set_find(&counters, "lat")->value, 1, 1e-12);
        counter_set_done(&counters);
        timing_set_done(&timings);
}

/* hot-shots 17.1.1's exact datagram over protocol "uds" (buffered, one flush) for: increment('requests'),
 * increment('requests', 2, 0.5, ['route:/api']), gauge('queue', 42), gaugeDelta('queue', -3),
 * timing('db', 12), histogram('size', 7), distribution('latency', 30, ['route:/api']),
 * distribution('latency', 10), set('users', 'alice'), unique('users', 'bob'), set('users', 'alice'),
 * increment('GET /api users'), decrement('oops'), event('deploy', 'v2'), with globalTags { env: 'test' }
 * (recorded from the real client; tests/integration/test-statsd.sh sends it from the client itself). */
static const char hot_shots_datagram[] =
        "requests:1|c|#env:test\n"
        "requests:2|c|@0.5|#env:test,route:/api\n"
        "queue:42|g|#env:test\n"
        "queue:-3|g|#env:test\n"
        "db:12|ms|#env:test\n"
        "size:7|h|#env:test\n"
        "latency:30|d|#env:test,route:/api\n"
        "latency:10|d|#env:test\n"
        "users:alice|s|#env:test\n"
        "users:bob|s|#env:test\n"
        "users:alice|s|#env:test\n"
        "GET /api users:1|c|#env:test\n"
        "oops:-1|c|#env:test\n"
        "_e{6,2}:deploy|v2|#env:test";

static void test_hot_shots(void **state _unused_) {
        CounterSet counters = {};
        TimingSet timings = {};
        MetricsAppSink sink = { .counters = &counters, .timings = &timings };
        Rejects rejects = {};
        StatsdStats stats = {};
        const Timing *t;

        assert_int_equal(statsd_parse_datagram_full(hot_shots_datagram, sizeof(hot_shots_datagram) - 1,
                                                    metrics_app_apply, &sink, collect_reject, &rejects,
                                                    &stats), 0);
        assert_int_equal(stats.lines, 12);
        assert_int_equal(stats.malformed, 2);
        assert_string_equal(rejects.text,
                            "oops:-1|c|#env:test: a counter can't go down (a gauge can: 'name:-1|g')\n"
                            "_e{6,2}:deploy|v2|#env:test: "
                            "DogStatsD events and service checks are not supported\n");
        assert_int_equal(counter_set_find(&counters, "requests")->count, 5);
        assert_float_equal(counter_set_find(&counters, "queue")->value, 39, 1e-12);
        assert_float_equal(counter_set_find(&counters, "users")->value, 2, 1e-12);
        assert_int_equal(counter_set_find(&counters, "GET_-api_users")->count, 1);
        assert_int_equal(counters.n_counters, 4);
        t = timing_set_find(&timings, "db");
        assert_int_equal(t->count, 1);
        assert_float_equal(t->sum, 12, 1e-12);
        assert_int_equal(timing_set_find(&timings, "size")->count, 1);
        t = timing_set_find(&timings, "latency");
        assert_int_equal(t->count, 2);
        assert_float_equal(t->sum, 40, 1e-12);
        assert_float_equal(t->min, 10, 1e-12);
        assert_float_equal(t->max, 30, 1e-12);
        counter_set_done(&counters);
        timing_set_done(&timings);
}

static void test_sets(void **state _unused_) {
        CounterSet counters = {};
        TimingSet timings = {};
        MetricsAppSink sink = { .counters = &counters, .timings = &timings };
        StatsdStats stats = {};
        char line[64];

        /* Distinct values count once, whatever else the line says. */
        assert_int_equal(statsd_parse_datagram("u:a|s\nu:b|s\nu:a|s|@0.1\nu:a|s|#x:y\nv:a|s\n", 39,
                                               metrics_app_apply, &sink, &stats), 0);
        assert_int_equal(stats.lines, 5);
        assert_float_equal(counter_set_find(&counters, "u")->value, 2, 1e-12);
        assert_float_equal(counter_set_find(&counters, "v")->value, 1, 1e-12);
        assert_int_equal(counter_set_find(&counters, "u")->kind, COUNTER_GAUGE);

        /* A new interval: every set reads 0, then counts afresh; values of the old one are forgotten. */
        metrics_app_tick(&sink, 20 * METRICS_APP_SET_INTERVAL_USEC);
        assert_float_equal(counter_set_find(&counters, "u")->value, 0, 1e-12);
        assert_float_equal(counter_set_find(&counters, "v")->value, 0, 1e-12);
        assert_null(counter_set_find(&counters, "u")->distinct->slots);
        assert_int_equal(statsd_parse_datagram("u:a|s", 5, metrics_app_apply, &sink, &stats), 0);
        assert_float_equal(counter_set_find(&counters, "u")->value, 1, 1e-12);

        /* Thousands of values: the table grows, and still counts each once. */
        for (unsigned i = 0; i < 5000; i++) {
                int n = snprintf(line, sizeof(line), "big:user-%u|s\nbig:user-%u|s", i, i / 2);

                assert_int_equal(statsd_parse_datagram(line, (size_t) n, metrics_app_apply, &sink, NULL), 0);
        }
        assert_float_equal(counter_set_find(&counters, "big")->value, 5000, 1e-12);
        counter_set_done(&counters);
        timing_set_done(&timings);
}

static void test_counter_distinct(void **state _unused_) {
        CounterSet s = {};
        char value[32];

        assert_int_equal(counter_set_add_distinct(&s, "bad name", "a", 1), -EINVAL);
        assert_int_equal(counter_set_add_distinct(&s, "u", "a", 1), 1);
        assert_int_equal(counter_set_add_distinct(&s, "u", "a", 1), 0);
        /* Values are bytes: a NUL inside counts, a prefix is another value. */
        assert_int_equal(counter_set_add_distinct(&s, "u", "a\0b", 3), 1);
        assert_int_equal(counter_set_add_distinct(&s, "u", "", 0), 1);
        assert_float_equal(counter_set_find(&s, "u")->value, 3, 1e-12);
        /* A set is no plain gauge, and the other way round. */
        assert_int_equal(counter_set_gauge(&s, "u", 5), -EINVAL);
        assert_int_equal(counter_set_add(&s, "u", 1), -EINVAL);
        assert_int_equal(counter_set_gauge(&s, "g", 5), 0);
        assert_int_equal(counter_set_add_distinct(&s, "g", "a", 1), -EINVAL);
        assert_int_equal(counter_set_add(&s, "c", 1), 0);
        assert_int_equal(counter_set_add_distinct(&s, "c", "a", 1), -EINVAL);

        /* Full at COUNTER_DISTINCT_MAX values: more are refused, those it has still count once. */
        for (unsigned i = 0; i < COUNTER_DISTINCT_MAX; i++) {
                int n = snprintf(value, sizeof(value), "%u", i);

                assert_int_equal(counter_set_add_distinct(&s, "full", value, (size_t) n), 1);
        }
        assert_int_equal(counter_set_add_distinct(&s, "full", "x", 1), -E2BIG);
        assert_int_equal(counter_set_add_distinct(&s, "full", "7", 1), 0);
        assert_float_equal(counter_set_find(&s, "full")->value, COUNTER_DISTINCT_MAX, 1e-12);
        counter_set_reset_distinct(&s);
        assert_float_equal(counter_set_find(&s, "full")->value, 0, 1e-12);
        assert_float_equal(counter_set_find(&s, "g")->value, 5, 1e-12);
        assert_int_equal(counter_set_add_distinct(&s, "full", "x", 1), 1);
        counter_set_done(&s);
        assert_int_equal(s.n_counters, 0);
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

static void test_report_format_one(const char *line, size_t n, const char *expected, bool truncated) {
        char buf[STATSD_REPORT_LINE_MAX * 4 + 1];

        assert_int_equal(statsd_report_format_line(line, n, buf), truncated);
        assert_string_equal(buf, expected);
}

static void test_report_format(void **state _unused_) {
        char line[STATSD_REPORT_LINE_MAX + 1], expected[STATSD_REPORT_LINE_MAX * 4 + 1] = "";

        test_report_format_one("x:1|q", 5, "x:1|q", false);
        test_report_format_one("it's \\ \"odd\"", 12, "it's \\\\ \"odd\"", false);
        test_report_format_one("a\0b\tc\x7f\xc3\xa9", 8, "a\\x00b\\x09c\\x7f\\xc3\\xa9", false);
        test_report_format_one("", 0, "", false);
        /* Cut after STATSD_REPORT_LINE_MAX bytes of the line; all of them escaped still fits. */
        memset(line, 'x', sizeof(line));
        memset(expected, 'x', STATSD_REPORT_LINE_MAX);
        test_report_format_one(line, STATSD_REPORT_LINE_MAX, expected, false);
        test_report_format_one(line, sizeof(line), expected, true);
        memset(line, '\x01', sizeof(line));
        for (size_t i = 0; i < STATSD_REPORT_LINE_MAX; i++)
                memcpy(expected + 4 * i, "\\x01", 4);
        expected[4 * STATSD_REPORT_LINE_MAX] = '\0';
        test_report_format_one(line, sizeof(line), expected, true);
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

typedef struct Reports {
        StatsdSocket *socket;
        char lines[8][STATSD_REPORT_LINE_MAX * 4 + 1];
        char reasons[8][128];
        bool truncated[8];
        uint64_t suppressed[8];
        uint64_t at[8];         /* CLOCK_MONOTONIC, µs */
        size_t n;
} Reports;

static uint64_t now_usec(void) {
        struct timespec ts;

        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void on_report(StatsdSocket *s, const StatsdReport *report, void *userdata) {
        Reports *r = userdata;

        assert_ptr_equal(s, r->socket);
        assert_true(r->n < ELEMENTSOF(r->lines));
        snprintf(r->lines[r->n], sizeof(r->lines[r->n]), "%s", report->line);
        snprintf(r->reasons[r->n], sizeof(r->reasons[r->n]), "%s", report->reason);
        r->truncated[r->n] = report->truncated;
        r->suppressed[r->n] = report->suppressed;
        r->at[r->n] = now_usec();
        r->n++;
}

/* Runs e until the socket took `total` lines or, with reports > 0, until that many reports came. */
static void run_until(sd_event *e, const StatsdStats *stats, uint64_t total, const Reports *r,
                      size_t reports) {
        while (stats->lines + stats->malformed < total || (reports > 0 && r->n < reports))
                assert_true(sd_event_run(e, 3000000) > 0);
}

static void test_socket_reports(void **state _unused_) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(statsd_socket_freep) StatsdSocket *s = NULL;
        _cleanup_free_ char *path = NULL;
        char *dir = test_dir_new("test-statsd");
        CounterSet counters = {};
        TimingSet timings = {};
        MetricsAppSink sink = { .counters = &counters, .timings = &timings };
        StatsdStats stats = {};
        Reports reports = {};
        char long_line[300];
        uint64_t start;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(statsd_socket_path(dir, "api", &path), 0);
        assert_int_equal(statsd_socket_new(e, path, metrics_app_apply, &sink, &stats, &s), 0);
        reports.socket = s;
        statsd_socket_set_report(s, on_report, &reports);

        /* The first malformed line is reported at once; those in the next second are held back. */
        start = now_usec();
        send_to(path, "ok:1|c\nfirst|c\nsecond:x|c\nthird:1|c|@2\nok:1|c");
        run_until(e, &stats, 5, &reports, 1);
        assert_int_equal(reports.n, 1);
        assert_string_equal(reports.lines[0], "first|c");
        assert_string_equal(reports.reasons[0], "no ':' after the name");
        assert_int_equal(reports.suppressed[0], 0);
        assert_false(reports.truncated[0]);
        assert_int_equal(stats.malformed, 3);
        assert_int_equal(counter_set_find(&counters, "ok")->count, 2);

        /* A second later the latest held line is reported with the count of the others. */
        run_until(e, &stats, 5, &reports, 2);
        assert_string_equal(reports.lines[1], "third:1|c|@2");
        assert_string_equal(reports.reasons[1], "sample rate is not a number in (0, 1]");
        assert_int_equal(reports.suppressed[1], 1);
        assert_true(reports.at[1] - start >= STATSD_REPORT_INTERVAL_USEC);

        /* Within a second of that report: held again, reported by the next timer, alone. A refused line
         * is reported with the handler's reason; a long line is cut. */
        memset(long_line, 'n', sizeof(long_line) - 1);
        long_line[sizeof(long_line) - 1] = '\0';
        memcpy(long_line + sizeof(long_line) - 5, ":1|q", 4);
        send_to(path, "ok:-1|c");
        send_to(path, long_line);
        run_until(e, &stats, 7, &reports, 3);
        assert_int_equal(reports.n, 3);
        assert_int_equal(reports.suppressed[2], 1);
        assert_true(reports.truncated[2]);
        assert_int_equal(strlen(reports.lines[2]), STATSD_REPORT_LINE_MAX);
        assert_true(reports.at[2] - reports.at[1] >= STATSD_REPORT_INTERVAL_USEC - 100000);

        /* After a quiet second the next one is reported at once again. */
        usleep(STATSD_REPORT_INTERVAL_USEC + 50000);
        send_to(path, "ok:-1|c");
        run_until(e, &stats, 8, &reports, 4);
        assert_string_equal(reports.lines[3], "ok:-1|c");
        assert_string_equal(reports.reasons[3], "a counter can't go down (a gauge can: 'name:-1|g')");
        assert_int_equal(reports.suppressed[3], 0);

        /* Without a handler nothing is reported, but everything counted. */
        statsd_socket_set_report(s, NULL, NULL);
        send_to(path, "broken\nbroken");
        run_until(e, &stats, 10, &reports, 0);
        assert_int_equal(reports.n, 4);
        assert_int_equal(stats.malformed, 8);

        s = statsd_socket_free(s);
        counter_set_done(&counters);
        timing_set_done(&timings);
        test_dir_free(dir);
}

static void on_tick(void *userdata, uint64_t now) {
        /* The handler's userdata: here the sink itself, as the agent passes it. */
        metrics_app_tick(userdata, now);
}

static void test_socket_tick(void **state _unused_) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(statsd_socket_freep) StatsdSocket *s = NULL;
        _cleanup_free_ char *path = NULL;
        char *dir = test_dir_new("test-statsd");
        CounterSet counters = {};
        TimingSet timings = {};
        MetricsAppSink sink = { .counters = &counters, .timings = &timings };
        StatsdStats stats = {};
        const uint64_t interval = 500000;
        uint64_t start, end;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(statsd_socket_path(dir, "api", &path), 0);
        assert_int_equal(statsd_socket_new(e, path, metrics_app_apply, &sink, &stats, &s), 0);
        assert_int_equal(statsd_socket_set_tick(s, 0, on_tick), -EINVAL);

        /* Sent early in an interval, so that the set's values all land in one. */
        while (now_usec() % interval > interval / 10)
                usleep(1000);
        assert_int_equal(statsd_socket_set_tick(s, interval, on_tick), 0);
        send_to(path, "users:a|s\nusers:b|s\nusers:a|s");
        run_until(e, &stats, 3, NULL, 0);
        assert_float_equal(counter_set_find(&counters, "users")->value, 2, 1e-12);

        /* At the next multiple of the interval the set reads 0, with no line sent. */
        start = now_usec();
        while (counter_set_find(&counters, "users")->value != 0)
                assert_true(sd_event_run(e, 5000000) > 0);
        end = now_usec();
        assert_true(end / interval > start / interval);

        /* Ticks go on, and can be stopped. */
        send_to(path, "users:c|s");
        run_until(e, &stats, 4, NULL, 0);
        while (counter_set_find(&counters, "users")->value != 0)
                assert_true(sd_event_run(e, 5000000) > 0);
        assert_int_equal(statsd_socket_set_tick(s, interval, NULL), 0);
        send_to(path, "users:d|s");
        run_until(e, &stats, 5, NULL, 0);
        assert_int_equal(sd_event_run(e, 2 * interval), 0);
        assert_float_equal(counter_set_find(&counters, "users")->value, 1, 1e-12);

        s = statsd_socket_free(s);
        counter_set_done(&counters);
        timing_set_done(&timings);
        test_dir_free(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_name_sanitize),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_refusal_to_string),
                cmocka_unit_test(test_datagram),
                cmocka_unit_test(test_sink),
                cmocka_unit_test(test_hot_shots),
                cmocka_unit_test(test_sets),
                cmocka_unit_test(test_counter_distinct),
                cmocka_unit_test(test_timing_set),
                cmocka_unit_test(test_socket_path),
                cmocka_unit_test(test_report_format),
                cmocka_unit_test(test_socket),
                cmocka_unit_test(test_socket_reports),
                cmocka_unit_test(test_socket_tick),
        };

        return cmocka_run_group_tests_name("statsd", tests, NULL, NULL);
}
