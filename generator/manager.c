/* SPDX-License-Identifier: MIT */

/* The systemd manager's D-Bus API (org.freedesktop.systemd1(5)), the part pandora-gen needs to make an
 * installed procfile take effect. Jobs are waited for through the JobRemoved signal, after Subscribe:
 * the manager only emits its signals while some client is subscribed. */

#include <stdio.h>
#include <stdlib.h>

#include "manager.h"
#include "strv.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define UNIT_IFACE "org.freedesktop.systemd1.Unit"
/* A reload regenerates and reloads every unit; systemctl daemon-reload allows minutes for that. */
#define RELOAD_TIMEOUT_USEC (5 * 60 * 1000000ULL)

struct Manager {
        sd_bus *bus;
        sd_bus_slot *job_removed;
        char **finished_jobs;   /* object paths of every job JobRemoved reported */
        char **outcomes;        /* for each of finished_jobs: "" for "done", else "UNIT (RESULT)" */
};

int manager_open(bool user, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return -ENOMEM;
        r = user ? sd_bus_open_user(&m->bus) : sd_bus_open_system(&m->bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        sd_bus_slot_unref(m->job_removed);
        sd_bus_flush_close_unref(m->bus);
        strv_free(m->finished_jobs);
        strv_free(m->outcomes);
        free(m);
        return NULL;
}

int manager_reload(Manager *m, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &call, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "Reload");
        if (r < 0)
                return r;
        return sd_bus_call(m->bus, call, RELOAD_TIMEOUT_USEC, error, NULL);
}

int manager_active_state(Manager *m, const char *unit, char **ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *state;
        int r;

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "GetUnit", error, &reply,
                               "s", unit);
        if (r < 0 && sd_bus_error_has_name(error, "org.freedesktop.systemd1.NoSuchUnit")) {
                sd_bus_error_free(error);
                state = strdup("inactive");
                if (!state)
                        return -ENOMEM;
                *ret = state;
                return 0;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(m->bus, SYSTEMD_DEST, path, UNIT_IFACE, "ActiveState", error, &state);
        if (r < 0)
                return r;
        *ret = state;
        return 0;
}

static int on_job_removed(sd_bus_message *message, void *userdata, sd_bus_error *error _unused_) {
        Manager *m = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        char *outcome;

        if (sd_bus_message_read(message, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (streq(result, "done"))
                outcome = strdup("");
        else if (asprintf(&outcome, "%s (%s)", unit, result) < 0)
                outcome = NULL;
        if (!outcome || strv_consume(&m->outcomes, outcome) < 0 || strv_extend(&m->finished_jobs, path) < 0)
                return -ENOMEM;
        return 0;
}

static int manager_subscribe(Manager *m, sd_bus_error *error) {
        int r;

        if (m->job_removed)
                return 0;
        r = sd_bus_match_signal(m->bus, &m->job_removed, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
                                "JobRemoved", on_job_removed, m);
        if (r < 0)
                return r;
        return sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "Subscribe", error,
                                  NULL, NULL);
}

static int enqueue(Manager *m, const char *method, const char *unit, char ***jobs, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *job;
        int r;

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, method, error, &reply,
                               "ss", unit, "replace");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                return r;
        return strv_extend(jobs, job);
}

/* What JobRemoved said about job: "" for done, "UNIT (RESULT)" otherwise; NULL while it runs. */
static const char *job_outcome(const Manager *m, const char *job) {
        for (size_t i = 0; m->finished_jobs && m->finished_jobs[i]; i++)
                if (streq(m->finished_jobs[i], job))
                        return m->outcomes[i];
        return NULL;
}

static bool all_finished(const Manager *m, char * const *jobs) {
        STRV_FOREACH(job, jobs)
                if (!job_outcome(m, *job))
                        return false;
        return true;
}

int manager_run_jobs(Manager *m, const char *method, char * const *units, char ***ret_failed,
                     sd_bus_error *error) {
        _cleanup_strv_free_ char **jobs = NULL, **failed = NULL;
        int r;

        r = manager_subscribe(m, error);
        if (r < 0)
                return r;
        STRV_FOREACH(unit, units) {
                r = enqueue(m, method, *unit, &jobs, error);
                if (r < 0)
                        return r;
        }
        /* JobRemoved may arrive before the reply that names the job: every removal is recorded. */
        while (!all_finished(m, jobs)) {
                r = sd_bus_process(m->bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(m->bus, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(job, jobs) {
                const char *outcome = job_outcome(m, *job);

                if (outcome[0] && strv_extend(&failed, outcome) < 0)
                        return -ENOMEM;
        }
        if (!failed)
                return 0;
        *ret_failed = TAKE_PTR(failed);
        return -EIO;
}
