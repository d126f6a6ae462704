/* SPDX-License-Identifier: MIT */

/* What the agent says about its lifecycle: one journal entry per event, naming the service, and the
 * notifications systemd acts on (READY=1, STOPPING=1) with a STATUS= line saying what is happening,
 * which `systemctl status` shows: "starting cache (2/4)", "4 services running". */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "context.h"
#include "exec-service.h"
#include "log.h"
#include "module-service.h"

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
static char *failure_reason(const Task *t) {
        ExecService *s = exec_service_from_task(t);
        char *text;

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

static void report_task(Context *c, LifecycleEvent event, Task *t) {
        _cleanup_free_ char *reason = NULL;
        char what[256];

        describe(c, t, what, sizeof(what));
        switch (event) {
        case LIFECYCLE_TASK_STARTING:
                log_info("Starting %s (%zu/%zu)", what, t->index + 1, c->lifecycle.n_tasks);
                (void) sd_notifyf(false, "STATUS=starting %s (%zu/%zu)", t->name, t->index + 1, c->lifecycle.n_tasks);
                break;
        case LIFECYCLE_TASK_STARTED:
                log_info("Started %s", what);
                break;
        case LIFECYCLE_TASK_START_FAILED:
                reason = failure_reason(t);
                capitalize(what);
                log_error("%s failed to start: %s", what, reason ?: "out of memory");
                break;
        case LIFECYCLE_TASK_DIED:
                reason = failure_reason(t);
                capitalize(what);
                log_error("%s stopped on its own: %s", what, reason ?: "out of memory");
                break;
        case LIFECYCLE_TASK_STOPPING:
                log_info("Stopping %s", what);
                (void) sd_notifyf(false, "STATUS=stopping %s (%zu/%zu)", t->name, t->index + 1, c->lifecycle.n_tasks);
                break;
        case LIFECYCLE_TASK_STOP_TIMEOUT:
                capitalize(what);
                log_warning("%s did not stop within %" PRIu64 " ms, %s", what,
                            (t->stop_timeout_usec ?: c->lifecycle.stop_window_usec) / 1000,
                            module_service_from_task(t) ? "abandoning it" : "killing it");
                break;
        case LIFECYCLE_TASK_STOPPED:
                if (t->error == 0) {
                        log_info("Stopped %s", what);
                        break;
                }
                reason = failure_reason(t);
                log_warning("Stopped %s uncleanly: %s", what, reason ?: "out of memory");
                break;
        default:
                break;
        }
}

static void report_instance(Context *c, LifecycleEvent event, Task *t) {
        char text[256];

        switch (event) {
        case LIFECYCLE_READY:
                status_running(c, text, sizeof(text));
                log_info("Instance ready: %s", text);
                (void) sd_notifyf(false, "READY=1\nSTATUS=%s", text);
                break;
        case LIFECYCLE_STOPPING:
                if (t) {
                        describe(c, t, text, sizeof(text));
                        log_notice("Stopping the instance because %s failed", text);
                } else
                        log_info("Stopping the instance");
                (void) sd_notify(false, "STOPPING=1\nSTATUS=stopping");
                break;
        case LIFECYCLE_DONE:
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

void context_on_lifecycle_event(Lifecycle *l _unused_, LifecycleEvent event, Task *t, void *userdata) {
        Context *c = userdata;

        if (event == LIFECYCLE_READY || event == LIFECYCLE_STOPPING || event == LIFECYCLE_DONE)
                report_instance(c, event, t);
        else
                report_task(c, event, t);
        context_arm_deadline(c);
}

void context_report_child_status(Context *c _unused_, const char *name, const char *status) {
        (void) sd_notifyf(false, "STATUS=%s: %s", name, status);
}
