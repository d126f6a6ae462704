/* SPDX-License-Identifier: MIT */

/* Sampling the kernel's statistics into the registry, and the timer that does it. CPU usage is the
 * difference between two samples over the time between them, never the total since the process began
 * (Pandora.js divided by the uptime, which flattens every spike into the average). */

#include "agent/metrics/metrics.h"

static void set_u64(Metrics *m, MetricId id, bool present, uint64_t value) {
        m->values[id] = (MetricValue) { .present = present, .u = present ? value : 0 };
}

static void set_double(Metrics *m, MetricId id, bool present, double value) {
        m->values[id] = (MetricValue) { .present = present, .d = present ? value : 0 };
}

/* Usage between the previous sample and this one; absent on the first sample or when the clock or the
 * counter did not move forward. */
static void set_usage(Metrics *m, MetricId id, bool present, uint64_t before, uint64_t after,
                      uint64_t per_sec, uint64_t now_usec) {
        double percent = 0;

        present = present && m->have_previous &&
                  cpu_usage_percent(before, after, per_sec, m->previous_usec, now_usec, &percent) >= 0;
        set_double(m, id, present, percent);
}

static void sample_process(Metrics *m, uint64_t now_usec, uint64_t *ret_ticks, bool *ret_ok) {
        ProcStat st = {};
        ProcStatus status = {};
        ProcIo io = {};
        uint64_t fds = 0;
        bool ok;

        ok = metrics_read_proc_stat(&m->sources, m->pid, &st) >= 0;
        set_double(m, METRIC_CPU_USER_SECONDS, ok, (double) st.utime_ticks / (double) m->ticks_per_sec);
        set_double(m, METRIC_CPU_SYSTEM_SECONDS, ok, (double) st.stime_ticks / (double) m->ticks_per_sec);
        set_usage(m, METRIC_CPU_USAGE_PERCENT, ok, m->previous_ticks, st.utime_ticks + st.stime_ticks,
                  m->ticks_per_sec, now_usec);
        set_u64(m, METRIC_MEMORY_RSS_BYTES, ok, st.rss_pages * m->page_size);
        set_u64(m, METRIC_MEMORY_VIRTUAL_BYTES, ok, st.vsize_bytes);
        set_u64(m, METRIC_THREADS, ok, st.threads);
        *ret_ticks = st.utime_ticks + st.stime_ticks;
        *ret_ok = ok;

        ok = metrics_read_proc_status(&m->sources, m->pid, &status) >= 0;
        set_u64(m, METRIC_CONTEXT_SWITCHES_VOLUNTARY, ok, status.voluntary_ctxt_switches);
        set_u64(m, METRIC_CONTEXT_SWITCHES_INVOLUNTARY, ok, status.nonvoluntary_ctxt_switches);

        ok = metrics_read_proc_io(&m->sources, m->pid, &io) >= 0;
        set_u64(m, METRIC_IO_READ_BYTES, ok, io.read_bytes);
        set_u64(m, METRIC_IO_WRITE_BYTES, ok, io.write_bytes);

        ok = metrics_count_fds(&m->sources, m->pid, &fds) >= 0;
        set_u64(m, METRIC_OPEN_FDS, ok, fds);
}

static void sample_cgroup(Metrics *m, uint64_t now_usec, uint64_t *ret_usec, bool *ret_ok) {
        CgroupCpu cpu = {};
        uint64_t v = 0;
        bool ok;

        ok = m->cgroup && metrics_read_cgroup_cpu(&m->sources, m->cgroup, &cpu) >= 0;
        set_double(m, METRIC_CGROUP_CPU_USER_SECONDS, ok, (double) cpu.user_usec / 1e6);
        set_double(m, METRIC_CGROUP_CPU_SYSTEM_SECONDS, ok, (double) cpu.system_usec / 1e6);
        set_usage(m, METRIC_CGROUP_CPU_USAGE_PERCENT, ok && m->previous_cgroup, m->previous_cgroup_usec,
                  cpu.user_usec + cpu.system_usec, 1000000, now_usec);
        *ret_usec = cpu.user_usec + cpu.system_usec;
        *ret_ok = ok;

        ok = m->cgroup && metrics_read_cgroup_uint(&m->sources, m->cgroup, "memory.current", &v) >= 0;
        set_u64(m, METRIC_CGROUP_MEMORY_CURRENT_BYTES, ok, v);
        ok = m->cgroup && metrics_read_cgroup_uint(&m->sources, m->cgroup, "memory.peak", &v) >= 0;
        set_u64(m, METRIC_CGROUP_MEMORY_PEAK_BYTES, ok, v);
        ok = m->cgroup && metrics_read_cgroup_tasks(&m->sources, m->cgroup, &v) >= 0;
        set_u64(m, METRIC_CGROUP_TASKS, ok, v);
}

static void sample_host(Metrics *m) {
        double load[3] = {};
        MemInfo mem = {};
        NetTcp tcp = {};
        bool ok;

        ok = metrics_read_loadavg(&m->sources, load) >= 0;
        set_double(m, METRIC_HOST_LOAD1, ok, load[0]);
        set_double(m, METRIC_HOST_LOAD5, ok, load[1]);
        set_double(m, METRIC_HOST_LOAD15, ok, load[2]);

        ok = metrics_read_meminfo(&m->sources, &mem) >= 0;
        set_u64(m, METRIC_HOST_MEMORY_TOTAL_BYTES, ok, mem.total_bytes);
        set_u64(m, METRIC_HOST_MEMORY_AVAILABLE_BYTES, ok, mem.available_bytes);

        ok = metrics_read_net_tcp(&m->sources, &tcp) >= 0;
        set_u64(m, METRIC_HOST_TCP_RETRANS_SEGS, ok, tcp.retrans_segs);
        set_u64(m, METRIC_HOST_TCP_CURR_ESTAB, ok, tcp.curr_estab);
}

void metrics_sample(Metrics *m, uint64_t now_usec) {
        uint64_t ticks, cgroup_usec;
        bool ticks_ok, cgroup_ok;

        sample_process(m, now_usec, &ticks, &ticks_ok);
        sample_cgroup(m, now_usec, &cgroup_usec, &cgroup_ok);
        sample_host(m);

        /* A failed read leaves no baseline: the next usage is measured from the next good sample. */
        m->have_previous = ticks_ok;
        m->previous_ticks = ticks;
        m->previous_cgroup = cgroup_ok;
        m->previous_cgroup_usec = cgroup_usec;
        m->previous_usec = now_usec;
}

static int on_sample_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Metrics *m = userdata;
        uint64_t now = m->clock(), iterations;
        sd_event *e = sd_event_source_get_event(s);

        /* usec is when the timer was due; how much later it runs is what other work delayed it. */
        if (now > usec && (!m->values[METRIC_LOOP_MAX_DISPATCH_DELAY_USEC].present ||
                           now - usec > m->values[METRIC_LOOP_MAX_DISPATCH_DELAY_USEC].u))
                set_u64(m, METRIC_LOOP_MAX_DISPATCH_DELAY_USEC, true, now - usec);
        if (sd_event_get_iteration(e, &iterations) >= 0)
                set_u64(m, METRIC_LOOP_ITERATIONS, true, iterations);
        metrics_sample(m, now);
        if (m->on_sampled)
                m->on_sampled(m, m->on_sampled_userdata);
        /* From now, not from usec: after a stall the timer must not fire again at once to catch up. */
        return sd_event_source_set_time(s, now + m->interval_usec);
}

int metrics_attach_event(Metrics *m, sd_event *e, uint64_t interval_usec) {
        int r;

        m->timer = sd_event_source_disable_unref(m->timer);
        m->interval_usec = interval_usec;
        set_u64(m, METRIC_LOOP_MAX_DISPATCH_DELAY_USEC, true, 0);
        metrics_sample(m, m->clock());
        /* Accuracy 1 µs: sd-event's default slack (250 ms) would be counted as delay. */
        r = sd_event_add_time_relative(e, &m->timer, CLOCK_MONOTONIC, interval_usec, 1, on_sample_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(m->timer, "metrics-sample");
        return sd_event_source_set_enabled(m->timer, SD_EVENT_ON);
}
