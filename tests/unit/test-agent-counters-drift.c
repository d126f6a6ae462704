/* SPDX-License-Identifier: MIT */

/* A service's counters and gauges, and the drift check: what tells the journal that the procfile
 * changed since the unit was generated. */

#include "test-util.h"

#include "agent/core/drift.h"
#include "agent/metrics/counters.h"
#include "common/strv.h"

static void test_counter_names(void **state _unused_) {
        static const struct {
                const char *name;
                bool valid;
        } cases[] = {
                { "requests", true }, { "http.requests_total", true }, { "a-b", true }, { "9", true },
                { "", false }, { "a b", false }, { "a/b", false }, { "ä", false }, { NULL, false },
                { "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", true },
                { "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                print_message("# case %zu\n", i);
                assert_int_equal(counter_name_is_valid(cases[i].name), cases[i].valid);
        }
}

static void test_counters(void **state _unused_) {
        CounterSet s = {};

        assert_int_equal(counter_set_add(&s, "requests", 1), 0);
        assert_int_equal(counter_set_add(&s, "requests", 41), 0);
        assert_int_equal(counter_set_gauge(&s, "queue", 2.5), 0);
        assert_int_equal(counter_set_gauge(&s, "queue", 3), 0);
        assert_int_equal(counter_set_find(&s, "requests")->count, 42);
        assert_true(counter_set_find(&s, "queue")->value == 3);
        assert_string_equal(counter_kind_to_string(counter_set_find(&s, "queue")->kind), "gauge");
        assert_null(counter_set_find(&s, "nope"));
        /* Order of first use, for whoever lists them. */
        assert_string_equal(s.counters[0].name, "requests");

        assert_int_equal(counter_set_add(&s, "queue", 1), -EINVAL);
        assert_int_equal(counter_set_gauge(&s, "requests", 1), -EINVAL);
        assert_int_equal(counter_set_add(&s, "requests", -1), -EINVAL);
        assert_int_equal(counter_set_add(&s, "bad name", 1), -EINVAL);
        assert_int_equal(counter_set_add(&s, "big", INT64_MAX), 0);
        assert_int_equal(counter_set_add(&s, "big", 1), -EOVERFLOW);
        assert_int_equal(counter_set_find(&s, "big")->count, INT64_MAX);
        assert_int_equal(s.n_counters, 3);
        counter_set_done(&s);
        assert_int_equal(s.n_counters, 0);
}

static void test_drift_one(const Process *p, const DriftInput *in, const char *expected) {
        _cleanup_free_ char *message = NULL;

        assert_int_equal(drift_check(p, in, &message), 0);
        if (expected)
                assert_string_equal(message, expected);
        else
                assert_null(message);
}

static void test_drift(void **state _unused_) {
        Process p = {
                .scale = 2,
                .env = (char **) STRV("NODE_ENV=production", "EMPTY="),
                .listen = (char **) STRV("8080"),
                .watchdog_ms = 3000,
        };
        char * const *unit = (char **) STRV("PATH=/bin", "PANDORA_SCALE=2", "NODE_ENV=production", "EMPTY=");
        DriftInput in = { .env = unit, .n_listen_fds = 1, .watchdog_usec = 3000000 };

        test_drift_one(&p, &in, NULL);

        /* The procfile's env is not the unit's to hold: whatever the unit has, it is no drift. */
        in.env = (char **) STRV("PANDORA_SCALE=2", "NODE_ENV=development");
        test_drift_one(&p, &in, NULL);
        in.env = (char **) STRV("PANDORA_SCALE=3", "NODE_ENV=production", "EMPTY=");
        test_drift_one(&p, &in, "scale is 2 in the procfile but 3 in the unit");
        /* "auto" is the machine's, not the file's. */
        p.scale_auto = true;
        test_drift_one(&p, &in, NULL);

        in.env = unit;
        in.n_listen_fds = 0;
        test_drift_one(&p, &in, "the procfile has 'listen' but the unit got no sockets");
        p.listen = NULL;
        in.n_listen_fds = 2;
        test_drift_one(&p, &in, "the unit passed 2 sockets but the procfile has no 'listen'");
        in.n_listen_fds = 0;
        in.watchdog_usec = 0;
        test_drift_one(&p, &in, "watchdog_ms is 3000 in the procfile but 0 in the unit");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counter_names),
                cmocka_unit_test(test_counters),
                cmocka_unit_test(test_drift),
        };

        return cmocka_run_group_tests_name("agent-counters-drift", tests, NULL, NULL);
}
