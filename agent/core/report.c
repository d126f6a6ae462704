/* SPDX-License-Identifier: MIT */

/* What the agent says about its lifecycle: one journal entry per event, naming the service, and the
 * notifications systemd acts on (READY=1, STOPPING=1) with a STATUS= line saying what is happening,
 * which `systemctl status` shows: "starting cache (2/4)", "4 services running". Each task event and
 * READY has its MESSAGE_ID (log/ids.h, explained by the catalog) and says which service in
 * PANDORA_SERVICE (none for the entry, as for the entry's own output), with EXIT_CODE/EXIT_STATUS as
 * systemd writes them for a child that ended and PANDORA_DURATION_USEC for a start or stop that
 * completed. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "agent/core/context.h"
#include "agent/lifecycle/exec-service.h"
#include "agent/lifecycle/module-service.h"
#include "agent/log/ids.h"
#include "agent/log/log.h"

/* The fields of one event's entry, NULL-terminated, and the text they point to. */
typedef struct EventFields {
        const char *list[8];
        size_t n;
        char duration[64], exit_code[32], exit_status[32], error[32], task[256];
} EventFields;

static void fields_add(EventFields *f, const char *field) {
        if (f->n < ELEMENTSOF(f->list) - 1)
                f->list[f->n++] = field;
}

static void fields_add_duration(EventFields *f, uint64_t since, uint64_t now) {
        snprintf(f->duration, sizeof(f->duration), "PANDORA_DURATION_USEC=%" PRIu64, now > since ? now - since : 0);
        fields_add(f, f->duration);
}

/* EXIT_CODE/EXIT_STATUS when t is a child that ended, else ERRNO when t failed. */
static void fields_add_end(EventFields *f, const Task *t) {
        ExecService *s = exec_service_from_task(t);
        const char *code = s ? exec_service_exit_code_to_string(s) : NULL;

        if (code) {
                snprintf(f->exit_code, sizeof(f->exit_code), "EXIT_CODE=%s", code);
                snprintf(f->exit_status, sizeof(f->exit_status), "EXIT_STATUS=%d", s->exit_status);
                fields_add(f, f->exit_code);
                fields_add(f, f->exit_status);
        } else if (t->error < 0) {
                snprintf(f->error, sizeof(f->error), "ERRNO=%d", -t->error);
                fields_add(f, f->error);
        }
}

static bool is_entry(const Context *c, const Task *t) {
        return t->index >= c->n_services;
}

/* "service 'cache'" or "entry 'server.js'", for messages. */
static void describe(const Context *c, const Task *t, char *buf, size_t size) {
        char * const *argv = c->process->argv;

        /* "node app.js" is named after its script, as the procfile wrote it. */
        if (is_entry(c, t))
                snprintf(buf, size, "entry '%s'", streq(argv[0], "node") && argv[1] ? argv[1] : argv[0]);
        else
                snprintf(buf, size, "service '%s'", t->name);
}

static void capitalize(char *buf) {
        if (buf[0] >= 'a' && buf[0] <= 'z')
                buf[0] -= 'a' - 'A';
}

/* Why a task failed: how its child ended, or the error its start or stop returned. */
static char *failure_reason(const Context *c, const Task *t) {
        ExecService *s = exec_service_from_task(t);
        char *text;

        if (s && s->listen_timed_out) {
                char addresses[512];

                context_listen_addresses(c, addresses, sizeof(addresses));
                if (asprintf(&text, "it did not listen on %s within %" PRIu64 " ms (ready = \"listening\"). A "
                             "program that does not bind() through the C library (statically linked) can't be "
                             "given the socket: have it take fd 3 (sd_listen_fds(3)) and set ready = \"started\" "
                             "or \"notify\"", addresses[0] ? addresses : "the unit's sockets",
                             s->listen_timeout_usec / 1000) < 0)
                        return NULL;
                return text;
        }
        if (s && s->exit_code != 0)
                return exec_service_describe_exit(s);
        if (s && t->error != -ETIME && asprintf(&text, "can't execute '%s': %s", s->path ?: s->argv[0],
                                                strerror(-t->error)) >= 0)
                return text;
        return strdup(strerror(t->error < 0 ? -t->error : EIO));
}

static void status_running(const Context *c, char *buf, size_t size) {
        bool entry = c->lifecycle.n_tasks > c->n_services;

        if (c->n_services == 0)
                snprintf(buf, size, "%s", entry ? "entry running" : "nothing to run");
        else
                snprintf(buf, size, "%zu service%s%s running", c->n_services, c->n_services == 1 ? "" : "s",
                         entry ? " and the entry" : "");
}

/* The service a task event names in PANDORA_SERVICE: NULL for the entry. */
static const char *event_service(const Context *c, const Task *t) {
        return is_entry(c, t) ? NULL : t->name;
}

static void report_start(Context *c, LifecycleEvent event, Task *t, const char *what, EventFields *f) {
        _cleanup_free_ char *reason = NULL;
        const char *service = event_service(c, t);

        switch (event) {
        case LIFECYCLE_TASK_STARTING:
                fields_add(f, PANDORA_MESSAGE_SERVICE_STARTING);
                log_event(LOG_INFO, service, f->list, "Starting %s (%zu/%zu)", what, t->index + 1, c->lifecycle.n_tasks);
                (void) sd_notifyf(false, "STATUS=starting %s (%zu/%zu)", t->name, t->index + 1, c->lifecycle.n_tasks);
                break;
        case LIFECYCLE_TASK_STARTED:
                fields_add(f, PANDORA_MESSAGE_SERVICE_STARTED);
                fields_add_duration(f, t->since, context_now(c));
                log_event(LOG_INFO, service, f->list, "Started %s", what);
                break;
        case LIFECYCLE_TASK_START_FAILED:
                reason = failure_reason(c, t);
                fields_add(f, PANDORA_MESSAGE_SERVICE_FAILED);
                fields_add_end(f, t);
                log_event(LOG_ERR, service, f->list, "%s failed to start: %s", what, reason ?: "out of memory");
                break;
        default:
                /* LIFECYCLE_TASK_DIED: a child that exited, or a module that reported a failure. */
                reason = failure_reason(c, t);
                fields_add(f, exec_service_from_task(t) ? PANDORA_MESSAGE_CHILD_EXITED : PANDORA_MESSAGE_SERVICE_FAILED);
                fields_add_end(f, t);
                log_event(LOG_ERR, service, f->list, "%s stopped on its own: %s", what, reason ?: "out of memory");
                break;
        }
}

static void report_stop(Context *c, LifecycleEvent event, Task *t, const char *what, EventFields *f) {
        _cleanup_free_ char *reason = NULL;
        const char *service = event_service(c, t);

        switch (event) {
        case LIFECYCLE_TASK_STOPPING:
                fields_add(f, PANDORA_MESSAGE_SERVICE_STOPPING);
                log_event(LOG_INFO, service, f->list, "Stopping %s", what);
                (void) sd_notifyf(false, "STATUS=stopping %s (%zu/%zu)", t->name, t->index + 1, c->lifecycle.n_tasks);
                break;
        case LIFECYCLE_TASK_STOP_TIMEOUT:
                fields_add(f, PANDORA_MESSAGE_STOP_TIMEOUT);
                log_event(LOG_WARNING, service, f->list, "%s did not stop within %" PRIu64 " ms, %s", what,
                          (t->stop_timeout_usec ?: c->lifecycle.stop_window_usec) / 1000,
                          module_service_from_task(t) ? "abandoning it" : "killing it");
                break;
        default:
                /* LIFECYCLE_TASK_STOPPED */
                fields_add(f, PANDORA_MESSAGE_SERVICE_STOPPED);
                fields_add_duration(f, t->since, context_now(c));
                fields_add_end(f, t);
                if (t->error == 0) {
                        log_event(LOG_INFO, service, f->list, "Stopped %s", what);
                        break;
                }
                reason = failure_reason(c, t);
                log_event(LOG_WARNING, service, f->list, "Stopped %s uncleanly: %s", what, reason ?: "out of memory");
                break;
        }
}

static void report_task(Context *c, LifecycleEvent event, Task *t) {
        EventFields f = {};
        char what[256];

        /* The service's name, or "entry": what the catalog's texts name, since the entry has no
         * PANDORA_SERVICE. */
        snprintf(f.task, sizeof(f.task), "PANDORA_TASK=%s", t->name);
        fields_add(&f, f.task);
        describe(c, t, what, sizeof(what));
        /* Messages that begin with the task name it capitalized: "Service 'cache' failed to start". */
        if (event == LIFECYCLE_TASK_START_FAILED || event == LIFECYCLE_TASK_DIED ||
            event == LIFECYCLE_TASK_STOP_TIMEOUT)
                capitalize(what);
        if (event == LIFECYCLE_TASK_STARTING || event == LIFECYCLE_TASK_STARTED ||
            event == LIFECYCLE_TASK_START_FAILED || event == LIFECYCLE_TASK_DIED)
                report_start(c, event, t, what, &f);
        else if (event == LIFECYCLE_TASK_STOPPING || event == LIFECYCLE_TASK_STOP_TIMEOUT ||
                 event == LIFECYCLE_TASK_STOPPED)
                report_stop(c, event, t, what, &f);
        else if (event == LIFECYCLE_TASK_FINISHED) {
                /* Work that ran to completion: a migration before the server, or a job's entry. */
                fields_add(&f, PANDORA_MESSAGE_TASK_FINISHED);
                fields_add_duration(&f, t->since, context_now(c));
                fields_add_end(&f, t);
                log_event(LOG_INFO, event_service(c, t), f.list, "Finished %s: exited with status 0", what);
        }
}

static void report_instance(Context *c, LifecycleEvent event, Task *t) {
        EventFields f = {};
        char text[256];

        switch (event) {
        case LIFECYCLE_READY:
                status_running(c, text, sizeof(text));
                fields_add(&f, PANDORA_MESSAGE_INSTANCE_READY);
                fields_add_duration(&f, c->lifecycle.start_begin, context_now(c));
                log_event(LOG_INFO, NULL, f.list, "Instance ready: %s", text);
                (void) sd_notifyf(false, "READY=1\nSTATUS=%s", text);
                break;
        case LIFECYCLE_STOPPING:
                /* A reload stopping the old generation: the instance itself goes on. */
                if (c->next && c->next_ready) {
                        log_info("Stopping the old generation");
                        break;
                }
                if (t) {
                        describe(c, t, text, sizeof(text));
                        log_notice("Stopping the instance because %s failed", text);
                } else
                        log_info("Stopping the instance");
                (void) sd_notify(false, "STOPPING=1\nSTATUS=stopping");
                break;
        case LIFECYCLE_DONE:
                if (context_reload_complete(c))
                        break;
                if (lifecycle_failed(&c->lifecycle))
                        log_error("Instance stopped after a failure");
                else
                        log_info("Instance stopped");
                (void) sd_event_exit(c->event, lifecycle_failed(&c->lifecycle) ? 1 : 0);
                break;
        default:
                break;
        }
}

void context_report_task_event(Context *c, LifecycleEvent event, Task *t) {
        report_task(c, event, t);
        context_metrics_on_event(c, event, t);
}

void context_on_lifecycle_event(Lifecycle *l _unused_, LifecycleEvent event, Task *t, void *userdata) {
        Context *c = userdata;

        if (event == LIFECYCLE_READY || event == LIFECYCLE_STOPPING || event == LIFECYCLE_DONE)
                report_instance(c, event, t);
        else
                report_task(c, event, t);
        context_metrics_on_event(c, event, t);
        context_arm_deadline(c);
}

void context_report_child_status(Context *c _unused_, const char *name, const char *status) {
        (void) sd_notifyf(false, "STATUS=%s: %s", name, status);
}
