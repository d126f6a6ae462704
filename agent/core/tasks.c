/* SPDX-License-Identifier: MIT */

/* From the model to tasks: the process's services in the order procfile_load() resolved (weight,
 * then file order), then its entry, as Pandora.js started a process's services before its main
 * program. Modules are loaded here, before anything starts, so that a wrong file stops the instance
 * with one message instead of a start and a rollback. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/context.h"
#include "agent/lifecycle/exec-service.h"
#include "agent/lifecycle/module-service.h"
#include "agent/log/log.h"
#include "common/strv.h"

/* Systemd's DefaultTimeoutStartSec=, which a unit without TimeoutStartSec= (no start_timeout_ms) has. */
#define DEFAULT_START_TIMEOUT_USEC (90 * 1000000ULL)

/* How long a "listening" task may take to listen: the unit's start timeout, less a tenth of it (at
 * most a second), so that the agent says why before systemd kills it. */
static uint64_t listen_timeout_usec(const Process *p) {
        uint64_t window = p->start_timeout_ms > 0 ? p->start_timeout_ms * 1000 : DEFAULT_START_TIMEOUT_USEC;
        uint64_t margin = window / 10;

        return window - (margin < 1000000 ? margin : 1000000);
}

/* Tasks are added to a lifecycle for a process: the running one, or a reload's new generation. */
typedef struct Generation {
        Lifecycle *lifecycle;
        const Process *process;
        char **base_env;                /* the unit's environment with the process's env of this model */
        int drain_fd;                   /* the generation's drain flag; -1: none */
} Generation;

static int add_exec(Context *c, const Generation *g, const char *name, char * const *argv, const char *config_json,
                    ServiceReady ready, int stderr_priority, uint64_t stop_timeout_usec) {
        ChildEnvOptions o = {
                .notify_socket = c->notify.address,
                .n_listen_fds = c->n_listen_fds,
                .listen_fd_names = c->listen_fd_names_joined,
                .watchdog_usec = c->watchdog_usec,
                .service = name,
                .config_json = config_json,
                .metrics_socket = context_open_statsd(c, g->lifecycle->n_tasks, name),
        };
        ExecService *s;
        Task *t;
        int r;

        context_listen_env(c, g->drain_fd, &o);
        r = exec_service_new(c->event, name, argv, g->base_env, &o, ready == SERVICE_READY_NOTIFY, &s);
        if (r < 0)
                return r;
        if (ready == SERVICE_READY_LISTENING)
                exec_service_wait_listening(s, listen_timeout_usec(g->process));
        s->drain_fd = g->drain_fd;
        s->exits = ready == SERVICE_READY_EXITED;
        /* The service's own setting, else its process's, else info as systemd logs a unit's stderr. */
        if (stderr_priority < 0)
                stderr_priority = g->process->stderr_priority;
        if (stderr_priority >= 0)
                s->stderr_priority = stderr_priority;
        r = lifecycle_add_task(g->lifecycle, name ?: "entry", &exec_service_ops, s, stop_timeout_usec, &t);
        if (r < 0) {
                exec_service_ops.destroy(s);
                return r;
        }
        s->task = t;
        t->completes = s->exits;
        /* The entry is the process's work: when it exits 0 on its own, the instance is done, and a
         * unit with Restart=on-failure stays stopped (a one-shot script, a scheduled job). */
        t->may_finish = !name;
        return 0;
}

static int add_module(Context *c, const Generation *g, const Service *service) {
        ModuleServiceSetup setup = {
                .name = service->name,
                .path = service->module,
                .config = service->config,
                .config_json = service->config_json,
                .event = c->event,
                .listen_fds = c->listen_fds,
                .n_listen_fds = c->n_listen_fds,
                .listen_fd_names = c->listen_fd_names,
        };
        _cleanup_free_ char *error = NULL;
        PandoraService *m;
        Task *t;
        int r;

        r = module_service_load(&setup, &m, &error);
        if (r < 0) {
                log_error("%s:%u: services.%s.module: %s", service->file, service->line, service->name,
                          error ?: strerror(-r));
                return r;
        }
        r = lifecycle_add_task(g->lifecycle, service->name, &module_service_ops, m,
                               service->stop_timeout_ms * 1000, &t);
        if (r < 0) {
                module_service_free(m);
                return r;
        }
        m->task = t;
        return 0;
}

static int add_service(Context *c, const Generation *g, const Service *s) {
        if (s->kind == SERVICE_MODULE)
                return add_module(c, g, s);
        return add_exec(c, g, s->name, s->argv, s->config_json, s->ready, s->stderr_priority,
                        s->stop_timeout_ms * 1000);
}

int context_add_tasks_to(Context *c, Lifecycle *l, const Procfile *pf, const Process *p) {
        _cleanup_strv_free_ char **env = NULL;
        Generation g = { .lifecycle = l, .process = p,
                         .drain_fd = l == &c->lifecycle ? c->drain_fd : c->next_drain_fd };
        int r;

        /* The procfile's log_format, for the captures of this generation's children; unset, the
         * agent's $PANDORA_LOG_FORMAT (or "auto") stays. */
        if (p->log_format_set)
                (void) log_capture_set_default_format(p->log_text ? LOG_FORMAT_TEXT : LOG_FORMAT_AUTO);
        r = context_child_env(c, pf, p, &env);
        if (r < 0)
                return r;
        g.base_env = env;
        for (size_t i = 0; i < p->n_services; i++) {
                r = add_service(c, &g, p->services[i].service);
                if (r == -ENOMEM)
                        log_error("Out of memory");
                if (r < 0)
                        return r;
        }
        if (p->argv) {
                r = add_exec(c, &g, NULL, p->argv, NULL, p->ready, -1, 0);
                if (r < 0) {
                        log_error("Can't set up the entry: %s", strerror(-r));
                        return r;
                }
        }
        return 0;
}

int context_add_tasks(Context *c) {
        int r;

        r = context_add_tasks_to(c, &c->lifecycle, c->procfile, c->process);
        if (r < 0)
                return r;
        c->n_services = c->process->n_services;
        return 0;
}
