/* SPDX-License-Identifier: MIT */

/* The three interfaces as hostnamed writes its one: a static vtable each, short handlers that read
 * their state from userdata (the BusAgent) and, through it, from the agent's BusAgentSource.
 *
 * io.pandora.Metrics1 lists every built-in indicator as its own property, in the registry's order; the
 * test test-bus-agent checks that this vtable and metrics.c's table agree name for name and type for
 * type. An absent value reads as UINT64_MAX ('t') or NaN ('d'), which is how systemd reports a value it
 * does not have (MemoryCurrent, CPUUsageNSec); the Absent property names them, and Metrics() leaves
 * them out, so a client never mistakes one for a real number.
 *
 * agent/bus/ owns the instance's place on D-Bus: these interfaces, the well-known name and object
 * paths (names.c), the connection (connect.c) and, without a bus, the private socket (private.c). It
 * reads metrics/ and the agent only through a BusAgentSource; it never includes the core's Context and
 * never changes what it publishes. */

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agent/bus/interfaces.h"
#include "agent/bus/names.h"

#define AGENT_PATH "/io/pandora/Agent"
#define AGENT_INTERFACE "io.pandora.Agent1"
#define METRICS_PATH "/io/pandora/Metrics"
#define METRICS_INTERFACE "io.pandora.Metrics1"
#define SERVICE_INTERFACE "io.pandora.Service1"

/* Finds the service whose object path is path. -ENXIO when there is none. */
static int service_by_path(BusAgent *b, const char *path, BusServiceInfo *ret) {
        _cleanup_free_ char *name = NULL;
        size_t n = b->source.n_services(b->source.userdata);
        int r;

        r = bus_service_from_path(path, &name);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                BusServiceInfo info;

                r = b->source.get_service(b->source.userdata, i, &info);
                if (r >= 0 && streq(info.name, name)) {
                        *ret = info;
                        return 0;
                }
        }
        return -ENXIO;
}

static int append_metric(sd_bus_message *reply, const char *key, MetricId id, const MetricValue *v) {
        if (metric_definition(id)->type == 'd')
                return sd_bus_message_append(reply, "{sv}", key, "d", v->d);
        return sd_bus_message_append(reply, "{sv}", key, "t", v->u);
}

/* Appends "<prefix><name>" → value for each of the service's own counters, gauges and timings (a timing
 * as four entries: .count, .sum, .min, .max). */
static int append_app_metrics(sd_bus_message *reply, const char *prefix, const BusServiceInfo *info) {
        int r = 0;

        for (size_t i = 0; info->counters && i < info->counters->n_counters && r >= 0; i++) {
                const Counter *c = &info->counters->counters[i];
                _cleanup_free_ char *key = NULL;

                if (asprintf(&key, "%s%s", prefix, c->name) < 0)
                        return -ENOMEM;
                if (c->kind == COUNTER_GAUGE)
                        r = sd_bus_message_append(reply, "{sv}", key, "d", c->value);
                else
                        r = sd_bus_message_append(reply, "{sv}", key, "x", c->count);
        }
        for (size_t i = 0; info->timings && i < info->timings->n_timings && r >= 0; i++) {
                const Timing *t = &info->timings->timings[i];
                _cleanup_free_ char *count = NULL, *sum = NULL, *min = NULL, *max = NULL;

                if (asprintf(&count, "%s%s.count", prefix, t->name) < 0 ||
                    asprintf(&sum, "%s%s.sum", prefix, t->name) < 0 ||
                    asprintf(&min, "%s%s.min", prefix, t->name) < 0 ||
                    asprintf(&max, "%s%s.max", prefix, t->name) < 0)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}", count, "t", t->count, sum, "d", t->sum,
                                          min, "d", t->min, max, "d", t->max);
        }
        return r;
}

/* ---- io.pandora.Agent1 ---- */

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const char * const *s = userdata;

        return sd_bus_message_append(reply, "s", *s ?: "");
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusAgent *b = userdata;

        return sd_bus_message_append(reply, "s", b->source.get_state(b->source.userdata) ?: "");
}

static int property_get_services(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusAgent *b = userdata;
        size_t n = b->source.n_services(b->source.userdata);
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; i < n && r >= 0; i++) {
                BusServiceInfo info;

                r = b->source.get_service(b->source.userdata, i, &info);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "(sss)", info.name, info.kind ?: "",
                                                  info.state ?: "");
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int append_all_metrics(BusAgent *b, sd_bus_message *reply) {
        size_t n = b->source.n_services(b->source.userdata);
        int r = 0;

        for (MetricId id = 0; id < _METRIC_MAX && r >= 0; id++) {
                MetricValue v;

                metrics_get(b->source.metrics, id, &v);
                if (v.present)
                        r = append_metric(reply, metric_definition(id)->name, id, &v);
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *prefix = NULL;
                BusServiceInfo info;

                if (b->source.get_service(b->source.userdata, i, &info) < 0)
                        continue;
                /* ':' is in no counter name, so "<service>:<counter>" splits at its last ':'. */
                if (asprintf(&prefix, "%s:", info.name) < 0)
                        return -ENOMEM;
                r = append_app_metrics(reply, prefix, &info);
        }
        return r;
}

static int method_metrics(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        BusAgent *b = userdata;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_all_metrics(b, reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_refresh(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusAgent *b = userdata;

        metrics_sample(b->source.metrics, b->source.metrics->clock());
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable agent_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("App", "s", property_get_string, offsetof(BusAgent, source.app),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Process", "s", property_get_string, offsetof(BusAgent, source.process),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Instance", "s", property_get_string, offsetof(BusAgent, source.instance),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Unit", "s", property_get_string, offsetof(BusAgent, source.unit),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StartedAt", "t", NULL, offsetof(BusAgent, source.started_at_usec),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Services", "a(sss)", property_get_services, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Metrics", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", metrics), method_metrics,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        /* Re-reads the kernel's files now. Not UNPRIVILEGED: it is work an unprivileged caller could
         * make the agent do in a loop, and it moves the CPU usage baseline. */
        SD_BUS_METHOD_WITH_ARGS("Refresh", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_refresh, 0),
        SD_BUS_VTABLE_END,
};

/* ---- io.pandora.Metrics1 ---- */

/* Every property of Metrics1 is read here; the property's name says which indicator it is. */
static int property_get_metric(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusAgent *b = userdata;
        MetricId id = metric_from_name(property);
        MetricValue v;

        if (id < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY, "Unknown indicator '%s'",
                                         property);
        metrics_get(b->source.metrics, id, &v);
        if (metric_definition(id)->type == 'd')
                return sd_bus_message_append(reply, "d", v.present ? v.d : NAN);
        return sd_bus_message_append(reply, "t", v.present ? v.u : UINT64_MAX);
}

static int property_get_absent(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusAgent *b = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (MetricId id = 0; id < _METRIC_MAX && r >= 0; id++) {
                MetricValue v;

                metrics_get(b->source.metrics, id, &v);
                if (!v.present)
                        r = sd_bus_message_append(reply, "s", metric_definition(id)->name);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_list(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (MetricId id = 0; id < _METRIC_MAX && r >= 0; id++) {
                const MetricDefinition *def = metric_definition(id);
                char type[2] = { def->type, '\0' };

                r = sd_bus_message_append(reply, "(sss)", def->name, type, def->help);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

#define METRIC_T(name) SD_BUS_PROPERTY(name, "t", property_get_metric, 0, 0)
#define METRIC_D(name) SD_BUS_PROPERTY(name, "d", property_get_metric, 0, 0)

/* The values change all the time and nothing announces them: read them when needed (flags 0 makes
 * introspection say EmitsChangedSignal=false). Same order as metrics.h. */
static const sd_bus_vtable metrics_vtable[] = {
        SD_BUS_VTABLE_START(0),
        METRIC_T("UptimeUSec"),
        METRIC_T("Restarts"),
        METRIC_T("ServicesRunning"),
        METRIC_T("ServicesFailed"),
        METRIC_T("ServiceStarts"),
        METRIC_T("ServiceFailures"),
        METRIC_T("ChildrenExits"),
        METRIC_T("ChildrenFailed"),
        METRIC_T("Reloads"),
        METRIC_T("ReloadFailures"),
        METRIC_T("MemoryRestarts"),
        METRIC_D("CPUUserSeconds"),
        METRIC_D("CPUSystemSeconds"),
        METRIC_D("CPUUsagePercent"),
        METRIC_T("MemoryRSSBytes"),
        METRIC_T("MemoryVirtualBytes"),
        METRIC_T("Threads"),
        METRIC_T("OpenFDs"),
        METRIC_T("ContextSwitchesVoluntary"),
        METRIC_T("ContextSwitchesInvoluntary"),
        METRIC_T("IOReadBytes"),
        METRIC_T("IOWriteBytes"),
        METRIC_D("CgroupCPUUserSeconds"),
        METRIC_D("CgroupCPUSystemSeconds"),
        METRIC_D("CgroupCPUUsagePercent"),
        METRIC_T("CgroupMemoryCurrentBytes"),
        METRIC_T("CgroupMemoryPeakBytes"),
        METRIC_T("CgroupTasks"),
        METRIC_T("LogEntriesEmerg"),
        METRIC_T("LogEntriesAlert"),
        METRIC_T("LogEntriesCrit"),
        METRIC_T("LogEntriesErr"),
        METRIC_T("LogEntriesWarning"),
        METRIC_T("LogEntriesNotice"),
        METRIC_T("LogEntriesInfo"),
        METRIC_T("LogEntriesDebug"),
        METRIC_T("LogBytes"),
        METRIC_T("LogLinesSplit"),
        METRIC_T("LogJournalFallbacks"),
        METRIC_T("StatsdLines"),
        METRIC_T("StatsdMalformed"),
        METRIC_T("LoopIterations"),
        METRIC_T("LoopMaxDispatchDelayUSec"),
        METRIC_D("HostLoad1"),
        METRIC_D("HostLoad5"),
        METRIC_D("HostLoad15"),
        METRIC_T("HostMemoryTotalBytes"),
        METRIC_T("HostMemoryAvailableBytes"),
        METRIC_T("HostTCPRetransSegs"),
        METRIC_T("HostTCPCurrEstab"),
        SD_BUS_PROPERTY("Absent", "as", property_get_absent, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("List", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sss)", indicators), method_list,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

#undef METRIC_T
#undef METRIC_D

/* ---- io.pandora.Service1, one object per service under BUS_SERVICE_PATH_PREFIX ---- */

static int service_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                        void **ret_found, sd_bus_error *error) {
        BusServiceInfo info;

        if (service_by_path(userdata, path, &info) < 0)
                return 0;
        *ret_found = userdata;
        return 1;
}

static int service_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                             sd_bus_error *error) {
        BusAgent *b = userdata;
        size_t n = b->source.n_services(b->source.userdata), k = 0;
        char **nodes;
        int r = 0;

        nodes = calloc(n + 1, sizeof(char *));
        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                BusServiceInfo info;

                if (b->source.get_service(b->source.userdata, i, &info) >= 0)
                        r = bus_service_path(info.name, &nodes[k++]);
        }
        if (r < 0) {
                for (size_t i = 0; i < k; i++)
                        free(nodes[i]);
                free(nodes);
                return r;
        }
        *ret_nodes = nodes;
        return 0;
}

/* Looks up the service of path for a property getter; an error the caller can return when it's gone. */
static int service_for_property(void *userdata, const char *path, BusServiceInfo *ret, sd_bus_error *error) {
        if (service_by_path(userdata, path, ret) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT, "No service at '%s'", path);
        return 0;
}

static int property_get_service_field(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        BusServiceInfo info;
        int r;

        r = service_for_property(userdata, path, &info, error);
        if (r < 0)
                return r;
        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", info.name);
        if (streq(property, "Kind"))
                return sd_bus_message_append(reply, "s", info.kind ?: "");
        if (streq(property, "State"))
                return sd_bus_message_append(reply, "s", info.state ?: "");
        if (streq(property, "Starts"))
                return sd_bus_message_append(reply, "t", info.starts);
        if (streq(property, "Failures"))
                return sd_bus_message_append(reply, "t", info.failures);
        return sd_bus_message_append(reply, "t", info.start_duration_usec);
}

static int property_get_service_counters(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply, void *userdata,
                                         sd_bus_error *error) {
        BusServiceInfo info;
        int r;

        r = service_for_property(userdata, path, &info, error);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_app_metrics(reply, "", &info);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get_service_field, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Kind", "s", property_get_service_field, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_service_field, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Starts", "t", property_get_service_field, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Failures", "t", property_get_service_field, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StartDurationUSec", "t", property_get_service_field, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Counters", "a{sv}", property_get_service_counters, 0, 0),
        SD_BUS_VTABLE_END,
};

/* ---- the objects ---- */

int bus_agent_add_objects(BusAgent *b, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, AGENT_PATH, AGENT_INTERFACE, agent_vtable, b);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, METRICS_PATH, METRICS_INTERFACE, metrics_vtable, b);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(bus, NULL, BUS_SERVICE_PATH_PREFIX, SERVICE_INTERFACE,
                                               service_vtable, service_find, b);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, BUS_SERVICE_PATH_PREFIX, service_enumerate, b);
        if (r >= 0)
                /* org.freedesktop.DBus.ObjectManager, so that one GetManagedObjects call reads it all. */
                r = sd_bus_add_object_manager(bus, NULL, "/io/pandora");
        return r < 0 ? r : 0;
}

int bus_agent_new(const BusAgentSource *source, BusAgent **ret) {
        _cleanup_free_ BusAgent *b = NULL;
        int r;

        b = calloc(1, sizeof(BusAgent));
        if (!b)
                return -ENOMEM;
        b->source = *source;
        r = bus_instance_name(source->app, source->process, source->instance, &b->name);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

/* PropertiesChanged of names on path, to the bus and to every reader of the private socket. A reader's
 * failure is its own: only the bus's is returned. */
static int emit_changed(BusAgent *b, const char *path, const char *interface, char **names) {
        int r = 0;

        if (b->bus)
                r = sd_bus_emit_properties_changed_strv(b->bus, path, interface, names);
        for (size_t i = 0; i < b->n_peers; i++)
                (void) sd_bus_emit_properties_changed_strv(b->peers[i], path, interface, names);
        bus_agent_prune_peers(b);
        return r;
}

int bus_agent_emit_state_changed(BusAgent *b) {
        static char *names[] = { (char *) "State", (char *) "Services", NULL };

        if (!b->bus && b->n_peers == 0)
                return 0;
        return emit_changed(b, AGENT_PATH, AGENT_INTERFACE, names);
}

int bus_agent_emit_service_changed(BusAgent *b, const char *service) {
        static char *names[] = { (char *) "State", (char *) "Starts", (char *) "Failures",
                                 (char *) "StartDurationUSec", NULL };
        _cleanup_free_ char *path = NULL;
        int r;

        if (!b->bus && b->n_peers == 0)
                return 0;
        r = bus_service_path(service, &path);
        if (r < 0)
                return r;
        return emit_changed(b, path, SERVICE_INTERFACE, names);
}
