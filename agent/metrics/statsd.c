/* SPDX-License-Identifier: MIT */

/* A strict reader of the statsd line protocol. Numbers are checked against a small grammar before
 * strtod() reads them, so "nan", "inf", hex floats and blanks, which strtod() would take, are
 * malformed here: a metric that can't be plotted is better refused than stored. Each line is copied
 * into a bounded buffer first, so the parser never reads past the datagram. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/metrics/statsd.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* Whether s is [+-]?D+(.D+)?([eE][+-]?D+)? — plain decimal, which is all statsd clients send. */
static bool number_is_valid(const char *s) {
        if (*s == '+' || *s == '-')
                s++;
        if (!is_digit(*s))
                return false;
        while (is_digit(*s))
                s++;
        if (*s == '.') {
                if (!is_digit(*++s))
                        return false;
                while (is_digit(*s))
                        s++;
        }
        if (*s == 'e' || *s == 'E') {
                if (*++s == '+' || *s == '-')
                        s++;
                if (!is_digit(*s))
                        return false;
                while (is_digit(*s))
                        s++;
        }
        return *s == '\0';
}

static int parse_number(const char *s, double *ret) {
        double v;

        if (!number_is_valid(s))
                return -EBADMSG;
        v = strtod(s, NULL);
        if (!isfinite(v))
                return -EBADMSG;
        *ret = v;
        return 0;
}

static bool name_is_valid(const char *s, size_t n) {
        if (n == 0 || n > STATSD_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-", s[i]) ||
                    s[i] == '\0')
                        return false;
        return true;
}

static StatsdType type_from_string(const char *s) {
        if (streq(s, "c"))
                return STATSD_COUNTER;
        if (streq(s, "g"))
                return STATSD_GAUGE;
        if (streq(s, "ms") || streq(s, "h"))
                return STATSD_TIMING;
        return _STATSD_TYPE_INVALID;
}

/* Reads the sections after the type: "@rate" at most once, "#tags" ignored. */
static int parse_options(char *options, double *ret_rate) {
        double rate = 1.0;
        bool have_rate = false;

        for (char *section = options; section;) {
                char *bar = strchr(section, '|');

                if (bar)
                        *bar = '\0';
                if (section[0] == '@' && !have_rate) {
                        if (parse_number(section + 1, &rate) < 0 || !(rate > 0.0 && rate <= 1.0))
                                return -EBADMSG;
                        have_rate = true;
                } else if (section[0] != '#')
                        return -EBADMSG;
                section = bar ? bar + 1 : NULL;
        }
        *ret_rate = rate;
        return 0;
}

/* Parses a NUL-terminated copy of a line, which it cuts up. */
static int parse_line_copy(char *line, StatsdMetric *ret) {
        char *colon = strchr(line, ':'), *type, *options;
        StatsdMetric m = { .sample_rate = 1.0 };

        if (!colon || !name_is_valid(line, (size_t) (colon - line)))
                return -EBADMSG;
        type = strchr(colon + 1, '|');
        if (!type)
                return -EBADMSG;
        *type++ = '\0';
        options = strchr(type, '|');
        if (options)
                *options++ = '\0';
        m.type = type_from_string(type);
        if (m.type < 0 || parse_number(colon + 1, &m.value) < 0)
                return -EBADMSG;
        if (options && parse_options(options, &m.sample_rate) < 0)
                return -EBADMSG;
        if (m.type == STATSD_TIMING && m.value < 0)
                return -EBADMSG;
        m.delta = m.type == STATSD_GAUGE && (colon[1] == '+' || colon[1] == '-');
        memcpy(m.name, line, (size_t) (colon - line));
        m.name[colon - line] = '\0';
        *ret = m;
        return 0;
}

int statsd_parse_line(const char *line, size_t n, StatsdMetric *ret) {
        char copy[STATSD_LINE_MAX + 1];

        if (n > STATSD_LINE_MAX || memchr(line, '\0', n))
                return -EBADMSG;
        memcpy(copy, line, n);
        copy[n] = '\0';
        return parse_line_copy(copy, ret);
}

int statsd_parse_datagram(const char *data, size_t n, StatsdHandler handler, void *userdata,
                          StatsdStats *stats) {
        StatsdStats s = {};
        int r = 0;

        for (size_t i = 0; i < n;) {
                const char *nl = memchr(data + i, '\n', n - i);
                size_t len = nl ? (size_t) (nl - (data + i)) : n - i;
                StatsdMetric m;

                if (len > 0 && statsd_parse_line(data + i, len, &m) >= 0)
                        r = handler(&m, userdata);
                else
                        r = len > 0 ? -EBADMSG : 0;
                if (r == -ENOMEM)
                        break;
                if (len > 0 && r < 0)
                        s.malformed++;
                else if (len > 0)
                        s.lines++;
                i += len + 1;
        }
        if (stats) {
                stats->lines += s.lines;
                stats->malformed += s.malformed;
        }
        return r == -ENOMEM ? r : 0;
}

static const char * const statsd_type_table[_STATSD_TYPE_MAX] = {
        [STATSD_COUNTER] = "counter",
        [STATSD_GAUGE] = "gauge",
        [STATSD_TIMING] = "timing",
};

const char *statsd_type_to_string(StatsdType t) {
        return t >= 0 && t < _STATSD_TYPE_MAX ? statsd_type_table[t] : NULL;
}
