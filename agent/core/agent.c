/* SPDX-License-Identifier: MIT */

/* The agent's core (agent/core/): the daemon, shaped like systemd's hostnamed: one Context, set up step
 * by step, then the sd-event loop until the lifecycle is done. SIGTERM and SIGINT stop the instance
 * through the loop; children report on the agent's notification socket; the stop deadline and the
 * watchdog are timers.c's. The core owns the Context and is the only part that knows every subsystem:
 * it may call lifecycle/, log/, metrics/ and bus/, and none of them calls back into it except through
 * the callbacks it registers (the lifecycle's event handler and clock, the notify server's handler). */

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "agent/core/context.h"
#include "agent/core/drift.h"
#include "agent/lifecycle/exec-service.h"
#include "agent/log/log.h"
#include "common/path-util.h"
#include "common/strv.h"

extern char **environ;

static void context_done(Context *c) {
        context_metrics_done(c);
        lifecycle_done(&c->lifecycle);
        notify_server_done(&c->notify);
        listen_share_done(&c->listen_share);
        c->drain_timer = sd_event_source_disable_unref(c->drain_timer);
        if (c->drain_fd >= 0)
                close(c->drain_fd);
        context_reload_done(c);
        c->deadline_timer = sd_event_source_disable_unref(c->deadline_timer);
        c->watchdog_timer = sd_event_source_disable_unref(c->watchdog_timer);
        if (c->event)
                log_detach_event();
        c->event = sd_event_unref(c->event);
        c->procfile = procfile_free(c->procfile);
        free(c->listen_fds);
        free(c->credential_procfile);
        strv_free(c->listen_fd_names);
        free(c->listen_fd_names_joined);
        log_set_counters(NULL);
        log_reset_identity();
}

const char *context_procfile_path(Context *c) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");

        /* The installed copy where this user can read it; else the credential systemd made of it when
         * the unit started (LoadCredential=procfile:), which a reload then reads as it was then. */
        if (access(c->options->procfile, R_OK) >= 0 || !dir)
                return c->options->procfile;
        free(c->credential_procfile);
        c->credential_procfile = path_join_absolute(dir, "procfile");
        if (!c->credential_procfile || access(c->credential_procfile, R_OK) < 0)
                return c->options->procfile;
        return c->credential_procfile;
}

static int context_load(Context *c) {
        const AgentOptions *o = c->options;
        ProcfileOptions options = { .dev = o->dev, .default_app = getenv("PANDORA_APP") };
        _cleanup_(procfile_error_done) ProcfileError e = {};
        int r;

        r = procfile_load(context_procfile_path(c), &options, &c->procfile, &e);
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

/* Routes a child's notification to the exec task it comes from; others are ignored, as systemd ignores
 * processes that NotifyAccess= does not allow. */
static void on_child_notify(pid_t sender, const NotifyMessage *m, void *userdata) {
        Context *c = userdata;

        /* The running generation's children, and a reload's new ones. */
        for (Lifecycle *l = &c->lifecycle; l; l = l == &c->lifecycle ? c->next : NULL)
                for (size_t i = 0; i < l->n_tasks; i++) {
                        ExecService *s = exec_service_from_task(l->tasks[i]);

                        if (!s || !exec_service_owns_sender(s, sender))
                                continue;
                        if (exec_service_handle_notify(s, m, context_now(c)))
                                context_report_child_status(c, l->tasks[i]->name, s->status);
                        if (m->watchdog_trigger)
                                (void) sd_notify(false, "WATCHDOG=trigger");
                        return;
                }
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
        /* The log queues on the loop instead of blocking it while journald is slow or stopped. */
        if (r >= 0)
                r = log_attach_event(c->event);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGTERM, on_signal, c);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGINT, on_signal, c);
        if (r >= 0)
                r = context_setup_timers(c);
        if (r >= 0)
                r = notify_server_open(&c->notify, c->event, on_child_notify, c);
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
        r = context_setup_listen(c);
        if (r >= 0)
                c->drain_fd = context_new_drain(c);
        if (r >= 0)
                r = context_setup_control(c);
        if (r < 0)
                return r;
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
        _cleanup_(context_done) Context c = { .options = o, .notify.fd = -1, .listen_share.fd = -1, .control.fd = -1, .generation = 1,
                                      .drain_fd = -1, .next_drain_fd = -1,
                                      .reload_connection = -1 };
        int r;

        log_set_identity(getenv("PANDORA_APP"), o->process, o->instance);
        log_set_counters(&c.log_counters);
        r = context_load(&c);
        if (r < 0)
                return fail_early(AGENT_EXIT_CONFIG, r);
        r = context_setup(&c);
        if (r >= 0)
                r = context_setup_metrics(&c);
        if (r >= 0)
                context_setup_memory_restart(&c);
        if (r < 0)
                return fail_early(AGENT_EXIT_FAILURE, r);
        r = context_add_tasks(&c);
        if (r < 0)
                return fail_early(r == -ENOMEM ? AGENT_EXIT_FAILURE : AGENT_EXIT_CONFIG, r);
        /* The children first: nothing on the way to READY=1 needs the bus (issue 20), and the
         * connection (find the unit, connect, Hello, objects, the name) costs a millisecond or two
         * per instance. Events before it are kept in the model and published with it. */
        lifecycle_start(&c.lifecycle);
        context_connect_bus(&c);
        r = sd_event_loop(c.event);
        if (r < 0) {
                log_error("Event loop failed: %s", strerror(-r));
                return AGENT_EXIT_FAILURE;
        }
        return r == 0 ? AGENT_EXIT_SUCCESS : AGENT_EXIT_FAILURE;
}
