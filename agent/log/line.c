/* SPDX-License-Identifier: MIT */

/* A child's output line → a journal entry. The JSON reader here is deliberately small: it reads one
 * object and flattens it into fields, a nested value named by its path (`err.stack` becomes
 * PANDORA_JSON_ERR_STACK, `tags[1]` PANDORA_JSON_TAGS_1), so that what loggers put in nested objects
 * (pino's and bunyan's `err` with its stack) survives; values nested deeper than FLATTEN_DEPTH_MAX are
 * kept as their JSON text, fields beyond LOG_LINE_FIELDS_MAX are counted, not sent. Anything that is not
 * exactly one JSON object is an ordinary line, so a logger's output is never lost to a parse error.
 * Colour codes (SGR escapes, as winston's colorize() puts around the level) are removed from the level
 * before it is read and from every MESSAGE. None of pandora's dependencies reads JSON (libsystemd's JSON
 * parser is not public in 252). */

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "agent/log/line.h"
#include "common/macro.h"

#define JSON_DEPTH_MAX 64
/* Keys in a field's path at most (`a.b.c.d.e.f.g.h`); an object or array found there is one field
 * holding its JSON text. */
#define FLATTEN_DEPTH_MAX 8
#define FIELD_PREFIX "PANDORA_JSON_"
/* Sent when fields were left out: how many. */
#define FIELD_DROPPED "PANDORA_JSON_DROPPED"

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

/* A field's name as it is built along the path to a value: PANDORA_JSON_ and the keys (or array
 * indexes) upper-cased and joined with '_', other characters as '_', cut at LOG_FIELD_NAME_MAX. */
typedef struct FieldPath {
        char name[LOG_FIELD_NAME_MAX + 1];
        size_t size;
} FieldPath;

static void path_init(FieldPath *p) {
        p->size = strlen(FIELD_PREFIX);
        memcpy(p->name, FIELD_PREFIX, p->size);
}

/* Appends one key; returns the size to go back to, or SIZE_MAX for an empty key (its value is skipped). */
static size_t path_push(FieldPath *p, const char *key, size_t n) {
        size_t saved = p->size;

        if (n == 0)
                return SIZE_MAX;
        if (p->size > strlen(FIELD_PREFIX) && p->size < LOG_FIELD_NAME_MAX)
                p->name[p->size++] = '_';
        for (size_t i = 0; i < n && p->size < LOG_FIELD_NAME_MAX; i++) {
                unsigned char c = (unsigned char) key[i];

                p->name[p->size++] = isascii(c) && isalnum(c) ? (char) toupper(c) : '_';
        }
        return saved;
}

static int add_field(LogLine *l, const FieldPath *path, const char *value, size_t size) {
        struct iovec *grown;
        char *data;

        if (l->n_fields >= LOG_LINE_FIELDS_MAX) {
                l->n_dropped++;
                return 0;
        }
        data = malloc(path->size + 1 + size);
        if (!data)
                return -ENOMEM;
        memcpy(data, path->name, path->size);
        data[path->size] = '=';
        memcpy(data + path->size + 1, value, size);
        grown = realloc(l->fields, sizeof(struct iovec) * (l->n_fields + 1));
        if (!grown) {
                free(data);
                return -ENOMEM;
        }
        l->fields = grown;
        l->fields[l->n_fields++] = (struct iovec) { .iov_base = data, .iov_len = path->size + 1 + size };
        return 0;
}

static bool key_is(const JsonScalar *key, const char *name) {
        return key->size == strlen(name) && memcmp(key->data, name, key->size) == 0;
}

/* Removes SGR escapes ("\e[31m", "\e[1;32m", "\e[0m": colours) from size bytes at p, in place. Returns
 * the new size. */
static size_t strip_colour(char *p, size_t size) {
        size_t i = 0, o = 0;

        while (i < size) {
                if (p[i] == '\x1b' && i + 1 < size && p[i + 1] == '[') {
                        size_t j = i + 2 + span(p + i + 2, p + size, "0123456789;:");

                        if (j < size && p[j] == 'm') {
                                i = j + 1;
                                continue;
                        }
                }
                p[o++] = p[i++];
        }
        return o;
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

static int flatten_value(Scanner *s, LogLine *l, FieldPath *path, int depth);

/* An object's members or an array's elements, its opening bracket consumed: a field each, named by
 * the path. An empty one is a field too ("{}", "[]"), so that its key is not lost. */
static int flatten_container(Scanner *s, LogLine *l, FieldPath *path, char close, int depth) {
        if (consume(s, close))
                return add_field(l, path, close == '}' ? "{}" : "[]", 2);
        for (size_t index = 0;; index++) {
                _cleanup_(scalar_done) JsonScalar key = {};
                char number[24];
                size_t saved;
                int r;

                if (close == '}') {
                        if (scan_string_alloc(s, &key) < 0 || !consume(s, ':'))
                                return -EINVAL;
                        saved = path_push(path, key.data, key.size);
                } else
                        saved = path_push(path, number, (size_t) snprintf(number, sizeof(number), "%zu", index));
                r = saved == SIZE_MAX ? skip_value(s, depth + 1) : flatten_value(s, l, path, depth + 1);
                if (r < 0)
                        return r;
                if (saved != SIZE_MAX)
                        path->size = saved;
                if (consume(s, close))
                        return 0;
                if (!consume(s, ','))
                        return -EINVAL;
        }
}

/* One value at path (of depth keys): a scalar is a field; a container is flattened, or at
 * FLATTEN_DEPTH_MAX kept as its JSON text, as written. */
static int flatten_value(Scanner *s, LogLine *l, FieldPath *path, int depth) {
        _cleanup_(scalar_done) JsonScalar value = {};
        const char *start;
        int r;

        if (depth > JSON_DEPTH_MAX)
                return -EINVAL;
        skip_space(s);
        start = s->p;
        if (s->p < s->end && (*s->p == '{' || *s->p == '[')) {
                if (depth >= FLATTEN_DEPTH_MAX) {
                        r = skip_value(s, depth);
                        return r < 0 ? r : add_field(l, path, start, (size_t) (s->p - start));
                }
                s->p++;
                return flatten_container(s, l, path, *start == '{' ? '}' : ']', depth);
        }
        r = scan_scalar(s, &value);
        if (r < 0)
                return r;
        return add_field(l, path, value.data, value.size);
}

/* One top-level member: "key": value. msg, message and level, when scalars, are the entry's message and
 * priority; everything else becomes fields. */
static int scan_member(Scanner *s, LogLine *l, JsonLine *j) {
        _cleanup_(scalar_done) JsonScalar key = {};
        JsonScalar *slot;
        FieldPath path;

        if (scan_string_alloc(s, &key) < 0 || !consume(s, ':'))
                return -EINVAL;
        skip_space(s);
        slot = key_is(&key, "msg") ? &j->msg : key_is(&key, "message") ? &j->message :
               key_is(&key, "level") ? &j->level : NULL;
        if (slot && s->p < s->end && *s->p != '{' && *s->p != '[') {
                scalar_done(slot);
                return scan_scalar(s, slot);
        }
        path_init(&path);
        if (path_push(&path, key.data, key.size) == SIZE_MAX)
                return skip_value(s, 1);
        return flatten_value(s, l, &path, 1);
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

/* Says how many fields were left out, in a field of its own past the limit. */
static int add_dropped(LogLine *l) {
        struct iovec *grown;
        char data[64];
        int n;

        if (l->n_dropped == 0)
                return 0;
        n = snprintf(data, sizeof(data), FIELD_DROPPED "=%zu", l->n_dropped);
        grown = realloc(l->fields, sizeof(struct iovec) * (l->n_fields + 1));
        if (!grown)
                return -ENOMEM;
        l->fields = grown;
        l->fields[l->n_fields].iov_base = strdup(data);
        if (!l->fields[l->n_fields].iov_base)
                return -ENOMEM;
        l->fields[l->n_fields++].iov_len = (size_t) n;
        return 0;
}

/* MESSAGE: the bytes as they are, but for colour codes. */
static int set_message(LogLine *l, const char *data, size_t size) {
        l->message = malloc(size + 1);
        if (!l->message)
                return -ENOMEM;
        memcpy(l->message, data, size);
        l->message_size = strip_colour(l->message, size);
        l->message[l->message_size] = '\0';
        return 0;
}

/* Fills l from a JSON object line; -EINVAL when the line is not exactly one object. */
static int parse_json(const char *line, size_t size, LogLine *l) {
        _cleanup_(json_line_done) JsonLine j = {};
        Scanner s = { .p = line, .end = line + size };
        JsonScalar *message;
        int r, priority;

        r = scan_object(&s, l, &j);
        if (r >= 0)
                r = add_dropped(l);
        if (r < 0)
                return r;
        if (j.level.data) {
                /* winston's colorize() wraps the level: "\e[31merror\e[39m". */
                j.level.size = strip_colour(j.level.data, j.level.size);
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
