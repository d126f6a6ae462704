/* SPDX-License-Identifier: MIT */

/* Prometheus names of the agent's indicators, checked against the agent's own table
 * (agent/metrics/metrics.c): every indicator has a kind, a valid name of its own and help in the
 * metric's unit; nothing the exporter knows is missing from the agent. Plus the naming rules. */

#include <math.h>

#include "test-util.h"

#include "agent/metrics/metrics.h"
#include "exporter/names.h"

static void test_snake_case_one(const char *camel, const char *expected) {
        _cleanup_free_ char *s = prom_snake_case(camel);

        assert_non_null(s);
        if (!streq(s, expected))
                fail_msg("'%s' became '%s', expected '%s'", camel, s, expected);
}

static void test_snake_case(void **state) {
        test_snake_case_one("Threads", "threads");
        test_snake_case_one("OpenFDs", "open_fds");
        test_snake_case_one("CPUUserSeconds", "cpu_user_seconds");
        test_snake_case_one("CgroupCPUUsage", "cgroup_cpu_usage");
        test_snake_case_one("IOReadBytes", "io_read_bytes");
        test_snake_case_one("HostTCPCurrEstab", "host_tcp_curr_estab");
        test_snake_case_one("HostLoad15", "host_load15");
        test_snake_case_one("MemoryRSSBytes", "memory_rss_bytes");
        test_snake_case_one("LoopMaxDispatchDelay", "loop_max_dispatch_delay");
        test_snake_case_one("ABCs", "abcs");
}

static void test_indicator_one(const char *name, const char *help, const char *family, PromKind kind,
                               double divisor, const char *expected_help) {
        _cleanup_(prom_indicator_done) PromIndicator p = {};

        assert_int_equal(prom_indicator(name, help, &p), 0);
        assert_string_equal(p.family, family);
        assert_int_equal(p.kind, kind);
        assert_float_equal(p.divisor, divisor, 0);
        assert_string_equal(p.help, expected_help);
}

static void test_indicator(void **state) {
        test_indicator_one("UptimeUSec", "Time since the agent started, in µs", "pandora_uptime_seconds",
                           PROM_GAUGE, 1e6, "Time since the agent started, in seconds");
        test_indicator_one("CPUUsagePercent", "CPU used, in percent of one CPU", "pandora_cpu_usage_ratio",
                           PROM_GAUGE, 100, "CPU used, as a ratio, 1 being 100% of one CPU");
        test_indicator_one("CPUUserSeconds", "CPU time", "pandora_cpu_user_seconds", PROM_COUNTER, 1,
                           "CPU time");
        test_indicator_one("Restarts", NULL, "pandora_restarts", PROM_COUNTER, 1,
                           "pandora-agent's indicator Restarts");
        test_indicator_one("SomethingNewUSec", "Odd", "pandora_something_new_seconds", PROM_UNTYPED, 1e6,
                           "Odd (in seconds)");
}

/* Each of the agent's indicators: a kind, a valid name no other has, help without a unit the value no
 * longer has. */
static void test_agent_table(void **state) {
        char *families[_METRIC_MAX] = {};

        for (MetricId id = 0; id < _METRIC_MAX; id++) {
                const MetricDefinition *def = metric_definition(id);
                PromIndicator p = {};

                if (prom_indicator_kind(def->name) == PROM_UNTYPED)
                        fail_msg("indicator %s has no kind in exporter/names.c: add it as a counter "
                                 "(it only grows) or a gauge", def->name);
                assert_int_equal(prom_indicator(def->name, def->help, &p), 0);
                assert_true(prom_name_is_valid(p.family));
                assert_true(strncmp(p.family, "pandora_", 8) == 0);
                if (strlen(p.family) > 6 && streq(p.family + strlen(p.family) - 6, "_total"))
                        fail_msg("%s: family %s ends in _total", def->name, p.family);
                if (p.divisor != 1 && (strstr(p.help, "µs") || strstr(p.help, "in percent")))
                        fail_msg("%s: help '%s' names the bus's unit", def->name, p.help);
                for (MetricId k = 0; k < id; k++)
                        if (streq(families[k], p.family))
                                fail_msg("%s and %s both make %s", metric_definition(k)->name, def->name,
                                         p.family);
                families[id] = p.family;
                free(p.help);
        }
        for (MetricId id = 0; id < _METRIC_MAX; id++)
                free(families[id]);
}

/* Nothing the exporter knows is gone from the agent (a rename must reach names.c). */
static void test_known_are_in_agent(void **state) {
        const char *name;

        for (size_t i = 0; (name = prom_indicator_known(i)); i++) {
                if (metric_from_name(name) < 0)
                        fail_msg("exporter/names.c knows '%s', which the agent no longer has", name);
                if (i > 0)
                        assert_true(strcmp(prom_indicator_known(i - 1), name) < 0);
        }
}

static void test_app_name_one(const char *name, const char *expected) {
        _cleanup_free_ char *s = prom_app_name(name);

        assert_string_equal(s, expected);
        assert_true(prom_name_is_valid(s));
}

static void test_app_name(void **state) {
        test_app_name_one("requests", "pandora_app_requests");
        test_app_name_one("db.query-time", "pandora_app_db_query_time");
        test_app_name_one("GET_-api_users", "pandora_app_GET__api_users");
        test_app_name_one("9lives", "pandora_app_9lives");
        test_app_name_one("caf\xc3\xa9", "pandora_app_caf__");
}

static void test_name_is_valid(void **state) {
        assert_true(prom_name_is_valid("pandora_x:y_1"));
        assert_false(prom_name_is_valid(""));
        assert_false(prom_name_is_valid("1abc"));
        assert_false(prom_name_is_valid("a-b"));
        assert_false(prom_name_is_valid(NULL));
        assert_string_equal(prom_kind_to_string(PROM_COUNTER), "counter");
        assert_null(prom_kind_to_string(_PROM_KIND_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_snake_case),
                cmocka_unit_test(test_indicator),
                cmocka_unit_test(test_agent_table),
                cmocka_unit_test(test_known_are_in_agent),
                cmocka_unit_test(test_app_name),
                cmocka_unit_test(test_name_is_valid),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
