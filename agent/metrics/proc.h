/* SPDX-License-Identifier: MIT */
#pragma once

/* Pure parsers for the kernel files the built-in indicators come from: /proc/<pid>/stat, status and io,
 * /proc/loadavg, /proc/meminfo, /proc/net/snmp, /proc/self/cgroup and the cgroup v2 files. Each takes
 * the file's text (NUL-terminated) and never does I/O, so tests feed them fixtures; metrics/read.h opens
 * the real files. All return 0, or -EBADMSG when the text lacks what they look for or a number does not
 * fit. Outputs are set only on success. */

#include <stdint.h>

#include "common/macro.h"

typedef struct ProcStat {
        uint64_t utime_ticks;           /* user CPU time, in clock ticks (sysconf(_SC_CLK_TCK)) */
        uint64_t stime_ticks;           /* system CPU time, in clock ticks */
        uint64_t threads;
        uint64_t vsize_bytes;
        uint64_t rss_pages;             /* resident set, in pages (sysconf(_SC_PAGESIZE)) */
} ProcStat;

/* /proc/<pid>/stat. The command name may hold spaces and parentheses: fields are counted after its
 * last ')'. */
int proc_stat_parse(const char *text, ProcStat *ret);

typedef struct ProcStatus {
        uint64_t voluntary_ctxt_switches;
        uint64_t nonvoluntary_ctxt_switches;
} ProcStatus;

/* /proc/<pid>/status: the two context switch counters. */
int proc_status_parse(const char *text, ProcStatus *ret);

typedef struct ProcIo {
        uint64_t read_bytes;            /* what reached the storage layer, not rchar */
        uint64_t write_bytes;
} ProcIo;

/* /proc/<pid>/io. */
int proc_io_parse(const char *text, ProcIo *ret);

/* /proc/loadavg: the 1, 5 and 15 minute load averages. */
int loadavg_parse(const char *text, double ret[static 3]);

typedef struct MemInfo {
        uint64_t total_bytes;
        uint64_t available_bytes;
} MemInfo;

/* /proc/meminfo: MemTotal and MemAvailable, converted from kB. */
int meminfo_parse(const char *text, MemInfo *ret);

typedef struct NetTcp {
        uint64_t retrans_segs;
        uint64_t curr_estab;
} NetTcp;

/* /proc/net/snmp: RetransSegs and CurrEstab from the "Tcp:" header and value lines. */
int net_snmp_tcp_parse(const char *text, NetTcp *ret);

typedef struct CgroupCpu {
        uint64_t user_usec;
        uint64_t system_usec;
} CgroupCpu;

/* A cgroup v2 cpu.stat: user_usec and system_usec. */
int cgroup_cpu_stat_parse(const char *text, CgroupCpu *ret);

/* A cgroup v2 file holding one number (memory.current, memory.peak, pids.current). "max" is refused:
 * those files never hold it. */
int cgroup_uint_parse(const char *text, uint64_t *ret);

/* Counts the non-empty lines of text: the pids in cgroup.procs, on kernels without pids.current. */
uint64_t count_lines(const char *text) _pure_;

/* /proc/<pid>/cgroup: the cgroup v2 path (the "0::" line), newly allocated in *ret. -ENODATA when the
 * process has no v2 hierarchy (a cgroup v1 host), -ENOMEM. */
int proc_cgroup_v2_path_parse(const char *text, char **ret);

/* The fraction of one CPU used between two samples, in percent: the ticks spent over the wall time
 * passed, both as deltas. -ERANGE when no time passed or the ticks went backwards (a new process). */
int cpu_usage_percent(uint64_t ticks_before, uint64_t ticks_after, uint64_t ticks_per_sec,
                      uint64_t usec_before, uint64_t usec_after, double *ret);
