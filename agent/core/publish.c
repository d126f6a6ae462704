/* SPDX-License-Identifier: MIT */

/* The instance's metrics and its place on D-Bus: the glue between the Context and the modules that do the
 * work (metrics.h, bus/interfaces.h, statsd-socket.h). It sets up the registry and its sampling timer, gives
 * each exec child a statsd socket, counts lifecycle events, copies the log's counters into the registry
 * after every dispatch (so log.c needs no knowledge of it), and serves the BusAgent from the Context.
 * The bus is optional: an instance that can't reach it runs all the same, and bus/connect.c retries. */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-login.h>

#include "agent/core/context.h"
#include "agent/lifecycle/exec-service.h"
#include "agent/lifecycle/module-service.h"
#include "agent/log/log.h"
#include "common/string-util.h"
#include "common/strv.h"

/* Samples every 10 s; retries an unreachable bus every 250 ms, so that a restarted dbus finds the agent
 * back within a second. */
#define METRICS_INTERVAL_USEC (10 * 1000000ULL)

/* The sampling interval: 10 s, or PANDORA_METRICS_INTERVAL_MS (100 ms to an hour; for tests and for
 * memory_restart to react sooner) of the process's env in the procfile (which is not in the unit), or
 * of the agent's own environment. */
static uint64_t metrics_interval_usec(const Process *p) {
        const char *e = strv_env_get(p->env, "PANDORA_METRICS_INTERVAL_MS") ?:
                        getenv("PANDORA_METRICS_INTERVAL_MS");
        char *end;
        unsigned long long ms;

        if (!e)
                return METRICS_INTERVAL_USEC;
        ms = strtoull(e, &end, 10);
        if (end == e || *end || ms < 100 || ms > 3600000)
                return METRICS_INTERVAL_USEC;
        return ms * 1000;
}
#define BUS_RETRY_USEC (250 * 1000ULL)

static bool is_service(const Context *c, const Task *t) {
        return t->index < c->n_services;
}

static TaskMetrics *task_metrics(Context *c, const Task *t) {
        return t->index < c->n_task_metrics ? &c->task_metrics[t->index] : NULL;
}

/* After every dispatch: the log's counters into the registry (they are log.c's, the registry only
 * publishes them), and the loop's iteration count, which the sampling timer alone would leave absent for
 * the first interval. */
static int on_log_sync(sd_event_source *s _unused_, void *userdata) {
        Context *c = userdata;
        const LogCounters *l = &c->log_counters;
        uint64_t iterations;

        for (int p = LOG_EMERG; p <= LOG_DEBUG; p++)
                metrics_set_u64(&c->metrics, METRIC_LOG_ENTRIES_EMERG + p, l->entries[p]);
        metrics_set_u64(&c->metrics, METRIC_LOG_BYTES, l->bytes);
        metrics_set_u64(&c->metrics, METRIC_LOG_LINES_SPLIT, l->lines_split);
        metrics_set_u64(&c->metrics, METRIC_LOG_JOURNAL_FALLBACKS, l->fallbacks);
        if (sd_event_get_iteration(c->event, &iterations) >= 0)
                metrics_set_u64(&c->metrics, METRIC_LOOP_ITERATIONS, iterations);
        return 0;
}

int context_setup_metrics(Context *c) {
        const MetricsSources sources = { METRICS_PROC_ROOT, METRICS_CGROUP_ROOT };
        _cleanup_free_ char *cgroup = NULL;
        int r;

        /* No cgroup v2 path (a v1 host, no /proc): the cgroup indicators are absent. */
        (void) metrics_read_cgroup_path(&sources, getpid(), &cgroup);
        r = metrics_init(&c->metrics, getpid(), cgroup);
        if (r >= 0) {
                c->n_task_metrics = c->process->n_services + 1;
                c->task_metrics = calloc(c->n_task_metrics, sizeof(TaskMetrics));
                if (!c->task_metrics)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = metrics_attach_event(&c->metrics, c->event, metrics_interval_usec(c->process));
        if (r >= 0)
                r = sd_event_add_post(c->event, &c->log_sync, on_log_sync, c);
        if (r < 0) {
                log_error("Can't set up the metrics: %s", strerror(-r));
                return r;
        }
        (void) on_log_sync(NULL, c);
        return 0;
}

/* A malformed statsd line (the socket reports one a second at most): one journal entry. */
static void on_statsd_report(StatsdSocket *s _unused_, const StatsdReport *r, void *userdata) {
        const char *service = userdata;

        if (r->suppressed > 0)
                log_full(LOG_WARNING, service, "Malformed statsd line '%s%s': %s, ignoring "
                         "(%" PRIu64 " more malformed lines in the last second not shown)",
                         r->line, r->truncated ? "..." : "", r->reason, r->suppressed);
        else
                log_full(LOG_WARNING, service, "Malformed statsd line '%s%s': %s, ignoring", r->line,
                         r->truncated ? "..." : "", r->reason);
}

const char *context_open_statsd(Context *c, size_t index, const char *service) {
        _cleanup_free_ char *path = NULL;
        TaskMetrics *tm;
        int r;

        if (index >= c->n_task_metrics)
                return NULL;
        tm = &c->task_metrics[index];
        /* A reload's new generation has the same tasks: its children share the socket. */
        if (tm->statsd)
                return statsd_socket_get_path(tm->statsd);
        r = statsd_socket_path(getenv("RUNTIME_DIRECTORY"), service ?: "entry", &path);
        if (r == -ENXIO)
                /* Not started by a unit of pandora-gen: nowhere private to put the socket. */
                return NULL;
        if (r >= 0) {
                /* task_metrics is never reallocated, so the sink may point into it. */
                tm->sink = (MetricsAppSink) { &tm->counters, &tm->timings };
                r = statsd_socket_new(c->event, path, metrics_app_apply, &tm->sink, &c->metrics.statsd,
                                      &tm->statsd);
        }
        /* The name is copied: a reload replaces the model the service's name lives in. */
        if (r >= 0 && service) {
                tm->statsd_service = strdup(service);
                if (!tm->statsd_service)
                        r = -ENOMEM;
        }
        if (r >= 0) {
                statsd_socket_set_report(tm->statsd, on_statsd_report, tm->statsd_service);
                r = statsd_socket_set_tick(tm->statsd, METRICS_APP_SET_INTERVAL_USEC, metrics_app_tick);
        }
        if (r < 0) {
                log_warning("Can't open a metrics socket for '%s': %s, ignoring", service ?: "entry",
                            strerror(-r));
                return NULL;
        }
        return statsd_socket_get_path(tm->statsd);
}

/* ---- the BusAgentSource ---- */

static const char *source_get_state(void *userdata) {
        static const char * const table[_LIFECYCLE_PHASE_MAX] = {
                [LIFECYCLE_PHASE_INIT] = "starting",
                [LIFECYCLE_PHASE_STARTING] = "starting",
                [LIFECYCLE_PHASE_RUNNING] = "running",
                [LIFECYCLE_PHASE_STOPPING] = "stopping",
                [LIFECYCLE_PHASE_DONE] = "done",
        };
        LifecyclePhase phase = ((Context *) userdata)->lifecycle.phase;

        return phase >= 0 && phase < _LIFECYCLE_PHASE_MAX ? table[phase] : NULL;
}

static size_t source_n_services(void *userdata) {
        Context *c = userdata;

        return c->lifecycle.n_tasks;
}

static int source_get_service(void *userdata, size_t i, BusServiceInfo *ret) {
        Context *c = userdata;
        const Task *t;
        PandoraService *module;
        TaskMetrics *tm;

        if (i >= c->lifecycle.n_tasks)
                return -ENXIO;
        t = c->lifecycle.tasks[i];
        tm = task_metrics(c, t);
        if (!tm)
                return -ENXIO;
        module = module_service_from_task(t);
        *ret = (BusServiceInfo) {
                .name = t->name,
                .kind = module ? "module" : is_service(c, t) ? "exec" : "entry",
                .state = task_state_to_string(t->state),
                .starts = tm->starts,
                .failures = tm->failures,
                .start_duration_usec = tm->start_duration_usec,
                /* Modules count through pandora_counter_add() into their own set, and have no timings. */
                .counters = module ? &module->counters : &tm->counters,
                .timings = module ? NULL : &tm->timings,
        };
        return 0;
}

/* NRestarts, asked once: it is what systemd counted before this agent started. */
static void query_restarts(Context *c) {
        uint64_t n;
        int r;

        if (c->restarts_known || !c->unit || !c->bus->bus)
                return;
        r = bus_query_restarts(c->bus->bus, c->unit, &n);
        if (r < 0)
                /* Not a service of systemd's (a scope, a session): Restarts stays absent, as documented. */
                return;
        metrics_set_u64(&c->metrics, METRIC_RESTARTS, n);
        c->restarts_known = true;
}

static void source_on_name(void *userdata, const char *name, int result) {
        Context *c = userdata;

        if (result > 0) {
                query_restarts(c);
                return;
        }
        /* Once: a bus that refuses the name refuses it again at each reconnect. */
        if (c->bus_name_logged)
                return;
        c->bus_name_logged = true;
        if (result == 0)
                log_warning("Bus name '%s' is owned by another instance, waiting in the queue for it", name);
        else
                log_warning("Can't own bus name '%s': %s; is io.pandora.conf installed?", name,
                            strerror(-result));
}

/* The unit from the last component of our cgroup v2 path ("0::/.../shop-web@1.service"): what
 * sd_pid_get_unit() finds too, but without /proc/1, which ProtectProc=invisible hides from an
 * instance that runs as a user. Under a user manager the path passes through "user@UID.service". */
static int unit_from_own_cgroup(char **ret, bool *ret_user) {
        const MetricsSources sources = { METRICS_PROC_ROOT, METRICS_CGROUP_ROOT };
        _cleanup_free_ char *cgroup = NULL;
        const char *last;
        int r;

        r = metrics_read_cgroup_path(&sources, getpid(), &cgroup);
        if (r < 0)
                return r;
        last = strrchr(cgroup, '/') + 1;
        if (!string_has_suffix(last, ".service"))
                return -ENOENT;
        *ret_user = strstr(cgroup, "/user@") != NULL;
        *ret = strdup(last);
        return *ret ? 0 : -ENOMEM;
}

/* The unit we run in, and whether it belongs to a user manager (then its bus is the user bus). */
static void find_unit(Context *c, bool *ret_user) {
        *ret_user = sd_pid_get_user_unit(0, &c->unit) >= 0;
        if (!*ret_user && sd_pid_get_unit(0, &c->unit) < 0 && unit_from_own_cgroup(&c->unit, ret_user) < 0)
                c->unit = NULL;
}

void context_connect_bus(Context *c) {
        BusAgentSource source = {
                .app = c->procfile->app,
                .process = c->options->process,
                .instance = c->options->instance ?: "",
                .metrics = &c->metrics,
                .get_state = source_get_state,
                .n_services = source_n_services,
                .get_service = source_get_service,
                .on_name = source_on_name,
                .userdata = c,
        };
        /* PANDORA_BUS=private (a DynamicUser=yes unit, which dbus-daemon refuses): the same objects on
         * $RUNTIME_DIRECTORY/bus.sock instead of the bus. */
        const char *mode = getenv("PANDORA_BUS");
        bool private = mode && streq(mode, "private");
        struct timespec now;
        bool user;
        int r;

        find_unit(c, &user);
        source.unit = c->unit;
        (void) clock_gettime(CLOCK_REALTIME, &now);
        source.started_at_usec = (uint64_t) now.tv_sec * 1000000 + (uint64_t) now.tv_nsec / 1000;
        r = bus_agent_new(&source, &c->bus);
        if (r >= 0)
                r = private ? bus_agent_listen(c->bus, c->event, getenv("RUNTIME_DIRECTORY")) :
                              bus_agent_connect(c->bus, c->event, user, BUS_RETRY_USEC);
        if (r < 0) {
                log_warning("Can't publish the instance on the %s bus: %s, ignoring",
                            private ? "private" : user ? "user" : "system", strerror(-r));
                c->bus = bus_agent_free(c->bus);
                return;
        }
        if (!private && !c->bus->bus)
                log_notice("The %s bus can't be reached yet, retrying", user ? "user" : "system");
}

/* ---- lifecycle events ---- */

/* A child that ended counts once, whatever event reports it. */
static void count_child_exit(Context *c, const Task *t, TaskMetrics *tm) {
        ExecService *s = exec_service_from_task(t);

        if (!s || s->exit_code == 0 || tm->exit_counted)
                return;
        tm->exit_counted = true;
        metrics_count_child_exit(&c->metrics, !(s->exit_code == CLD_EXITED && s->exit_status == 0));
}

static void count_task(Context *c, LifecycleEvent event, Task *t) {
        TaskMetrics *tm = task_metrics(c, t);
        bool service = is_service(c, t);

        if (!tm)
                return;
        if (event == LIFECYCLE_TASK_STARTED) {
                tm->starts++;
                tm->start_duration_usec = context_now(c) - t->since;
                if (service)
                        metrics_add(&c->metrics, METRIC_SERVICE_STARTS, 1);
        } else if (event == LIFECYCLE_TASK_START_FAILED || event == LIFECYCLE_TASK_DIED) {
                tm->failures++;
                if (service)
                        metrics_add(&c->metrics, METRIC_SERVICE_FAILURES, 1);
        }
        if (event == LIFECYCLE_TASK_START_FAILED || event == LIFECYCLE_TASK_DIED ||
            event == LIFECYCLE_TASK_STOPPED || event == LIFECYCLE_TASK_FINISHED)
                count_child_exit(c, t, tm);
}

/* ServicesRunning and ServicesFailed, from the tasks as they are now; the entry is no service. */
static void count_services(Context *c) {
        uint64_t running = 0, failed = 0;

        for (size_t i = 0; i < c->n_services && i < c->lifecycle.n_tasks; i++) {
                running += c->lifecycle.tasks[i]->state == TASK_RUNNING;
                failed += c->task_metrics[i].failures > 0;
        }
        metrics_set_u64(&c->metrics, METRIC_SERVICES_RUNNING, running);
        metrics_set_u64(&c->metrics, METRIC_SERVICES_FAILED, failed);
}

void context_metrics_on_event(Context *c, LifecycleEvent event, Task *t) {
        if (!c->task_metrics)
                return;
        if (t && event != LIFECYCLE_STOPPING)
                count_task(c, event, t);
        count_services(c);
        if (event == LIFECYCLE_READY)
                /* The first sample was taken before any child ran: the cgroup's tasks and memory now. */
                metrics_sample(&c->metrics, c->metrics.clock());
        if (!c->bus)
                return;
        (void) bus_agent_emit_state_changed(c->bus);
        if (t && event != LIFECYCLE_STOPPING)
                (void) bus_agent_emit_service_changed(c->bus, t->name);
}

void context_metrics_done(Context *c) {
        c->bus = bus_agent_free(c->bus);
        for (size_t i = 0; i < c->n_task_metrics; i++) {
                TaskMetrics *tm = &c->task_metrics[i];

                statsd_socket_free(tm->statsd);
                free(tm->statsd_service);
                counter_set_done(&tm->counters);
                timing_set_done(&tm->timings);
        }
        c->task_metrics = mfree(c->task_metrics);
        c->n_task_metrics = 0;
        c->log_sync = sd_event_source_disable_unref(c->log_sync);
        metrics_done(&c->metrics);
        c->unit = mfree(c->unit);
}
