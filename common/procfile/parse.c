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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/names.h"
#include "common/path-util.h"
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

/* Top level. */

static int top_app(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        int r;

        r = parser_read_string(p, s, &p->procfile->app);
        if (r < 0)
                return r;
        if (!unit_prefix_is_valid(p->procfile->app))
                return parser_error(p, s, "'%s' is not a valid unit name prefix", p->procfile->app);
        return 0;
}

static int top_dir(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        _cleanup_free_ char *dir = NULL;
        int r;

        r = parser_read_line(p, s, &dir);
        if (r < 0)
                return r;
        free(p->procfile->dir);
        p->procfile->dir = path_join_absolute(p->dir, dir);
        return p->procfile->dir ? 0 : -ENOMEM;
}

static int top_autostart(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_bool(p, s, &p->procfile->autostart);
}

static int log_rate_interval(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_uint64(p, s, 0, &p->procfile->log_rate_interval_s);
}

static int log_rate_burst(Parser *p, const config_setting_t *s, void *userdata _unused_) {
        return parser_read_uint64(p, s, 1, &p->procfile->log_rate_burst);
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
        { "log_rate_limit", top_log_rate_limit },
        { "watch", top_watch },
        { "dev", top_dev },
};

static int read_file(config_t *config, const Procfile *procfile, const char *dir, ProcfileError *e) {
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;

        /* libconfig reports a missing file as a parse error without errno; open it first to tell. */
        f = fopen(procfile->path, "re");
        /* fopen() opens a directory too, and libconfig would only say "file I/O error" about it. */
        if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
                fclose(TAKE_PTR(f));
                errno = EISDIR;
        }
        if (!f) {
                int r = negative_errno();

                procfile_error_set(e, procfile->path, 0, NULL, "%s", strerror(-r));
                return r;
        }
        config_set_include_dir(config, dir);
        if (config_read_file(config, procfile->path) != CONFIG_TRUE) {
                _cleanup_free_ char *file = NULL;

                /* libconfig names an @include file as written, relative to the include dir. */
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

int procfile_parse(Procfile *procfile, bool dev, ProcfileError *e) {
        _cleanup_(config_destroy) config_t config;
        _cleanup_free_ char *dir = path_dirname(procfile->origin);
        Parser p = { .procfile = procfile, .dir = dir, .error = e };
        const config_setting_t *overlay;
        int r;

        config_init(&config);
        if (!dir)
                return -ENOMEM;
        r = read_file(&config, procfile, dir, e);
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
