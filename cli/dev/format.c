/* SPDX-License-Identifier: MIT */

/* The lines of dev mode's output. Prefixes are padded to one width and coloured per process as foreman
 * does, so that the eye can follow one process down a busy terminal. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/dev/format.h"
#include "common/strv.h"

#define RESET "\033[0m"

/* foreman's order: cyan, yellow, green, magenta, red, blue, then the bright ones. */
static const char * const colours[] = {
        "\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[31m", "\033[34m",
        "\033[96m", "\033[93m", "\033[92m", "\033[95m", "\033[91m", "\033[94m",
};

static const char * const priorities[] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

int dev_priority_from_string(const char *s) {
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        for (size_t i = 0; i < ELEMENTSOF(priorities); i++)
                if (streq(s, priorities[i]))
                        return (int) i;
        return -EINVAL;
}

static size_t digits(unsigned n) {
        size_t k = 1;

        while (n >= 10) {
                n /= 10;
                k++;
        }
        return k;
}

size_t dev_prefix_width(const Procfile *p) {
        size_t width = 0;

        for (size_t i = 0; i < p->n_processes; i++) {
                const Process *process = p->processes[i];
                size_t w = strlen(process->name) + 1 + digits(process->scale), longest = 0;

                if (!process->starts || process->scale == 0)
                        continue;
                for (size_t k = 0; k < process->n_services; k++) {
                        size_t n = strlen(process->services[k].service->name) + 1;

                        longest = n > longest ? n : longest;
                }
                width = w + longest > width ? w + longest : width;
        }
        return width;
}

/* Splits "<app>-<process>@<instance>.<type>" into new strings; returns false for any other name. */
static bool parse_unit(const char *app, const char *unit, char **ret_process, char **ret_instance) {
        size_t n = strlen(app);
        const char *at, *dot;

        if (!unit || strncmp(unit, app, n) != 0 || unit[n] != '-')
                return false;
        unit += n + 1;
        at = strchr(unit, '@');
        dot = at ? strrchr(at, '.') : NULL;
        if (!at || !dot || at == unit || dot == at + 1)
                return false;
        *ret_process = strndup(unit, at - unit);
        *ret_instance = strndup(at + 1, dot - at - 1);
        return true;
}

char *dev_entry_who(const char *app, const DevEntry *e, char **ret_process) {
        _cleanup_free_ char *unit_process = NULL, *unit_instance = NULL, *process = NULL;
        const char *instance = e->instance;
        char *who = NULL;

        if (parse_unit(app, e->unit, &unit_process, &unit_instance) && (!unit_process || !unit_instance))
                return NULL;
        process = strdup(e->process ?: unit_process ?: "");
        instance = instance ?: unit_instance;
        if (!process)
                return NULL;
        if (!process[0])
                who = strdup(e->unit ?: app);
        else if (asprintf(&who, "%s.%s%s%s", process, instance ?: "?", e->service ? "/" : "",
                          e->service ?: "") < 0)
                who = NULL;
        if (who && ret_process)
                *ret_process = process[0] ? TAKE_PTR(process) : NULL;
        return who;
}

static const char *colour_of(const DevStyle *style, const char *process) {
        size_t i = 0;

        if (!style->colour)
                return "";
        STRV_FOREACH(p, style->processes) {
                if (process && streq(*p, process))
                        return colours[i % ELEMENTSOF(colours)];
                i++;
        }
        /* Not one of the app's processes: the manager talking about a unit, say. */
        return "";
}

int dev_entry_write(const DevStyle *style, const DevEntry *e, FILE *f) {
        _cleanup_free_ char *process = NULL, *who = NULL;
        const char *colour, *line = e->message;

        if (!line)
                return 0;
        who = dev_entry_who(style->app, e, &process);
        if (!who)
                return -ENOMEM;
        colour = colour_of(style, process);
        for (;;) {
                size_t n = strcspn(line, "\n");

                fprintf(f, "%s%-*s |%s %.*s\n", colour, (int) style->width, who, colour[0] ? RESET : "",
                        (int) n, line);
                if (line[n] == '\0' || line[n + 1] == '\0')
                        break;
                line += n + 1;
        }
        return 0;
}

char *dev_summary(const char *who, int code, int status, const char *result, unsigned restarts) {
        _cleanup_free_ char *how = NULL;
        char *s;
        int k;

        if (code == CLD_EXITED)
                k = asprintf(&how, "exited with status %d", status);
        else if (code == CLD_KILLED || code == CLD_DUMPED)
                k = asprintf(&how, "%s SIG%s", code == CLD_KILLED ? "killed by" : "dumped core on",
                             sigabbrev_np(status) ?: "?");
        else
                k = asprintf(&how, "never ran");
        if (k < 0)
                return NULL;
        if (asprintf(&s, "%s: %s (%s), %u restart%s", who, how, result ?: "?", restarts,
                     restarts == 1 ? "" : "s") < 0)
                return NULL;
        return s;
}
