/* SPDX-License-Identifier: MIT */

/* Shell-like word splitting for `entry` and `exec`. It follows the POSIX shell quoting rules and
 * stops there: no variables, globs, redirections or command substitution, because the words go to
 * execve() and never through a shell. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/shell-split.h"
#include "common/strv.h"

#define BLANKS " \t\n\r"

typedef struct Word {
        char *buf;
        size_t len;
} Word;

static int word_append(Word *w, char c) {
        char *grown = realloc(w->buf, w->len + 2);

        if (!grown)
                return -ENOMEM;
        grown[w->len++] = c;
        grown[w->len] = '\0';
        w->buf = grown;
        return 0;
}

/* Reads one word starting at *p (not at a blank); advances *p past it. */
static int read_word(const char **p, char **ret_word) {
        _cleanup_free_ char *unused = NULL;
        Word w = {};
        char quote = 0;
        const char *s;
        int r = 0;

        for (s = *p; *s && r >= 0; s++) {
                if (quote == '\'') {
                        if (*s == '\'')
                                quote = 0;
                        else
                                r = word_append(&w, *s);
                } else if (quote == '"') {
                        if (*s == '"')
                                quote = 0;
                        else if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                                r = word_append(&w, *++s);
                        else
                                r = word_append(&w, *s);
                } else if (strchr(BLANKS, *s))
                        break;
                else if (*s == '\'' || *s == '"')
                        quote = *s;
                else if (*s == '\\') {
                        if (!s[1])
                                r = -EINVAL;
                        else
                                r = word_append(&w, *++s);
                } else
                        r = word_append(&w, *s);
        }
        unused = w.buf;
        if (r < 0)
                return r;
        if (quote)
                return -EINVAL;
        if (!unused) {
                /* Only quotes, as in '' or "": an empty word, as a shell would pass it. */
                unused = strdup("");
                if (!unused)
                        return -ENOMEM;
        }
        *p = s;
        *ret_word = TAKE_PTR(unused);
        return 0;
}

int shell_split(const char *line, char ***ret_words) {
        _cleanup_strv_free_ char **words = NULL;
        const char *p = line;
        int r;

        for (;;) {
                char *word;

                p += strspn(p, BLANKS);
                if (!*p)
                        break;
                r = read_word(&p, &word);
                if (r < 0)
                        return r;
                r = strv_consume(&words, word);
                if (r < 0)
                        return r;
        }
        if (!words)
                return -ENODATA;
        *ret_words = TAKE_PTR(words);
        return 0;
}

int shell_find_operator(const char *line, char **ret_word) {
        char quote = 0;

        for (const char *s = line; *s; s++) {
                if (quote == '\'') {
                        quote = *s == '\'' ? 0 : quote;
                        continue;
                }
                if (*s == '\\' && s[1]) {
                        s++;
                        continue;
                }
                if (quote == '"') {
                        quote = *s == '"' ? 0 : quote;
                        continue;
                }
                if (*s == '\'' || *s == '"') {
                        quote = *s;
                        continue;
                }
                if (strchr("|&;<>`", *s)) {
                        const char *start = s, *end = s;
                        char *word;

                        /* The whole blank-separated word: "2>&1", not ">". */
                        while (start > line && !strchr(BLANKS, start[-1]))
                                start--;
                        while (*end && !strchr(BLANKS, *end))
                                end++;
                        word = strndup(start, end - start);
                        if (!word)
                                return -ENOMEM;
                        *ret_word = word;
                        return 1;
                }
        }
        return 0;
}
