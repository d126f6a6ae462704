/* SPDX-License-Identifier: MIT */

/* The kernel file parsers against fixtures with exact numbers, and the readers against a fixture tree
 * laid out like /proc and /sys/fs/cgroup: pid 1234 has everything, pid 4321 lives on a cgroup v1 host
 * and may not read its io file, and the old@1 cgroup predates memory.peak and pids.current. */

#include "test-util.h"

#include "agent/metrics/proc.h"
#include "agent/metrics/read.h"

#define METRICS_FIXTURES FIXTURES_DIR "/metrics"
#define OLD_CGROUP "/system.slice/old@1.service"

static const MetricsSources fixture_sources = {
        .proc_root = METRICS_FIXTURES "/proc",
        .cgroup_root = METRICS_FIXTURES "/cgroup",
};

/* The text of a fixture file, newly allocated. */
static char *fixture(const char *rel) {
        _cleanup_free_ char *path = NULL;
        char *text = NULL;

        assert_true(asprintf(&path, "%s/%s", METRICS_FIXTURES, rel) >= 0);
        assert_int_equal(read_text_file(path, &text), 0);
        return text;
}

static void test_proc_stat(void **state _unused_) {
        _cleanup_free_ char *text = fixture("proc/1234/stat"), *evil = fixture("proc/4321/stat");
        ProcStat s;

        assert_int_equal(proc_stat_parse(text, &s), 0);
        assert_int_equal(s.utime_ticks, 250);
        assert_int_equal(s.stime_ticks, 75);
        assert_int_equal(s.threads, 3);
        assert_int_equal(s.vsize_bytes, 123731968);
        assert_int_equal(s.rss_pages, 2765);

        /* A command name "evil) S 1 (x": fields count from the last ')'. */
        assert_int_equal(proc_stat_parse(evil, &s), 0);
        assert_int_equal(s.utime_ticks, 100);
        assert_int_equal(s.stime_ticks, 50);
        assert_int_equal(s.threads, 1);
        assert_int_equal(s.vsize_bytes, 5000000);
        assert_int_equal(s.rss_pages, 100);
}

static void test_proc_stat_bad(void **state _unused_) {
        ProcStat s = { .threads = 42 };

        assert_int_equal(proc_stat_parse("", &s), -EBADMSG);
        assert_int_equal(proc_stat_parse("1 (x R 1 2 3", &s), -EBADMSG);
        assert_int_equal(proc_stat_parse("1 (x) R 1 2 3 4 5 6 7 8 9 10 11\n", &s), -EBADMSG);
        assert_int_equal(proc_stat_parse("1 (x) R 1 1 1 0 -1 0 0 0 0 0 x 1 0 0 20 0 1 0 5 6 7\n", &s),
                         -EBADMSG);
        /* One past UINT64_MAX. */
        assert_int_equal(proc_stat_parse("1 (x) R 1 1 1 0 -1 0 0 0 0 0 18446744073709551616 1 0 0 20 0 1 0 "
                                         "5 6 7\n", &s), -EBADMSG);
        assert_int_equal(s.threads, 42);
}

static void test_proc_status(void **state _unused_) {
        _cleanup_free_ char *text = fixture("proc/1234/status");
        ProcStatus s = {};

        assert_int_equal(proc_status_parse(text, &s), 0);
        assert_int_equal(s.voluntary_ctxt_switches, 1408);
        assert_int_equal(s.nonvoluntary_ctxt_switches, 37);
        assert_int_equal(proc_status_parse("Name:\tx\nvoluntary_ctxt_switches:\t1\n", &s), -EBADMSG);
        assert_int_equal(proc_status_parse("voluntary_ctxt_switches_x:\t1\n"
                                           "nonvoluntary_ctxt_switches:\t2\n", &s), -EBADMSG);
}

static void test_proc_io(void **state _unused_) {
        _cleanup_free_ char *text = fixture("proc/1234/io");
        ProcIo io = {};

        assert_int_equal(proc_io_parse(text, &io), 0);
        assert_int_equal(io.read_bytes, 4096);
        assert_int_equal(io.write_bytes, 122880);
        assert_int_equal(proc_io_parse("rchar: 1\nwchar: 2\n", &io), -EBADMSG);
}

static void test_loadavg(void **state _unused_) {
        _cleanup_free_ char *text = fixture("proc/loadavg");
        double load[3] = {};

        assert_int_equal(loadavg_parse(text, load), 0);
        assert_float_equal(load[0], 0.52, 1e-9);
        assert_float_equal(load[1], 1.07, 1e-9);
        assert_float_equal(load[2], 12.40, 1e-9);
        assert_int_equal(loadavg_parse("0.52 1.07\n", load), -EBADMSG);
        assert_int_equal(loadavg_parse("0,52 1.07 1.00 1/2 3\n", load), -EBADMSG);
        assert_int_equal(loadavg_parse("0.5 1.07 1.00 1/2 3\n", load), -EBADMSG);
}

static void test_meminfo(void **state _unused_) {
        _cleanup_free_ char *text = fixture("proc/meminfo");
        MemInfo mem = {};

        assert_int_equal(meminfo_parse(text, &mem), 0);
        assert_int_equal(mem.total_bytes, UINT64_C(25276502016));
        assert_int_equal(mem.available_bytes, UINT64_C(24926830592));
        /* Kernels before 3.14 have no MemAvailable. */
        assert_int_equal(meminfo_parse("MemTotal:  100 kB\nMemFree:  50 kB\n", &mem), -EBADMSG);
        assert_int_equal(meminfo_parse("MemTotal: 18014398509481984 kB\nMemAvailable: 1 kB\n", &mem),
                         -EBADMSG);
}

static void test_net_snmp(void **state _unused_) {
        _cleanup_free_ char *text = fixture("proc/net/snmp");
        NetTcp tcp = {};

        assert_int_equal(net_snmp_tcp_parse(text, &tcp), 0);
        assert_int_equal(tcp.retrans_segs, 4242);
        assert_int_equal(tcp.curr_estab, 17);
        /* The columns are found by name, not position. */
        assert_int_equal(net_snmp_tcp_parse("Tcp: CurrEstab X RetransSegs\nTcp: 3 -1 9\n", &tcp), 0);
        assert_int_equal(tcp.retrans_segs, 9);
        assert_int_equal(tcp.curr_estab, 3);
        assert_int_equal(net_snmp_tcp_parse("Tcp: CurrEstab RetransSegs\n", &tcp), -EBADMSG);
        assert_int_equal(net_snmp_tcp_parse("Tcp: CurrEstab RetransSegs\nTcp: 1\n", &tcp), -EBADMSG);
        assert_int_equal(net_snmp_tcp_parse("Tcp: CurrEstab\nTcp: 1\n", &tcp), -EBADMSG);
        assert_int_equal(net_snmp_tcp_parse("Udp: InDatagrams\nUdp: 1\n", &tcp), -EBADMSG);
}

static void test_cgroup_files(void **state _unused_) {
        _cleanup_free_ char *cpu = fixture("cgroup/system.slice/shop-web@1.service/cpu.stat");
        _cleanup_free_ char *current = fixture("cgroup/system.slice/shop-web@1.service/memory.current");
        _cleanup_free_ char *procs = fixture("cgroup/system.slice/old@1.service/cgroup.procs");
        CgroupCpu c = {};
        uint64_t v = 0;

        assert_int_equal(cgroup_cpu_stat_parse(cpu, &c), 0);
        assert_int_equal(c.user_usec, 2500000);
        assert_int_equal(c.system_usec, 1000000);
        assert_int_equal(cgroup_uint_parse(current, &v), 0);
        assert_int_equal(v, 52428800);
        assert_int_equal(cgroup_uint_parse("max\n", &v), -EBADMSG);
        assert_int_equal(cgroup_uint_parse("12 13\n", &v), -EBADMSG);
        assert_int_equal(cgroup_uint_parse("", &v), -EBADMSG);
        assert_int_equal(count_lines(procs), 3);
        assert_int_equal(count_lines(""), 0);
        assert_int_equal(count_lines("1"), 1);
}

static void test_cgroup_path(void **state _unused_) {
        _cleanup_free_ char *text = fixture("proc/1234/cgroup"), *v1 = fixture("proc/4321/cgroup");
        _cleanup_free_ char *path = NULL;
        char *none = NULL;

        assert_int_equal(proc_cgroup_v2_path_parse(text, &path), 0);
        assert_string_equal(path, "/system.slice/shop-web@1.service");
        assert_int_equal(proc_cgroup_v2_path_parse(v1, &none), -ENODATA);
        assert_null(none);
}

static void test_cpu_usage(void **state _unused_) {
        double p = -1;

        /* 75 ticks at 100 Hz over 2.5 s: 0.75 s of 2.5 s. */
        assert_int_equal(cpu_usage_percent(325, 400, 100, 10000000, 12500000, &p), 0);
        assert_float_equal(p, 30.0, 1e-9);
        /* Two CPUs busy for the whole interval. */
        assert_int_equal(cpu_usage_percent(0, 2000000, 1000000, 0, 1000000, &p), 0);
        assert_float_equal(p, 200.0, 1e-9);
        assert_int_equal(cpu_usage_percent(5, 5, 100, 1, 2, &p), 0);
        assert_float_equal(p, 0.0, 1e-9);
        assert_int_equal(cpu_usage_percent(0, 1, 100, 5, 5, &p), -ERANGE);
        assert_int_equal(cpu_usage_percent(9, 1, 100, 5, 6, &p), -ERANGE);
}

static void test_readers(void **state _unused_) {
        _cleanup_free_ char *cgroup = NULL;
        ProcStat st;
        ProcStatus status;
        ProcIo io;
        uint64_t v;
        double load[3];
        MemInfo mem;
        NetTcp tcp;
        CgroupCpu cpu;

        assert_int_equal(metrics_read_proc_stat(&fixture_sources, 1234, &st), 0);
        assert_int_equal(st.rss_pages, 2765);
        assert_int_equal(metrics_read_proc_status(&fixture_sources, 1234, &status), 0);
        assert_int_equal(status.voluntary_ctxt_switches, 1408);
        assert_int_equal(metrics_read_proc_io(&fixture_sources, 1234, &io), 0);
        assert_int_equal(io.write_bytes, 122880);
        assert_int_equal(metrics_count_fds(&fixture_sources, 1234, &v), 0);
        assert_int_equal(v, 5);
        assert_int_equal(metrics_read_cgroup_path(&fixture_sources, 1234, &cgroup), 0);
        assert_int_equal(metrics_read_loadavg(&fixture_sources, load), 0);
        assert_int_equal(metrics_read_meminfo(&fixture_sources, &mem), 0);
        assert_int_equal(metrics_read_net_tcp(&fixture_sources, &tcp), 0);
        assert_int_equal(tcp.curr_estab, 17);
        assert_int_equal(metrics_read_cgroup_cpu(&fixture_sources, cgroup, &cpu), 0);
        assert_int_equal(cpu.user_usec, 2500000);
        assert_int_equal(metrics_read_cgroup_uint(&fixture_sources, cgroup, "memory.peak", &v), 0);
        assert_int_equal(v, 73400320);
        assert_int_equal(metrics_read_cgroup_tasks(&fixture_sources, cgroup, &v), 0);
        assert_int_equal(v, 7);
}

static void test_readers_absent(void **state _unused_) {
        char *cgroup = NULL;
        ProcIo io;
        uint64_t v = 0;
        CgroupCpu cpu;

        assert_int_equal(metrics_read_proc_io(&fixture_sources, 4321, &io), -ENOENT);
        assert_int_equal(metrics_count_fds(&fixture_sources, 4321, &v), -ENOENT);
        assert_int_equal(metrics_read_cgroup_path(&fixture_sources, 4321, &cgroup), -ENODATA);
        assert_int_equal(metrics_read_proc_io(&fixture_sources, 999, &io), -ENOENT);
        /* Before Linux 5.19 there is no memory.peak; without the pids controller, cgroup.procs counts. */
        assert_int_equal(metrics_read_cgroup_uint(&fixture_sources, OLD_CGROUP, "memory.peak", &v), -ENOENT);
        assert_int_equal(metrics_read_cgroup_tasks(&fixture_sources, OLD_CGROUP, &v), 0);
        assert_int_equal(v, 3);
        assert_int_equal(metrics_read_cgroup_cpu(&fixture_sources, OLD_CGROUP, &cpu), -ENOENT);
}

static void test_read_text_file(void **state _unused_) {
        char *text = NULL;

        assert_int_equal(read_text_file(METRICS_FIXTURES "/nonexistent", &text), -ENOENT);
        assert_int_equal(read_text_file(METRICS_FIXTURES "/proc", &text), -EISDIR);
        assert_null(text);
        /* The real thing, when there is one: /proc files report size 0 but have text. */
        if (read_text_file("/proc/self/stat", &text) == 0) {
                ProcStat s;

                assert_int_equal(proc_stat_parse(text, &s), 0);
                assert_true(s.threads >= 1);
                free(text);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_proc_stat),
                cmocka_unit_test(test_proc_stat_bad),
                cmocka_unit_test(test_proc_status),
                cmocka_unit_test(test_proc_io),
                cmocka_unit_test(test_loadavg),
                cmocka_unit_test(test_meminfo),
                cmocka_unit_test(test_net_snmp),
                cmocka_unit_test(test_cgroup_files),
                cmocka_unit_test(test_cgroup_path),
                cmocka_unit_test(test_cpu_usage),
                cmocka_unit_test(test_readers),
                cmocka_unit_test(test_readers_absent),
                cmocka_unit_test(test_read_text_file),
        };

        return cmocka_run_group_tests_name("metrics-proc", tests, NULL, NULL);
}
