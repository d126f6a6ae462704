/* SPDX-License-Identifier: MIT */

/* libFuzzer target for the unit renderer (generator/unit-render.c, unit-escape.c): every procfile that
 * loads renders into units that systemd reads as meant. Each unit is checked line by line as systemd's
 * parser reads it: valid UTF-8, no control character, no line that a trailing backslash joins to the
 * next, no whitespace that systemd would strip, every line a section, a comment or a directive; and the values
 * systemd reads verbatim are the model's, with '%' doubled: WorkingDirectory=, User=, Group=,
 * ListenStream= and SourcePath=. */

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/names.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "fuzz-procfile.h"
#include "generator/unit-render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s with every '%' doubled, as the renderer writes a verbatim value. */
static char *doubled(const char *s) {
        char *out = malloc(2 * strlen(s) + 1), *o = out;

        assert(out);
        for (; *s; s++) {
                if (*s == '%')
                        *o++ = '%';
                *o++ = *s;
        }
        *o = '\0';
        return out;
}

/* Whether systemd would read the line as continued: it ends in a backslash that no backslash escapes. */
static bool continues(const char *line, size_t n) {
        bool escaped = false;

        for (size_t i = 0; i < n; i++)
                escaped = !escaped && line[i] == '\\';
        return escaped;
}

/* The values of KEY= in text, in order. */
static char **values_of(const char *text, const char *key) {
        char **found = NULL;
        size_t k = strlen(key);

        for (const char *line = text; *line; ) {
                size_t n = strcspn(line, "\n");

                if (n > k && strncmp(line, key, k) == 0 && line[k] == '=')
                        assert(strv_consume(&found, strndup(line + k + 1, n - k - 1)) >= 0);
                line += n + (line[n] == '\n');
        }
        return found;
}

static void check_lines(const UnitFile *u) {
        assert(utf8_is_valid(u->text));
        for (const char *line = u->text; *line; ) {
                size_t n = strcspn(line, "\n");
                const char *eq = memchr(line, '=', n);
                bool known = false;

                for (size_t i = 0; i < n; i++)
                        assert((unsigned char) line[i] >= 0x20 && line[i] != 0x7f);
                assert(!continues(line, n));
                assert(n == 0 || (line[0] != ' ' && line[n - 1] != ' '));
                /* A directive's name, as systemd's parser takes it: no value added one. */
                if (n > 0 && line[0] != '#' && line[0] != '[') {
                        assert(eq && eq > line && line[0] >= 'A' && line[0] <= 'Z');
                        known = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
                                (size_t) (eq - line);
                        assert(known);
                }
                line += n + (line[n] == '\n');
        }
}

static void check_value(const char *text, const char *key, const char *expected) {
        _cleanup_strv_free_ char **got = values_of(text, key);
        _cleanup_free_ char *want = expected ? doubled(expected) : NULL;

        if (!want)
                assert(!got);
        else
                assert(got && !got[1] && streq(got[0], want));
}

static const UnitFile *find_unit(const UnitSet *set, const char *name) {
        for (size_t i = 0; i < set->n_files; i++)
                if (streq(set->files[i].name, name))
                        return &set->files[i];
        return NULL;
}

static void check_process(const Procfile *p, const Process *process, const UnitSet *set) {
        _cleanup_free_ char *service = NULL, *socket = NULL;
        const UnitFile *u;

        assert(asprintf(&service, "%s-%s@.service", p->app, process->name) >= 0);
        /* A socket per instance (a template) for IP addresses only, else one for the group. */
        assert(asprintf(&socket, unit_socket_per_instance(process) ? "%s-%s@.socket" : "%s-%s.socket", p->app,
                        process->name) >= 0);
        u = find_unit(set, service);
        assert(u);
        check_value(u->text, "WorkingDirectory", p->dir);
        check_value(u->text, "User", process->user);
        check_value(u->text, "Group", process->group);
        check_value(u->text, "SourcePath", p->path);
        u = find_unit(set, socket);
        assert(!u == !process->listen);
        if (u) {
                _cleanup_strv_free_ char **got = values_of(u->text, "ListenStream");

                assert(strv_length(got) == strv_length(process->listen));
                for (size_t i = 0; got && got[i]; i++) {
                        _cleanup_free_ char *want = doubled(process->listen[i]);

                        assert(streq(got[i], want));
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_(unit_set_freep) UnitSet *set = NULL;
        RenderOptions o = { .agent_path = "/usr/bin/pandora-agent", .autostart_target = "multi-user.target" };

        if (fuzz_load_procfile(data, size, &p, &e) < 0)
                return 0;
        /* What generator_load_and_render() refuses before it renders. */
        if (unit_path_problem(p->path) || unit_verbatim_problem(p->origin))
                return 0;
        if (unit_render(p, &o, &set) < 0)
                return 0;
        for (size_t i = 0; i < set->n_files; i++)
                check_lines(&set->files[i]);
        for (size_t i = 0; i < p->n_processes; i++)
                if (p->processes[i]->starts)
                        check_process(p, p->processes[i], set);
        return 0;
}
