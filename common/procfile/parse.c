/* SPDX-License-Identifier: MIT */

/* libconfig → procfile model: the top level, the sugar (fork, cluster) and the dev overlay.
 *
 * The file is read as layers: the top level, then (in dev mode) its `dev` group with the same tables,
 * so that the overlay merges exactly like the file merges over the built-ins: groups key by key, other
 * values replace. Every value is type-checked where it is read, and every error names the file, line
 * and setting path of the offending setting. */

#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/listen-address.h"
#include "common/names.h"
#include "common/path-util.h"
#include "common/procfile/parse-index.h"
#include "common/procfile/parse.h"
#include "common/shell-split.h"
#include "common/string-util.h"
#include "common/strv.h"

/* Checks a name that a setting defines as a process or service: not reserved, fit for a unit name, and
 * not defined twice by the file itself (processes + fork, services + cluster); the built-ins and the
 * dev overlay are meant to be merged over. existing_line: where it was defined before, 0 if not. */
static int check_definition(Parser *p, const config_setting_t *s, const char *kind, const char *name,
                            unsigned existing_line) {
        int r;

        if (streq(name, PROCESS_ALL) || streq(name, PROCESS_WEAK_ALL))
                return parser_error(p, s, "'%s' is a reserved name", name);
        r = parser_check_unit_part(p, s, name);
        if (r < 0)
                return r;
        if (p->overlay || existing_line == 0)
                return 0;
        return parser_error(p, s, "%s '%s' is already defined at line %u", kind, name, existing_line);
}

/* Records where a process or service was first defined by the file (not by a built-in). */
static int set_definition_location(Parser *p, const config_setting_t *s, char **file, unsigned *line) {
        if (*line > 0)
                return 0;
        free(*file);
        *file = parser_setting_file(p, s);
        if (!*file)
                return -ENOMEM;
        *line = config_setting_source_line(s);
        return 0;
}

/* Finds or creates the process called name for the setting s that defines it. */
static int define_process(Parser *p, const config_setting_t *s, const char *name, Process **ret) {
        Process *process = procfile_find_process(p->procfile, name);
        int r;

        r = check_definition(p, s, "process", name, process ? process->line : 0);
        if (r < 0)
                return r;
        if (!process)
                process = procfile_ensure_process(p->procfile, name);
        if (!process)
                return -ENOMEM;
        r = set_definition_location(p, s, &process->file, &process->line);
        if (r < 0)
                return r;
        *ret = process;
        return 0;
}

static int define_service(Parser *p, const config_setting_t *s, const char *name, Service **ret) {
        Service *service = procfile_find_service(p->procfile, name);
        int r;

        r = check_definition(p, s, "service", name, service ? service->line : 0);
        if (r < 0)
                return r;
        if (!service)
                service = procfile_ensure_service(p->procfile, name);
        if (!service)
                return -ENOMEM;
        r = set_definition_location(p, s, &service->file, &service->line);
        if (r < 0)
                return r;
        *ret = service;
        return 0;
}

/* What the group handlers (parse-entities.c) leave to be checked once a whole group is read: the ranges
 * systemd can represent, what the agent can share, and values systemd reads verbatim. Each is checked
 * at its own setting, when the group sets it. */

typedef struct UnsignedLimit {
        const char *key;
        size_t offset;          /* of a uint64_t in the Process or Service */
        uint64_t maximum;
        const char *why;
} UnsignedLimit;

static const UnsignedLimit process_limits[] = {
        { "restart_delay_ms", offsetof(Process, restart_delay_ms), PROCFILE_DURATION_MS_MAX, "a year" },
        { "restart_burst", offsetof(Process, restart_burst), PROCFILE_COUNT_MAX, "systemd's StartLimitBurst=" },
        { "restart_interval_s", offsetof(Process, restart_interval_s), PROCFILE_DURATION_S_MAX, "a year" },
        { "stop_timeout_ms", offsetof(Process, stop_timeout_ms), PROCFILE_DURATION_MS_MAX, "a year" },
        { "watchdog_ms", offsetof(Process, watchdog_ms), PROCFILE_DURATION_MS_MAX, "a year" },
        { "start_timeout_ms", offsetof(Process, start_timeout_ms), PROCFILE_DURATION_MS_MAX, "a year" },
        { "reload_timeout_ms", offsetof(Process, reload_timeout_ms), PROCFILE_DURATION_MS_MAX, "a year" },
};

static const UnsignedLimit service_limits[] = {
        { "stop_timeout_ms", offsetof(Service, stop_timeout_ms), PROCFILE_DURATION_MS_MAX, "a year" },
};

static int check_limits(Parser *p, const config_setting_t *group, const UnsignedLimit *limits, size_t n,
                        const void *object) {
        for (size_t i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_member(group, limits[i].key);
                uint64_t v;

                if (!s)
                        continue;
                memcpy(&v, (const char *) object + limits[i].offset, sizeof(v));
                if (v > limits[i].maximum)
                        return parser_error(p, s, "must be at most %" PRIu64 " (%s)", limits[i].maximum,
                                            limits[i].why);
        }
        return 0;
}

static int check_user_group(Parser *p, const config_setting_t *group, const char *key, const char *value) {
        const config_setting_t *s = config_setting_get_member(group, key);

        if (!s || !value || user_group_name_is_valid(value))
                return 0;
        return parser_error(p, s, "'%s' is not a %s name or ID that systemd takes: a letter or '_', then "
                            "letters, digits, '_' or '-', at most 31 characters; or a number", value, key);
}

static int check_listen(Parser *p, const config_setting_t *group, char * const *listen) {
        const config_setting_t *s = config_setting_get_member(group, "listen");

        if (!s)
                return 0;
        if (strv_length(listen) > LISTEN_ADDRESS_MAX)
                return parser_error(p, s, "must have at most %d addresses", LISTEN_ADDRESS_MAX);
        STRV_FOREACH(a, listen) {
                const char *problem = (*a)[0] == '/' ? unit_verbatim_problem(*a) : NULL;

                if (problem)
                        return parser_error(p, s, "'%s' %s", *a, problem);
        }
        return 0;
}

static int check_process(Parser *p, const config_setting_t *group, const Process *process) {
        const config_setting_t *scale = config_setting_get_member(group, "scale");
        int r;

        if (scale && !process->scale_auto && process->scale > PROCESS_SCALE_MAX)
                return parser_error(p, scale, "must be at most %u", PROCESS_SCALE_MAX);
        r = check_limits(p, group, process_limits, ELEMENTSOF(process_limits), process);
        if (r < 0)
                return r;
        r = check_user_group(p, group, "user", process->user);
        if (r < 0)
                return r;
        r = check_user_group(p, group, "group", process->group);
        if (r < 0)
                return r;
        return check_listen(p, group, process->listen);
}

/* Top level. */

static int top_app(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        AppNameProblem problem;
        int r;

        r = parser_read_string(p, s, &p->procfile->app);
        if (r < 0)
                return r;
        problem = app_name_check(p->procfile->app);
        if (problem != APP_NAME_VALID)
                return parser_error(p, s, "'%s' %s", p->procfile->app, app_name_problem_to_string(problem));
        return 0;
}

/* WorkingDirectory= takes the directory verbatim and refuses one with a ".." in it, so it is normalised
 * here ("../shared" next to /srv/app/current/procfile is /srv/app/shared) and then checked. */
static int top_dir(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        _cleanup_free_ char *dir = NULL, *joined = NULL;
        const char *problem;
        int r;

        r = parser_read_line(p, s, &dir);
        if (r < 0)
                return r;
        joined = path_join_absolute(p->dir, dir);
        if (!joined)
                return -ENOMEM;
        free(p->procfile->dir);
        p->procfile->dir = procfile_path_normalize(joined);
        if (!p->procfile->dir)
                return -ENOMEM;
        problem = unit_path_problem(p->procfile->dir);
        if (problem)
                return parser_error(p, s, "'%s' %s", p->procfile->dir, problem);
        return 0;
}

static int top_hardening(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_hardening(p, s, &p->procfile->hardening);
}

static int top_env_file(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_env_files(p, s, &p->procfile->env_files);
}

static int top_log_format(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        p->procfile->log_format_set = true;
        return parser_read_log_format(p, s, &p->procfile->log_text);
}

static int top_secret_env(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_secret_env(p, s, &p->procfile->secret_env);
}

static int top_autostart(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_bool(p, s, &p->procfile->autostart);
}

static int log_rate_interval(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_uint64_max(p, s, 0, PROCFILE_DURATION_S_MAX, &p->procfile->log_rate_interval_s);
}

static int log_rate_burst(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_uint64_max(p, s, 1, PROCFILE_COUNT_MAX, &p->procfile->log_rate_burst);
}

static const SettingTable log_rate_table[] = {
        { "interval_s", log_rate_interval },
        { "burst", log_rate_burst },
};

static int top_log_rate_limit(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_dispatch(p, s, log_rate_table, ELEMENTSOF(log_rate_table), userdata);
}

/* Only in `dev`: what pandora-gen --dev watches. */
static int top_watch(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        if (!p->overlay)
                return parser_error(p, s, "only allowed in the dev group");
        return parser_read_strv(p, s, &p->procfile->watch);
}

static int top_env(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_env(p, s, &p->procfile->env);
}

static int top_default_process(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_string(p, s, &p->procfile->default_process);
}

static int top_processes(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        int r;

        if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                return parser_error(p, s, "must be a group");
        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *group = config_setting_get_elem(s, i);
                Process *process;

                r = define_process(p, group, config_setting_name(group), &process);
                if (r < 0)
                        return r;
                r = parser_read_process(p, group, process);
                if (r < 0)
                        return r;
                r = check_process(p, group, process);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int top_services(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        int r;

        if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                return parser_error(p, s, "must be a group");
        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *group = config_setting_get_elem(s, i);
                Service *service;

                r = define_service(p, group, config_setting_name(group), &service);
                if (r < 0)
                        return r;
                r = parser_read_service(p, group, service);
                if (r < 0)
                        return r;
                r = check_limits(p, group, service_limits, ELEMENTSOF(service_limits), service);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* fork = { name = "entry"; }: Pandora's pandora.fork(name, entry), a process of scale 1. */
static int top_fork(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        int r;

        if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                return parser_error(p, s, "must be a group");
        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *e = config_setting_get_elem(s, i);
                Process *process;

                r = define_process(p, e, config_setting_name(e), &process);
                if (r < 0)
                        return r;
                r = parser_read_command_setting(p, e, &process->entry);
                if (r < 0)
                        return r;
                process->scale_auto = false;
                process->scale = 1;
        }
        return 0;
}

/* cluster = [ "entry", ... ]: Pandora's pandora.cluster(entry), an exec service on the default process
 * that starts after every other service there. */
static int top_cluster(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        _cleanup_strv_free_ char **entries = NULL;
        int r;

        r = parser_read_strv(p, s, &entries);
        if (r < 0)
                return r;
        for (size_t i = 0; entries[i]; i++) {
                char name[32];
                Service *service;

                snprintf(name, sizeof(name), "cluster%zu", i);
                r = define_service(p, s, name, &service);
                if (r < 0)
                        return r;
                r = parser_read_command(p, s, entries[i], &service->argv);
                if (r < 0)
                        return r;
                service->kind = SERVICE_EXEC;
                service->module = mfree(service->module);
                service->dependencies = strv_free(service->dependencies);
                r = strv_extend(&service->dependencies, PROCESS_ALL);
                if (r < 0)
                        return r;
                service->dependencies_line = config_setting_source_line(s);
        }
        return 0;
}

/* `dev` is read after the rest of the file, as an overlay; here it only has to be a group. */
static int top_dev(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                return parser_error(p, s, "must be a group");
        return 0;
}

/* The dev overlay takes every top-level key but `dev`, which is why it comes last. */
static const SettingTable top_table[] = {
        { "app", top_app },
        { "dir", top_dir },
        { "env", top_env },
        { "default_process", top_default_process },
        { "processes", top_processes },
        { "services", top_services },
        { "fork", top_fork },
        { "cluster", top_cluster },
        { "autostart", top_autostart },
        { "hardening", top_hardening },
        { "env_file", top_env_file },
        { "secret_env", top_secret_env },
        { "log_format", top_log_format },
        { "log_rate_limit", top_log_rate_limit },
        { "watch", top_watch },
        { "dev", top_dev },
};

/* The path of an @include line's file: libconfig takes a relative one from the include directory. */
static char *include_path(const char *dir, const char *line, size_t length) {
        _cleanup_free_ char *name = malloc(length + 1);
        size_t n = 0;

        if (!name)
                return NULL;
        /* libconfig's scanner: the name runs to the next '"'; "\\" and "\"" are '\\' and '"'. */
        for (size_t i = 0; i < length && line[i] != '"'; i++) {
                if (line[i] == '\\' && i + 1 < length && (line[i + 1] == '\\' || line[i + 1] == '"'))
                        i++;
                name[n++] = line[i];
        }
        name[n] = '\0';
        return path_join_absolute(dir, name);
}

/* libconfig opens the files a procfile includes itself, with a blocking fopen() and no limit: each is
 * checked first as procfile_read_text() checks the procfile, and so are the files it includes. A file
 * that does not exist is left to libconfig to report. An @include inside a comment is checked too. */
static int check_includes(const char *dir, const char *text, size_t size, unsigned depth, ProcfileError *e) {
        for (const char *line = text, *end = text + size; line < end; ) {
                const char *newline = memchr(line, '\n', end - line), *q = line;
                size_t length = (newline ?: end) - line;
                _cleanup_free_ char *path = NULL, *included = NULL;
                size_t included_size;
                int r;

                line += length + 1;
                q += strspn(q, " \t");
                if (strncmp(q, "@include", 8) != 0 || !strchr(" \t", q[8]))
                        continue;
                q += 8 + strspn(q + 8, " \t");
                if (*q != '"')
                        continue;
                q++;
                path = include_path(dir, q, (newline ?: end) - q);
                if (!path)
                        return -ENOMEM;
                r = procfile_read_text(path, &included, &included_size, e);
                if (r == -ENOENT) {
                        procfile_error_done(e);
                        continue;
                }
                if (r < 0)
                        return r;
                if (depth + 1 < PROCFILE_INCLUDE_DEPTH_MAX) {
                        r = check_includes(dir, included, included_size, depth + 1, e);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int read_config(config_t *config, const Procfile *procfile, const char *text, size_t size,
                       const char *dir, ProcfileError *e) {
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        r = check_includes(dir, text, size, 0, e);
        if (r < 0)
                return r;
        config_set_include_dir(config, dir);
        /* The text as a stream, NUL bytes and all, as libconfig would have read the file; fmemopen()
         * refuses an empty buffer. */
        if (size > 0) {
                f = fmemopen((void *) text, size, "r");
                if (!f)
                        return -ENOMEM;
        }
        if (parser_config_read(config, f) != CONFIG_TRUE) {
                _cleanup_free_ char *file = NULL;

                /* libconfig names an @include file as written, relative to the include dir, and the text
                 * it was given as no file at all. */
                file = path_join_absolute(dir, config_error_file(config) ?: procfile->path);
                if (!file)
                        return -ENOMEM;
                return procfile_error_set(e, file, config_error_line(config), NULL, "%s",
                                          config_error_text(config));
        }
        return 0;
}

/* Outside dev mode the overlay is still read, into a scratch model, so that a typo in `dev` is found
 * by the generator and not first by `pandora-gen --dev`. */
static int check_overlay(const Procfile *procfile, char *dir, const config_setting_t *overlay,
                         ProcfileError *e) {
        _cleanup_(procfile_freep) Procfile *scratch = procfile_new(procfile->path);
        Parser p = { .procfile = scratch, .dir = dir, .overlay = true, .error = e };
        int r;

        if (!scratch)
                return -ENOMEM;
        r = procfile_add_builtins(scratch, true);
        if (r < 0)
                return r;
        return parser_dispatch(&p, overlay, top_table, ELEMENTSOF(top_table) - 1, NULL);
}

int procfile_parse(Procfile *procfile, const char *text, size_t size, bool dev, ProcfileError *e) {
        _cleanup_(config_destroy) config_t config;
        _cleanup_free_ char *dir = path_dirname(procfile->origin);
        Parser p = { .procfile = procfile, .dir = dir, .error = e };
        const config_setting_t *overlay;
        int r;

        config_init(&config);
        if (!dir)
                return -ENOMEM;
        r = read_config(&config, procfile, text, size, dir, e);
        if (r < 0)
                return r;
        r = parser_dispatch(&p, config_root_setting(&config), top_table, ELEMENTSOF(top_table), NULL);
        if (r < 0)
                return r;

        overlay = config_setting_get_member(config_root_setting(&config), "dev");
        if (!overlay)
                return 0;
        if (!dev)
                return check_overlay(procfile, dir, overlay, e);
        p.overlay = true;
        return parser_dispatch(&p, overlay, top_table, ELEMENTSOF(top_table) - 1, NULL);
}
