/* SPDX-License-Identifier: MIT */

/* The reading's data: its lifetime, and the facts derived from it that the status table, its JSON and
 * the exporter all show (an instance's state and why, its CPU and memory, its services). Pure. */

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/string-util.h"
#include "common/strv.h"
#include "observe/observe.h"

static void unit_done(ObserveUnit *u) {
        free(u->name);
        free(u->load_state);
        free(u->active_state);
        free(u->sub_state);
        *u = (ObserveUnit) {};
}

static void service_done(ObserveService *s) {
        free(s->name);
        free(s->kind);
        free(s->state);
        for (size_t i = 0; i < s->n_metrics; i++)
                free(s->metrics[i].name);
        free(s->metrics);
}

static void instance_done(ObserveInstance *i) {
        unit_done(&i->unit);
        free(i->process);
        free(i->instance);
        free(i->result);
        free(i->status_text);
        free(i->agent_state);
        for (size_t k = 0; k < i->n_indicators; k++)
                free(i->indicators[k].name);
        free(i->indicators);
        for (size_t k = 0; k < i->n_services; k++)
                service_done(&i->services[k]);
        free(i->services);
}

static void app_done(ObserveApp *a) {
        free(a->name);
        unit_done(&a->target);
        for (size_t i = 0; i < a->n_instances; i++)
                instance_done(&a->instances[i]);
        free(a->instances);
        for (size_t i = 0; i < a->n_sockets; i++) {
                unit_done(&a->sockets[i].unit);
                free(a->sockets[i].process);
                strv_free(a->sockets[i].listen);
        }
        free(a->sockets);
}

Observation *observation_free(Observation *o) {
        if (!o)
                return NULL;
        for (size_t i = 0; i < o->n_apps; i++)
                app_done(&o->apps[i]);
        free(o->apps);
        for (size_t i = 0; i < o->n_help; i++) {
                free(o->help[i].name);
                free(o->help[i].help);
        }
        free(o->help);
        free(o);
        return NULL;
}

static const char * const instance_state_table[_INSTANCE_STATE_MAX] = {
        [INSTANCE_RUNNING] = "running",
        [INSTANCE_RELOADING] = "reloading",
        [INSTANCE_STARTING] = "starting",
        [INSTANCE_RESTARTING] = "restarting",
        [INSTANCE_STOPPING] = "stopping",
        [INSTANCE_FAILED] = "failed",
        [INSTANCE_STOPPED] = "stopped",
};

const char *instance_state_to_string(InstanceState s) {
        return s >= 0 && s < _INSTANCE_STATE_MAX ? instance_state_table[s] : NULL;
}

static bool state_is(const char *state, const char *value) {
        return state && streq(state, value);
}

InstanceState observe_instance_state(const ObserveInstance *i) {
        const char *active = i->unit.active_state;

        if (state_is(active, "active"))
                return INSTANCE_RUNNING;
        if (state_is(active, "reloading"))
                return INSTANCE_RELOADING;
        if (state_is(active, "activating"))
                return state_is(i->unit.sub_state, "auto-restart") ? INSTANCE_RESTARTING : INSTANCE_STARTING;
        if (state_is(active, "deactivating"))
                return INSTANCE_STOPPING;
        if (state_is(active, "failed"))
                return INSTANCE_FAILED;
        return INSTANCE_STOPPED;
}

bool observe_instance_healthy(const ObserveInstance *i) {
        InstanceState s = observe_instance_state(i);

        return s == INSTANCE_RUNNING || s == INSTANCE_RELOADING;
}

/* How the main process ended last, from systemd's Result and ExecMain{Code,Status}. */
static char *exit_reason(const ObserveInstance *i) {
        const char *signal = i->exit_code == CLD_KILLED || i->exit_code == CLD_DUMPED ?
                             sigabbrev_np(i->exit_status) : NULL;

        if (state_is(i->result, "exit-code") || (i->exit_code == CLD_EXITED && i->exit_status != 0))
                return strprintf("exit status %d", i->exit_status);
        if (state_is(i->result, "core-dump"))
                return signal ? strprintf("dumped core (SIG%s)", signal) : strdup("dumped core");
        if (state_is(i->result, "signal"))
                return signal ? strprintf("killed by SIG%s", signal) : strdup("killed by a signal");
        if (state_is(i->result, "timeout"))
                return strdup("timed out");
        if (state_is(i->result, "watchdog"))
                return strdup("watchdog timeout");
        if (state_is(i->result, "start-limit-hit"))
                return strdup("start limit hit");
        if (i->result && !streq(i->result, "success"))
                return strdup(i->result);
        return NULL;
}

int observe_instance_reason(const ObserveInstance *i, char **ret) {
        char *reason = NULL;

        switch (observe_instance_state(i)) {
        case INSTANCE_FAILED:
        case INSTANCE_RESTARTING:
                reason = exit_reason(i);
                if (!reason && i->result && !streq(i->result, "success"))
                        return -ENOMEM;
                break;
        case INSTANCE_STARTING:
        case INSTANCE_STOPPING:
                if (i->status_text && i->status_text[0]) {
                        reason = strdup(i->status_text);
                        if (!reason)
                                return -ENOMEM;
                }
                break;
        default:
                break;
        }
        *ret = reason;
        return 0;
}

const ObserveIndicator *observe_instance_indicator(const ObserveInstance *i, const char *name) {
        for (size_t k = 0; k < i->n_indicators; k++)
                if (streq(i->indicators[k].name, name))
                        return i->indicators[k].present ? &i->indicators[k] : NULL;
        return NULL;
}

static bool indicator_double(const ObserveInstance *i, const char *name, double *ret) {
        const ObserveIndicator *x = observe_instance_indicator(i, name);

        if (!x || x->type != 'd' || isnan(x->d))
                return false;
        *ret = x->d;
        return true;
}

static bool indicator_u64(const ObserveInstance *i, const char *name, uint64_t *ret) {
        const ObserveIndicator *x = observe_instance_indicator(i, name);

        if (!x || x->type != 't')
                return false;
        *ret = x->u;
        return true;
}

bool observe_instance_cpu_percent(const ObserveInstance *i, double *ret) {
        return indicator_double(i, "CgroupCPUUsagePercent", ret) ||
               indicator_double(i, "CPUUsagePercent", ret);
}

bool observe_instance_memory_bytes(const ObserveInstance *i, uint64_t *ret) {
        return indicator_u64(i, "CgroupMemoryCurrentBytes", ret) || indicator_u64(i, "MemoryRSSBytes", ret);
}

void observe_instance_services(const ObserveInstance *i, unsigned *ret_ready, unsigned *ret_total) {
        unsigned ready = 0, total = 0;

        for (size_t k = 0; k < i->n_services; k++) {
                if (state_is(i->services[k].kind, "entry"))
                        continue;
                total++;
                ready += state_is(i->services[k].state, "running");
        }
        *ret_ready = ready;
        *ret_total = total;
}

/* After "APP-" in name, or NULL. */
static const char *after_app(const char *app, const char *name) {
        size_t n = strlen(app);

        if (strncmp(name, app, n) != 0 || name[n] != '-')
                return NULL;
        return name + n + 1;
}

int observe_parse_unit_name(const char *app, const char *name, char **ret_process, char **ret_instance) {
        const char *rest = after_app(app, name), *at, *dot;
        _cleanup_free_ char *process = NULL, *instance = NULL;

        if (!rest)
                return -EINVAL;
        dot = strrchr(rest, '.');
        if (!dot)
                return -EINVAL;
        if (!ret_instance) {
                /* The group's socket, or one instance's own (APP-PROCESS@N.socket). */
                at = memchr(rest, '@', dot - rest);
                if (!streq(dot, ".socket") || dot == rest || at == rest || (at && at + 1 >= dot))
                        return -EINVAL;
                process = strndup(rest, (at ?: dot) - rest);
                if (!process)
                        return -ENOMEM;
                *ret_process = TAKE_PTR(process);
                return 0;
        }
        at = strchr(rest, '@');
        if (!streq(dot, ".service") || !at || at == rest || at + 1 >= dot)
                return -EINVAL;
        process = strndup(rest, at - rest);
        instance = strndup(at + 1, dot - at - 1);
        if (!process || !instance)
                return -ENOMEM;
        *ret_process = TAKE_PTR(process);
        *ret_instance = TAKE_PTR(instance);
        return 0;
}
