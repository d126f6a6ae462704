/* SPDX-License-Identifier: MIT */

/* Resolution, as Pandora.js 1.x's ProcfileReconciler and ServiceReconciler do it:
 * - a process starts when it has an entry, a service names it, or any service is on "all";
 * - a running process runs its own services plus every "all" and "weak-all" service;
 * - inside a process, a service weighs 1 + its heaviest dependency (1 without any), a direct
 *   dependency on "all" puts it after everything else, and services start by ascending weight with
 *   ties in file order.
 * Pandora's quirks we fix on purpose: scale 0 is allowed, env merges, and process order is stable. */

#include <search.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/names.h"
#include "common/path-util.h"
#include "common/procfile/env-merge.h"
#include "common/procfile/internal.h"
#include "common/strv.h"

static const char *service_category(const Procfile *p, const Service *s) {
        return s->process ?: p->default_process;
}

static bool service_depends_on_all(const Service *s) {
        return strv_find(s->dependencies, PROCESS_ALL);
}

/* An error at GROUP.NAME[.KEY] ("services.cache.process"), in file at line. */
static int entity_errorv(ProcfileError *e, const char *file, unsigned line, const char *group, const char *name,
                         const char *key, const char *format, va_list ap) _printf_(7, 0);
static int entity_errorv(ProcfileError *e, const char *file, unsigned line, const char *group, const char *name,
                         const char *key, const char *format, va_list ap) {
        _cleanup_free_ char *field = NULL;

        if (asprintf(&field, "%s.%s%s%s", group, name, key ? "." : "", key ?: "") < 0)
                return -ENOMEM;
        return procfile_error_setv(e, file, line, field, format, ap);
}

/* An error at services.NAME[.key], on the given line (the service's own line when 0). */
static int service_error(const Procfile *p, const Service *s, const char *key, unsigned line,
                         ProcfileError *e, const char *format, ...) _printf_(6, 7);
static int service_error(const Procfile *p, const Service *s, const char *key, unsigned line,
                         ProcfileError *e, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = entity_errorv(e, s->file ?: p->path, line ?: s->line, "services", s->name, key, format, ap);
        va_end(ap);
        return r;
}

/* The app a file without `app` gets: default_app (the generator's file name), else the directory's. */
static int resolve_app(Procfile *p, const char *dir, const char *default_app, ProcfileError *e) {
        _cleanup_free_ char *base = NULL;
        AppNameProblem problem;

        if (p->app)
                return 0;
        if (!default_app) {
                base = path_basename(dir);
                if (!base)
                        return -ENOMEM;
        }
        problem = app_name_check(default_app ?: base);
        if (problem != APP_NAME_VALID)
                return procfile_error_set(e, p->path, 0, "app", "%s name '%s' %s; set 'app'",
                                          default_app ? "file" : "directory", default_app ?: base,
                                          app_name_problem_to_string(problem));
        p->app = base ? TAKE_PTR(base) : strdup(default_app);
        return p->app ? 0 : -ENOMEM;
}

static int resolve_defaults(Procfile *p, const char *default_app, ProcfileError *e) {
        _cleanup_free_ char *dir = path_dirname(p->origin);
        const char *problem;
        int r;

        if (!dir)
                return -ENOMEM;
        r = resolve_app(p, dir, default_app, e);
        if (r < 0)
                return r;
        /* The procfile's directory is written into WorkingDirectory= as it is, like a `dir`. */
        if (!p->dir) {
                problem = unit_path_problem(dir);
                if (problem)
                        return procfile_error_set(e, p->path, 0, "dir", "the procfile's directory '%s' %s; "
                                                  "set 'dir'", dir, problem);
                p->dir = TAKE_PTR(dir);
        }
        if (!p->default_process) {
                p->default_process = strdup(PROCFILE_DEFAULT_PROCESS);
                if (!p->default_process)
                        return -ENOMEM;
        }
        return 0;
}

/* Every service is complete and names things that exist. */
static int check_services(const Procfile *p, ProcfileError *e) {
        for (size_t i = 0; i < p->n_services; i++) {
                const Service *s = p->services[i];
                const char *category = service_category(p, s);

                if (s->kind < 0)
                        return service_error(p, s, NULL, 0, e, "needs exactly one of 'exec' or 'module'");
                /* A module listens inside the agent, where no bind() or listen() can be seen. */
                if (s->kind == SERVICE_MODULE && s->ready == SERVICE_READY_LISTENING)
                        return service_error(p, s, "ready", 0, e, "\"listening\" needs an 'exec' service: a "
                                             "module says it is ready by completing its start");
                if (!streq(category, PROCESS_ALL) && !streq(category, PROCESS_WEAK_ALL) &&
                    !procfile_find_process(p, category))
                        return service_error(p, s, s->process ? "process" : NULL, s->process_line, e,
                                             "service '%s' names undefined process '%s'%s", s->name, category,
                                             s->process ? "" : " (from default_process)");
                STRV_FOREACH(d, s->dependencies)
                        if (!streq(*d, PROCESS_ALL) && !procfile_find_service(p, *d))
                                return service_error(p, s, "dependencies", s->dependencies_line, e,
                                                     "unknown service '%s'", *d);
        }
        return 0;
}

/* One pass over the services, each naming its process through the name index (a scan of every service
 * per process cost processes × services). */
static void decide_what_starts(Procfile *p) {
        bool any_all = false;

        for (size_t i = 0; i < p->n_processes; i++)
                p->processes[i]->starts = p->processes[i]->entry;
        for (size_t i = 0; i < p->n_services; i++) {
                const char *category = service_category(p, p->services[i]);
                Process *process;

                if (streq(category, PROCESS_ALL))
                        any_all = true;
                else if ((process = procfile_find_process(p, category)))
                        process->starts = true;
        }
        for (size_t i = 0; i < p->n_processes && any_all; i++)
                p->processes[i]->starts = true;
}

/* An error at processes.NAME[.key], on the process's line. */
static int process_error(const Procfile *p, const Process *process, const char *key, ProcfileError *e,
                         const char *format, ...) _printf_(5, 6);
static int process_error(const Procfile *p, const Process *process, const char *key, ProcfileError *e,
                         const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = entity_errorv(e, process->file ?: p->path, process->line, "processes", process->name, key, format,
                          ap);
        va_end(ap);
        return r;
}

/* The app's env first, then the process's own (the built-in's values, then the file's) over it. */
static int resolve_env(const Procfile *p, Process *process) {
        char **own = TAKE_PTR(process->env);
        int r;

        /* Hashed merges (env-merge.c): an app env of N variables over a process env of M costs N + M,
         * where strv_copy() and strv_env_merge() cost N² and N·M. */
        r = procfile_env_merge(&process->env, p->env);
        if (r < 0) {
                strv_free(own);
                return r;
        }
        return procfile_env_merge_consume(&process->env, own);
}

/* The app's secrets under the process's own. A name is either a secret or a plain value: the two in one
 * process would leave it to an order nobody can see which one the app gets. */
static int resolve_secret_env(const Procfile *p, Process *process, ProcfileError *e) {
        _cleanup_strv_free_ char **own = TAKE_PTR(process->secret_env);
        int r;

        process->secret_env = strv_copy(p->secret_env);
        if (p->secret_env && !process->secret_env)
                return -ENOMEM;
        r = strv_env_merge(&process->secret_env, own);
        if (r < 0)
                return r;
        STRV_FOREACH(s, process->secret_env) {
                _cleanup_free_ char *name = strndup(*s, strcspn(*s, "="));

                if (!name)
                        return -ENOMEM;
                if (strv_env_get(process->env, name))
                        return process_error(p, process, "secret_env", e, "'%s' is also in env: a variable "
                                             "is either a secret or a plain value", name);
        }
        return 0;
}

static int resolve_process_fields(const Procfile *p, Process *process, int auto_scale, ProcfileError *e) {
        char longest[UNIT_NAME_LENGTH_MAX * 2];
        int r;

        if (process->scale_auto) {
                if (auto_scale < 0)
                        return process_error(p, process, "scale", e, "\"auto\" needs DEFAULT_WORKER_COUNT to "
                                             "be a positive integer, not '%s'",
                                             getenv("DEFAULT_WORKER_COUNT") ?: "");
                /* A host of more CPUs than that gets the most a group may have. */
                process->scale = (unsigned) auto_scale < PROCESS_SCALE_MAX ? (unsigned) auto_scale :
                                 PROCESS_SCALE_MAX;
        }

        if (process->entry) {
                process->argv = strv_copy(process->entry);
                if (!process->argv || strv_extend_strv(&process->argv, process->args) < 0)
                        return -ENOMEM;
        }

        /* The app's hardening and env files, under the process's own. */
        if (!process->hardening_set)
                process->hardening = p->hardening;
        if (!process->log_format_set) {
                process->log_text = p->log_text;
                process->log_format_set = p->log_format_set;
        }
        if (p->env_files) {
                _cleanup_strv_free_ char **own = TAKE_PTR(process->env_files);

                process->env_files = strv_copy(p->env_files);
                if (!process->env_files || strv_extend_strv(&process->env_files, own) < 0)
                        return -ENOMEM;
        }
        /* systemd names and allocates a dynamic user itself: there is none to choose. */
        if (process->dynamic_user && (process->user || process->group))
                return process_error(p, process, "dynamic_user", e, "can't go with user or group: systemd "
                                     "allocates the user and group of a dynamic_user process");
        r = resolve_env(p, process);
        if (r >= 0)
                r = resolve_secret_env(p, process, e);
        if (r < 0)
                return r;

        /* An entry that serves a shared socket is ready once it listens on it (a module can't be seen
         * doing so, so services keep "started" unless they say otherwise). */
        if (!process->ready_set)
                process->ready = process->argv && process->listen && process->share_listen ?
                                 SERVICE_READY_LISTENING : SERVICE_READY_STARTED;
        if (process->ready == SERVICE_READY_LISTENING && (!process->listen || !process->share_listen))
                return process_error(p, process, "ready", e, "\"listening\" needs a 'listen' address and "
                                     "share_listen = true: only a listen() on a shared socket can be seen");

        snprintf(longest, sizeof(longest), "%s-%s@%u.service", p->app, process->name, process->scale);
        if (strlen(longest) > UNIT_NAME_LENGTH_MAX)
                return process_error(p, process, NULL, e, "unit name '%s' is longer than %d characters",
                                     longest, UNIT_NAME_LENGTH_MAX);
        /* systemd loads an instance into the slice system-<app>-<process escaped>.slice, a unit name too. */
        snprintf(longest, sizeof(longest), "%s-%s", p->app, process->name);
        if (unit_prefix_escaped_length(longest) > INSTANCE_PREFIX_ESCAPED_MAX)
                return process_error(p, process, NULL, e, "unit name prefix '%s' is too long: systemd puts the "
                                     "instances into the slice 'system-<prefix>.slice', with every '-' written "
                                     "as '\\x2d', and that name would be longer than %d characters", longest,
                                     UNIT_NAME_LENGTH_MAX);
        return 0;
}

/* The services of one process, weighed by a depth-first walk that remembers its path for cycles. */
typedef struct Weigher {
        const Procfile *procfile;
        const Process *process;
        ProcessService *set;    /* the process's services in file order */
        size_t n;
        struct hsearch_data names; /* name -> index into set: a scan per dependency cost n² */
        bool *visiting;
        size_t *path;           /* indexes into set, the walk's current chain */
        size_t depth;
        ProcfileError *error;
} Weigher;

static ssize_t weigher_index(Weigher *w, const char *name) {
        ENTRY *found;

        if (!hsearch_r((ENTRY) { .key = (char *) name }, FIND, &found, &w->names))
                return -1;
        return (ssize_t) (uintptr_t) found->data;
}

static int weigher_index_names(Weigher *w) {
        ENTRY *entry;

        /* hcreate_r() wants room to spare; service names are unique, so each ENTER adds one. */
        if (!hcreate_r(2 * w->n + 1, &w->names))
                return -ENOMEM;
        for (size_t i = 0; i < w->n; i++) {
                ENTRY item = { .key = w->set[i].service->name, .data = (void *) (uintptr_t) i };

                if (!hsearch_r(item, ENTER, &entry, &w->names))
                        return -ENOMEM;
        }
        return 0;
}

static int weigher_cycle_error(Weigher *w, size_t again) {
        _cleanup_free_ char *chain = NULL;
        size_t size = 0, start = 0;
        FILE *f;

        while (w->path[start] != again)
                start++;
        f = open_memstream(&chain, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = start; i < w->depth; i++)
                fprintf(f, "%s -> ", w->set[w->path[i]].service->name);
        fputs(w->set[again].service->name, f);
        if (fclose(f) != 0)
                return -ENOMEM;
        return service_error(w->procfile, w->set[again].service, "dependencies",
                             w->set[again].service->dependencies_line, w->error, "dependency cycle: %s", chain);
}

static int weigher_weigh(Weigher *w, size_t i) {
        const Service *s = w->set[i].service;
        unsigned weight = 1;
        int r;

        if (w->set[i].weight > 0)
                return 0;
        if (w->visiting[i])
                return weigher_cycle_error(w, i);

        w->visiting[i] = true;
        w->path[w->depth++] = i;
        STRV_FOREACH(d, s->dependencies) {
                ssize_t j;

                if (streq(*d, PROCESS_ALL))
                        continue;
                j = weigher_index(w, *d);
                if (j < 0)
                        return service_error(w->procfile, s, "dependencies", s->dependencies_line, w->error,
                                             "'%s' is not on process '%s'", *d, w->process->name);
                if (service_depends_on_all(w->set[j].service))
                        return service_error(w->procfile, s, "dependencies", s->dependencies_line, w->error,
                                             "'all' is reached through '%s'; only a direct dependency may "
                                             "be 'all'", *d);
                r = weigher_weigh(w, j);
                if (r < 0)
                        return r;
                if (w->set[j].weight + 1 > weight)
                        weight = w->set[j].weight + 1;
        }
        w->depth--;
        w->visiting[i] = false;
        w->set[i].weight = weight;
        return 0;
}

/* Weighs every service of the set; a direct dependency on "all" goes after everything else. */
static int weigher_run(Weigher *w) {
        unsigned heaviest = 0;
        int r;

        for (size_t i = 0; i < w->n; i++) {
                r = weigher_weigh(w, i);
                if (r < 0)
                        return r;
                if (!service_depends_on_all(w->set[i].service) && w->set[i].weight > heaviest)
                        heaviest = w->set[i].weight;
        }
        for (size_t i = 0; i < w->n; i++)
                if (service_depends_on_all(w->set[i].service) && w->set[i].weight <= heaviest)
                        w->set[i].weight = heaviest + 1;
        return 0;
}

/* Sorts by weight, keeping file order among equals: a counting sort, since weights run from 1 to at
 * most n + 1 (an insertion sort cost n² when the file lists dependents before what they depend on). */
static int sort_by_weight(ProcessService *set, size_t n) {
        _cleanup_free_ ProcessService *sorted = calloc(n + 1, sizeof(ProcessService));
        _cleanup_free_ size_t *next = calloc(n + 3, sizeof(size_t));

        if (!sorted || !next)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                next[set[i].weight + 1]++;
        for (size_t weight = 1; weight < n + 3; weight++)
                next[weight] += next[weight - 1];
        for (size_t i = 0; i < n; i++)
                sorted[next[set[i].weight]++] = set[i];
        memcpy(set, sorted, n * sizeof(ProcessService));
        return 0;
}

/* Every started process's services in file order (its own, then every "all" and "weak-all" one where it
 * comes in the file) into its services and n_services, to be weighed: one pass over the services, so
 * the work is the size of the sets and not processes × services. check_services() has made sure that
 * each service's process exists. */
static int collect_services(Procfile *p) {
        _cleanup_free_ Process **owner = calloc(p->n_services + 1, sizeof(Process *));
        _cleanup_free_ Process **started = calloc(p->n_processes + 1, sizeof(Process *));
        size_t n_all = 0, n_started = 0;

        if (!owner || !started)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_services; i++) {
                const char *category = service_category(p, p->services[i]);

                if (streq(category, PROCESS_ALL) || streq(category, PROCESS_WEAK_ALL))
                        n_all++;
                else
                        owner[i] = procfile_find_process(p, category);
                if (owner[i] && owner[i]->starts)
                        owner[i]->n_services++;
        }
        for (size_t i = 0; i < p->n_processes; i++) {
                Process *process = p->processes[i];

                if (!process->starts)
                        continue;
                process->services = calloc(process->n_services + n_all + 1, sizeof(ProcessService));
                if (!process->services)
                        return -ENOMEM;
                process->n_services = 0;
                started[n_started++] = process;
        }
        for (size_t i = 0; i < p->n_services; i++) {
                if (owner[i] && owner[i]->starts)
                        owner[i]->services[owner[i]->n_services++].service = p->services[i];
                for (size_t j = 0; !owner[i] && j < n_started; j++)
                        started[j]->services[started[j]->n_services++].service = p->services[i];
        }
        return 0;
}

/* Weighs and sorts the services collect_services() gave the process. */
static int resolve_process_services(const Procfile *p, Process *process, ProcfileError *e) {
        _cleanup_free_ bool *visiting = calloc(process->n_services + 1, sizeof(bool));
        _cleanup_free_ size_t *path = calloc(process->n_services + 1, sizeof(size_t));
        Weigher w = { .procfile = p, .process = process, .set = process->services, .n = process->n_services,
                      .visiting = visiting, .path = path, .error = e };
        int r;

        if (!visiting || !path)
                return -ENOMEM;
        r = weigher_index_names(&w);
        if (r >= 0)
                r = weigher_run(&w);
        hdestroy_r(&w.names);
        if (r < 0)
                return r;
        return sort_by_weight(process->services, process->n_services);
}

typedef struct OrderedProcess {
        Process *process;
        size_t position;        /* in definition order */
} OrderedProcess;

static int compare_order(const void *a, const void *b) {
        const OrderedProcess *x = a, *y = b;

        if (x->process->order != y->process->order)
                return x->process->order < y->process->order ? -1 : 1;
        return x->position < y->position ? -1 : x->position > y->position;
}

/* Sorts processes by order, keeping definition order among equals (qsort() with the position as the
 * last key: an insertion sort cost n² for processes defined in descending order). */
static int sort_by_order(Process **processes, size_t n) {
        _cleanup_free_ OrderedProcess *ordered = calloc(n + 1, sizeof(OrderedProcess));

        if (!ordered)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                ordered[i] = (OrderedProcess) { .process = processes[i], .position = i };
        qsort(ordered, n, sizeof(OrderedProcess), compare_order);
        for (size_t i = 0; i < n; i++)
                processes[i] = ordered[i].process;
        return 0;
}

static int resolve_config(Procfile *p) {
        int r;

        for (size_t i = 0; i < p->n_services; i++) {
                Service *s = p->services[i];

                if (!s->config) {
                        s->config_json = strdup("{}");
                        if (!s->config_json)
                                return -ENOMEM;
                        continue;
                }
                r = config_value_to_json(s->config, &s->config_json);
                if (r < 0)
                        return r;
        }
        return 0;
}

int procfile_resolve(Procfile *p, int auto_scale, const char *default_app, ProcfileError *e) {
        bool anything = false;
        unsigned instances = 0;
        int r;

        r = resolve_defaults(p, default_app, e);
        if (r < 0)
                return r;
        r = check_services(p, e);
        if (r < 0)
                return r;
        decide_what_starts(p);
        r = collect_services(p);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p->n_processes; i++) {
                Process *process = p->processes[i];

                if (!process->starts)
                        continue;
                anything = true;
                r = resolve_process_fields(p, process, auto_scale, e);
                if (r < 0)
                        return r;
                instances += process->scale;
                if (instances > PROCFILE_INSTANCES_MAX)
                        return process_error(p, process, "scale", e, "the app has more than %u instances, the "
                                             "most an app may have", PROCFILE_INSTANCES_MAX);
                r = resolve_process_services(p, process, e);
                if (r < 0)
                        return r;
        }
        if (!anything)
                return procfile_error_set(e, p->path, 0, NULL, "nothing to start in '%s'", p->path);

        r = sort_by_order(p->processes, p->n_processes);
        if (r < 0)
                return r;
        return resolve_config(p);
}
