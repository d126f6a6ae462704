/* SPDX-License-Identifier: MIT */
#pragma once

/* The registry of the agent's built-in indicators: a static table (name, D-Bus type, source, help, and a
 * getter for the computed ones) and one Metrics per instance holding their current values.
 *
 * Values come three ways: sampled from the kernel (metrics_sample(), every interval once
 * metrics_attach_event() armed its timer), counted by the agent as things happen (metrics_add(),
 * metrics_count_*(), the setters), or computed when read (uptime, statsd totals).
 *
 * A value whose source is missing (a cgroup v1 host, a kernel without memory.peak, /proc/<pid>/io of
 * another user, NRestarts never asked) is absent: MetricValue.present is false. It is never reported as
 * 0; docs/metrics.md says how absent values show on the bus. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "agent/metrics/read.h"
#include "agent/metrics/statsd.h"
#include "common/macro.h"

typedef enum MetricId {
        /* instance */
        METRIC_UPTIME_USEC,
        METRIC_RESTARTS,
        METRIC_SERVICES_RUNNING,
        METRIC_SERVICES_FAILED,
        METRIC_SERVICE_STARTS,
        METRIC_SERVICE_FAILURES,
        METRIC_CHILDREN_EXITS,
        METRIC_CHILDREN_FAILED,
        METRIC_RELOADS,
        METRIC_RELOAD_FAILURES,
        METRIC_MEMORY_RESTARTS,
        /* process: the agent's main process, /proc/<pid> */
        METRIC_CPU_USER_SECONDS,
        METRIC_CPU_SYSTEM_SECONDS,
        METRIC_CPU_USAGE_PERCENT,
        METRIC_MEMORY_RSS_BYTES,
        METRIC_MEMORY_VIRTUAL_BYTES,
        METRIC_THREADS,
        METRIC_OPEN_FDS,
        METRIC_CONTEXT_SWITCHES_VOLUNTARY,
        METRIC_CONTEXT_SWITCHES_INVOLUNTARY,
        METRIC_IO_READ_BYTES,
        METRIC_IO_WRITE_BYTES,
        /* cgroup: the whole instance, children included */
        METRIC_CGROUP_CPU_USER_SECONDS,
        METRIC_CGROUP_CPU_SYSTEM_SECONDS,
        METRIC_CGROUP_CPU_USAGE_PERCENT,
        METRIC_CGROUP_MEMORY_CURRENT_BYTES,
        METRIC_CGROUP_MEMORY_PEAK_BYTES,
        METRIC_CGROUP_TASKS,
        /* logging: in syslog priority order, so METRIC_LOG_ENTRIES_EMERG + LOG_ERR is "err" */
        METRIC_LOG_ENTRIES_EMERG,
        METRIC_LOG_ENTRIES_ALERT,
        METRIC_LOG_ENTRIES_CRIT,
        METRIC_LOG_ENTRIES_ERR,
        METRIC_LOG_ENTRIES_WARNING,
        METRIC_LOG_ENTRIES_NOTICE,
        METRIC_LOG_ENTRIES_INFO,
        METRIC_LOG_ENTRIES_DEBUG,
        METRIC_LOG_BYTES,
        METRIC_LOG_LINES_SPLIT,
        METRIC_LOG_JOURNAL_FALLBACKS,
        /* app metrics intake */
        METRIC_STATSD_LINES,
        METRIC_STATSD_MALFORMED,
        /* event loop */
        METRIC_LOOP_ITERATIONS,
        METRIC_LOOP_MAX_DISPATCH_DELAY_USEC,
        /* host */
        METRIC_HOST_LOAD1,
        METRIC_HOST_LOAD5,
        METRIC_HOST_LOAD15,
        METRIC_HOST_MEMORY_TOTAL_BYTES,
        METRIC_HOST_MEMORY_AVAILABLE_BYTES,
        METRIC_HOST_TCP_RETRANS_SEGS,
        METRIC_HOST_TCP_CURR_ESTAB,
        _METRIC_MAX,
        _METRIC_INVALID = -EINVAL,
} MetricId;

typedef struct MetricValue {
        bool present;
        union {
                uint64_t u;     /* type 't' */
                double d;       /* type 'd' */
        };
} MetricValue;

typedef struct Metrics Metrics;

typedef struct MetricDefinition {
        const char *name;       /* the D-Bus property name on io.pandora.Metrics1 and key in Metrics() */
        char type;              /* D-Bus type: 't' or 'd' */
        const char *source;     /* where the value comes from, for docs/metrics.md and List() readers */
        const char *help;
        /* Computes the value when read; NULL: the stored one. */
        void (*get)(const Metrics *m, MetricValue *ret);
} MetricDefinition;

/* The clock uptime and sampling read: CLOCK_MONOTONIC in µs. Replaceable for tests. */
typedef uint64_t (*MetricsClock)(void);

struct Metrics {
        MetricValue values[_METRIC_MAX];
        MetricsSources sources;
        pid_t pid;                      /* whose /proc files the process indicators read */
        char *cgroup;                   /* the instance's cgroup v2 path; NULL: cgroup indicators absent */
        uint64_t ticks_per_sec;         /* sysconf(_SC_CLK_TCK) */
        uint64_t page_size;             /* sysconf(_SC_PAGESIZE) */
        MetricsClock clock;
        uint64_t started_usec;          /* clock time the instance started */

        /* The previous sample, for CPU usage over the last interval. */
        bool have_previous;
        uint64_t previous_usec;
        uint64_t previous_ticks;
        uint64_t previous_cgroup_usec;
        bool previous_cgroup;

        StatsdStats statsd;             /* give &statsd to every statsd_socket_new() */

        sd_event_source *timer;
        uint64_t interval_usec;
        /* Called after each sample of the timer, for what watches a value (memory_restart). */
        void (*on_sampled)(Metrics *m, void *userdata);
        void *on_sampled_userdata;
};

/* The table, indexed by MetricId; never NULL for a valid id. */
const MetricDefinition *metric_definition(MetricId id) _pure_;

/* The id of the indicator called name, or _METRIC_INVALID. */
MetricId metric_from_name(const char *name) _pure_;

/* Sets up m for process pid in the cgroup at cgroup (copied; NULL: none, its indicators are absent),
 * reading /proc and /sys/fs/cgroup, with started_usec = now. Counted indicators start at 0, sampled ones
 * absent. Returns 0 or -ENOMEM. */
int metrics_init(Metrics *m, pid_t pid, const char *cgroup);

/* Frees what m holds, the timer included. */
void metrics_done(Metrics *m);

/* The current value of id. */
void metrics_get(const Metrics *m, MetricId id, MetricValue *ret);

/* Stored values, for what the agent knows: METRIC_RESTARTS (NRestarts, asked once at start),
 * METRIC_SERVICES_* after each lifecycle event. */
void metrics_set_u64(Metrics *m, MetricId id, uint64_t value);
void metrics_set_absent(Metrics *m, MetricId id);

/* Adds delta to a 't' counter, saturating at UINT64_MAX. */
void metrics_add(Metrics *m, MetricId id, uint64_t delta);

/* For the logging code: one entry of priority (LOG_EMERG..LOG_DEBUG; others count as debug) and bytes
 * of message written; a line cut in pieces; an entry sent to stderr because the journal refused it.
 * All accept m == NULL (no registry yet) and do nothing then. */
void metrics_count_log_entry(Metrics *m, int priority, uint64_t bytes);
void metrics_count_log_split(Metrics *m);
void metrics_count_journal_fallback(Metrics *m);

/* A child exited; failed: with a non-zero status or a signal. */
void metrics_count_child_exit(Metrics *m, bool failed);

/* Reads every kernel source now (at now_usec on m->clock) and stores what it finds; a source that
 * can't be read makes its indicators absent. CPU usage is computed against the previous sample. */
void metrics_sample(Metrics *m, uint64_t now_usec);

/* Samples once now and then every interval_usec on e, also measuring the loop: its iteration count and
 * how late the sampling timer was dispatched (the largest delay seen). Returns 0 or a negative errno
 * from sd-event. */
int metrics_attach_event(Metrics *m, sd_event *e, uint64_t interval_usec);
