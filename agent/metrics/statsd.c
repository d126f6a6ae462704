/* SPDX-License-Identifier: MIT */

/* A strict reader of the statsd line protocol, lenient where statsd servers are. Numbers are checked
 * against a small grammar before strtod() reads them, so "nan", "inf", hex floats and blanks, which
 * strtod() would take, are malformed here: a metric that can't be plotted is better refused than stored.
 * Names are sanitised the way statsd's own server does it, so that a name with a space or a '/' counts
 * under the name statsd would give it rather than being dropped. Each line is copied into a bounded
 * buffer first, so the parser never reads past the datagram. */

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

static bool is_name_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '.' ||
               c == '-';
}

/* JavaScript's \s, as far as one byte goes; '\n' never reaches a line. */
static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* As statsd/statsd's stats.js does it:
 *
 *     key.replace(/\s+/g, '_').replace(/\//g, '-').replace(/[^a-zA-Z_\-0-9\.]/g, '')
 *
 * in one pass: a run of whitespace is the run in the input, even when a dropped character follows. */
int statsd_name_sanitize(const char *s, size_t n, char ret[static STATSD_NAME_MAX + 1]) {
        char name[STATSD_NAME_MAX + 1];
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (is_space(c)) {
                        if (i > 0 && is_space(s[i - 1]))
                                continue;
                        c = '_';
                } else if (c == '/')
                        c = '-';
                else if (!is_name_char(c))
                        continue;
                if (k == STATSD_NAME_MAX)
                        return -ENAMETOOLONG;
                name[k++] = c;
        }
        if (k == 0)
                return -EBADMSG;
        name[k] = '\0';
        memcpy(ret, name, k + 1);
        return 0;
}

static StatsdType type_from_string(const char *s) {
        if (streq(s, "c"))
                return STATSD_COUNTER;
        if (streq(s, "g"))
                return STATSD_GAUGE;
        /* DogStatsD's histogram and distribution are kept as timings: count, sum, min and max. */
        if (streq(s, "ms") || streq(s, "h") || streq(s, "d"))
                return STATSD_TIMING;
        if (streq(s, "s"))
                return STATSD_SET;
        return _STATSD_TYPE_INVALID;
}

/* Whether section is a DogStatsD field this reader ignores: tags (#a:b,c), a timestamp (T1656581400), a
 * container id (c:...) or any later "<letters>:" field (card:low, e:...). */
static bool section_is_ignored(const char *section) {
        size_t letters = strspn(section, "abcdefghijklmnopqrstuvwxyz");

        if (section[0] == '#')
                return true;
        if (section[0] == 'T' && section[1] != '\0' &&
            section[1 + strspn(section + 1, "0123456789")] == '\0')
                return true;
        return letters > 0 && section[letters] == ':';
}

/* Reads the sections after the type: "@rate" at most once, DogStatsD's fields ignored. */
static int parse_options(char *options, double *ret_rate, const char **reason) {
        double rate = 1.0;
        bool have_rate = false;

        for (char *section = options; section;) {
                char *bar = strchr(section, '|');

                if (bar)
                        *bar = '\0';
                if (section[0] == '@') {
                        if (have_rate) {
                                *reason = "sample rate given twice";
                                return -EBADMSG;
                        }
                        if (parse_number(section + 1, &rate) < 0 || !(rate > 0.0 && rate <= 1.0)) {
                                *reason = "sample rate is not a number in (0, 1]";
                                return -EBADMSG;
                        }
                        have_rate = true;
                } else if (!section_is_ignored(section)) {
                        *reason = "unknown field after the type (known: |@rate, |#tags)";
                        return -EBADMSG;
                }
                section = bar ? bar + 1 : NULL;
        }
        *ret_rate = rate;
        return 0;
}

/* The value between the name's ':' and the type's '|': a number, or a set's text. */
static int parse_value(const char *value, StatsdMetric *m, const char **reason) {
        if (m->type == STATSD_SET) {
                if (value[0] == '\0') {
                        *reason = "empty set value";
                        return -EBADMSG;
                }
                strcpy(m->member, value);
                return 0;
        }
        if (parse_number(value, &m->value) < 0) {
                *reason = "value is not a decimal number";
                return -EBADMSG;
        }
        if (m->type == STATSD_TIMING && m->value < 0) {
                *reason = "negative timing";
                return -EBADMSG;
        }
        m->delta = m->type == STATSD_GAUGE && (value[0] == '+' || value[0] == '-');
        return 0;
}

/* Parses a NUL-terminated copy of a line, which it cuts up. */
static int parse_line_copy(char *line, StatsdMetric *m, const char **reason) {
        char *colon = strchr(line, ':'), *type, *options;
        int r;

        if (strncmp(line, "_e{", 3) == 0 || strncmp(line, "_sc|", 4) == 0) {
                *reason = "DogStatsD events and service checks are not supported";
                return -EBADMSG;
        }
        if (!colon) {
                *reason = "no ':' after the name";
                return -EBADMSG;
        }
        r = statsd_name_sanitize(line, (size_t) (colon - line), m->name);
        if (r < 0) {
                *reason = r == -ENAMETOOLONG ? "name longer than 64 characters" :
                          colon == line ? "empty name" : "no character of the name is one a name may have";
                return -EBADMSG;
        }
        type = strchr(colon + 1, '|');
        if (!type) {
                *reason = "no '|' and type after the value";
                return -EBADMSG;
        }
        *type++ = '\0';
        options = strchr(type, '|');
        if (options)
                *options++ = '\0';
        m->type = type_from_string(type);
        if (m->type < 0) {
                *reason = "unknown type (known: c, g, ms, h, d, s)";
                return -EBADMSG;
        }
        if (parse_value(colon + 1, m, reason) < 0)
                return -EBADMSG;
        if (options && parse_options(options, &m->sample_rate, reason) < 0)
                return -EBADMSG;
        return 0;
}

int statsd_parse_line(const char *line, size_t n, StatsdMetric *ret, const char **reason) {
        char copy[STATSD_LINE_MAX + 1];
        const char *why = NULL;
        StatsdMetric m = { .sample_rate = 1.0 };
        int r;

        if (n > STATSD_LINE_MAX)
                why = "line longer than 1024 bytes";
        else if (memchr(line, '\0', n))
                why = "NUL byte in the line";
        else {
                memcpy(copy, line, n);
                copy[n] = '\0';
                r = parse_line_copy(copy, &m, &why);
                if (r >= 0) {
                        *ret = m;
                        return 0;
                }
        }
        if (reason)
                *reason = why;
        return -EBADMSG;
}

const char *statsd_refusal_to_string(int error) {
        switch (error) {
        case -EEXIST:
                return "the name belongs to a metric of another kind";
        case -ERANGE:
                return "a counter can't go down (a gauge can: 'name:-1|g')";
        case -EOVERFLOW:
                return "value out of range";
        case -E2BIG:
                return "the set holds too many distinct values in this interval";
        default:
                return strerror(error < 0 ? -error : error);
        }
}

int statsd_parse_datagram_full(const char *data, size_t n, StatsdHandler handler, void *userdata,
                               StatsdRejectHandler reject, void *reject_userdata, StatsdStats *stats) {
        StatsdStats s = {};
        int r = 0;

        for (size_t i = 0; i < n;) {
                const char *nl = memchr(data + i, '\n', n - i), *reason = NULL;
                size_t len = nl ? (size_t) (nl - (data + i)) : n - i;
                StatsdMetric m;

                if (len == 0) {
                        i++;
                        continue;
                }
                r = statsd_parse_line(data + i, len, &m, &reason);
                if (r >= 0) {
                        r = handler(&m, userdata);
                        if (r == -ENOMEM)
                                break;
                        if (r < 0)
                                reason = statsd_refusal_to_string(r);
                }
                if (r < 0) {
                        s.malformed++;
                        if (reject)
                                reject(data + i, len, reason, reject_userdata);
                } else
                        s.lines++;
                i += len + 1;
        }
        if (stats) {
                stats->lines += s.lines;
                stats->malformed += s.malformed;
        }
        return r == -ENOMEM ? r : 0;
}

int statsd_parse_datagram(const char *data, size_t n, StatsdHandler handler, void *userdata,
                          StatsdStats *stats) {
        return statsd_parse_datagram_full(data, n, handler, userdata, NULL, NULL, stats);
}

static const char * const statsd_type_table[_STATSD_TYPE_MAX] = {
        [STATSD_COUNTER] = "counter",
        [STATSD_GAUGE] = "gauge",
        [STATSD_TIMING] = "timing",
        [STATSD_SET] = "set",
};

const char *statsd_type_to_string(StatsdType t) {
        return t >= 0 && t < _STATSD_TYPE_MAX ? statsd_type_table[t] : NULL;
}
