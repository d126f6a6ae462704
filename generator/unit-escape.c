/* SPDX-License-Identifier: MIT */

/* Escaping for unit files. systemd unquotes Environment= and ExecStart= with C escapes inside double
 * quotes and then expands specifiers ('%'), and ExecStart= also expands "$VAR"; so a value is written
 * quoted, with '"', '\\' and every control character escaped, '%' doubled, and '$' doubled where it
 * would be expanded. */

#include "generator/unit-escape.h"

void unit_write_verbatim(FILE *f, const char *s) {
        for (; *s; s++) {
                if (*s == '%')
                        fputc('%', f);
                fputc(*s, f);
        }
}

static void write_quoted_char(FILE *f, unsigned char c, bool double_dollar) {
        switch (c) {
        case '"':
        case '\\':
                fputc('\\', f);
                fputc(c, f);
                break;
        case '\n':
                fputs("\\n", f);
                break;
        case '\t':
                fputs("\\t", f);
                break;
        case '%':
                fputs("%%", f);
                break;
        case '$':
                fputs(double_dollar ? "$$" : "$", f);
                break;
        default:
                if (c < 0x20 || c == 0x7f)
                        fprintf(f, "\\x%02x", c);
                else
                        fputc(c, f);
        }
}

void unit_write_assignment(FILE *f, const char *directive, const char *name, const char *value) {
        fprintf(f, "%s=\"", directive);
        for (const char *p = name; *p; p++)
                write_quoted_char(f, (unsigned char) *p, false);
        fputc('=', f);
        for (const char *p = value; *p; p++)
                write_quoted_char(f, (unsigned char) *p, false);
        fputs("\"\n", f);
}

void unit_write_exec_word(FILE *f, const char *word) {
        fputc('"', f);
        for (const char *p = word; *p; p++)
                write_quoted_char(f, (unsigned char) *p, true);
        fputc('"', f);
}

void unit_write_exec_path(FILE *f, const char *path) {
        /* systemd expands "$VAR" in arguments only: a '$' in the program's path is itself. */
        fputc('"', f);
        for (const char *p = path; *p; p++)
                write_quoted_char(f, (unsigned char) *p, false);
        fputc('"', f);
}
