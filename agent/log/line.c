/* SPDX-License-Identifier: MIT */

/* A child's output line → a journal entry. The JSON reader here is deliberately small: it reads one
 * object, keeps its top-level scalars and skips nested values; anything that is not exactly one JSON
 * object is an ordinary line, so a logger's output is never lost to a parse error. None of pandora's
 * dependencies reads JSON (libsystemd's JSON parser is not public in 252). */

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "agent/log/line.h"
#include "common/macro.h"

#define JSON_DEPTH_MAX 64
#define FIELD_PREFIX "PANDORA_JSON_"

typedef struct Scanner {
        const char *p, *end;
} Scanner;

/* A top-level member's value: its bytes (strings unescaped, numbers and literals as written). */
typedef struct JsonScalar {
        char *data;
        size_t size;
        bool is_number;
} JsonScalar;

static void scalar_done(JsonScalar *v) {
        free(v->data);
        *v = (JsonScalar) {};
}

static void skip_space(Scanner *s) {
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
                s->p++;
}

static bool consume(Scanner *s, char c) {
        skip_space(s);
        if (s->p >= s->end || *s->p != c)
                return false;
        s->p++;
        return true;
}

static int hex4(Scanner *s, unsigned *ret) {
        unsigned v = 0;

        if (s->end - s->p < 4)
                return -EINVAL;
        for (int i = 0; i < 4; i++) {
                char c = *s->p++;

                if (!isxdigit((unsigned char) c))
                        return -EINVAL;
                v = v * 16 + (unsigned) (isdigit((unsigned char) c) ? c - '0' : tolower((unsigned char) c) - 'a' + 10);
        }
        *ret = v;
        return 0;
}

static void put_utf8(FILE *out, unsigned cp) {
        if (cp < 0x80)
                fputc((int) cp, out);
        else if (cp < 0x800) {
                fputc((int) (0xC0 | cp >> 6), out);
                fputc((int) (0x80 | (cp & 0x3F)), out);
        } else if (cp < 0x10000) {
                fputc((int) (0xE0 | cp >> 12), out);
                fputc((int) (0x80 | ((cp >> 6) & 0x3F)), out);
                fputc((int) (0x80 | (cp & 0x3F)), out);
        } else {
                fputc((int) (0xF0 | cp >> 18), out);
                fputc((int) (0x80 | ((cp >> 12) & 0x3F)), out);
                fputc((int) (0x80 | ((cp >> 6) & 0x3F)), out);
                fputc((int) (0x80 | (cp & 0x3F)), out);
        }
}

/* After "\u": one code point, or a surrogate pair; a lone surrogate becomes U+FFFD. */
static int unicode_escape(Scanner *s, FILE *out) {
        unsigned cp, low;

        if (hex4(s, &cp) < 0)
                return -EINVAL;
        if (cp >= 0xD800 && cp < 0xDC00 && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
                s->p += 2;
                if (hex4(s, &low) < 0)
                        return -EINVAL;
                if (low >= 0xDC00 && low < 0xE000)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                else {
                        put_utf8(out, 0xFFFD);
                        cp = low >= 0xD800 && low < 0xE000 ? 0xFFFD : low;
                }
        } else if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD;
        put_utf8(out, cp);
        return 0;
}

static int escape(Scanner *s, FILE *out) {
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *i;

        if (s->p >= s->end)
                return -EINVAL;
        if (*s->p == 'u') {
                s->p++;
                return unicode_escape(s, out);
        }
        i = strchr(from, *s->p);
        if (!i || !*s->p)
                return -EINVAL;
        fputc(to[i - from], out);
        s->p++;
        return 0;
}

/* A string at s->p (after skip_space), unescaped into out. */
static int scan_string(Scanner *s, FILE *out) {
        int r;

        if (!consume(s, '"'))
                return -EINVAL;
        while (s->p < s->end && *s->p != '"') {
                unsigned char c = (unsigned char) *s->p++;

                if (c < 0x20)
                        return -EINVAL;
                if (c != '\\') {
                        fputc(c, out);
                        continue;
                }
                r = escape(s, out);
                if (r < 0)
                        return r;
        }
        return consume(s, '"') ? 0 : -EINVAL;
}

static int scan_string_alloc(Scanner *s, JsonScalar *ret) {
        FILE *out = open_memstream(&ret->data, &ret->size);
        int r;

        if (!out)
                return -ENOMEM;
        r = scan_string(s, out);
        if (fclose(out) != 0 && r >= 0)
                r = -ENOMEM;
        return r;
}

static size_t span(const char *p, const char *end, const char *accept) {
        size_t n = 0;

        while (p + n < end && p[n] && strchr(accept, p[n]))
                n++;
        return n;
}

/* A number as JSON writes it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(Scanner *s, JsonScalar *ret) {
        const char *start = s->p;
        size_t n;

        if (s->p < s->end && *s->p == '-')
                s->p++;
        n = span(s->p, s->end, "0123456789");
        if (n == 0 || (n > 1 && *s->p == '0'))
                return -EINVAL;
        s->p += n;
        if (s->p < s->end && *s->p == '.') {
                n = span(++s->p, s->end, "0123456789");
                if (n == 0)
                        return -EINVAL;
                s->p += n;
        }
        if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
                s->p++;
                s->p += span(s->p, s->end, "+-") == 1 ? 1 : 0;
                n = span(s->p, s->end, "0123456789");
                if (n == 0)
                        return -EINVAL;
                s->p += n;
        }
        ret->data = strndup(start, (size_t) (s->p - start));
        ret->size = (size_t) (s->p - start);
        ret->is_number = true;
        return ret->data ? 0 : -ENOMEM;
}

static int scan_literal(Scanner *s, JsonScalar *ret) {
        static const char *const literals[] = { "true", "false", "null" };

        for (size_t i = 0; i < ELEMENTSOF(literals); i++) {
                size_t n = strlen(literals[i]);

                if ((size_t) (s->end - s->p) >= n && memcmp(s->p, literals[i], n) == 0) {
                        s->p += n;
                        ret->data = strdup(literals[i]);
                        ret->size = n;
                        return ret->data ? 0 : -ENOMEM;
                }
        }
        return -EINVAL;
}

static int skip_value(Scanner *s, int depth);

/* An object or array whose opening bracket was consumed: its members are checked, then dropped. */
static int skip_container(Scanner *s, char close, int depth) {
        if (consume(s, close))
                return 0;
        for (;;) {
                if (close == '}') {
                        _cleanup_(scalar_done) JsonScalar key = {};

                        if (scan_string_alloc(s, &key) < 0 || !consume(s, ':'))
                                return -EINVAL;
                }
                if (skip_value(s, depth + 1) < 0)
                        return -EINVAL;
                if (consume(s, close))
                        return 0;
                if (!consume(s, ','))
                        return -EINVAL;
        }
}

static int scan_scalar(Scanner *s, JsonScalar *ret) {
        skip_space(s);
        if (s->p >= s->end)
                return -EINVAL;
        if (*s->p == '"')
                return scan_string_alloc(s, ret);
        if (*s->p == '-' || isdigit((unsigned char) *s->p))
                return scan_number(s, ret);
        return scan_literal(s, ret);
}

static int skip_value(Scanner *s, int depth) {
        _cleanup_(scalar_done) JsonScalar v = {};

        if (depth > JSON_DEPTH_MAX)
                return -EINVAL;
        if (consume(s, '{'))
                return skip_container(s, '}', depth);
        if (consume(s, '['))
                return skip_container(s, ']', depth);
        return scan_scalar(s, &v);
}

int log_level_to_priority(const char *level, size_t size, int is_number) {
        static const struct { const char *name; int priority; } names[] = {
                { "emerg", LOG_EMERG }, { "emergency", LOG_EMERG }, { "panic", LOG_EMERG },
                { "alert", LOG_ALERT },
                { "crit", LOG_CRIT }, { "critical", LOG_CRIT }, { "fatal", LOG_CRIT },
                { "err", LOG_ERR }, { "error", LOG_ERR },
                { "warn", LOG_WARNING }, { "warning", LOG_WARNING },
                { "notice", LOG_NOTICE },
                { "info", LOG_INFO }, { "http", LOG_INFO },
                { "debug", LOG_DEBUG }, { "trace", LOG_DEBUG }, { "verbose", LOG_DEBUG }, { "silly", LOG_DEBUG },
        };
        /* pino and bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
        static const int pino[] = { LOG_DEBUG, LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT };
        double v;

        if (is_number) {
                v = strtod(level, NULL);
                if (v >= 0 && v <= 7 && v == (int) v)
                        return (int) v;
                if (v < 10)
                        return -EINVAL;
                return pino[v >= 60 ? 5 : (int) (v / 10) - 1];
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strlen(names[i].name) == size && strncasecmp(level, names[i].name, size) == 0)
                        return names[i].priority;
        return -EINVAL;
}

/* The journal field for key: PANDORA_JSON_ and the key upper-cased, other characters as '_'. */
static char *field_name(const JsonScalar *key) {
        size_t prefix = strlen(FIELD_PREFIX), n = key->size;
        char *name;

        if (n == 0)
                return NULL;
        if (prefix + n > LOG_FIELD_NAME_MAX)
                n = LOG_FIELD_NAME_MAX - prefix;
        name = malloc(prefix + n + 1);
        if (!name)
                return NULL;
        memcpy(name, FIELD_PREFIX, prefix);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) key->data[i];

                name[prefix + i] = isascii(c) && isalnum(c) ? (char) toupper(c) : '_';
        }
        name[prefix + n] = '\0';
        return name;
}

static int add_field(LogLine *l, const JsonScalar *key, const JsonScalar *value) {
        _cleanup_free_ char *name = field_name(key);
        struct iovec *grown;
        size_t n;
        char *data;

        if (!name)
                return key->size == 0 ? 0 : -ENOMEM;
        n = strlen(name);
        data = malloc(n + 1 + value->size);
        if (!data)
                return -ENOMEM;
        memcpy(data, name, n);
        data[n] = '=';
        memcpy(data + n + 1, value->data, value->size);
        grown = realloc(l->fields, sizeof(struct iovec) * (l->n_fields + 1));
        if (!grown) {
                free(data);
                return -ENOMEM;
        }
        l->fields = grown;
        l->fields[l->n_fields++] = (struct iovec) { .iov_base = data, .iov_len = n + 1 + value->size };
        return 0;
}

static bool key_is(const JsonScalar *key, const char *name) {
        return key->size == strlen(name) && memcmp(key->data, name, key->size) == 0;
}

/* What the object's members say; msg wins over message. */
typedef struct JsonLine {
        JsonScalar msg, message, level;
} JsonLine;

static void json_line_done(JsonLine *j) {
        scalar_done(&j->msg);
        scalar_done(&j->message);
        scalar_done(&j->level);
}

/* One member: "key": value. Scalars other than msg, message and level become fields. */
static int scan_member(Scanner *s, LogLine *l, JsonLine *j) {
        _cleanup_(scalar_done) JsonScalar key = {}, value = {};
        JsonScalar *slot;
        int r;

        if (scan_string_alloc(s, &key) < 0 || !consume(s, ':'))
                return -EINVAL;
        skip_space(s);
        if (s->p < s->end && (*s->p == '{' || *s->p == '['))
                return skip_value(s, 1);
        r = scan_scalar(s, &value);
        if (r < 0)
                return r;
        slot = key_is(&key, "msg") ? &j->msg : key_is(&key, "message") ? &j->message :
               key_is(&key, "level") ? &j->level : NULL;
        if (!slot)
                return add_field(l, &key, &value);
        scalar_done(slot);
        *slot = value;
        value = (JsonScalar) {};
        return 0;
}

static int scan_object(Scanner *s, LogLine *l, JsonLine *j) {
        int r;

        if (!consume(s, '{'))
                return -EINVAL;
        if (!consume(s, '}'))
                for (;;) {
                        r = scan_member(s, l, j);
                        if (r < 0)
                                return r;
                        if (consume(s, '}'))
                                break;
                        if (!consume(s, ','))
                                return -EINVAL;
                }
        skip_space(s);
        return s->p == s->end ? 0 : -EINVAL;
}

static int set_message(LogLine *l, const char *data, size_t size) {
        l->message = malloc(size + 1);
        if (!l->message)
                return -ENOMEM;
        memcpy(l->message, data, size);
        l->message[size] = '\0';
        l->message_size = size;
        return 0;
}

/* Fills l from a JSON object line; -EINVAL when the line is not exactly one object. */
static int parse_json(const char *line, size_t size, LogLine *l) {
        _cleanup_(json_line_done) JsonLine j = {};
        Scanner s = { .p = line, .end = line + size };
        JsonScalar *message;
        int r, priority;

        r = scan_object(&s, l, &j);
        if (r < 0)
                return r;
        if (j.level.data) {
                priority = log_level_to_priority(j.level.data, j.level.size, j.level.is_number);
                if (priority >= 0)
                        l->priority = priority;
        }
        message = j.msg.data ? &j.msg : j.message.data ? &j.message : NULL;
        /* Without a message the object itself is the message, as it was written. */
        return message ? set_message(l, message->data, message->size) : set_message(l, line, size);
}

void log_line_done(LogLine *l) {
        for (size_t i = 0; i < l->n_fields; i++)
                free(l->fields[i].iov_base);
        free(l->fields);
        free(l->message);
        *l = (LogLine) {};
}

int log_line_parse(const char *line, size_t size, int default_priority, LogLine *ret) {
        LogLine l = { .priority = default_priority };
        int r;

        if (size >= 3 && line[0] == '<' && line[1] >= '0' && line[1] <= '7' && line[2] == '>') {
                l.priority = line[1] - '0';
                line += 3;
                size -= 3;
        }
        if (size > 0 && line[0] == '{') {
                r = parse_json(line, size, &l);
                if (r >= 0) {
                        *ret = l;
                        return 0;
                }
                /* Not one JSON object after all: an ordinary line, at the prefix's priority. */
                default_priority = l.priority;
                log_line_done(&l);
                l.priority = default_priority;
                if (r == -ENOMEM)
                        return r;
        }
        r = set_message(&l, line, size);
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}
