/* SPDX-License-Identifier: MIT */

/* The table of built-in indicators and the stored values. The table is the one place an indicator is
 * defined: the bus vtable of io.pandora.Metrics1, Metrics(), List() and docs/metrics.md all follow it,
 * so adding an indicator is one entry here (and one line in the doc, which a test checks).
 *
 * agent/metrics/ owns the numbers: this registry and its sampling (sample.c), the /proc and cgroup
 * readers (read.c, proc.c), counters and timings of services (counters.c, app.c) and statsd
 * (statsd.c, statsd-socket.c). It calls only common/ and sd-event; it never logs and never touches
 * the bus (bus/ reads it) or the Context (core/publish.c wires it up). */

#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent/metrics/metrics.h"

static void get_uptime(const Metrics *m, MetricValue *ret) {
        uint64_t now = m->clock();

        *ret = (MetricValue) { .present = true, .u = now > m->started_usec ? now - m->started_usec : 0 };
}

static void get_statsd_lines(const Metrics *m, MetricValue *ret) {
        *ret = (MetricValue) { .present = true, .u = m->statsd.lines };
}

static void get_statsd_malformed(const Metrics *m, MetricValue *ret) {
        *ret = (MetricValue) { .present = true, .u = m->statsd.malformed };
}

#define U(id, n, src, h, ...) [id] = { .name = n, .type = 't', .source = src, .help = h, __VA_ARGS__ }
#define D(id, n, src, h) [id] = { .name = n, .type = 'd', .source = src, .help = h }

static const MetricDefinition metric_table[_METRIC_MAX] = {
        U(METRIC_UPTIME_USEC, "UptimeUSec", "agent", "Time since the agent started, in µs",
          .get = get_uptime),
        U(METRIC_RESTARTS, "Restarts", "systemd NRestarts",
          "How often systemd restarted this instance's unit (asked once at start)"),
        U(METRIC_SERVICES_RUNNING, "ServicesRunning", "agent", "Services currently running"),
        U(METRIC_SERVICES_FAILED, "ServicesFailed", "agent", "Services that failed to start or died"),
        U(METRIC_SERVICE_STARTS, "ServiceStarts", "agent", "Service starts, all services together"),
        U(METRIC_SERVICE_FAILURES, "ServiceFailures", "agent", "Service failures, all services together"),
        U(METRIC_CHILDREN_EXITS, "ChildrenExits", "agent", "Child processes that exited, for any reason"),
        U(METRIC_CHILDREN_FAILED, "ChildrenFailed", "agent",
          "Child processes that exited with a non-zero status or were killed by a signal"),
        U(METRIC_RELOADS, "Reloads", "agent", "Reloads that handed the instance over to a new generation"),
        U(METRIC_RELOAD_FAILURES, "ReloadFailures", "agent",
          "Reloads given up: the new generation failed or was not ready in time; the old one ran on"),
        U(METRIC_MEMORY_RESTARTS, "MemoryRestarts", "agent",
          "Graceful restarts because the instance's memory stayed above memory_restart"),

        D(METRIC_CPU_USER_SECONDS, "CPUUserSeconds", "/proc/<pid>/stat utime",
          "CPU time the agent process spent in user mode, in seconds"),
        D(METRIC_CPU_SYSTEM_SECONDS, "CPUSystemSeconds", "/proc/<pid>/stat stime",
          "CPU time the agent process spent in the kernel, in seconds"),
        D(METRIC_CPU_USAGE_PERCENT, "CPUUsagePercent", "/proc/<pid>/stat utime+stime",
          "CPU used by the agent process over the last sampling interval, in percent of one CPU"),
        U(METRIC_MEMORY_RSS_BYTES, "MemoryRSSBytes", "/proc/<pid>/stat rss",
          "Resident set size of the agent process, in bytes"),
        U(METRIC_MEMORY_VIRTUAL_BYTES, "MemoryVirtualBytes", "/proc/<pid>/stat vsize",
          "Virtual memory size of the agent process, in bytes"),
        U(METRIC_THREADS, "Threads", "/proc/<pid>/stat num_threads", "Threads of the agent process"),
        U(METRIC_OPEN_FDS, "OpenFDs", "/proc/<pid>/fd", "File descriptors the agent process holds open"),
        U(METRIC_CONTEXT_SWITCHES_VOLUNTARY, "ContextSwitchesVoluntary",
          "/proc/<pid>/status voluntary_ctxt_switches", "Voluntary context switches of the agent process"),
        U(METRIC_CONTEXT_SWITCHES_INVOLUNTARY, "ContextSwitchesInvoluntary",
          "/proc/<pid>/status nonvoluntary_ctxt_switches",
          "Involuntary context switches of the agent process"),
        U(METRIC_IO_READ_BYTES, "IOReadBytes", "/proc/<pid>/io read_bytes",
          "Bytes the agent process caused to be read from storage"),
        U(METRIC_IO_WRITE_BYTES, "IOWriteBytes", "/proc/<pid>/io write_bytes",
          "Bytes the agent process caused to be written to storage"),

        D(METRIC_CGROUP_CPU_USER_SECONDS, "CgroupCPUUserSeconds", "cgroup cpu.stat user_usec",
          "CPU time of the whole instance (agent and children) in user mode, in seconds"),
        D(METRIC_CGROUP_CPU_SYSTEM_SECONDS, "CgroupCPUSystemSeconds", "cgroup cpu.stat system_usec",
          "CPU time of the whole instance in the kernel, in seconds"),
        D(METRIC_CGROUP_CPU_USAGE_PERCENT, "CgroupCPUUsagePercent", "cgroup cpu.stat",
          "CPU used by the whole instance over the last sampling interval, in percent of one CPU"),
        U(METRIC_CGROUP_MEMORY_CURRENT_BYTES, "CgroupMemoryCurrentBytes", "cgroup memory.current",
          "Memory charged to the instance's cgroup, in bytes"),
        U(METRIC_CGROUP_MEMORY_PEAK_BYTES, "CgroupMemoryPeakBytes", "cgroup memory.peak",
          "Highest memory charged to the instance's cgroup, in bytes (Linux 5.19 and later)"),
        U(METRIC_CGROUP_TASKS, "CgroupTasks", "cgroup pids.current or cgroup.procs",
          "Tasks in the instance's cgroup"),

        U(METRIC_LOG_ENTRIES_EMERG, "LogEntriesEmerg", "agent", "Log entries written at priority emerg"),
        U(METRIC_LOG_ENTRIES_ALERT, "LogEntriesAlert", "agent", "Log entries written at priority alert"),
        U(METRIC_LOG_ENTRIES_CRIT, "LogEntriesCrit", "agent", "Log entries written at priority crit"),
        U(METRIC_LOG_ENTRIES_ERR, "LogEntriesErr", "agent", "Log entries written at priority err"),
        U(METRIC_LOG_ENTRIES_WARNING, "LogEntriesWarning", "agent",
          "Log entries written at priority warning"),
        U(METRIC_LOG_ENTRIES_NOTICE, "LogEntriesNotice", "agent", "Log entries written at priority notice"),
        U(METRIC_LOG_ENTRIES_INFO, "LogEntriesInfo", "agent", "Log entries written at priority info"),
        U(METRIC_LOG_ENTRIES_DEBUG, "LogEntriesDebug", "agent", "Log entries written at priority debug"),
        U(METRIC_LOG_BYTES, "LogBytes", "agent", "Bytes of log messages written"),
        U(METRIC_LOG_LINES_SPLIT, "LogLinesSplit", "agent",
          "Output lines of children cut in pieces because they were too long"),
        U(METRIC_LOG_JOURNAL_FALLBACKS, "LogJournalFallbacks", "agent",
          "Entries written to stderr because the journal could not take them"),

        U(METRIC_STATSD_LINES, "StatsdLines", "statsd socket", "statsd lines taken from children",
          .get = get_statsd_lines),
        U(METRIC_STATSD_MALFORMED, "StatsdMalformed", "statsd socket",
          "statsd lines ignored because they were malformed or refused", .get = get_statsd_malformed),

        U(METRIC_LOOP_ITERATIONS, "LoopIterations", "sd-event", "Iterations of the agent's event loop"),
        U(METRIC_LOOP_MAX_DISPATCH_DELAY_USEC, "LoopMaxDispatchDelayUSec", "sd-event",
          "Largest delay seen between a timer's due time and its dispatch, in µs"),

        D(METRIC_HOST_LOAD1, "HostLoad1", "/proc/loadavg", "Host load average over 1 minute"),
        D(METRIC_HOST_LOAD5, "HostLoad5", "/proc/loadavg", "Host load average over 5 minutes"),
        D(METRIC_HOST_LOAD15, "HostLoad15", "/proc/loadavg", "Host load average over 15 minutes"),
        U(METRIC_HOST_MEMORY_TOTAL_BYTES, "HostMemoryTotalBytes", "/proc/meminfo MemTotal",
          "Host memory, in bytes"),
        U(METRIC_HOST_MEMORY_AVAILABLE_BYTES, "HostMemoryAvailableBytes", "/proc/meminfo MemAvailable",
          "Host memory available for new work without swapping, in bytes"),
        U(METRIC_HOST_TCP_RETRANS_SEGS, "HostTCPRetransSegs", "/proc/net/snmp Tcp RetransSegs",
          "TCP segments retransmitted by the host (its network namespace)"),
        U(METRIC_HOST_TCP_CURR_ESTAB, "HostTCPCurrEstab", "/proc/net/snmp Tcp CurrEstab",
          "TCP connections currently established or closing"),
};

#undef U
#undef D

const MetricDefinition *metric_definition(MetricId id) {
        return id >= 0 && id < _METRIC_MAX ? &metric_table[id] : NULL;
}

MetricId metric_from_name(const char *name) {
        for (MetricId id = 0; id < _METRIC_MAX; id++)
                if (streq(metric_table[id].name, name))
                        return id;
        return _METRIC_INVALID;
}

static uint64_t clock_monotonic_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

/* Indicators the agent counts from 0 as events happen: present from the start. */
static bool metric_is_counted(MetricId id) {
        return (id >= METRIC_SERVICES_RUNNING && id <= METRIC_MEMORY_RESTARTS) ||
               (id >= METRIC_LOG_ENTRIES_EMERG && id <= METRIC_LOG_JOURNAL_FALLBACKS);
}

int metrics_init(Metrics *m, pid_t pid, const char *cgroup) {
        char *copy = NULL;
        long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

        if (cgroup) {
                copy = strdup(cgroup);
                if (!copy)
                        return -ENOMEM;
        }
        *m = (Metrics) {
                .sources = { .proc_root = METRICS_PROC_ROOT, .cgroup_root = METRICS_CGROUP_ROOT },
                .pid = pid,
                .cgroup = copy,
                .ticks_per_sec = tck > 0 ? (uint64_t) tck : 100,
                .page_size = page > 0 ? (uint64_t) page : 4096,
                .clock = clock_monotonic_usec,
        };
        m->started_usec = m->clock();
        for (MetricId id = 0; id < _METRIC_MAX; id++)
                m->values[id].present = metric_is_counted(id);
        return 0;
}

void metrics_done(Metrics *m) {
        m->timer = sd_event_source_disable_unref(m->timer);
        m->cgroup = mfree(m->cgroup);
}

void metrics_get(const Metrics *m, MetricId id, MetricValue *ret) {
        const MetricDefinition *def = metric_definition(id);

        if (!def) {
                *ret = (MetricValue) {};
                return;
        }
        if (def->get)
                def->get(m, ret);
        else
                *ret = m->values[id];
}

void metrics_set_u64(Metrics *m, MetricId id, uint64_t value) {
        if (id >= 0 && id < _METRIC_MAX && metric_table[id].type == 't')
                m->values[id] = (MetricValue) { .present = true, .u = value };
}

void metrics_set_absent(Metrics *m, MetricId id) {
        if (id >= 0 && id < _METRIC_MAX)
                m->values[id] = (MetricValue) {};
}

void metrics_add(Metrics *m, MetricId id, uint64_t delta) {
        MetricValue *v;

        if (!m || id < 0 || id >= _METRIC_MAX || metric_table[id].type != 't')
                return;
        v = &m->values[id];
        if (!v->present)
                *v = (MetricValue) { .present = true, .u = delta };
        else
                v->u = v->u <= UINT64_MAX - delta ? v->u + delta : UINT64_MAX;
}

void metrics_count_log_entry(Metrics *m, int priority, uint64_t bytes) {
        if (priority < LOG_EMERG || priority > LOG_DEBUG)
                priority = LOG_DEBUG;
        metrics_add(m, METRIC_LOG_ENTRIES_EMERG + priority, 1);
        metrics_add(m, METRIC_LOG_BYTES, bytes);
}

void metrics_count_log_split(Metrics *m) {
        metrics_add(m, METRIC_LOG_LINES_SPLIT, 1);
}

void metrics_count_journal_fallback(Metrics *m) {
        metrics_add(m, METRIC_LOG_JOURNAL_FALLBACKS, 1);
}

void metrics_count_child_exit(Metrics *m, bool failed) {
        metrics_add(m, METRIC_CHILDREN_EXITS, 1);
        if (failed)
                metrics_add(m, METRIC_CHILDREN_FAILED, 1);
}
