/* SPDX-License-Identifier: MIT */

/* The transient units of dev mode, property for property what unit-render.c writes into a production
 * instance and socket, plus PANDORA_DEV=true and --dev for the agent. Everything goes over D-Bus as typed
 * values, so nothing needs the escaping that unit files do. */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/dev/units.h"
#include "common/string-util.h"
#include "common/strv.h"

#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL

static int add_exec(TransientUnit *u, const Procfile *p, const Process *process, unsigned i,
                    const char *agent) {
        _cleanup_free_ char *instance = strprintf("%u", i);
        char *argv[] = { (char *) agent, (char *) "--procfile", p->path, (char *) "--process", process->name,
                         (char *) "--instance", instance, (char *) "--dev", NULL };

        if (!instance)
                return -ENOMEM;
        return transient_unit_add_strv(u, "ExecStart", PROPERTY_EXEC, argv);
}

/* The same variables as production's Environment= lines, in the same order, then PANDORA_DEV. The
 * procfile's env is not among them: the agent gives it to the children. */
static int add_environment(TransientUnit *u, const Procfile *p, const Process *process, unsigned i) {
        _cleanup_strv_free_ char **env = NULL;
        char number[16];
        int r;

        r = strv_env_set(&env, "PANDORA_APP", p->app);
        if (r >= 0)
                r = strv_env_set(&env, "PANDORA_PROCESS", process->name);
        snprintf(number, sizeof(number), "%u", i);
        if (r >= 0)
                r = strv_env_set(&env, "PANDORA_INSTANCE", number);
        snprintf(number, sizeof(number), "%u", process->scale);
        if (r >= 0)
                r = strv_env_set(&env, "PANDORA_SCALE", number);
        if (r >= 0)
                r = strv_extend(&env, "PANDORA_DEV=true");
        if (r < 0)
                return r;
        return transient_unit_add_strv(u, "Environment", PROPERTY_STRV, env);
}

static int add_logging(TransientUnit *u, const Procfile *p, const Process *process, unsigned i) {
        _cleanup_free_ char *identifier = strprintf("%s-%s", p->app, process->name);
        _cleanup_free_ char *app = strprintf("PANDORA_APP=%s", p->app);
        _cleanup_free_ char *name = strprintf("PANDORA_PROCESS=%s", process->name);
        _cleanup_free_ char *instance = strprintf("PANDORA_INSTANCE=%u", i);
        int r;

        if (!identifier || !app || !name || !instance)
                return -ENOMEM;
        r = transient_unit_add_string(u, "SyslogIdentifier", identifier);
        if (r >= 0)
                r = transient_unit_add_strv(u, "LogExtraFields", PROPERTY_BYTE_ARRAYS,
                                            (char *[]) { app, name, instance, NULL });
        /* Off as in production: 1us, since systemd 252 does not pass 0 on to journald. */
        if (r >= 0)
                r = transient_unit_add_u64(u, "LogRateLimitIntervalUSec",
                                           p->log_rate_interval_s > 0 ? p->log_rate_interval_s * USEC_PER_SEC : 1);
        if (r >= 0 && p->log_rate_interval_s > 0)
                r = transient_unit_add_u32(u, "LogRateLimitBurst", (uint32_t) p->log_rate_burst);
        return r;
}

static int add_lifecycle(TransientUnit *u, const Process *process) {
        int r;

        r = transient_unit_add_string(u, "Type", "notify");
        if (r >= 0)
                r = transient_unit_add_string(u, "NotifyAccess", "main");
        if (r >= 0)
                r = transient_unit_add_string(u, "Restart", restart_policy_to_string(process->restart));
        if (r >= 0)
                r = transient_unit_add_u64(u, "RestartUSec", process->restart_delay_ms * USEC_PER_MSEC);
        if (r >= 0)
                r = transient_unit_add_u64(u, "TimeoutStopUSec", process->stop_timeout_ms * USEC_PER_MSEC);
        if (r >= 0)
                r = transient_unit_add_string(u, "KillMode", "mixed");
        if (r >= 0 && process->watchdog_ms > 0)
                r = transient_unit_add_u64(u, "WatchdogUSec", process->watchdog_ms * USEC_PER_MSEC);
        if (r >= 0)
                r = transient_unit_add_u64(u, "StartLimitIntervalUSec",
                                           process->restart_interval_s * USEC_PER_SEC);
        if (r >= 0)
                r = transient_unit_add_u32(u, "StartLimitBurst", (uint32_t) process->restart_burst);
        return r;
}

/* `order`: after every instance of the groups with a lower order, and after the instance's own socket. */
static int add_order(TransientUnit *u, const Procfile *p, const Process *process, unsigned i) {
        _cleanup_strv_free_ char **after = NULL;
        int r = 0;

        /* Sorted by order, as unit-render.c's write_order() relies on too: stop at the first not lower. */
        for (size_t k = 0; r >= 0 && k < p->n_processes && p->processes[k]->order < process->order; k++) {
                const Process *earlier = p->processes[k];

                if (!earlier->starts)
                        continue;
                for (unsigned n = 1; r >= 0 && n <= earlier->scale; n++)
                        r = strv_consume(&after, strprintf("%s-%s@%u.service", p->app, earlier->name, n));
        }
        if (r >= 0 && process->listen)
                r = strv_consume(&after, strprintf("%s-%s@%u.socket", p->app, process->name, i));
        if (r < 0 || !after)
                return r;
        return transient_unit_add_strv(u, "After", PROPERTY_STRV, after);
}

/* Production's RuntimeDirectory=pandora-agent/%N, with %N spelled out: systemd does not expand specifiers
 * in values that come over the bus. */
static int add_runtime_directory(TransientUnit *u, const char *unit_name) {
        _cleanup_free_ char *dir = strprintf("pandora-agent/%.*s", (int) (strrchr(unit_name, '.') - unit_name),
                                          unit_name);

        if (!dir)
                return -ENOMEM;
        return transient_unit_add_strv(u, "RuntimeDirectory", PROPERTY_STRV, (char *[]) { dir, NULL });
}

static int add_identity(TransientUnit *u, const Process *process) {
        int r = 0;

        if (process->user)
                r = transient_unit_add_string(u, "User", process->user);
        if (r >= 0 && process->group)
                r = transient_unit_add_string(u, "Group", process->group);
        return r;
}

/* Ties the unit to pandora-gen's scope: SIGHUP, SIGPIPE, SIGKILL or a crash empties the scope, systemd
 * stops it, and BindsTo= stops the unit with it; no handler has to run. */
static int add_lifetime(TransientUnit *u, const DevPlanOptions *o) {
        int r;

        if (!o->lifetime)
                return 0;
        r = transient_unit_add_strv(u, "BindsTo", PROPERTY_STRV, (char *[]) { (char *) o->lifetime, NULL });
        if (r >= 0)
                r = transient_unit_add_strv(u, "After", PROPERTY_STRV, (char *[]) { (char *) o->lifetime, NULL });
        return r;
}

static int build_service(const Procfile *p, const Process *process, unsigned i, const DevPlanOptions *o,
                         TransientUnit **ret) {
        _cleanup_free_ char *name = strprintf("%s-%s@%u.service", p->app, process->name, i);
        _cleanup_free_ char *description = strprintf("pandora %s %s instance %u (dev)", p->app, process->name,
                                                  i);
        _cleanup_(transient_unit_freep) TransientUnit *u = NULL;
        int r;

        if (!name || !description || !(u = transient_unit_new(name)))
                return -ENOMEM;
        r = transient_unit_add_string(u, "Description", description);
        if (r >= 0)
                r = add_exec(u, p, process, i, o->agent_path);
        if (r >= 0)
                r = transient_unit_add_string(u, "WorkingDirectory", p->dir);
        if (r >= 0)
                r = add_environment(u, p, process, i);
        if (r >= 0)
                r = add_lifecycle(u, process);
        if (r >= 0)
                r = add_logging(u, p, process, i);
        if (r >= 0)
                r = add_runtime_directory(u, name);
        if (r >= 0)
                r = add_order(u, p, process, i);
        if (r >= 0)
                r = add_identity(u, process);
        /* Keeps the unit loaded while pandora-gen runs, so its final state can be read after it stops. */
        if (r >= 0)
                r = transient_unit_add_bool(u, "AddRef", true);
        if (r >= 0)
                r = add_lifetime(u, o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(u);
        return 0;
}

static int build_socket(const Procfile *p, const Process *process, unsigned i, const DevPlanOptions *o,
                        TransientUnit **ret) {
        _cleanup_free_ char *name = strprintf("%s-%s@%u.socket", p->app, process->name, i);
        _cleanup_free_ char *description = strprintf("pandora %s %s socket, instance %u (dev)", p->app,
                                                  process->name, i);
        _cleanup_(transient_unit_freep) TransientUnit *u = NULL;
        _cleanup_strv_free_ char **listen = NULL;
        int r = 0;

        if (!name || !description || !(u = transient_unit_new(name)))
                return -ENOMEM;
        /* "Stream" is ListenStream= in the Listen property's own vocabulary. */
        STRV_FOREACH(a, process->listen)
                if (r >= 0 && (r = strv_extend(&listen, "Stream")) >= 0)
                        r = strv_extend(&listen, *a);
        if (r >= 0)
                r = transient_unit_add_string(u, "Description", description);
        if (r >= 0)
                r = transient_unit_add_strv(u, "Listen", PROPERTY_LISTEN, listen);
        if (r >= 0)
                r = transient_unit_add_bool(u, "ReusePort", true);
        if (r >= 0)
                r = transient_unit_add_string(u, "FileDescriptorName", process->name);
        if (r >= 0)
                r = transient_unit_add_bool(u, "AddRef", true);
        if (r >= 0)
                r = add_lifetime(u, o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(u);
        return 0;
}

static int plan_add(DevPlan *plan, const Procfile *p, const Process *process, unsigned i,
                    const DevPlanOptions *o) {
        DevInstance *grown = realloc(plan->instances, sizeof(DevInstance) * (plan->n_instances + 1));
        DevInstance *d;
        int r;

        if (!grown)
                return -ENOMEM;
        plan->instances = grown;
        d = &plan->instances[plan->n_instances++];
        *d = (DevInstance) { .process = process, .instance = i };
        r = build_service(p, process, i, o, &d->service);
        if (r >= 0 && process->listen)
                r = build_socket(p, process, i, o, &d->socket);
        return r;
}

int dev_plan_build(const Procfile *p, const DevPlanOptions *o, DevPlan **ret) {
        _cleanup_(dev_plan_freep) DevPlan *plan = calloc(1, sizeof(DevPlan));
        int r;

        if (!plan)
                return -ENOMEM;
        for (size_t k = 0; k < p->n_processes; k++) {
                const Process *process = p->processes[k];

                if (!process->starts)
                        continue;
                for (unsigned i = 1; i <= process->scale; i++) {
                        r = plan_add(plan, p, process, i, o);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(plan);
        return 0;
}

DevPlan *dev_plan_free(DevPlan *plan) {
        if (!plan)
                return NULL;
        for (size_t i = 0; i < plan->n_instances; i++) {
                transient_unit_free(plan->instances[i].service);
                transient_unit_free(plan->instances[i].socket);
        }
        free(plan->instances);
        free(plan);
        return NULL;
}

int dev_plan_unit_names(const DevPlan *plan, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        for (size_t i = 0; i < plan->n_instances; i++) {
                r = strv_extend(&names, plan->instances[i].service->name);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < plan->n_instances; i++)
                if (plan->instances[i].socket) {
                        r = strv_extend(&names, plan->instances[i].socket->name);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(names);
        return 0;
}
