/* SPDX-License-Identifier: MIT */

/* The dotenv parser: one pass over the text, a line (or a quoted value's lines) at a time. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/dotenv.h"
#include "common/macro.h"
#include "common/names.h"
#include "common/strv.h"

typedef struct Cursor {
        const char *p, *end;
        unsigned line;
} Cursor;

static void skip_blanks(Cursor *c) {
        while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
                c->p++;
}

static void skip_to_next_line(Cursor *c) {
        while (c->p < c->end && *c->p != '\n')
                c->p++;
        if (c->p < c->end) {
                c->p++;
                c->line++;
        }
}

/* A growable value buffer. */
typedef struct Value {
        char *s;
        size_t n, size;
} Value;

static int value_add(Value *v, char ch) {
        if (v->n + 2 > v->size) {
                size_t size = v->size ? v->size * 2 : 64;
                char *s = realloc(v->s, size);

                if (!s)
                        return -ENOMEM;
                v->s = s;
                v->size = size;
        }
        v->s[v->n++] = ch;
        v->s[v->n] = '\0';
        return 0;
}

static char unescape(char ch) {
        switch (ch) {
        case 'n':
                return '\n';
        case 't':
                return '\t';
        case 'r':
                return '\r';
        default:
                return ch;      /* \" \\ \$ and anything else: the character itself */
        }
}

/* A quoted value, from after its opening quote to after its closing one. */
static int read_quoted(Cursor *c, char quote, Value *v, const char **error) {
        int r;

        while (c->p < c->end && *c->p != quote) {
                char ch = *c->p++;

                if (ch == '\n') {
                        if (quote == '\'') {
                                *error = "a single-quoted value must end on its line";
                                return -EINVAL;
                        }
                        c->line++;
                } else if (ch == '\\' && quote == '"' && c->p < c->end)
                        ch = unescape(*c->p++);
                r = value_add(v, ch);
                if (r < 0)
                        return r;
        }
        if (c->p >= c->end) {
                *error = quote == '"' ? "a double-quoted value is not closed" : "a single-quoted value is not closed";
                return -EINVAL;
        }
        c->p++;
        /* After the closing quote: blanks, then a comment or the end of the line. */
        skip_blanks(c);
        if (c->p < c->end && *c->p != '\n' && *c->p != '#' && *c->p != '\r') {
                *error = "unexpected text after the closing quote";
                return -EINVAL;
        }
        skip_to_next_line(c);
        return 0;
}

/* An unquoted value: to the end of the line or a " #" comment, trimmed. */
static int read_plain(Cursor *c, Value *v) {
        const char *start = c->p, *stop;
        int r;

        while (c->p < c->end && *c->p != '\n' && !(*c->p == '#' && (c->p == start || c->p[-1] == ' ' || c->p[-1] == '\t')))
                c->p++;
        stop = c->p;
        while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
                stop--;
        r = value_add(v, '\0');         /* an empty value is still a value */
        if (r < 0)
                return r;
        v->n = 0;
        for (const char *s = start; s < stop; s++) {
                r = value_add(v, *s);
                if (r < 0)
                        return r;
        }
        skip_to_next_line(c);
        return 0;
}

/* One assignment starting at c->p (blanks skipped). */
static int read_assignment(Cursor *c, char ***env, const char **error) {
        _cleanup_free_ char *key = NULL, *entry = NULL;
        Value v = {};
        const char *start;
        int r;

        if ((size_t) (c->end - c->p) > 7 && strncmp(c->p, "export", 6) == 0 && (c->p[6] == ' ' || c->p[6] == '\t')) {
                c->p += 7;
                skip_blanks(c);
        }
        start = c->p;
        while (c->p < c->end && *c->p != '=' && *c->p != '\n' && *c->p != ' ' && *c->p != '\t')
                c->p++;
        key = strndup(start, c->p - start);
        if (!key)
                return -ENOMEM;
        skip_blanks(c);
        if (c->p >= c->end || *c->p != '=') {
                *error = "expected KEY=value";
                return -EINVAL;
        }
        if (!env_name_is_valid(key)) {
                *error = "the name must be letters, digits and '_', not starting with a digit";
                return -EINVAL;
        }
        c->p++;
        skip_blanks(c);
        if (c->p < c->end && (*c->p == '"' || *c->p == '\'')) {
                char quote = *c->p++;

                r = read_quoted(c, quote, &v, error);
                if (r >= 0 && !v.s)
                        r = value_add(&v, '\0');       /* "" */
        } else
                r = read_plain(c, &v);
        if (r < 0) {
                free(v.s);
                return r;
        }
        r = strv_env_set(env, key, v.s ?: "");
        free(v.s);
        return r;
}

int dotenv_parse(const char *text, size_t size, char ***env, unsigned *ret_line, const char **ret_error) {
        Cursor c = { .p = text, .end = text + size, .line = 1 };

        while (c.p < c.end) {
                unsigned line;
                int r;

                skip_blanks(&c);
                if (c.p >= c.end)
                        break;
                if (*c.p == '\n' || *c.p == '#' || *c.p == '\r') {
                        skip_to_next_line(&c);
                        continue;
                }
                line = c.line;
                r = read_assignment(&c, env, ret_error);
                if (r == -EINVAL)
                        *ret_line = line;
                if (r < 0)
                        return r;
        }
        return 0;
}
