/* SPDX-License-Identifier: MIT */
#pragma once

/* The thin I/O layer under metrics/proc.h: each reader opens one kernel file below a root directory,
 * reads it whole and hands the text to its parser. The roots are parameters so that tests read fixture
 * trees with the same code the agent uses on /proc and /sys/fs/cgroup.
 *
 * Every reader returns 0, or a negative errno: -ENOENT (or -ENOTDIR) when the file does not exist,
 * -EACCES/-EPERM when it may not be read, -EBADMSG when its text is not what the parser expects,
 * -ENOMEM. Callers treat any error as "this indicator is absent". Outputs are set only on success. */

#include <stdint.h>
#include <sys/types.h>

#include "agent/metrics/proc.h"

#define METRICS_PROC_ROOT "/proc"
#define METRICS_CGROUP_ROOT "/sys/fs/cgroup"

typedef struct MetricsSources {
        const char *proc_root;          /* METRICS_PROC_ROOT */
        const char *cgroup_root;        /* METRICS_CGROUP_ROOT */
} MetricsSources;

/* Reads the file at path whole (up to 4 MiB: /proc files report size 0, so it reads until EOF) into a
 * NUL-terminated string in *ret. -EBADMSG when it holds a NUL byte or is larger. */
int read_text_file(const char *path, char **ret);

int metrics_read_proc_stat(const MetricsSources *s, pid_t pid, ProcStat *ret);
int metrics_read_proc_status(const MetricsSources *s, pid_t pid, ProcStatus *ret);
/* Without CAP_SYS_PTRACE over pid (another user's process) the kernel answers -EACCES. */
int metrics_read_proc_io(const MetricsSources *s, pid_t pid, ProcIo *ret);
/* Counts the entries of <proc>/<pid>/fd. */
int metrics_count_fds(const MetricsSources *s, pid_t pid, uint64_t *ret);
/* The cgroup v2 path of pid (from <proc>/<pid>/cgroup), newly allocated. -ENODATA on a v1-only host. */
int metrics_read_cgroup_path(const MetricsSources *s, pid_t pid, char **ret);

int metrics_read_loadavg(const MetricsSources *s, double ret[static 3]);
int metrics_read_meminfo(const MetricsSources *s, MemInfo *ret);
int metrics_read_net_tcp(const MetricsSources *s, NetTcp *ret);

/* A one-number file of the cgroup at path (as metrics_read_cgroup_path() gives it, starting with '/'):
 * "memory.current", "memory.peak", "pids.current". */
int metrics_read_cgroup_uint(const MetricsSources *s, const char *cgroup, const char *file, uint64_t *ret);
int metrics_read_cgroup_cpu(const MetricsSources *s, const char *cgroup, CgroupCpu *ret);
/* The cgroup's tasks: pids.current, or the lines of cgroup.procs where the pids controller is off. */
/* The resident memory of every process in cgroup (cgroup.procs, then each /proc/PID/stat), in bytes:
 * what memory.current would say where the memory controller is not available (a cgroup v1 or hybrid
 * host). Processes that exit meanwhile are skipped. */
int metrics_read_cgroup_rss(const MetricsSources *s, const char *cgroup, uint64_t *ret);

int metrics_read_cgroup_tasks(const MetricsSources *s, const char *cgroup, uint64_t *ret);
