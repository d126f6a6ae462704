/* SPDX-License-Identifier: MIT */

/* `pandora-gen --dev PROCFILE`, as a daemon is written (hostnamed): one DevContext and a run(). The
 * procfile is loaded with its dev overlay, its instances become transient units of the manager
 * (dev/lifecycle.c), and an sd-event loop shows the journal, watches files and waits for SIGINT/SIGTERM,
 * which stop everything again. This is an edge: it logs.
 *
 * cli/dev/ owns dev mode: this loop, the transient units (units.c, over cli/transient.c), the journal
 * follower and its lines (journal.c, format.c), the file watcher (watch.c) and the restart rounds
 * (lifecycle.c). It calls cli/manager.c for systemd and the generator's log; it never writes a unit
 * file or an installed procfile: everything it makes is transient and is gone when it returns. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/dev/context.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "generator/log.h"

static void dev_context_done(DevContext *c) {
        c->watch = dev_watch_free(c->watch);
        c->journal = dev_journal_free(c->journal);
        c->next_restart = sd_event_source_disable_unref(c->next_restart);
        /* The bus goes before the event loop it is attached to. */
        c->manager = manager_free(c->manager);
        c->event = sd_event_unref(c->event);
        c->created = strv_free(c->created);
        c->units = strv_free(c->units);
        c->style.processes = strv_free(c->style.processes);
        c->plan = dev_plan_free(c->plan);
        c->scope = mfree(c->scope);
        c->procfile = procfile_free(c->procfile);
}

static int load(DevContext *c, const char *path) {
        ProcfileOptions options = { .dev = true };
        _cleanup_(procfile_error_done) ProcfileError e = {};
        Procfile *p;
        int r;

        r = procfile_load(path, &options, &c->procfile, &e);
        if (r < 0) {
                log_procfile_error(&e, r);
                return r;
        }
        p = c->procfile;
        c->scope = strprintf("pandora-dev-%s-%d.scope", p->app, (int) getpid());
        if (!c->scope)
                return log_error_errno(-ENOMEM, "out of memory");
        r = dev_plan_build(p, &(DevPlanOptions) { .agent_path = c->options->agent_path, .lifetime = c->scope },
                           &c->plan);
        if (r >= 0)
                r = dev_plan_unit_names(c->plan, &c->units);
        for (size_t i = 0; r >= 0 && i < p->n_processes; i++)
                if (p->processes[i]->starts && p->processes[i]->scale > 0)
                        r = strv_extend(&c->style.processes, p->processes[i]->name);
        if (r < 0)
                return log_error_errno(r, "%s: %m", p->path);
        c->style.app = p->app;
        c->style.width = dev_prefix_width(p);
        c->style.colour = isatty(STDOUT_FILENO);
        return 0;
}

static int connect_manager(DevContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *which = c->options->user ? "the user's service manager" : "the system's service manager";
        int r;

        r = manager_open(c->options->user, &c->manager);
        if (r >= 0)
                r = manager_ping(c->manager, &error);
        if (r >= 0)
                return 0;
        log_error("dev mode runs the app under systemd, and %s can't be reached: %s", which,
                  error.message ?: strerror(-r));
        log_error("where systemd is not running (a container, a CI machine), run it in the project's "
                  "systemd sandbox: 'sudo tools/sandbox-shell.sh' opens a shell in one, with this build "
                  "installed");
        return r;
}

static int on_signal(sd_event_source *s _unused_, const struct signalfd_siginfo *si _unused_,
                     void *userdata) {
        DevContext *c = userdata;

        if (c->stopping)
                return 0;
        fprintf(stderr, "\npandora-gen: %s: stopping\n", c->procfile->app);
        return sd_event_exit(c->event, dev_stop(c));
}

/* Moves pandora-gen into a scope of its own, which every dev unit BindsTo=: however pandora-gen ends
 * (Ctrl-C, a closed terminal, a pipe to head, SIGKILL, a crash), its scope empties and systemd stops the
 * units with it. */
static int enter_scope(DevContext *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(transient_unit_freep) TransientUnit *u = transient_unit_new(c->scope);
        _cleanup_strv_free_ char **jobs = NULL, **failed = NULL;
        int r;

        if (!u)
                return log_error_errno(-ENOMEM, "out of memory");
        r = transient_unit_add_string(u, "Description", "pandora-gen --dev");
        if (r >= 0)
                r = transient_unit_add_pid(u, "PIDs", (uint32_t) getpid());
        if (r >= 0)
                r = manager_start_transient(c->manager, u, NULL, &jobs, &error);
        if (r >= 0)
                r = manager_wait_jobs(c->manager, jobs, &failed);
        if (r < 0)
                return log_error_errno(r, "can't run in a scope of its own (%s): %s", c->scope,
                                       error.message ?: strerror(-r));
        return 0;
}

static void on_change(const char *path, void *userdata) {
        DevContext *c = userdata;

        fprintf(stderr, "pandora-gen: '%s' changed: restarting %s one instance at a time\n", path,
                c->procfile->app);
        dev_restart(c);
}

static int setup_loop(DevContext *c) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(negative_errno(), "can't block signals: %m");
        r = sd_event_default(&c->event);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGINT, on_signal, c);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGTERM, on_signal, c);
        if (r >= 0)
                r = manager_attach_event(c->manager, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "can't set up the event loop: %m");
        return 0;
}

static void open_journal(DevContext *c) {
        DevJournalOptions o = {
                .style = &c->style,
                .units = c->units,
                .max_priority = c->options->max_priority,
                .out = stdout,
        };
        int r;

        r = dev_journal_open(c->event, &o, &c->journal);
        if (r < 0)
                log_error_errno(r, "can't read the journal: %m; the app's output won't show here "
                                "(journalctl -f PANDORA_APP=%s shows it), ignoring", c->procfile->app);
}

static int watch_files(DevContext *c) {
        int r;

        if (!c->procfile->watch)
                return 0;
        r = dev_watch_new(c->event, c->procfile->dir, c->procfile->watch, on_change, c, &c->watch);
        if (r < 0)
                log_error_errno(r, "%s: can't watch the files of 'watch': %m, ignoring", c->procfile->path);
        return 0;
}

int dev_run(const char *path, const DevOptions *o) {
        _cleanup_(dev_context_done) DevContext c = { .options = o };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = load(&c, path);
        if (r >= 0)
                r = connect_manager(&c);
        if (r >= 0)
                r = setup_loop(&c);
        if (r >= 0 && (r = manager_subscribe(c.manager, &error)) < 0)
                log_error("can't subscribe to the manager's signals: %s", error.message ?: strerror(-r));
        if (r >= 0)
                r = enter_scope(&c);
        if (r < 0)
                return r;
        /* Before the units start, so that their first lines show. */
        open_journal(&c);
        r = dev_start(&c);
        if (r >= 0)
                r = watch_files(&c);
        if (r >= 0)
                r = sd_event_loop(c.event);
        return r;
}
