/* SPDX-License-Identifier: MIT */

/* The rolling reload of an installed app. For each instance that runs, in the procfile's start order
 * and one at a time, the instance's agent is asked over its control socket (common/control.h) to
 * start a new generation of its children beside the running one and to stop the old one once the new
 * one is ready: the unit's sockets stay open, so nothing is refused. An agent that answers RESTART
 * (the change touches the unit itself) has its instance restarted instead, and the next instance
 * waits until that one is ready again. The first failure ends the reload: that instance's old
 * generation is still running, the ones before it run the new one, and the exit status says so. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/manager.h"
#include "cli/reload.h"
#include "common/control.h"
#include "common/path-util.h"
#include "common/procfile/procfile.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "generator/log.h"
#include "generator/search-path.h"

/* Headroom over the agent's own deadlines: the new generation's reload_timeout_ms, then the old one's
 * stop window. */
#define ANSWER_MARGIN_USEC (10 * 1000000ULL)

typedef struct Reload {
        const char *app;
        const ReloadOptions *options;
        Manager *manager;
        char **done;                    /* "web@1", ... that run the new generation */
        unsigned restarted;
        bool said_restart;
} Reload;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* The control socket of the instance, in its $RUNTIME_DIRECTORY. NULL: out of memory, or no
 * $XDG_RUNTIME_DIR for --user. */
static char *control_path(const Reload *r, const char *process, unsigned instance) {
        _cleanup_free_ char *unit = strprintf("%s-%s@%u", r->app, process, instance);
        char *path = NULL;

        if (!unit || agent_runtime_path(r->options->user, unit, CONTROL_SOCKET_NAME, &path) < 0)
                return NULL;
        return path;
}

static int restart_instance(Reload *r, const char *unit, const char *name) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **failed = NULL;
        int k;

        /* A restart job of a Type=notify unit finishes when the new instance is ready. */
        k = manager_run_jobs(r->manager, "RestartUnit", (char *[]) { (char *) unit, NULL }, &failed, &error);
        if (k == -EIO)
                return log_error_errno(k, "%s: the restart failed (%s); see journalctl -u %s", name,
                                       failed && failed[0] ? failed[0] : "failed", unit);
        if (k < 0)
                return log_error_errno(k, "%s: can't restart: %s", name, error.message ?: strerror(-k));
        r->restarted++;
        return 0;
}

static int reload_instance(Reload *r, const Process *p, unsigned instance) {
        _cleanup_free_ char *unit = NULL, *name = NULL, *path = NULL, *reply = NULL, *state = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t begin = now_usec(), timeout;
        ControlAnswer answer;
        const char *text;
        int k;

        if (asprintf(&unit, "%s-%s@%u.service", r->app, p->name, instance) < 0 ||
            asprintf(&name, "%s@%u", p->name, instance) < 0)
                return log_error_errno(-ENOMEM, "out of memory");
        k = manager_active_state(r->manager, unit, &state, &error);
        if (k < 0)
                return log_error_errno(k, "%s: %s", unit, error.message ?: strerror(-k));
        if (streq(state, "reloading"))
                return log_error_errno(-EBUSY, "%s: a reload of this instance is already running", name);
        if (!streq(state, "active")) {
                printf("%s %s, skipped\n", name, state);
                return 0;
        }
        path = control_path(r, p->name, instance);
        if (!path)
                return log_error_errno(-ENOMEM, "out of memory");
        timeout = (p->reload_timeout_ms + p->stop_timeout_ms) * 1000 + ANSWER_MARGIN_USEC;
        k = control_call(path, "RELOAD", timeout, &reply);
        if (k < 0) {
                /* An agent without a control socket (started before it had one): restart it. */
                printf("%s can't be asked (%s), restarting it\n", name, strerror(-k));
                k = restart_instance(r, unit, name);
                goto finish;
        }
        if (control_answer_parse(reply, &answer, &text) < 0)
                return log_error_errno(-EBADMSG, "%s: unexpected answer '%s'", name, reply);
        switch (answer) {
        case CONTROL_OK:
                k = 0;
                break;
        case CONTROL_RESTART:
                if (!r->said_restart)
                        printf("%s: %s, which a handover can't apply: restarting instances one at a time\n",
                               p->name, text);
                r->said_restart = true;
                k = restart_instance(r, unit, name);
                break;
        default:
                return log_error_errno(-EIO, "%s: reload %s: %s", name,
                                       answer == CONTROL_BUSY ? "refused" : "failed", text);
        }
finish:
        if (k < 0)
                return k;
        printf("%s ready (%.1f s)\n", name, (now_usec() - begin) / 1e6);
        fflush(stdout);
        return strv_consume(&r->done, TAKE_PTR(name));
}

static bool selected(const Reload *r, const Process *p) {
        char * const *only = r->options->processes;

        return !only || !only[0] || strv_find(only, p->name);
}

/* Refuses a process name the app does not have, before anything is reloaded. */
static int check_processes(const Reload *r, const Procfile *pf) {
        char * const *only = r->options->processes;

        for (size_t i = 0; only && only[i]; i++) {
                const Process *p = procfile_find_process(pf, only[i]);

                if (!p || !p->starts)
                        return log_error_errno(-EINVAL, "app '%s' has no process '%s' that starts", r->app, only[i]);
        }
        return 0;
}

static int load_installed(const char *app, bool user, Procfile **ret) {
        _cleanup_(search_path_done) SearchPath sp = {};
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_free_ char *path = NULL;
        ProcfileOptions options = { .default_app = app };
        int k;

        k = search_path_init(&sp, user);
        if (k < 0)
                return log_error_errno(k, "no procfile directories: %m");
        k = search_path_find(&sp, app, &path);
        if (k < 0)
                return log_error_errno(k, "can't look for app '%s': %m", app);
        if (k == 0)
                return log_error_errno(-ENOENT, "app '%s' is not installed (see pandora-gen --help)", app);
        k = procfile_load(path, &options, ret, &e);
        if (k < 0)
                log_procfile_error(&e, k);
        return k;
}

int reload_app(const char *app, const ReloadOptions *o) {
        _cleanup_(procfile_freep) Procfile *pf = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_strv_free_ char **done = NULL;
        Reload r = { .app = app, .options = o };
        int k;

        k = load_installed(app, o->user, &pf);
        if (k < 0)
                return k;
        k = check_processes(&r, pf);
        if (k < 0)
                return k;
        k = manager_open(o->user, &m);
        if (k < 0)
                return log_error_errno(k, "can't connect to the %s manager: %m", o->user ? "user" : "system");
        r.manager = m;
        for (size_t i = 0; i < pf->n_processes && k >= 0; i++) {
                const Process *p = pf->processes[i];

                if (!p->starts || !selected(&r, p))
                        continue;
                for (unsigned n = 1; n <= p->scale && k >= 0; n++)
                        k = reload_instance(&r, p, n);
        }
        done = r.done;
        if (k < 0) {
                if (!done || !done[0])
                        log_error("reload of %s stopped: no instance was reloaded", app);
                STRV_FOREACH(d, done)
                        log_error("reload of %s stopped: %s runs the new generation", app, *d);
                return k;
        }
        printf("%s: %zu instance%s run the new generation (%u by restart)\n", app, strv_length(done),
               strv_length(done) == 1 ? "" : "s", r.restarted);
        return 0;
}
