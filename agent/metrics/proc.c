/* SPDX-License-Identifier: MIT */

/* The text formats of the kernel's statistics files, parsed without I/O so that every number the agent
 * publishes can be checked against a fixture. The formats are fixed by the kernel ABI (proc(5),
 * Documentation/admin-guide/cgroup-v2.rst); these parsers accept exactly them and nothing looser, so a
 * changed format shows up as an absent value rather than a wrong one. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/metrics/proc.h"

/* Reads an unsigned decimal at *p and moves *p past it. No sign, no leading space: the kernel prints
 * neither. */
static int parse_u64(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (*s < '0' || *s > '9')
                return -EBADMSG;
        for (; *s >= '0' && *s <= '9'; s++) {
                if (v > (UINT64_MAX - (uint64_t) (*s - '0')) / 10)
                        return -EBADMSG;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        *p = s;
        *ret = v;
        return 0;
}

/* The line after the one at line, or NULL at the end of the text. */
static const char *next_line(const char *line) {
        const char *nl = strchr(line, '\n');

        return nl && nl[1] ? nl + 1 : NULL;
}

/* The value after "key" at the start of a line, past any ':' and blanks: the shape of status, io,
 * meminfo and cpu.stat. */
static int keyed_u64(const char *text, const char *key, uint64_t *ret) {
        size_t n = strlen(key);

        for (const char *line = text; line; line = next_line(line)) {
                const char *p = line + n;

                if (strncmp(line, key, n) != 0 || (*p != ':' && *p != ' ' && *p != '\t'))
                        continue;
                if (*p == ':')
                        p++;
                p += strspn(p, " \t");
                return parse_u64(&p, ret);
        }
        return -EBADMSG;
}

/* Moves *p past one field and the space after it. */
static int skip_field(const char **p) {
        const char *space = strchr(*p, ' ');

        if (!space || space == *p)
                return -EBADMSG;
        *p = space + 1;
        return 0;
}

/* Reads field number `field` (1-based, as in proc(5)) of a stat line, given the text after "(comm) ",
 * which starts at field 3. */
static int stat_field(const char *after_comm, unsigned field, uint64_t *ret) {
        const char *p = after_comm;
        int r;

        for (unsigned i = 3; i < field; i++) {
                r = skip_field(&p);
                if (r < 0)
                        return r;
        }
        return parse_u64(&p, ret);
}

int proc_stat_parse(const char *text, ProcStat *ret) {
        const char *paren = strrchr(text, ')');
        ProcStat s;
        int r;

        if (!paren || paren[1] != ' ')
                return -EBADMSG;
        paren += 2;
        /* utime 14, stime 15, num_threads 20, vsize 23, rss 24. */
        r = stat_field(paren, 14, &s.utime_ticks);
        if (r >= 0)
                r = stat_field(paren, 15, &s.stime_ticks);
        if (r >= 0)
                r = stat_field(paren, 20, &s.threads);
        if (r >= 0)
                r = stat_field(paren, 23, &s.vsize_bytes);
        if (r >= 0)
                r = stat_field(paren, 24, &s.rss_pages);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

int proc_status_parse(const char *text, ProcStatus *ret) {
        ProcStatus s;
        int r;

        r = keyed_u64(text, "voluntary_ctxt_switches", &s.voluntary_ctxt_switches);
        if (r >= 0)
                r = keyed_u64(text, "nonvoluntary_ctxt_switches", &s.nonvoluntary_ctxt_switches);
        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

int proc_io_parse(const char *text, ProcIo *ret) {
        ProcIo io;
        int r;

        r = keyed_u64(text, "read_bytes", &io.read_bytes);
        if (r >= 0)
                r = keyed_u64(text, "write_bytes", &io.write_bytes);
        if (r < 0)
                return r;
        *ret = io;
        return 0;
}

/* Reads a load average such as "0.52": the kernel prints two decimals, always with a dot, whatever
 * the locale, so it is read by hand rather than with strtod(). */
static int parse_load(const char **p, double *ret) {
        uint64_t whole, frac = 0;
        const char *start;
        int r;

        r = parse_u64(p, &whole);
        if (r < 0)
                return r;
        if (**p != '.')
                return -EBADMSG;
        (*p)++;
        start = *p;
        r = parse_u64(p, &frac);
        if (r < 0 || *p - start != 2)
                return -EBADMSG;
        *ret = (double) whole + (double) frac / 100.0;
        return 0;
}

int loadavg_parse(const char *text, double ret[static 3]) {
        const char *p = text;
        double load[3];
        int r;

        for (size_t i = 0; i < 3; i++) {
                r = parse_load(&p, &load[i]);
                if (r < 0)
                        return r;
                if (*p != ' ')
                        return -EBADMSG;
                p++;
        }
        memcpy(ret, load, sizeof(load));
        return 0;
}

int meminfo_parse(const char *text, MemInfo *ret) {
        uint64_t total, available;
        int r;

        r = keyed_u64(text, "MemTotal", &total);
        if (r >= 0)
                r = keyed_u64(text, "MemAvailable", &available);
        if (r < 0)
                return r;
        if (total > UINT64_MAX / 1024 || available > UINT64_MAX / 1024)
                return -EBADMSG;
        *ret = (MemInfo) { .total_bytes = total * 1024, .available_bytes = available * 1024 };
        return 0;
}

/* The position of word name on the line at line (words separated by one space), or -1. */
static int word_index(const char *line, const char *name) {
        size_t n = strlen(name);
        int i = 0;

        for (const char *p = line; *p && *p != '\n'; i++) {
                size_t len = strcspn(p, " \n");

                if (len == n && strncmp(p, name, n) == 0)
                        return i;
                p += len;
                if (*p == ' ')
                        p++;
        }
        return -1;
}

/* The unsigned number that is word i of the line at line. */
static int word_u64(const char *line, int i, uint64_t *ret) {
        const char *p = line;
        int r;

        for (int k = 0; k < i; k++) {
                size_t len = strcspn(p, " \n");

                if (len == 0 || p[len] != ' ')
                        return -EBADMSG;
                p += len + 1;
        }
        r = parse_u64(&p, ret);
        if (r < 0)
                return r;
        return *p == ' ' || *p == '\n' || *p == '\0' ? 0 : -EBADMSG;
}

int net_snmp_tcp_parse(const char *text, NetTcp *ret) {
        const char *header = NULL, *values = NULL;
        int retrans, estab;
        NetTcp t;
        int r;

        /* The first "Tcp:" line names the columns, the second holds the values. */
        for (const char *line = text; line && !values; line = next_line(line))
                if (strncmp(line, "Tcp: ", 5) == 0) {
                        if (header)
                                values = line;
                        else
                                header = line;
                }
        if (!values)
                return -EBADMSG;
        retrans = word_index(header, "RetransSegs");
        estab = word_index(header, "CurrEstab");
        if (retrans < 0 || estab < 0)
                return -EBADMSG;
        r = word_u64(values, retrans, &t.retrans_segs);
        if (r >= 0)
                r = word_u64(values, estab, &t.curr_estab);
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}

int cgroup_cpu_stat_parse(const char *text, CgroupCpu *ret) {
        CgroupCpu c;
        int r;

        r = keyed_u64(text, "user_usec", &c.user_usec);
        if (r >= 0)
                r = keyed_u64(text, "system_usec", &c.system_usec);
        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

int cgroup_uint_parse(const char *text, uint64_t *ret) {
        const char *p = text;
        uint64_t v;
        int r;

        r = parse_u64(&p, &v);
        if (r < 0)
                return r;
        if (*p == '\n')
                p++;
        if (*p != '\0')
                return -EBADMSG;
        *ret = v;
        return 0;
}

uint64_t count_lines(const char *text) {
        uint64_t n = 0;

        for (const char *line = text; line; line = next_line(line))
                if (*line != '\n' && *line != '\0')
                        n++;
        return n;
}

int proc_cgroup_v2_path_parse(const char *text, char **ret) {
        for (const char *line = text; line; line = next_line(line)) {
                char *path;

                if (strncmp(line, "0::/", 4) != 0)
                        continue;
                path = strndup(line + 3, strcspn(line + 3, "\n"));
                if (!path)
                        return -ENOMEM;
                *ret = path;
                return 0;
        }
        return -ENODATA;
}

int cpu_usage_percent(uint64_t ticks_before, uint64_t ticks_after, uint64_t ticks_per_sec,
                      uint64_t usec_before, uint64_t usec_after, double *ret) {
        double seconds_used, seconds_passed;

        if (usec_after <= usec_before || ticks_after < ticks_before || ticks_per_sec == 0)
                return -ERANGE;
        seconds_used = (double) (ticks_after - ticks_before) / (double) ticks_per_sec;
        seconds_passed = (double) (usec_after - usec_before) / 1e6;
        *ret = 100.0 * seconds_used / seconds_passed;
        return 0;
}
