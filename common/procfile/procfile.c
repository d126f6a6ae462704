/* SPDX-License-Identifier: MIT */

/* The procfile model: its lifetime, its enums and errors, the processes' and services' name indexes and
 * the built-in processes. Loading a file is load.c's; this file calls neither the parser nor the
 * resolver.
 *
 * common/procfile/ owns the model every binary reads. It calls only common/'s helpers and libconfig
 * (in parse*.c alone); it never logs, never prints and never touches systemd: errors come back as a
 * ProcfileError with file, line and setting. */

#include <search.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/path-util.h"
#include "common/procfile/internal.h"
#include "common/strv.h"

static const char * const restart_policy_table[_RESTART_MAX] = {
        [RESTART_ON_FAILURE] = "on-failure",
        [RESTART_ALWAYS] = "always",
        [RESTART_NO] = "no",
};

static const char * const service_kind_table[_SERVICE_KIND_MAX] = {
        [SERVICE_EXEC] = "exec",
        [SERVICE_MODULE] = "module",
};

static const char * const service_ready_table[_SERVICE_READY_MAX] = {
        [SERVICE_READY_STARTED] = "started",
        [SERVICE_READY_NOTIFY] = "notify",
        [SERVICE_READY_LISTENING] = "listening",
        [SERVICE_READY_EXITED] = "exited",
};

static int table_lookup(const char * const *table, size_t n, const char *s) {
        for (size_t i = 0; s && i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

const char *restart_policy_to_string(RestartPolicy r) {
        return r >= 0 && r < _RESTART_MAX ? restart_policy_table[r] : NULL;
}

RestartPolicy restart_policy_from_string(const char *s) {
        return table_lookup(restart_policy_table, _RESTART_MAX, s);
}

const char *service_kind_to_string(ServiceKind k) {
        return k >= 0 && k < _SERVICE_KIND_MAX ? service_kind_table[k] : NULL;
}

static const char * const hardening_table[_HARDENING_MAX] = {
        [HARDENING_DEFAULT] = "default",
        [HARDENING_STRICT] = "strict",
        [HARDENING_OFF] = "off",
};

const char *hardening_to_string(Hardening h) {
        return h >= 0 && h < _HARDENING_MAX ? hardening_table[h] : NULL;
}

Hardening hardening_from_string(const char *s) {
        return table_lookup(hardening_table, _HARDENING_MAX, s);
}

const char *service_ready_to_string(ServiceReady r) {
        return r >= 0 && r < _SERVICE_READY_MAX ? service_ready_table[r] : NULL;
}

ServiceReady service_ready_from_string(const char *s) {
        return table_lookup(service_ready_table, _SERVICE_READY_MAX, s);
}

int procfile_error_setv(ProcfileError *e, const char *file, unsigned line, const char *field,
                        const char *format, va_list ap) {
        char *message;

        if (!e)
                return -EINVAL;
        procfile_error_done(e);

        if (vasprintf(&message, format, ap) < 0)
                return -ENOMEM;
        e->message = message;
        e->line = line;
        e->file = file ? strdup(file) : NULL;
        e->field = field ? strdup(field) : NULL;
        if ((file && !e->file) || (field && !e->field)) {
                procfile_error_done(e);
                return -ENOMEM;
        }
        return -EINVAL;
}

int procfile_error_set(ProcfileError *e, const char *file, unsigned line, const char *field,
                       const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = procfile_error_setv(e, file, line, field, format, ap);
        va_end(ap);
        return r;
}

void procfile_error_done(ProcfileError *e) {
        if (!e)
                return;
        free(e->file);
        free(e->field);
        free(e->message);
        *e = (ProcfileError) {};
}

char *procfile_error_to_string(const ProcfileError *e) {
        char line[16] = "";
        char *s;

        if (e->line > 0)
                snprintf(line, sizeof(line), ":%u", e->line);
        if (asprintf(&s, "%s%s%s%s%s%s",
                     e->file ?: "", line, e->file ? ": " : "",
                     e->field ?: "", e->field ? ": " : "",
                     e->message ?: "unknown error") < 0)
                return NULL;
        return s;
}

static Service *service_free(Service *s) {
        if (!s)
                return NULL;
        free(s->name);
        free(s->file);
        strv_free(s->argv);
        free(s->module);
        free(s->process);
        strv_free(s->dependencies);
        config_value_free(s->config);
        free(s->config_json);
        free(s);
        return NULL;
}

static Process *process_free(Process *p) {
        if (!p)
                return NULL;
        free(p->name);
        free(p->file);
        strv_free(p->entry);
        strv_free(p->args);
        strv_free(p->argv);
        strv_free(p->env);
        strv_free(p->listen);
        strv_free(p->writable);
        strv_free(p->env_files);
        strv_free(p->secret_env);
        free(p->memory_max);
        free(p->memory_high);
        free(p->cpu_quota);
        free(p->schedule);
        free(p->user);
        free(p->group);
        free(p->services);
        free(p);
        return NULL;
}

/* The index only points at processes; the array below owns them. */
static void free_nothing(void *item _unused_) {
}

Procfile *procfile_free(Procfile *p) {
        if (!p)
                return NULL;
        tdestroy(p->process_index, free_nothing);
        tdestroy(p->service_index, free_nothing);
        for (size_t i = 0; i < p->n_processes; i++)
                process_free(p->processes[i]);
        free(p->processes);
        for (size_t i = 0; i < p->n_services; i++)
                service_free(p->services[i]);
        free(p->services);
        free(p->path);
        free(p->origin);
        strv_free(p->watch);
        strv_free(p->env_files);
        strv_free(p->secret_env);
        free(p->app);
        free(p->dir);
        strv_free(p->env);
        free(p->default_process);
        free(p);
        return NULL;
}

Procfile *procfile_new(const char *path) {
        _cleanup_(procfile_freep) Procfile *p = calloc(1, sizeof(Procfile));

        if (!p)
                return NULL;
        p->path = strdup(path);
        if (!p->path)
                return NULL;
        p->log_rate_burst = PROCFILE_DEFAULT_LOG_RATE_BURST;
        return TAKE_PTR(p);
}

static int compare_process_names(const void *a, const void *b) {
        return strcmp(((const Process *) a)->name, ((const Process *) b)->name);
}

Process *procfile_find_process(const Procfile *p, const char *name) {
        const Process key = { .name = (char *) name };
        Process * const *found = tfind(&key, &p->process_index, compare_process_names);

        return found ? *found : NULL;
}

static int compare_service_names(const void *a, const void *b) {
        return strcmp(((const Service *) a)->name, ((const Service *) b)->name);
}

Service *procfile_find_service(const Procfile *p, const char *name) {
        const Service key = { .name = (char *) name };
        Service * const *found = tfind(&key, &p->service_index, compare_service_names);

        return found ? *found : NULL;
}

/* Appends item to the array *items of *n pointers. Returns 0 or -ENOMEM. */
static int append_pointer(void ***items, size_t *n, void *item) {
        void **grown = realloc(*items, sizeof(void *) * (*n + 1));

        if (!grown)
                return -ENOMEM;
        grown[(*n)++] = item;
        *items = grown;
        return 0;
}

Process *procfile_ensure_process(Procfile *p, const char *name) {
        Process *existing = procfile_find_process(p, name);
        Process *process;

        if (existing)
                return existing;
        process = calloc(1, sizeof(Process));
        if (!process)
                return NULL;
        *process = (Process) {
                .name = strdup(name),
                .scale = PROCESS_DEFAULT_SCALE,
                .restart = RESTART_ON_FAILURE,
                .restart_delay_ms = PROCESS_DEFAULT_RESTART_DELAY_MS,
                .restart_burst = PROCESS_DEFAULT_RESTART_BURST,
                .restart_interval_s = PROCESS_DEFAULT_RESTART_INTERVAL_S,
                .stop_timeout_ms = PROCESS_DEFAULT_STOP_TIMEOUT_MS,
                .reload_timeout_ms = PROCESS_DEFAULT_RELOAD_TIMEOUT_MS,
                .share_listen = true,
                .stderr_priority = -1,
        };
        if (!process->name || !tsearch(process, &p->process_index, compare_process_names))
                return process_free(process);
        if (append_pointer((void ***) &p->processes, &p->n_processes, process) < 0) {
                tdelete(process, &p->process_index, compare_process_names);
                return process_free(process);
        }
        return process;
}

Service *procfile_ensure_service(Procfile *p, const char *name) {
        Service *existing = procfile_find_service(p, name);
        Service *service;

        if (existing)
                return existing;
        service = calloc(1, sizeof(Service));
        if (!service)
                return NULL;
        *service = (Service) {
                .name = strdup(name),
                .kind = _SERVICE_KIND_INVALID,
                .ready = SERVICE_READY_STARTED,
                .stderr_priority = -1,
        };
        if (!service->name || !tsearch(service, &p->service_index, compare_service_names))
                return service_free(service);
        if (append_pointer((void ***) &p->services, &p->n_services, service) < 0) {
                tdelete(service, &p->service_index, compare_service_names);
                return service_free(service);
        }
        return service;
}

int procfile_add_builtins(Procfile *p, bool dev) {
        static const struct {
                const char *name;
                const char *env;
        } builtins[] = {
                { "worker", "worker" },
                { "background", "background" },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(builtins); i++) {
                Process *process = procfile_ensure_process(p, builtins[i].name);

                if (!process)
                        return -ENOMEM;
                r = strv_env_set(&process->env, builtins[i].env, "true");
                if (r < 0)
                        return r;
        }
        /* Pandora.js: worker { scale = dev ? 1 : "auto"; } */
        procfile_find_process(p, "worker")->scale_auto = !dev;
        return 0;
}
