/* SPDX-License-Identifier: MIT */

/* Reloading an instance without a gap: on RELOAD (control socket), the procfile is read again and the
 * process's tasks are started as a new generation beside the running one, in order and with their
 * readiness (listening, notify) as configured, while the old generation keeps serving; the shared
 * sockets never close. Once the new generation is ready, the old one is stopped in reverse within the
 * stop window and the new one takes its place. If the new generation fails to start or is not ready
 * within reload_timeout_ms, it is stopped and the old one runs on untouched: a reload never makes
 * things worse. A change that a handover can't apply (the unit itself: sockets, user, directory,
 * watchdog; the set of services; module services, which live in the agent) is answered RESTART, so
 * that the caller restarts the instance instead. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "agent/core/context.h"
#include "agent/lifecycle/exec-service.h"
#include "agent/log/ids.h"
#include "agent/log/log.h"
#include "common/strv.h"

static bool same_strv(char * const *a, char * const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static bool same_string(const char *a, const char *b) {
        return (!a && !b) || (a && b && streq(a, b));
}

/* Why new can't replace old by a handover, or NULL when it can. */
static const char *handover_obstacle(const Procfile *old_pf, const Process *old, const Procfile *new_pf,
                                     const Process *new) {
        if (!same_strv(old->listen, new->listen) || old->share_listen != new->share_listen)
                return "listen changed, which changes the unit's sockets";
        if (!same_string(old->user, new->user) || !same_string(old->group, new->group))
                return "user or group changed, which the unit sets";
        if (!same_string(old_pf->dir, new_pf->dir))
                return "dir changed, which the unit sets";
        if (old->watchdog_ms != new->watchdog_ms)
                return "watchdog_ms changed, which the unit sets";
        if (old->n_services != new->n_services || !old->argv != !new->argv)
                return "the process's services changed";
        for (size_t i = 0; i < new->n_services; i++) {
                const Service *a = old->services[i].service, *b = new->services[i].service;

                if (!streq(a->name, b->name))
                        return "the process's services changed";
                if (a->kind == SERVICE_MODULE || b->kind == SERVICE_MODULE)
                        return "module services run inside the agent and are reloaded by a restart";
        }
        return NULL;
}

static void reload_answer(Context *c, ControlAnswer answer, const char *text) {
        control_reply(c->reload_connection, answer, text);
        c->reload_connection = -1;
}

static void reload_log(Context *c, int priority, const char *message_id, const char *format, ...)
        _printf_(4, 5);
static void reload_log(Context *c, int priority, const char *message_id, const char *format, ...) {
        char generation[64], duration[64], text[1024];
        const char *fields[] = { message_id, generation, duration, NULL };
        va_list ap;

        snprintf(generation, sizeof(generation), "PANDORA_GENERATION=%u", c->generation + 1);
        snprintf(duration, sizeof(duration), "PANDORA_DURATION_USEC=%" PRIu64, context_now(c) - c->reload_begin);
        va_start(ap, format);
        vsnprintf(text, sizeof(text), format, ap);
        va_end(ap);
        log_event(priority, NULL, fields, "%s", text);
}

/* The new generation is given up: stop it; the old one runs on. */
static void reload_abort(Context *c, const char *why) {
        free(c->reload_error);
        c->reload_error = strdup(why);
        c->reload_timer = sd_event_source_disable_unref(c->reload_timer);
        lifecycle_stop(c->next);
}

static int on_reload_timeout(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        Context *c = userdata;
        char why[128];

        snprintf(why, sizeof(why), "the new generation was not ready within %" PRIu64 " ms (reload_timeout_ms)",
                 c->next_process->reload_timeout_ms);
        reload_abort(c, why);
        return 0;
}

/* The first task of the new generation that failed, described for the answer. */
static char *failed_task(const Lifecycle *l) {
        for (size_t i = 0; i < l->n_tasks; i++) {
                const Task *t = l->tasks[i];
                ExecService *s = exec_service_from_task(t);
                _cleanup_free_ char *exit = s && s->exit_code != 0 ? exec_service_describe_exit(s) : NULL;
                char *text;

                if (t->error == 0 || t->state != TASK_DEAD)
                        continue;
                if (asprintf(&text, "%s%s%s failed to start (%s); see journalctl MESSAGE_ID=%s",
                             s && !s->name ? "the entry" : "service '", s && !s->name ? "" : t->name,
                             s && !s->name ? "" : "'", exit ?: strerror(-t->error),
                             PANDORA_MESSAGE_SERVICE_FAILED + strlen("MESSAGE_ID=")) < 0)
                        return NULL;
                return text;
        }
        return NULL;
}

static void free_next(Context *c) {
        if (c->next) {
                lifecycle_done(c->next);
                c->next = mfree(c->next);
        }
        c->next_procfile = procfile_free(c->next_procfile);
        c->next_process = NULL;
        c->next_ready = false;
        if (c->next_drain_fd >= 0)
                close(c->next_drain_fd);
        c->next_drain_fd = -1;
        c->reload_error = mfree(c->reload_error);
        c->reload_timer = sd_event_source_disable_unref(c->reload_timer);
}

/* The new generation ended before the handover: report, keep the old one. */
static void reload_failed(Context *c) {
        _cleanup_free_ char *task = failed_task(c->next);
        char text[1024];

        snprintf(text, sizeof(text), "%s; the old generation keeps running", c->reload_error ?: task ?: "it failed");
        reload_log(c, LOG_ERR, PANDORA_MESSAGE_RELOAD_ABORTED, "Reload aborted: %s", text);
        metrics_add(&c->metrics, METRIC_RELOAD_FAILURES, 1);
        reload_answer(c, CONTROL_FAILED, text);
        (void) sd_notify(false, "READY=1\nSTATUS=reload failed, old generation running");
        free_next(c);
}

/* How long the old generation stops accepting before it is asked to stop: what it accepted just
 * before finishes, what comes now goes to the new generation, and no request is cut by the SIGTERM. */
#define DRAIN_USEC (200 * 1000ULL)

static int on_drained(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        Context *c = userdata;

        c->drain_timer = sd_event_source_disable_unref(c->drain_timer);
        lifecycle_stop(&c->lifecycle);
        return 0;
}

static void drain_then_stop(Context *c) {
        if (c->drain_fd < 0 ||
            sd_event_add_time_relative(c->event, &c->drain_timer, CLOCK_MONOTONIC, DRAIN_USEC, 1, on_drained, c) < 0) {
                lifecycle_stop(&c->lifecycle);
                return;
        }
        context_drain(c->drain_fd);
}

static void on_next_event(Lifecycle *l, LifecycleEvent event, Task *t, void *userdata) {
        Context *c = userdata;

        switch (event) {
        case LIFECYCLE_READY:
                c->next_ready = true;
                c->reload_timer = sd_event_source_disable_unref(c->reload_timer);
                reload_log(c, LOG_INFO, PANDORA_MESSAGE_RELOAD_READY,
                           "Reload: the new generation is ready, stopping the old one");
                drain_then_stop(c);
                break;
        case LIFECYCLE_STOPPING:
                if (!c->next_ready && !c->reload_error) {
                        _cleanup_free_ char *task = failed_task(l);

                        c->reload_error = task ? TAKE_PTR(task) : strdup("a task of the new generation failed");
                }
                break;
        case LIFECYCLE_DONE:
                if (!c->next_ready) {
                        reload_failed(c);
                        return;
                }
                /* It died after the handover began: the instance has nothing left to serve with. */
                c->reload_broken = true;
                break;
        default:
                context_report_task_event(c, event, t);
                break;
        }
        context_arm_deadline(c);
}

/* The old generation is gone: the new one becomes the instance's. Called from report.c at the old
 * lifecycle's LIFECYCLE_DONE while a reload runs. Returns true when the instance goes on. */
bool context_reload_complete(Context *c) {
        Lifecycle *next = c->next;
        char text[256];

        if (!next || !c->next_ready)
                return false;
        if (c->reload_broken || next->phase != LIFECYCLE_PHASE_RUNNING) {
                reload_answer(c, CONTROL_FAILED, "the new generation died during the handover");
                return false;
        }
        lifecycle_done(&c->lifecycle);
        c->lifecycle = *next;
        c->lifecycle.handler = context_on_lifecycle_event;
        for (size_t i = 0; i < c->lifecycle.n_tasks; i++)
                c->lifecycle.tasks[i]->lifecycle = &c->lifecycle;
        c->next = mfree(next);
        /* A memory restart ran the same model again: nothing to replace. */
        if (c->next_procfile) {
                procfile_free(c->procfile);
                c->procfile = TAKE_PTR(c->next_procfile);
        }
        c->process = c->next_process;
        c->next_process = NULL;
        c->next_ready = false;
        if (c->drain_fd >= 0)
                close(c->drain_fd);
        c->drain_fd = c->next_drain_fd;
        c->next_drain_fd = -1;
        c->generation++;
        metrics_add(&c->metrics, METRIC_RELOADS, 1);
        reload_log(c, LOG_INFO, PANDORA_MESSAGE_RELOADED, "Reloaded: generation %u runs, the old one stopped",
                   c->generation);
        snprintf(text, sizeof(text), "generation %u ready in %" PRIu64 " ms", c->generation,
                 (context_now(c) - c->reload_begin) / 1000);
        reload_answer(c, CONTROL_OK, text);
        (void) sd_notifyf(false, "READY=1\nSTATUS=reloaded (generation %u)", c->generation);
        return true;
}

/* Loads the procfile as it is now and checks that the handover can apply it. Answers and returns
 * false when not. */
static bool reload_prepare(Context *c, int connection) {
        const AgentOptions *o = c->options;
        ProcfileOptions options = { .dev = o->dev, .default_app = c->procfile->app };
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        const Process *process;
        const char *obstacle;
        int r;

        r = procfile_load(context_procfile_path(c), &options, &p, &e);
        if (r < 0) {
                _cleanup_free_ char *s = e.message ? procfile_error_to_string(&e) : NULL;

                control_reply(connection, CONTROL_FAILED, s ?: strerror(-r));
                return false;
        }
        process = procfile_find_process(p, o->process);
        if (!process || !process->starts) {
                control_reply(connection, CONTROL_RESTART, "the process no longer starts in the procfile");
                return false;
        }
        obstacle = handover_obstacle(c->procfile, c->process, p, process);
        if (obstacle) {
                control_reply(connection, CONTROL_RESTART, obstacle);
                return false;
        }
        c->next_procfile = TAKE_PTR(p);
        c->next_process = process;
        return true;
}

static void reload_start(Context *c, int connection);

static void on_request(ControlServer *s _unused_, int connection, const char *request, void *userdata) {
        Context *c = userdata;

        if (!streq(request, "RELOAD")) {
                control_reply(connection, CONTROL_FAILED, "unknown request");
                return;
        }
        if (c->next || c->reload_connection >= 0) {
                control_reply(connection, CONTROL_BUSY, "a reload of this instance is already running");
                return;
        }
        if (c->lifecycle.phase != LIFECYCLE_PHASE_RUNNING) {
                control_reply(connection, CONTROL_FAILED, "the instance is not running (starting or stopping)");
                return;
        }
        if (!reload_prepare(c, connection))
                return;
        reload_start(c, connection);
}

/* Starts the new generation of c->next_process (from c->next_procfile, or the running model when that
 * is NULL). connection: the caller to answer; -1: none (a memory restart). */
static void reload_start(Context *c, int connection) {
        const Procfile *pf = c->next_procfile ?: c->procfile;
        int r;

        c->reload_connection = connection;
        c->reload_begin = context_now(c);
        c->next = calloc(1, sizeof(Lifecycle));
        if (!c->next) {
                reload_answer(c, CONTROL_FAILED, "out of memory");
                free_next(c);
                return;
        }
        lifecycle_init(c->next, c->lifecycle.stop_window_usec, context_now, on_next_event, c);
        c->next_drain_fd = context_new_drain(c);
        r = context_add_tasks_to(c, c->next, pf, c->next_process);
        if (r >= 0)
                r = sd_event_add_time_relative(c->event, &c->reload_timer, CLOCK_MONOTONIC,
                                               c->next_process->reload_timeout_ms * 1000, 0, on_reload_timeout, c);
        if (r < 0) {
                reload_answer(c, CONTROL_FAILED, strerror(-r));
                free_next(c);
                return;
        }
        (void) sd_notify(false, "RELOADING=1\nSTATUS=reloading");
        reload_log(c, LOG_INFO, PANDORA_MESSAGE_RELOAD_STARTED, "Reloading: starting generation %u beside the running one",
                   c->generation + 1);
        lifecycle_start(c->next);
}

bool context_restart_gracefully(Context *c) {
        if (c->next || c->reload_connection >= 0 || c->lifecycle.phase != LIFECYCLE_PHASE_RUNNING)
                return false;
        c->next_process = c->process;
        reload_start(c, -1);
        return c->next != NULL;
}

int context_setup_control(Context *c) {
        const char *dir = getenv("RUNTIME_DIRECTORY");
        int r;

        c->reload_connection = -1;
        c->control.fd = -1;
        /* Only units of pandora-gen have a private directory for it; elsewhere nothing can reload. */
        if (!dir || strchr(dir, ':'))
                return 0;
        r = control_server_open(&c->control, c->event, dir, on_request, c);
        if (r < 0)
                log_warning("Can't open the control socket in %s: %s; the instance can't be reloaded", dir,
                            strerror(-r));
        return 0;
}

void context_reload_done(Context *c) {
        if (c->reload_connection >= 0)
                reload_answer(c, CONTROL_FAILED, "the instance stopped");
        free_next(c);
        control_server_done(&c->control);
}
