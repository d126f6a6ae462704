/* SPDX-License-Identifier: MIT */
#pragma once

/* A task that is a module: a shared object implementing pandora-service(3), loaded with dlopen(). The
 * PandoraService of the public header is this module's state; service-api.c implements the functions
 * the header declares on it. */

#include <stdbool.h>
#include <stddef.h>

#include "agent/lifecycle/lifecycle.h"
#include "agent/metrics/counters.h"
#include "common/procfile/config-value.h"
#include "pandora/service.h"

struct PandoraService {
        char *name;
        char *path;
        config_t config;                /* `config`, converted for libconfig's readers */
        char *config_json;
        sd_event *event;
        const int *listen_fds;          /* the agent's */
        size_t n_listen_fds;
        char * const *listen_fd_names;  /* the agent's; may be shorter than n_listen_fds */
        void *userdata;                 /* the module's */
        CounterSet counters;
        Task *task;                     /* set by the owner once the task exists */

        void *dl;
        const PandoraServiceModule *module;
        bool in_call;                   /* inside start() or stop(): a report is its result */
        bool reported;
        int reported_error;
};

typedef struct ModuleServiceSetup {
        const char *name;
        const char *path;               /* absolute */
        const ConfigValue *config;      /* NULL: an empty group */
        const char *config_json;
        sd_event *event;
        const int *listen_fds;
        size_t n_listen_fds;
        char * const *listen_fd_names;
} ModuleServiceSetup;

extern const TaskOps module_service_ops;

/* Loads the module and checks its ABI. Returns 0 with the service in *ret; on failure a negative
 * errno and, in *ret_error, a message that says what is wrong with the file (-ENOEXEC: not a module
 * of this ABI; -ENOENT and others: dlopen() failed; -ENOMEM without a message). */
int module_service_load(const ModuleServiceSetup *setup, PandoraService **ret, char **ret_error);

/* Unloads the module and frees the service; accepts NULL. */
void module_service_free(PandoraService *s);

/* Returns the module behind t, or NULL when t is another kind of task. */
PandoraService *module_service_from_task(const Task *t) _pure_;

/* Reports from the module: start done, stop done, failed on its own. */
void module_service_report_started(PandoraService *s, int error);
void module_service_report_stopped(PandoraService *s, int error);
void module_service_report_failed(PandoraService *s, int error);

/* Converts a service's `config` into a libconfig tree whose root group holds its settings, so that
 * modules read it with libconfig's own functions. v may be NULL (an empty root). On success *c is
 * initialized and the caller calls config_destroy(). Returns 0, -ENOMEM or -EINVAL. */
int module_config_build(const ConfigValue *v, config_t *c);
