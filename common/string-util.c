/* SPDX-License-Identifier: MIT */

/* String helpers: edit distance for hints, JSON string quoting, round-trip double formatting. */

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/string-util.h"

/* Optimal string alignment (restricted Damerau-Levenshtein): insertions, deletions, substitutions and
 * swaps of two adjacent characters cost one edit each, so "scael" is one edit from "scale". Three rows
 * of the table: the one two back is what a swap looks at. */
size_t string_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        _cleanup_free_ size_t *rows = calloc(3 * (lb + 1), sizeof(size_t));
        size_t *before = rows, *above = rows + lb + 1, *row = rows + 2 * (lb + 1);

        if (!rows)
                return (size_t) -1;
        for (size_t j = 0; j <= lb; j++)
                above[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t *oldest = before;

                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t best = above[j - 1] + (a[i - 1] != b[j - 1]);

                        if (above[j] + 1 < best)
                                best = above[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            before[j - 2] + 1 < best)
                                best = before[j - 2] + 1;
                        row[j] = best;
                }
                /* Rotate: this row becomes the one above, the one above the one before. */
                before = above;
                above = row;
                row = oldest;
        }
        return above[lb];
}

const char *string_closest(const char *s, const char * const *candidates) {
        const char *best = NULL;
        size_t best_distance = (size_t) -1;
        /* One edit in a short word, a third of the word in a long one. */
        size_t limit = strlen(s) / 3 > 1 ? strlen(s) / 3 : 1;

        for (const char * const *c = candidates; *c; c++) {
                size_t d = string_distance(s, *c);

                if (d < best_distance) {
                        best_distance = d;
                        best = *c;
                }
        }
        return best_distance <= limit ? best : NULL;
}

int json_append_string(FILE *buf, const char *s) {
        fputc('"', buf);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(buf, "\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", buf);
                else if (*p == '\t')
                        fputs("\\t", buf);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(buf, "\\u%04x", *p);
                else
                        fputc(*p, buf);
        }
        fputc('"', buf);
        return ferror(buf) ? -ENOMEM : 0;
}

void format_double(char out[static 32], double d) {
        int precision;
        double magnitude = d < 0 ? -d : d;

        for (precision = 1;; precision++) {
                snprintf(out, 32, "%.*g", precision, d);
                if (strtod(out, NULL) == d || precision == 17)
                        break;
        }
        /* Like JavaScript's Number#toString(), which is what a Pandora.js procfile printed: plain digits
         * from 1e-6 up to 1e21, exponent notation outside. */
        if (magnitude >= 1e-6 && magnitude < 1e21 && strchr(out, 'e')) {
                int exponent = (int) floor(log10(magnitude));
                int decimals = precision - 1 - exponent;

                snprintf(out, 32, "%.*f", decimals > 0 ? decimals : 0, d);
        }
}

char *strprintf(const char *format, ...) {
        va_list ap;
        char *s;
        int k;

        va_start(ap, format);
        k = vasprintf(&s, format, ap);
        va_end(ap);
        return k < 0 ? NULL : s;
}

bool string_has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && streq(s + n - k, suffix);
}

bool string_has_control(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* The length of the UTF-8 sequence at s, or 0 when it is not a valid one. */
static size_t utf8_sequence_length(const unsigned char *s) {
        size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : s[0] >= 0xE0 && s[0] < 0xF0 ? 3 :
                   s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : 0;
        uint32_t cp;

        if (n <= 1)
                return n;
        cp = s[0] & (0x7F >> n);
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3F);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                return 0;
        return n;
}

bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t n = utf8_sequence_length(p);

                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}
