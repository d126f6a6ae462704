/* SPDX-License-Identifier: MIT */

/* Module services as lifecycle tasks. Loading checks the ABI in two steps: the unversioned
 * pandora_service_abi says which ABI the module was built for, so that a mismatch is reported as one
 * ("built for ABI 2, this agent implements ABI 1") rather than as a missing symbol; then the versioned
 * pandora_service_module_vN gives the entry points. Modules load before anything starts, so a wrong
 * file is a configuration error, not a rollback.
 *
 * A module may report from inside its own start() or stop() (it finished at once): such a report is
 * taken as the call's result instead of reaching the lifecycle twice. */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/lifecycle/module-service.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define MODULE_SYMBOL_NAME STRINGIFY(PANDORA_SERVICE_MODULE_SYMBOL)

static int check_abi(PandoraService *s, char **ret_error) {
        const uint32_t *abi = dlsym(s->dl, "pandora_service_abi");
        const PandoraServiceModule *m;

        if (!abi)
                return asprintf(ret_error, "'%s' is not a pandora service module: it has no "
                                "pandora_service_abi symbol", s->path) < 0 ? -ENOMEM : -ENOEXEC;
        if (*abi != PANDORA_SERVICE_ABI)
                return asprintf(ret_error, "'%s' was built for service ABI %u, this agent implements ABI %u; "
                                "rebuild it against this agent's <pandora/service.h>", s->path, *abi,
                                PANDORA_SERVICE_ABI) < 0 ? -ENOMEM : -ENOEXEC;
        m = dlsym(s->dl, MODULE_SYMBOL_NAME);
        if (!m)
                return asprintf(ret_error, "'%s' declares service ABI %u but has no %s symbol", s->path,
                                PANDORA_SERVICE_ABI, MODULE_SYMBOL_NAME) < 0 ? -ENOMEM : -ENOEXEC;
        if (m->abi != PANDORA_SERVICE_ABI || m->size < sizeof(PandoraServiceModule) || !m->start)
                return asprintf(ret_error, "'%s': %s is malformed (abi %u, size %u, start %s)", s->path,
                                MODULE_SYMBOL_NAME, m->abi, m->size, m->start ? "set" : "missing") < 0
                        ? -ENOMEM : -ENOEXEC;
        s->module = m;
        return 0;
}

static int open_module(PandoraService *s, char **ret_error) {
        const char *e;

        /* RTLD_NOW: a module that needs a symbol we lack fails here, with dlerror()'s message, not
         * later in the middle of a start. RTLD_LOCAL: modules do not see each other. */
        s->dl = dlopen(s->path, RTLD_NOW | RTLD_LOCAL);
        if (s->dl)
                return check_abi(s, ret_error);
        e = dlerror();
        *ret_error = strdup(e ?: "dlopen() failed");
        return *ret_error ? -ENOENT : -ENOMEM;
}

int module_service_load(const ModuleServiceSetup *setup, PandoraService **ret, char **ret_error) {
        PandoraService *s = calloc(1, sizeof(PandoraService));
        char *error = NULL;
        int r;

        if (!s)
                return -ENOMEM;
        *s = (PandoraService) {
                .name = strdup(setup->name),
                .path = strdup(setup->path),
                .config_json = strdup(setup->config_json ?: "{}"),
                .event = setup->event,
                .listen_fds = setup->listen_fds,
                .n_listen_fds = setup->n_listen_fds,
                .listen_fd_names = setup->listen_fd_names,
        };
        config_init(&s->config);
        r = !s->name || !s->path || !s->config_json ? -ENOMEM : 0;
        if (r >= 0) {
                config_destroy(&s->config);
                r = module_config_build(setup->config, &s->config);
                if (r < 0)
                        config_init(&s->config);
        }
        if (r >= 0)
                r = open_module(s, &error);
        if (r < 0) {
                module_service_free(s);
                *ret_error = error;
                return r;
        }
        *ret = s;
        return 0;
}

void module_service_free(PandoraService *s) {
        if (!s)
                return;
        /* Whatever sources the module left on the loop point into its code: keep it mapped. Unloading
         * at exit gains nothing, and a module that forgot a source would crash the agent. */
        free(s->name);
        free(s->path);
        free(s->config_json);
        config_destroy(&s->config);
        counter_set_done(&s->counters);
        free(s);
}

/* Calls start or stop; returns 0, 1 (pending) or a negative errno, a report made inside included. */
static int module_call(PandoraService *s, int (*fn)(PandoraService *s)) {
        int r;

        if (!fn)
                return 0;
        s->in_call = true;
        s->reported = false;
        r = fn(s);
        s->in_call = false;
        if (s->reported)
                return s->reported_error < 0 ? s->reported_error : 0;
        return r < 0 ? r : r > 0 ? 1 : 0;
}

static int module_start(Task *t) {
        PandoraService *s = t->userdata;

        return module_call(s, s->module->start);
}

static int module_stop(Task *t) {
        PandoraService *s = t->userdata;

        return module_call(s, s->module->stop);
}

static int module_kill(Task *t _unused_) {
        /* Code in our own process can't be killed: the stop is abandoned, and the agent exits soon. */
        return 0;
}

static void module_destroy(void *userdata) {
        module_service_free(userdata);
}

const TaskOps module_service_ops = {
        .start = module_start,
        .stop = module_stop,
        .kill = module_kill,
        .destroy = module_destroy,
};

PandoraService *module_service_from_task(const Task *t) {
        return t->ops == &module_service_ops ? t->userdata : NULL;
}

static bool report_in_call(PandoraService *s, int error) {
        if (!s->in_call)
                return false;
        s->reported = true;
        s->reported_error = error;
        return true;
}

void module_service_report_started(PandoraService *s, int error) {
        if (!report_in_call(s, error) && s->task)
                lifecycle_task_started(s->task, error);
}

void module_service_report_stopped(PandoraService *s, int error) {
        if (!report_in_call(s, error) && s->task)
                lifecycle_task_stopped(s->task, error);
}

void module_service_report_failed(PandoraService *s, int error) {
        if (error >= 0)
                error = -EIO;
        if (!report_in_call(s, error) && s->task)
                lifecycle_task_stopped(s->task, error);
}
