/* SPDX-License-Identifier: MIT */

/* The functions <pandora/service.h> declares, exported from the agent's executable to the modules it
 * loads (agent/pandora-agent.sym lists them for the linker). Each is a thin accessor or forwards to
 * the module's task, the log or its counters; none trusts the module to pass a valid pointer beyond
 * checking for NULL. */

#include <stdarg.h>

#include "agent/lifecycle/module-service.h"
#include "agent/log/log.h"

const char *pandora_service_name(const PandoraService *s) {
        return s ? s->name : NULL;
}

const config_setting_t *pandora_service_config(const PandoraService *s) {
        return s ? config_root_setting(&s->config) : NULL;
}

const char *pandora_service_config_json(const PandoraService *s) {
        return s ? s->config_json : NULL;
}

sd_event *pandora_service_event(const PandoraService *s) {
        return s ? s->event : NULL;
}

size_t pandora_service_listen_fds(const PandoraService *s, const int **ret_fds) {
        if (!s)
                return 0;
        if (ret_fds)
                *ret_fds = s->listen_fds;
        return s->n_listen_fds;
}

const char *pandora_service_listen_fd_name(const PandoraService *s, size_t i) {
        if (!s || i >= s->n_listen_fds || !s->listen_fd_names)
                return NULL;
        for (size_t k = 0; k <= i; k++)
                if (!s->listen_fd_names[k])
                        return NULL;
        return s->listen_fd_names[i];
}

void *pandora_service_get_userdata(const PandoraService *s) {
        return s ? s->userdata : NULL;
}

void pandora_service_set_userdata(PandoraService *s, void *userdata) {
        if (s)
                s->userdata = userdata;
}

void pandora_service_started(PandoraService *s, int error) {
        if (s)
                module_service_report_started(s, error);
}

void pandora_service_stopped(PandoraService *s, int error) {
        if (s)
                module_service_report_stopped(s, error);
}

void pandora_service_failed(PandoraService *s, int error) {
        if (s)
                module_service_report_failed(s, error);
}

int pandora_log_internal(PandoraService *s, int priority, const char *file, int line, const char *func,
                         const char * const *fields, const char *format, ...) {
        LogOrigin origin = {
                .service = s ? s->name : NULL,
                .file = file,
                .line = line,
                .func = func,
                .fields = fields,
        };
        va_list ap;
        int r;

        if (!format)
                return -EINVAL;
        va_start(ap, format);
        r = log_sendv(priority, &origin, format, ap);
        va_end(ap);
        return r;
}

int pandora_counter_add(PandoraService *s, const char *name, int64_t delta) {
        return s ? counter_set_add(&s->counters, name, delta) : -EINVAL;
}

int pandora_gauge_set(PandoraService *s, const char *name, double value) {
        return s ? counter_set_gauge(&s->counters, name, value) : -EINVAL;
}
