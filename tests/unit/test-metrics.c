/* SPDX-License-Identifier: MIT */

/* The registry: its table (enough indicators, valid D-Bus member names, every one documented), a
 * sample of the fixture tree with exact values and absent ones, CPU usage over an interval, and the
 * counters the agent and its logging code feed. */

#include <math.h>
#include <syslog.h>

#include "test-util.h"

#include "agent/metrics/metrics.h"
#include "agent/metrics/read.h"

#define METRICS_FIXTURES FIXTURES_DIR "/metrics"

static uint64_t fake_now;

static uint64_t fake_clock(void) {
        return fake_now;
}

static void metrics_init_fixture(Metrics *m, pid_t pid, const char *cgroup, const char *proc_root) {
        assert_int_equal(metrics_init(m, pid, cgroup), 0);
        m->sources = (MetricsSources) { .proc_root = proc_root, .cgroup_root = METRICS_FIXTURES "/cgroup" };
        m->ticks_per_sec = 100;
        m->page_size = 4096;
        m->clock = fake_clock;
        m->started_usec = 1000000;
}

static void assert_u64(const Metrics *m, MetricId id, uint64_t expected) {
        MetricValue v;

        metrics_get(m, id, &v);
        if (!v.present || v.u != expected)
                fail_msg("%s: %s %" PRIu64 ", expected %" PRIu64, metric_definition(id)->name,
                         v.present ? "" : "absent", v.u, expected);
}

static void assert_double(const Metrics *m, MetricId id, double expected) {
        MetricValue v;

        metrics_get(m, id, &v);
        if (!v.present || fabs(v.d - expected) > 1e-9)
                fail_msg("%s: %s %g, expected %g", metric_definition(id)->name, v.present ? "" : "absent",
                         v.d, expected);
}

static void assert_absent(const Metrics *m, MetricId id) {
        MetricValue v;

        metrics_get(m, id, &v);
        if (v.present)
                fail_msg("%s: present, expected absent", metric_definition(id)->name);
}

static bool member_name_is_valid(const char *s) {
        if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static void test_table(void **state _unused_) {
        _cleanup_free_ char *doc = NULL;
        FILE *f;
        size_t size = 0;

        assert_true(_METRIC_MAX >= 30);
        f = fopen(SOURCE_ROOT "/docs/metrics.md", "re");
        assert_non_null(f);
        assert_true(getdelim(&doc, &size, '\0', f) > 0);
        fclose(f);
        for (MetricId id = 0; id < _METRIC_MAX; id++) {
                const MetricDefinition *def = metric_definition(id);
                _cleanup_free_ char *row = NULL;

                assert_non_null(def);
                if (!member_name_is_valid(def->name))
                        fail_msg("indicator %d: '%s' is not a D-Bus member name", id, def->name);
                assert_true(def->type == 't' || def->type == 'd');
                assert_true(def->help && strlen(def->help) > 10);
                assert_true(def->source && *def->source);
                assert_int_equal(metric_from_name(def->name), id);
                /* docs/metrics.md has a table row for it, with its type. */
                assert_true(asprintf(&row, "| `%s` | `%c` |", def->name, def->type) >= 0);
                if (!strstr(doc, row))
                        fail_msg("docs/metrics.md lacks the row '%s'", row);
        }
        assert_null(metric_definition(_METRIC_MAX));
        assert_int_equal(metric_from_name("NoSuchThing"), _METRIC_INVALID);
}

static void test_initial(void **state _unused_) {
        Metrics m;

        metrics_init_fixture(&m, 1234, NULL, METRICS_FIXTURES "/proc");
        fake_now = 3500000;
        assert_u64(&m, METRIC_UPTIME_USEC, 2500000);
        /* Counted ones start at 0; sampled ones and what the agent has not said yet are absent. */
        assert_u64(&m, METRIC_CHILDREN_EXITS, 0);
        assert_u64(&m, METRIC_LOG_ENTRIES_ERR, 0);
        assert_u64(&m, METRIC_STATSD_LINES, 0);
        assert_absent(&m, METRIC_RESTARTS);
        assert_absent(&m, METRIC_CPU_USER_SECONDS);
        assert_absent(&m, METRIC_HOST_LOAD1);
        assert_absent(&m, METRIC_LOOP_ITERATIONS);
        metrics_done(&m);
}

static void test_sample(void **state _unused_) {
        Metrics m;

        metrics_init_fixture(&m, 1234, "/system.slice/shop-web@1.service", METRICS_FIXTURES "/proc");
        metrics_sample(&m, 5000000);
        assert_double(&m, METRIC_CPU_USER_SECONDS, 2.5);
        assert_double(&m, METRIC_CPU_SYSTEM_SECONDS, 0.75);
        assert_absent(&m, METRIC_CPU_USAGE_PERCENT);  /* one sample is no interval */
        assert_u64(&m, METRIC_MEMORY_RSS_BYTES, 11325440);
        assert_u64(&m, METRIC_MEMORY_VIRTUAL_BYTES, 123731968);
        assert_u64(&m, METRIC_THREADS, 3);
        assert_u64(&m, METRIC_OPEN_FDS, 5);
        assert_u64(&m, METRIC_CONTEXT_SWITCHES_VOLUNTARY, 1408);
        assert_u64(&m, METRIC_CONTEXT_SWITCHES_INVOLUNTARY, 37);
        assert_u64(&m, METRIC_IO_READ_BYTES, 4096);
        assert_u64(&m, METRIC_IO_WRITE_BYTES, 122880);
        assert_double(&m, METRIC_CGROUP_CPU_USER_SECONDS, 2.5);
        assert_double(&m, METRIC_CGROUP_CPU_SYSTEM_SECONDS, 1.0);
        assert_u64(&m, METRIC_CGROUP_MEMORY_CURRENT_BYTES, 52428800);
        assert_u64(&m, METRIC_CGROUP_MEMORY_PEAK_BYTES, 73400320);
        assert_u64(&m, METRIC_CGROUP_TASKS, 7);
        assert_double(&m, METRIC_HOST_LOAD1, 0.52);
        assert_double(&m, METRIC_HOST_LOAD5, 1.07);
        assert_double(&m, METRIC_HOST_LOAD15, 12.40);
        assert_u64(&m, METRIC_HOST_MEMORY_TOTAL_BYTES, UINT64_C(25276502016));
        assert_u64(&m, METRIC_HOST_MEMORY_AVAILABLE_BYTES, UINT64_C(24926830592));
        assert_u64(&m, METRIC_HOST_TCP_RETRANS_SEGS, 4242);
        assert_u64(&m, METRIC_HOST_TCP_CURR_ESTAB, 17);
        /* The same files again, 2 s later: nothing was used. */
        metrics_sample(&m, 7000000);
        assert_double(&m, METRIC_CPU_USAGE_PERCENT, 0);
        assert_double(&m, METRIC_CGROUP_CPU_USAGE_PERCENT, 0);
        metrics_done(&m);
}

static void test_sample_absent(void **state _unused_) {
        Metrics m;

        /* pid 4321: no io, no fd dir; the old cgroup: no cpu.stat, no memory.peak, no pids.current. */
        metrics_init_fixture(&m, 4321, "/system.slice/old@1.service", METRICS_FIXTURES "/proc");
        metrics_sample(&m, 5000000);
        assert_u64(&m, METRIC_THREADS, 1);
        assert_absent(&m, METRIC_IO_READ_BYTES);
        assert_absent(&m, METRIC_IO_WRITE_BYTES);
        assert_absent(&m, METRIC_OPEN_FDS);
        assert_absent(&m, METRIC_CGROUP_CPU_USER_SECONDS);
        assert_absent(&m, METRIC_CGROUP_MEMORY_PEAK_BYTES);
        assert_u64(&m, METRIC_CGROUP_MEMORY_CURRENT_BYTES, 1048576);
        assert_u64(&m, METRIC_CGROUP_TASKS, 3);
        metrics_done(&m);

        /* No cgroup at all (a cgroup v1 host), and a process that is gone. */
        metrics_init_fixture(&m, 999, NULL, METRICS_FIXTURES "/proc");
        metrics_sample(&m, 5000000);
        for (MetricId id = METRIC_CPU_USER_SECONDS; id <= METRIC_CGROUP_TASKS; id++)
                assert_absent(&m, id);
        assert_double(&m, METRIC_HOST_LOAD1, 0.52);
        metrics_done(&m);
}

/* Writes a stat line for pid 1234 with the given CPU ticks and a cpu.stat, under dir. */
static void write_cpu(const char *dir, unsigned utime, unsigned stime, unsigned cg_user,
                      unsigned cg_system) {
        _cleanup_free_ char *stat = NULL, *cpu = NULL;

        assert_true(asprintf(&stat, "1234 (a) S 1 1 1 0 -1 0 0 0 0 0 %u %u 0 0 20 0 1 0 5 1000 10\n", utime,
                             stime) >= 0);
        assert_true(asprintf(&cpu, "usage_usec 0\nuser_usec %u\nsystem_usec %u\n", cg_user, cg_system) >= 0);
        free(test_write(dir, "proc/1234/stat", stat));
        free(test_write(dir, "cgroup/x/cpu.stat", cpu));
}

static void test_cpu_usage_interval(void **state _unused_) {
        char *dir = test_dir_new("test-metrics");
        _cleanup_free_ char *proc = test_path(dir, "proc");
        Metrics m;

        free(test_mkdir(dir, "proc"));
        free(test_mkdir(dir, "proc/1234"));
        free(test_mkdir(dir, "cgroup"));
        free(test_mkdir(dir, "cgroup/x"));
        metrics_init_fixture(&m, 1234, "/x", proc);
        m.sources.cgroup_root = test_path(dir, "cgroup");

        write_cpu(dir, 250, 75, 2500000, 1000000);
        metrics_sample(&m, 10000000);
        /* 0.75 s of CPU in 2.5 s: 30 %, whatever the process used before (since boot it is 32.5 s). */
        write_cpu(dir, 300, 100, 3000000, 2250000);
        metrics_sample(&m, 12500000);
        assert_double(&m, METRIC_CPU_USAGE_PERCENT, 30.0);
        assert_double(&m, METRIC_CGROUP_CPU_USAGE_PERCENT, 70.0);
        /* The process restarted (ticks went down): no usage rather than a wrong one. */
        write_cpu(dir, 1, 1, 3000000, 2250000);
        metrics_sample(&m, 15000000);
        assert_absent(&m, METRIC_CPU_USAGE_PERCENT);
        assert_double(&m, METRIC_CGROUP_CPU_USAGE_PERCENT, 0.0);

        free((char *) m.sources.cgroup_root);
        metrics_done(&m);
        test_dir_free(dir);
}

static void test_counting(void **state _unused_) {
        Metrics m;

        metrics_init_fixture(&m, 1234, NULL, METRICS_FIXTURES "/proc");
        metrics_count_log_entry(&m, LOG_ERR, 10);
        metrics_count_log_entry(&m, LOG_INFO, 5);
        metrics_count_log_entry(&m, LOG_INFO, 7);
        metrics_count_log_entry(&m, 42, 1);             /* out of range: counts as debug */
        metrics_count_log_split(&m);
        metrics_count_journal_fallback(&m);
        metrics_count_journal_fallback(&m);
        metrics_count_child_exit(&m, false);
        metrics_count_child_exit(&m, true);
        assert_u64(&m, METRIC_LOG_ENTRIES_ERR, 1);
        assert_u64(&m, METRIC_LOG_ENTRIES_INFO, 2);
        assert_u64(&m, METRIC_LOG_ENTRIES_DEBUG, 1);
        assert_u64(&m, METRIC_LOG_BYTES, 23);
        assert_u64(&m, METRIC_LOG_LINES_SPLIT, 1);
        assert_u64(&m, METRIC_LOG_JOURNAL_FALLBACKS, 2);
        assert_u64(&m, METRIC_CHILDREN_EXITS, 2);
        assert_u64(&m, METRIC_CHILDREN_FAILED, 1);

        metrics_set_u64(&m, METRIC_RESTARTS, 3);
        assert_u64(&m, METRIC_RESTARTS, 3);
        metrics_set_absent(&m, METRIC_RESTARTS);
        assert_absent(&m, METRIC_RESTARTS);
        /* Counters saturate; doubles can't be set as integers; NULL (no registry yet) is fine. */
        metrics_set_u64(&m, METRIC_LOG_BYTES, UINT64_MAX - 1);
        metrics_add(&m, METRIC_LOG_BYTES, 5);
        assert_u64(&m, METRIC_LOG_BYTES, UINT64_MAX);
        metrics_set_u64(&m, METRIC_HOST_LOAD1, 1);
        assert_absent(&m, METRIC_HOST_LOAD1);
        metrics_count_log_entry(NULL, LOG_ERR, 1);
        metrics_count_child_exit(NULL, true);
        m.statsd = (StatsdStats) { .lines = 9, .malformed = 2 };
        assert_u64(&m, METRIC_STATSD_LINES, 9);
        assert_u64(&m, METRIC_STATSD_MALFORMED, 2);
        metrics_done(&m);
}

static int on_quit(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void test_event_loop(void **state _unused_) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        Metrics m;

        assert_int_equal(metrics_init(&m, getpid(), NULL), 0);
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(metrics_attach_event(&m, e, 10000), 0);
        /* Sampled at once: this very process. */
        assert_true(m.values[METRIC_THREADS].present);
        assert_true(m.values[METRIC_OPEN_FDS].present);
        assert_int_equal(sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 100000, 1, on_quit, NULL), 0);
        assert_int_equal(sd_event_loop(e), 0);
        assert_true(m.values[METRIC_LOOP_ITERATIONS].present);
        assert_true(m.values[METRIC_LOOP_ITERATIONS].u >= 2);
        assert_true(m.values[METRIC_LOOP_MAX_DISPATCH_DELAY_USEC].present);
        assert_true(m.values[METRIC_HOST_MEMORY_TOTAL_BYTES].present);
        metrics_done(&m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_initial),
                cmocka_unit_test(test_sample),
                cmocka_unit_test(test_sample_absent),
                cmocka_unit_test(test_cpu_usage_interval),
                cmocka_unit_test(test_counting),
                cmocka_unit_test(test_event_loop),
        };

        return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
