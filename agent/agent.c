/* SPDX-License-Identifier: MIT */

/* The agent as a daemon, shaped like systemd's hostnamed: one Context, set up step by step, then the
 * sd-event loop until the lifecycle is done. SIGTERM and SIGINT stop the instance through the loop;
 * children report on the agent's notification socket; a timer fires at the stop deadline of the
 * service being stopped; another pings systemd's watchdog while every child that pings its own does. */

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "context.h"
#include "drift.h"
#include "exec-service.h"
#include "log.h"
#include "strv.h"

extern char **environ;

uint64_t context_now(void *userdata) {
        Context *c = userdata;
        struct timespec ts;
        uint64_t t;

        if (c->event && sd_event_now(c->event, CLOCK_MONOTONIC, &t) >= 0)
                return t;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void context_done(Context *c) {
        context_metrics_done(c);
        lifecycle_done(&c->lifecycle);
        notify_server_done(&c->notify);
        c->deadline_timer = sd_event_source_disable_unref(c->deadline_timer);
        c->watchdog_timer = sd_event_source_disable_unref(c->watchdog_timer);
        c->event = sd_event_unref(c->event);
        c->procfile = procfile_free(c->procfile);
        free(c->listen_fds);
        strv_free(c->listen_fd_names);
        free(c->listen_fd_names_joined);
        log_set_counters(NULL);
        log_reset_identity();
}

static int context_load(Context *c) {
        const AgentOptions *o = c->options;
        ProcfileOptions options = { .dev = o->dev, .default_app = getenv("PANDORA_APP") };
        _cleanup_(procfile_error_done) ProcfileError e = {};
        int r;

        r = procfile_load(o->procfile, &options, &c->procfile, &e);
        if (r < 0) {
                _cleanup_free_ char *s = e.message ? procfile_error_to_string(&e) : NULL;

                log_error("%s", s ?: strerror(-r));
                return r;
        }
        log_set_identity(c->procfile->app, o->process, o->instance);
        c->process = procfile_find_process(c->procfile, o->process);
        if (!c->process || !c->process->starts) {
                log_error("%s: %s '%s'", c->procfile->path,
                          c->process ? "nothing starts process" : "no such process", o->process);
                return -ESRCH;
        }
        return 0;
}

/* The sockets of the unit's Sockets=, which every child gets again at 3 and up. */
static int context_take_listen_fds(Context *c) {
        int n;

        /* Unsets LISTEN_*: children get their own, naming them. */
        n = sd_listen_fds_with_names(true, &c->listen_fd_names);
        if (n <= 0)
                return n;
        c->listen_fds = calloc(n, sizeof(int));
        if (!c->listen_fds)
                return -ENOMEM;
        for (int i = 0; i < n; i++)
                c->listen_fds[i] = SD_LISTEN_FDS_START + i;
        c->n_listen_fds = n;
        STRV_FOREACH(name, c->listen_fd_names) {
                char *joined;

                if (asprintf(&joined, "%s%s%s", c->listen_fd_names_joined ?: "",
                             c->listen_fd_names_joined ? ":" : "", *name) < 0)
                        return -ENOMEM;
                free(c->listen_fd_names_joined);
                c->listen_fd_names_joined = joined;
        }
        return 0;
}

static void context_check_drift(Context *c) {
        DriftInput in = { .env = environ, .n_listen_fds = c->n_listen_fds, .watchdog_usec = c->watchdog_usec };
        _cleanup_free_ char *difference = NULL;

        /* Only a unit pandora-gen wrote has something to compare with. */
        if (!getenv("PANDORA_INSTANCE") || drift_check(c->process, &in, &difference) < 0 || !difference)
                return;
        log_warning("%s changed since the units were generated (%s); run 'systemctl daemon-reload' and "
                    "restart %s.target to apply all of it", c->procfile->path, difference, c->procfile->app);
}

static int on_signal(sd_event_source *s _unused_, const struct signalfd_siginfo *si _unused_, void *userdata) {
        Context *c = userdata;

        lifecycle_stop(&c->lifecycle);
        return 0;
}

static int on_deadline(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        Context *c = userdata;

        lifecycle_handle_deadline(&c->lifecycle);
        context_arm_deadline(c);
        return 0;
}

void context_arm_deadline(Context *c) {
        uint64_t deadline = lifecycle_next_deadline(&c->lifecycle);

        if (!c->deadline_timer)
                return;
        if (deadline == UINT64_MAX) {
                (void) sd_event_source_set_enabled(c->deadline_timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(c->deadline_timer, deadline);
        (void) sd_event_source_set_enabled(c->deadline_timer, SD_EVENT_ONESHOT);
}

/* Routes a child's notification to the exec task it comes from; others are ignored, as systemd ignores
 * processes that NotifyAccess= does not allow. */
static void on_child_notify(pid_t sender, const NotifyMessage *m, void *userdata) {
        Context *c = userdata;

        for (size_t i = 0; i < c->lifecycle.n_tasks; i++) {
                ExecService *s = exec_service_from_task(c->lifecycle.tasks[i]);

                if (!s || !exec_service_owns_sender(s, sender))
                        continue;
                if (exec_service_handle_notify(s, m, context_now(c)))
                        context_report_child_status(c, c->lifecycle.tasks[i]->name, s->status);
                if (m->watchdog_trigger)
                        (void) sd_notify(false, "WATCHDOG=trigger");
                return;
        }
}

/* The first child found whose last WATCHDOG=1 is older than the watchdog interval, or NULL. */
static const Task *lapsed_child(Context *c, uint64_t now) {
        for (size_t i = 0; i < c->lifecycle.n_tasks; i++) {
                const Task *t = c->lifecycle.tasks[i];
                ExecService *s = exec_service_from_task(t);

                if (s && s->pid > 0 && s->watchdog_last > 0 && now - s->watchdog_last > c->watchdog_usec)
                        return t;
        }
        return NULL;
}

static int on_watchdog(sd_event_source *source, uint64_t usec _unused_, void *userdata) {
        Context *c = userdata;
        const Task *t = c->watchdog_lapsed ? NULL : lapsed_child(c, context_now(c));

        if (t) {
                /* Stop pinging: systemd's watchdog then fires for the unit and its Restart= applies. */
                log_error("Service '%s' sent no WATCHDOG=1 for more than %" PRIu64 " ms, letting the instance's "
                          "watchdog expire", t->name, c->watchdog_usec / 1000);
                c->watchdog_lapsed = true;
        }
        if (!c->watchdog_lapsed)
                (void) sd_notify(false, "WATCHDOG=1");
        return sd_event_source_set_time_relative(source, c->watchdog_usec / 2);
}

static int context_setup_event(Context *c) {
        sigset_t mask;
        int r;

        /* sd-event takes signals and child exits from signalfd and pidfds: block them for that. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return negative_errno();
        r = sd_event_default(&c->event);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGTERM, on_signal, c);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGINT, on_signal, c);
        if (r >= 0)
                r = sd_event_add_time(c->event, &c->deadline_timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_deadline, c);
        if (r >= 0)
                r = notify_server_open(&c->notify, c->event, on_child_notify, c);
        if (r >= 0 && sd_watchdog_enabled(false, &c->watchdog_usec) > 0)
                r = sd_event_add_time_relative(c->event, &c->watchdog_timer, CLOCK_MONOTONIC,
                                               c->watchdog_usec / 2, 0, on_watchdog, c);
        if (r >= 0 && c->watchdog_timer)
                r = sd_event_source_set_enabled(c->watchdog_timer, SD_EVENT_ON);
        return r;
}

/* How long stopping may take in all: the unit's TimeoutStopSec= (the process's stop_timeout_ms), less
 * a tenth of it, at most a second, kept for the agent to finish before systemd's SIGKILL. */
static uint64_t stop_window_usec(const Process *p) {
        uint64_t window = p->stop_timeout_ms * 1000, margin = window / 10;

        return window - (margin < 1000000 ? margin : 1000000);
}

static int context_setup(Context *c) {
        int r;

        r = context_setup_event(c);
        if (r < 0) {
                log_error("Can't set up the event loop: %s", strerror(-r));
                return r;
        }
        r = context_take_listen_fds(c);
        if (r < 0) {
                log_error("Can't take the unit's sockets: %s", strerror(-r));
                return r;
        }
        context_check_drift(c);
        lifecycle_init(&c->lifecycle, stop_window_usec(c->process), context_now, context_on_lifecycle_event, c);
        return 0;
}

/* Tells systemd why the instance could not even begin, for `systemctl status`. */
static int fail_early(int status, int error) {
        (void) sd_notifyf(false, "STATUS=Failed to set up: %s\nERRNO=%d", strerror(-error), -error);
        return status;
}

int agent_run(const AgentOptions *o) {
        _cleanup_(context_done) Context c = { .options = o, .notify.fd = -1 };
        int r;

        log_set_identity(getenv("PANDORA_APP"), o->process, o->instance);
        log_set_counters(&c.log_counters);
        r = context_load(&c);
        if (r < 0)
                return fail_early(AGENT_EXIT_CONFIG, r);
        r = context_setup(&c);
        if (r >= 0)
                r = context_setup_metrics(&c);
        if (r < 0)
                return fail_early(AGENT_EXIT_FAILURE, r);
        r = context_add_tasks(&c);
        if (r < 0)
                return fail_early(r == -ENOMEM ? AGENT_EXIT_FAILURE : AGENT_EXIT_CONFIG, r);
        context_connect_bus(&c);
        lifecycle_start(&c.lifecycle);
        r = sd_event_loop(c.event);
        if (r < 0) {
                log_error("Event loop failed: %s", strerror(-r));
                return AGENT_EXIT_FAILURE;
        }
        return r == 0 ? AGENT_EXIT_SUCCESS : AGENT_EXIT_FAILURE;
}
