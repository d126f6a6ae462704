/* SPDX-License-Identifier: MIT */

/* Opening the kernel's statistics files, kept apart from parsing them (metrics/proc.c) so that the
 * parsers stay pure and the I/O stays this small. Files are read whole in one pass because the kernel
 * builds /proc files at open() and reports st_size 0 for them. */

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/metrics/read.h"
#include "common/io-util.h"

#define READ_TEXT_MAX (4U * 1024 * 1024)

int read_text_file(const char *path, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        r = read_full_fd(fd, READ_TEXT_MAX, &buf, &n);
        if (r < 0)
                return r;
        if (memchr(buf, '\0', n))
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Reads the file at the path a/b/c into *ret. */
static int read_joined(const char *a, const char *b, const char *c, char **ret) {
        char path[PATH_MAX];
        int k;

        k = snprintf(path, sizeof(path), "%s/%s/%s", a, b, c);
        if (k < 0 || (size_t) k >= sizeof(path))
                return -ENAMETOOLONG;
        return read_text_file(path, ret);
}

/* Reads <proc>/<pid>/<file> into *ret. */
static int read_pid_file(const MetricsSources *s, pid_t pid, const char *file, char **ret) {
        char pid_text[24];

        snprintf(pid_text, sizeof(pid_text), "%ld", (long) pid);
        return read_joined(s->proc_root, pid_text, file, ret);
}

int metrics_read_proc_stat(const MetricsSources *s, pid_t pid, ProcStat *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_pid_file(s, pid, "stat", &text);
        return r < 0 ? r : proc_stat_parse(text, ret);
}

int metrics_read_proc_status(const MetricsSources *s, pid_t pid, ProcStatus *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_pid_file(s, pid, "status", &text);
        return r < 0 ? r : proc_status_parse(text, ret);
}

int metrics_read_proc_io(const MetricsSources *s, pid_t pid, ProcIo *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_pid_file(s, pid, "io", &text);
        return r < 0 ? r : proc_io_parse(text, ret);
}

int metrics_read_cgroup_path(const MetricsSources *s, pid_t pid, char **ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_pid_file(s, pid, "cgroup", &text);
        return r < 0 ? r : proc_cgroup_v2_path_parse(text, ret);
}

int metrics_count_fds(const MetricsSources *s, pid_t pid, uint64_t *ret) {
        char path[PATH_MAX];
        struct dirent *de;
        uint64_t n = 0;
        DIR *d;
        int k;

        k = snprintf(path, sizeof(path), "%s/%ld/fd", s->proc_root, (long) pid);
        if (k < 0 || (size_t) k >= sizeof(path))
                return -ENAMETOOLONG;
        d = opendir(path);
        if (!d)
                return negative_errno();
        /* When pid is ourselves, the fd opendir() holds is counted too; it is not one of ours to
         * report, so it is taken off below. */
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        if (pid == getpid() && n > 0)
                n--;
        *ret = n;
        return 0;
}

int metrics_read_loadavg(const MetricsSources *s, double ret[static 3]) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_joined(s->proc_root, ".", "loadavg", &text);
        return r < 0 ? r : loadavg_parse(text, ret);
}

int metrics_read_meminfo(const MetricsSources *s, MemInfo *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_joined(s->proc_root, ".", "meminfo", &text);
        return r < 0 ? r : meminfo_parse(text, ret);
}

int metrics_read_net_tcp(const MetricsSources *s, NetTcp *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_joined(s->proc_root, "net", "snmp", &text);
        return r < 0 ? r : net_snmp_tcp_parse(text, ret);
}

int metrics_read_cgroup_uint(const MetricsSources *s, const char *cgroup, const char *file, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_joined(s->cgroup_root, cgroup, file, &text);
        return r < 0 ? r : cgroup_uint_parse(text, ret);
}

int metrics_read_cgroup_cpu(const MetricsSources *s, const char *cgroup, CgroupCpu *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_joined(s->cgroup_root, cgroup, "cpu.stat", &text);
        return r < 0 ? r : cgroup_cpu_stat_parse(text, ret);
}

int metrics_read_cgroup_tasks(const MetricsSources *s, const char *cgroup, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = metrics_read_cgroup_uint(s, cgroup, "pids.current", ret);
        if (r != -ENOENT)
                return r;
        r = read_joined(s->cgroup_root, cgroup, "cgroup.procs", &text);
        if (r < 0)
                return r;
        *ret = count_lines(text);
        return 0;
}

int metrics_read_cgroup_rss(const MetricsSources *s, const char *cgroup, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        long page = sysconf(_SC_PAGESIZE);
        uint64_t total = 0;
        char *line, *save = NULL;
        int r;

        r = read_joined(s->cgroup_root, cgroup, "cgroup.procs", &text);
        if (r < 0)
                return r;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                ProcStat st;

                if (metrics_read_proc_stat(s, (pid_t) strtol(line, NULL, 10), &st) >= 0)
                        total += st.rss_pages * (uint64_t) (page > 0 ? page : 4096);
        }
        *ret = total;
        return 0;
}
