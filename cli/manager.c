/* SPDX-License-Identifier: MIT */

/* The systemd manager's D-Bus API (org.freedesktop.systemd1(5)), the part pandora-gen needs to make an
 * installed procfile take effect, and to run an app as transient units in dev mode. Jobs are waited for
 * through the JobRemoved signal, after Subscribe: the manager only emits its signals while some client is
 * subscribed. A job is either waited for in a blocking loop (manager_wait_jobs()) or watched from an event
 * loop (manager_watch_job()). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/manager.h"
#include "common/strv.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define UNIT_IFACE "org.freedesktop.systemd1.Unit"
#define SERVICE_IFACE "org.freedesktop.systemd1.Service"
/* A reload regenerates and reloads every unit; systemctl daemon-reload allows minutes for that. */
#define RELOAD_TIMEOUT_USEC (5 * 60 * 1000000ULL)

typedef struct JobWatch {
        char *job;
        ManagerJobCallback callback;
        void *userdata;
} JobWatch;

struct Manager {
        sd_bus *bus;
        sd_bus_slot *job_removed;
        char **finished_jobs;   /* object paths of every job JobRemoved reported since the last wait */
        char **outcomes;        /* for each of finished_jobs: "" for "done", else "UNIT (RESULT)" */
        JobWatch *watches;      /* jobs someone waits for asynchronously (manager_watch_job()) */
        size_t n_watches;
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
        (void) sd_bus_detach_event(m->bus);
        sd_bus_flush_close_unref(m->bus);
        strv_free(m->finished_jobs);
        strv_free(m->outcomes);
        for (size_t i = 0; i < m->n_watches; i++)
                free(m->watches[i].job);
        free(m->watches);
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

/* The object path of a loaded unit; the bus error NoSuchUnit when it is not loaded. */
static int unit_path(Manager *m, const char *unit, char **ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char *copy;
        int r;

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "GetUnit", error, &reply,
                               "s", unit);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

int manager_active_state(Manager *m, const char *unit, char **ret, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        char *state;
        int r;

        r = unit_path(m, unit, &path, error);
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
        r = sd_bus_get_property_string(m->bus, SYSTEMD_DEST, path, UNIT_IFACE, "ActiveState", error, &state);
        if (r < 0)
                return r;
        *ret = state;
        return 0;
}

/* Calls and forgets the watch on job, if there is one; returns whether there was. */
static bool dispatch_watch(Manager *m, const char *job, const char *unit, const char *result) {
        ManagerJobCallback callback;
        void *userdata;

        for (size_t i = 0; i < m->n_watches; i++) {
                if (!streq(m->watches[i].job, job))
                        continue;
                callback = m->watches[i].callback;
                userdata = m->watches[i].userdata;
                /* Forgotten first: the callback may watch the next job. */
                free(m->watches[i].job);
                m->watches[i] = m->watches[--m->n_watches];
                callback(unit, result, userdata);
                return true;
        }
        return false;
}

static int on_job_removed(sd_bus_message *message, void *userdata, sd_bus_error *error _unused_) {
        Manager *m = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        char *outcome;

        if (sd_bus_message_read(message, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (dispatch_watch(m, path, unit, result))
                return 0;
        if (streq(result, "done"))
                outcome = strdup("");
        else if (asprintf(&outcome, "%s (%s)", unit, result) < 0)
                outcome = NULL;
        if (!outcome || strv_consume(&m->outcomes, outcome) < 0 || strv_extend(&m->finished_jobs, path) < 0)
                return -ENOMEM;
        return 0;
}

int manager_subscribe(Manager *m, sd_bus_error *error) {
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

/* Adds the job object path of a manager method's reply to *jobs. */
static int collect_job(sd_bus_message *reply, char ***jobs) {
        const char *job;
        int r;

        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                return r;
        return strv_extend(jobs, job);
}

int manager_enqueue_job(Manager *m, const char *method, const char *unit, char ***jobs,
                        sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, method, error, &reply,
                               "ss", unit, "replace");
        if (r < 0)
                return r;
        return collect_job(reply, jobs);
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
        _cleanup_strv_free_ char **jobs = NULL;
        int r;

        r = manager_subscribe(m, error);
        if (r < 0)
                return r;
        STRV_FOREACH(unit, units) {
                r = manager_enqueue_job(m, method, *unit, &jobs, error);
                if (r < 0)
                        return r;
        }
        return manager_wait_jobs(m, jobs, ret_failed);
}

/* What the jobs came to: 0, or -EIO with "UNIT (RESULT)" of each failed one in *ret_failed. */
static int collect_outcomes(Manager *m, char * const *jobs, char ***ret_failed) {
        _cleanup_strv_free_ char **failed = NULL;

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

int manager_wait_jobs(Manager *m, char * const *jobs, char ***ret_failed) {
        int r;

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
        r = collect_outcomes(m, jobs, ret_failed);
        /* Nobody waits for the rest: forget them, so that a long dev session does not pile them up. */
        m->finished_jobs = strv_free(m->finished_jobs);
        m->outcomes = strv_free(m->outcomes);
        return r;
}

int manager_ping(Manager *m, sd_bus_error *error) {
        _cleanup_free_ char *version = NULL;

        return sd_bus_get_property_string(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "Version",
                                          error, &version);
}

int manager_attach_event(Manager *m, sd_event *e, int64_t priority) {
        return sd_bus_attach_event(m->bus, e, priority);
}

/* One command, its path the first word, its failure not ignored: what ExecStart= takes. */
static int append_exec(sd_bus_message *call, char * const *argv) {
        int r;

        r = sd_bus_message_open_container(call, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(call, "s", argv[0]);
        if (r >= 0)
                r = sd_bus_message_append_strv(call, (char **) argv);
        if (r >= 0)
                r = sd_bus_message_append(call, "b", 0);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        return r < 0 ? r : sd_bus_message_close_container(call);
}

static int append_value(sd_bus_message *call, const UnitProperty *p) {
        int r = 0;

        switch (p->type) {
        case PROPERTY_STRING:
                return sd_bus_message_append(call, "s", p->string);
        case PROPERTY_BOOL:
                return sd_bus_message_append(call, "b", (int) p->number);
        case PROPERTY_U32:
                return sd_bus_message_append(call, "u", (uint32_t) p->number);
        case PROPERTY_U64:
                return sd_bus_message_append(call, "t", p->number);
        case PROPERTY_STRV:
                return sd_bus_message_append_strv(call, p->strv);
        case PROPERTY_EXEC:
                return append_exec(call, p->strv);
        case PROPERTY_LISTEN:
                r = sd_bus_message_open_container(call, 'a', "(ss)");
                for (size_t i = 0; r >= 0 && p->strv[i] && p->strv[i + 1]; i += 2)
                        r = sd_bus_message_append(call, "(ss)", p->strv[i], p->strv[i + 1]);
                break;
        case PROPERTY_PID:
                return sd_bus_message_append(call, "au", 1, (uint32_t) p->number);
        case PROPERTY_BYTE_ARRAYS:
                r = sd_bus_message_open_container(call, 'a', "ay");
                STRV_FOREACH(field, p->strv)
                        if (r >= 0)
                                r = sd_bus_message_append_array(call, 'y', *field, strlen(*field));
                break;
        default:
                return -EINVAL;
        }
        return r < 0 ? r : sd_bus_message_close_container(call);
}

/* Appends u's properties as the a(sv) that StartTransientUnit takes. */
static int append_properties(sd_bus_message *call, const TransientUnit *u) {
        int r;

        r = sd_bus_message_open_container(call, 'a', "(sv)");
        for (size_t i = 0; r >= 0 && i < u->n_properties; i++) {
                const UnitProperty *p = &u->properties[i];

                r = sd_bus_message_open_container(call, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(call, "s", p->name);
                if (r >= 0)
                        r = sd_bus_message_open_container(call, 'v', property_type_signature(p->type));
                if (r >= 0)
                        r = append_value(call, p);
                if (r >= 0)
                        r = sd_bus_message_close_container(call);
                if (r >= 0)
                        r = sd_bus_message_close_container(call);
        }
        return r < 0 ? r : sd_bus_message_close_container(call);
}

static int append_aux(sd_bus_message *call, const TransientUnit *aux) {
        int r;

        r = sd_bus_message_open_container(call, 'a', "(sa(sv))");
        if (r >= 0 && aux) {
                r = sd_bus_message_open_container(call, 'r', "sa(sv)");
                if (r >= 0)
                        r = sd_bus_message_append(call, "s", aux->name);
                if (r >= 0)
                        r = append_properties(call, aux);
                if (r >= 0)
                        r = sd_bus_message_close_container(call);
        }
        return r < 0 ? r : sd_bus_message_close_container(call);
}

int manager_start_transient(Manager *m, const TransientUnit *u, const TransientUnit *aux, char ***jobs,
                            sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &call, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
                                           "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(call, "ss", u->name, "fail");
        if (r >= 0)
                r = append_properties(call, u);
        if (r >= 0)
                r = append_aux(call, aux);
        if (r < 0)
                return r;
        r = sd_bus_call(m->bus, call, 0, error, &reply);
        if (r < 0)
                return r;
        return collect_job(reply, jobs);
}

int manager_watch_job(Manager *m, const char *job, ManagerJobCallback callback, void *userdata) {
        JobWatch *grown = realloc(m->watches, sizeof(JobWatch) * (m->n_watches + 1));
        char *copy;

        if (!grown)
                return -ENOMEM;
        m->watches = grown;
        copy = strdup(job);
        if (!copy)
                return -ENOMEM;
        m->watches[m->n_watches++] = (JobWatch) { .job = copy, .callback = callback, .userdata = userdata };
        return 0;
}

void manager_service_exit_done(ManagerServiceExit *e) {
        e->result = mfree(e->result);
}

int manager_service_exit(Manager *m, const char *unit, ManagerServiceExit *ret, sd_bus_error *error) {
        _cleanup_(manager_service_exit_done) ManagerServiceExit e = {};
        _cleanup_free_ char *path = NULL;
        int r;

        r = unit_path(m, unit, &path, error);
        if (r >= 0)
                r = sd_bus_get_property_trivial(m->bus, SYSTEMD_DEST, path, SERVICE_IFACE, "ExecMainCode",
                                                error, 'i', &e.code);
        if (r >= 0)
                r = sd_bus_get_property_trivial(m->bus, SYSTEMD_DEST, path, SERVICE_IFACE, "ExecMainStatus",
                                                error, 'i', &e.status);
        if (r >= 0)
                r = sd_bus_get_property_trivial(m->bus, SYSTEMD_DEST, path, SERVICE_IFACE, "NRestarts",
                                                error, 'u', &e.restarts);
        if (r >= 0)
                r = sd_bus_get_property_string(m->bus, SYSTEMD_DEST, path, SERVICE_IFACE, "Result", error,
                                               &e.result);
        if (r < 0)
                return r;
        *ret = e;
        e = (ManagerServiceExit) {};
        return 0;
}

int manager_call_unit(Manager *m, const char *method, const char *unit, sd_bus_error *error) {
        return sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, method, error, NULL,
                                  "s", unit);
}

void unit_info_done(UnitInfo *u) {
        free(u->load_state);
        free(u->source_path);
        free(u->fragment_path);
        free(u->load_error);
        *u = (UnitInfo) {};
}

static int unit_info_read(sd_bus *bus, const char *object, UnitInfo *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(unit_info_done) UnitInfo u = {};
        const char *properties[] = { "LoadState", "SourcePath", "FragmentPath" };
        char **values[] = { &u.load_state, &u.source_path, &u.fragment_path };
        const char *name, *message;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(properties) && r >= 0; i++)
                r = sd_bus_get_property_string(bus, SYSTEMD_DEST, object, UNIT_IFACE, properties[i], error,
                                               values[i]);
        if (r >= 0)
                r = sd_bus_get_property(bus, SYSTEMD_DEST, object, UNIT_IFACE, "LoadError", error, &reply, "(ss)");
        if (r >= 0)
                r = sd_bus_message_read(reply, "(ss)", &name, &message);
        if (r < 0)
                return r;
        u.load_error = strdup(message);
        if (!u.load_error)
                return -ENOMEM;
        *ret = u;
        u = (UnitInfo) {};
        return 0;
}

int manager_unit_info(sd_bus *bus, const char *unit, bool load, UnitInfo *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *object;
        int r;

        r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, load ? "LoadUnit" : "GetUnit",
                               error, &reply, "s", unit);
        if (r < 0 && !load && sd_bus_error_has_name(error, "org.freedesktop.systemd1.NoSuchUnit")) {
                sd_bus_error_free(error);
                return 0;
        }
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &object);
        if (r >= 0)
                r = unit_info_read(bus, object, ret, error);
        return r < 0 ? r : 1;
}
