/* SPDX-License-Identifier: MIT */

/* The units of a dev run over their life: created and started (each listening instance's socket first,
 * with its service alongside), restarted one instance at a time when watched files change (RestartUnit of a
 * Type=notify service finishes once the new instance is ready, so the next one waits for it), and stopped,
 * summed up and let go on SIGINT/SIGTERM. Start and restart jobs are watched from the event loop, so that
 * the journal keeps flowing and a signal is handled while they run; stopping waits, since nothing else is
 * left to do. */

#include <stdio.h>
#include <string.h>

#include "cli/dev/context.h"
#include "common/strv.h"
#include "generator/log.h"

#define NO_SUCH_UNIT "org.freedesktop.systemd1.NoSuchUnit"
/* journald may still be writing the last lines of the stopped units. */
#define FINAL_LINES_WAIT_USEC (300 * 1000ULL)

static const char *bus_error_text(const sd_bus_error *error, int r) {
        return error->message ?: strerror(-r);
}

static void on_started(const char *unit, const char *result, void *userdata) {
        DevContext *c = userdata;

        c->pending_starts--;
        if (c->stopping)
                return;
        if (!streq(result, "done")) {
                c->failed_starts++;
                log_error("%s did not start (%s): the lines above say why", unit, result);
        }
        if (c->pending_starts == 0)
                fprintf(stderr, "pandora-gen: %s: %zu of %zu instances started; Ctrl-C stops them\n",
                        c->procfile->app, c->plan->n_instances - c->failed_starts, c->plan->n_instances);
}

/* Creates one instance's units: a listening instance's socket, with its service created alongside and
 * started once the socket is (After=), else the service alone. Appends their start jobs to *jobs. */
static int create_instance(DevContext *c, const DevInstance *d, char ***jobs) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const TransientUnit *first = d->socket ?: d->service;
        int r;

        r = manager_start_transient(c->manager, first, d->socket ? d->service : NULL, jobs, &error);
        if (r < 0) {
                log_error("can't create %s: %s", first->name, bus_error_text(&error, r));
                if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.UnitExists"))
                        log_error("a unit of that name is loaded already, from an installed app or an "
                                  "earlier dev run that was killed: stop it with 'systemctl%s stop %s'",
                                  c->options->user ? " --user" : "", first->name);
                return r;
        }
        if (strv_extend(&c->created, d->service->name) < 0 ||
            (d->socket && strv_extend(&c->created, d->socket->name) < 0))
                return log_error_errno(-ENOMEM, "%m");
        if (!d->socket)
                return 0;
        r = manager_enqueue_job(c->manager, "StartUnit", d->service->name, jobs, &error);
        if (r < 0)
                log_error("can't start %s: %s", d->service->name, bus_error_text(&error, r));
        return r;
}

int dev_start(DevContext *c) {
        _cleanup_strv_free_ char **jobs = NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < c->plan->n_instances; i++)
                r = create_instance(c, &c->plan->instances[i], &jobs);
        STRV_FOREACH(job, jobs)
                if (r >= 0) {
                        r = manager_watch_job(c->manager, *job, on_started, c);
                        c->pending_starts += r >= 0;
                }
        if (r < 0) {
                (void) dev_stop(c);
                return r;
        }
        return 0;
}

static void on_restarted(const char *unit, const char *result, void *userdata) {
        DevContext *c = userdata;

        if (c->stopping)
                return;
        if (!streq(result, "done"))
                log_error("%s did not restart (%s): the lines above say why, ignoring", unit, result);
        c->restart_next++;
        /* Not from inside the bus's dispatch, which this callback runs in: from the loop. */
        if (sd_event_source_set_enabled(c->next_restart, SD_EVENT_ONESHOT) < 0)
                log_error("can't go on restarting, ignoring");
}

/* Enqueues the restart of the next instance, skipping those that can't be restarted; ends the round after
 * the last one, and begins another when something changed meanwhile. */
static void restart_next(DevContext *c) {
        while (c->restart_next < c->plan->n_instances) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_strv_free_ char **jobs = NULL;
                const char *unit = c->plan->instances[c->restart_next].service->name;
                int r;

                r = manager_enqueue_job(c->manager, "RestartUnit", unit, &jobs, &error);
                if (r >= 0)
                        r = manager_watch_job(c->manager, jobs[0], on_restarted, c);
                if (r >= 0)
                        return;
                log_error("can't restart %s: %s, ignoring", unit, bus_error_text(&error, r));
                c->restart_next++;
        }
        c->restarting = false;
        fprintf(stderr, "pandora-gen: %s: every instance restarted\n", c->procfile->app);
        if (c->restart_again) {
                c->restart_again = false;
                dev_restart(c);
        }
}

static int on_next_restart(sd_event_source *s _unused_, void *userdata) {
        restart_next(userdata);
        return 0;
}

void dev_restart(DevContext *c) {
        int r;

        if (c->stopping)
                return;
        if (c->restarting) {
                c->restart_again = true;
                return;
        }
        if (!c->next_restart) {
                r = sd_event_add_defer(c->event, &c->next_restart, on_next_restart, c);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->next_restart, SD_EVENT_OFF);
                if (r < 0) {
                        log_error_errno(r, "can't restart: %m, ignoring");
                        return;
                }
        }
        c->restarting = true;
        c->restart_next = 0;
        restart_next(c);
}

/* Enqueues a stop job for every unit created; a unit that is gone already is fine. */
static int enqueue_stops(DevContext *c, char ***jobs) {
        STRV_FOREACH(unit, c->created) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                int r;

                r = manager_enqueue_job(c->manager, "StopUnit", *unit, jobs, &error);
                if (r < 0 && !sd_bus_error_has_name(&error, NO_SUCH_UNIT)) {
                        log_error("can't stop %s: %s", *unit, bus_error_text(&error, r));
                        return r;
                }
        }
        return 0;
}

static void print_summaries(DevContext *c) {
        for (size_t i = 0; i < c->plan->n_instances; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(manager_service_exit_done) ManagerServiceExit e = {};
                const DevInstance *d = &c->plan->instances[i];
                _cleanup_free_ char *who = NULL, *line = NULL;

                if (!strv_find(c->created, d->service->name))
                        continue;
                if (asprintf(&who, "%s.%u", d->process->name, d->instance) < 0)
                        return;
                if (manager_service_exit(c->manager, d->service->name, &e, &error) < 0) {
                        printf("%s: unknown (%s)\n", who, bus_error_text(&error, -EIO));
                        continue;
                }
                line = dev_summary(who, e.code, e.status, e.result, e.restarts);
                if (line)
                        puts(line);
        }
        fflush(stdout);
}

int dev_stop(DevContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **jobs = NULL, **failed = NULL;
        int r;

        c->stopping = true;
        c->watch = dev_watch_free(c->watch);
        r = manager_subscribe(c->manager, &error);
        if (r >= 0)
                r = enqueue_stops(c, &jobs);
        if (r >= 0)
                r = manager_wait_jobs(c->manager, jobs, &failed);
        if (r == -EIO) {
                STRV_FOREACH(f, failed)
                        log_error("stopping %s failed", *f);
        } else if (r < 0)
                log_error_errno(r, "can't stop the units: %m");
        if (c->journal)
                (void) dev_journal_flush(c->journal, FINAL_LINES_WAIT_USEC);
        print_summaries(c);
        /* Failed units stay loaded until their failure is reset; then nothing keeps them but our refs. */
        STRV_FOREACH(unit, c->created) {
                (void) manager_call_unit(c->manager, "ResetFailedUnit", *unit, NULL);
                (void) manager_call_unit(c->manager, "UnrefUnit", *unit, NULL);
        }
        return r;
}
