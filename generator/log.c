/* SPDX-License-Identifier: MIT */

/* Where pandora-gen's error messages go: stderr for a person, the kernel log for systemd. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator/log.h"

/* syslog(3)'s priorities, as /dev/kmsg takes them. */
#define LOG_PRIORITY_ERR 3
#define LOG_PRIORITY_WARNING 4

static const char *log_program = "pandora-gen";
static FILE *log_stream;

void log_setup_generator(const char *program) {
        log_program = program;
        if (getenv("SYSTEMD_SCOPE") && !getenv("container"))
                log_stream = fopen("/dev/kmsg", "we");
}

/* Writes s with every control character escaped: a message is one line (one /dev/kmsg record), whatever
 * a procfile's value or path holds. */
static void write_escaped(FILE *f, const char *s) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c == '\n')
                        fputs("\\n", f);
                else if (c == '\t')
                        fputs("\\t", f);
                else if (c < 0x20 || c == 0x7f)
                        fprintf(f, "\\x%02x", c);
                else
                        fputc(c, f);
        }
}

static void log_printv(int priority, const char *format, va_list ap) _printf_(2, 0);
static void log_printv(int priority, const char *format, va_list ap) {
        FILE *f = log_stream ?: stderr;
        _cleanup_free_ char *message = NULL;

        /* errno is still the caller's here, for %m. */
        if (vasprintf(&message, format, ap) < 0)
                message = NULL;
        /* /dev/kmsg wants one record per write, with a priority prefix. */
        if (f != stderr)
                fprintf(f, "<%d>", priority);
        fprintf(f, "%s: %s", log_program, priority == LOG_PRIORITY_WARNING ? "warning: " : "");
        write_escaped(f, message ?: "(out of memory)");
        fputc('\n', f);
        fflush(f);
}

void log_error(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_printv(LOG_PRIORITY_ERR, format, ap);
        va_end(ap);
}

void log_warning(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_printv(LOG_PRIORITY_WARNING, format, ap);
        va_end(ap);
}

int log_error_errno(int error, const char *format, ...) {
        va_list ap;

        errno = -error;
        va_start(ap, format);
        log_printv(LOG_PRIORITY_ERR, format, ap);
        va_end(ap);
        return error;
}

void log_procfile_error(const ProcfileError *e, int r) {
        _cleanup_free_ char *s = e->message ? procfile_error_to_string(e) : NULL;

        if (s)
                log_error("%s", s);
        else
                log_error("%s", strerror(-r));
}
