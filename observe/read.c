/* SPDX-License-Identifier: MIT */

/* One reading, in three rounds of parallel calls on one bus, all within one deadline:
 *
 *   1. each installed app's target: Unit.Wants (which loads a stopped app's target and its units), and
 *      ListUnitsByPatterns(APP.target, APP-*) for units running beyond what the target wants;
 *   2. ListUnitsByNames(all of them): every unit's load, active and sub state in one call;
 *   3. per instance GetManagedObjects() from its agent where the unit runs (its Restarts and StartedAt
 *      are systemd's NRestarts and start: the manager, which answers one call after another, is not
 *      asked again; only for its MainPID when the caller wants it), and GetAll(Service) from systemd
 *      where it does not (why it failed, its restarts); per socket its Listen addresses; List() from
 *      the first agent, for the indicators' help. An agent with a private socket (PANDORA_BUS=private,
 *      observe/peer.c says when) is asked the same on a connection to it, and, since it can't ask
 *      systemd for its NRestarts itself, the manager's GetAll(Service) is asked for it as well.
 *
 * Nothing is kept between readings. A call that fails or is not answered by the deadline leaves its
 * part of the model empty and counts in Observation.errors (an agent only where systemd says the unit
 * runs: a starting one may not be on the bus yet).
 *
 * observe/ owns this reading for pandora-exporter and `pandora-gen --status`. It may call common/,
 * generator/search-path.h (the installed apps), agent/bus/names.c (compiled in: the agents' bus names)
 * and sd-bus/sd-event/sd-journal; it never logs, never prints and never changes anything it reads. */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-event.h>

#include "agent/bus/names.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "observe/agent.h"
#include "observe/apps.h"
#include "observe/calls.h"
#include "observe/observe.h"
#include "observe/peer.h"
#include "observe/systemd.h"

#define UNIT_INTERFACE "org.freedesktop.systemd1.Unit"
#define SERVICE_INTERFACE "org.freedesktop.systemd1.Service"
#define SOCKET_INTERFACE "org.freedesktop.systemd1.Socket"

typedef enum Round {
        ROUND_UNITS,            /* targets' Wants, patterns */
        ROUND_STATES,           /* ListUnitsByNames */
        ROUND_DETAILS,          /* services, agents, sockets */
} Round;

/* What a call of round 3 fills in. */
typedef struct Part {
        ObserveRequest *request;
        ObserveInstance *instance;
        ObserveSocket *socket;
        bool expect_agent;      /* systemd says it runs: an agent that does not answer is an error */
        sd_bus *peer;           /* the agent's private socket, when it has one (observe/peer.h) */
} Part;

struct ObserveRequest {
        sd_bus *bus;
        bool user;
        bool pids;
        char *app;              /* NULL: every installed app */
        uint64_t deadline_usec;
        Round round;
        Calls *calls;
        sd_event_source *kick;
        Observation *o;
        char **names;           /* the units of rounds 1 and 2 */
        Part *parts;
        size_t n_parts;
        int error;              /* the first error that spoils the whole reading (-ENOMEM) */
        ObserveCallback callback;
        void *userdata;
};

static uint64_t clock_usec(clockid_t id) {
        struct timespec ts;

        (void) clock_gettime(id, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static void request_fail(ObserveRequest *r, int error) {
        if (r->error == 0)
                r->error = error;
}

/* A call's own failure: counted, the reading goes on. */
static void count_error(ObserveRequest *r) {
        r->o->errors++;
}

/* ---- round 1: which units ---- */

static void on_names(sd_bus_message *reply, int error, void *userdata) {
        ObserveRequest *r = userdata;

        if (error < 0 || systemd_read_unit_names(reply, &r->names) < 0)
                count_error(r);
}

static void on_wants(sd_bus_message *reply, int error, void *userdata) {
        ObserveRequest *r = userdata;

        if (error < 0 || systemd_read_strv_property(reply, &r->names) < 0)
                count_error(r);
}

static int add_call(ObserveRequest *r, sd_bus_message *m, CallHandler handler, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *owned = m;

        return calls_add(r->calls, owned, handler, userdata);
}

static int ask_units(ObserveRequest *r) {
        _cleanup_strv_free_ char **patterns = NULL;
        sd_bus_message *m;
        int k;

        for (size_t i = 0; i < r->o->n_apps; i++) {
                const char *app = r->o->apps[i].name;
                _cleanup_free_ char *target = NULL;

                if (asprintf(&target, "%s.target", app) < 0)
                        return -ENOMEM;
                if (strv_extend(&r->names, target) < 0 || strv_extend(&patterns, target) < 0 ||
                    strv_consume(&patterns, strprintf("%s-*@*.service", app)) < 0 ||
                    strv_consume(&patterns, strprintf("%s-*.socket", app)) < 0)
                        return -ENOMEM;
                k = systemd_new_get(r->calls, target, UNIT_INTERFACE, "Wants", &m);
                if (k >= 0)
                        k = add_call(r, m, on_wants, r);
                if (k < 0)
                        return k;
        }
        if (!patterns)
                return 0;
        k = systemd_new_list_by_patterns(r->calls, patterns, &m);
        return k < 0 ? k : add_call(r, m, on_names, r);
}

/* ---- round 2: their states ---- */

/* The app whose unit name is: APP.target, or APP-..., the longest such APP (pandora-gen refuses to
 * install two apps whose unit names would collide, so the longest match is the one). */
static ObserveApp *app_of_unit(Observation *o, const char *name, bool *ret_target) {
        ObserveApp *best = NULL;
        size_t best_n = 0;

        for (size_t i = 0; i < o->n_apps; i++) {
                const char *app = o->apps[i].name;
                size_t n = strlen(app);

                if (strncmp(name, app, n) != 0)
                        continue;
                if (streq(name + n, ".target")) {
                        *ret_target = true;
                        return &o->apps[i];
                }
                if (name[n] == '-' && n > best_n) {
                        best = &o->apps[i];
                        best_n = n;
                }
        }
        *ret_target = false;
        return best;
}

static int add_instance(ObserveApp *a, ObserveUnit *u) {
        _cleanup_free_ char *process = NULL, *instance = NULL;
        ObserveInstance *grown;

        if (observe_parse_unit_name(a->name, u->name, &process, &instance) < 0)
                return 0;       /* APP-something else of the app's prefix: not an instance */
        grown = realloc(a->instances, sizeof(ObserveInstance) * (a->n_instances + 1));
        if (!grown)
                return -ENOMEM;
        a->instances = grown;
        a->instances[a->n_instances++] = (ObserveInstance) {
                .unit = *u, .process = TAKE_PTR(process), .instance = TAKE_PTR(instance),
        };
        *u = (ObserveUnit) {};
        return 0;
}

static int add_socket(ObserveApp *a, ObserveUnit *u) {
        _cleanup_free_ char *process = NULL;
        ObserveSocket *grown;

        if (observe_parse_unit_name(a->name, u->name, &process, NULL) < 0)
                return 0;
        grown = realloc(a->sockets, sizeof(ObserveSocket) * (a->n_sockets + 1));
        if (!grown)
                return -ENOMEM;
        a->sockets = grown;
        a->sockets[a->n_sockets++] = (ObserveSocket) { .unit = *u, .process = TAKE_PTR(process) };
        *u = (ObserveUnit) {};
        return 0;
}

static int unit_found(ObserveUnit *u, void *userdata) {
        ObserveRequest *r = userdata;
        bool target;
        ObserveApp *a = app_of_unit(r->o, u->name, &target);

        if (!a)
                return 0;
        if (target) {
                a->target = *u;
                *u = (ObserveUnit) {};
                return 0;
        }
        /* A Wants= entry without a unit file, such as an instance of a template that went away. */
        if (!streq(u->load_state, "loaded"))
                return 0;
        /* A group's socket or an instance's own: both end in ".socket"; the rest are instances. */
        return string_has_suffix(u->name, ".socket") ? add_socket(a, u) : add_instance(a, u);
}

static void on_states(sd_bus_message *reply, int error, void *userdata) {
        ObserveRequest *r = userdata;
        int k;

        k = error < 0 ? error : systemd_read_units(reply, unit_found, r);
        if (k == -ENOMEM)
                request_fail(r, k);
        else if (k < 0)
                count_error(r);
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static int ask_states(ObserveRequest *r) {
        size_t n = strv_length(r->names), k = 0;
        sd_bus_message *m;
        int q;

        if (n == 0)
                return 0;
        qsort(r->names, n, sizeof(char *), compare_strings);
        for (size_t i = 0; i < n; i++) {
                if (k > 0 && streq(r->names[k - 1], r->names[i])) {
                        free(r->names[i]);
                        continue;
                }
                r->names[k++] = r->names[i];
        }
        r->names[k] = NULL;
        q = systemd_new_list_by_names(r->calls, r->names, &m);
        return q < 0 ? q : add_call(r, m, on_states, r);
}

/* ---- round 3: each unit's details ---- */

static void on_service(sd_bus_message *reply, int error, void *userdata) {
        Part *p = userdata;

        if (error < 0 || systemd_read_service(reply, p->instance) < 0)
                count_error(p->request);
}

static void on_main_pid(sd_bus_message *reply, int error, void *userdata) {
        Part *p = userdata;

        if (error < 0 || systemd_read_u32_property(reply, &p->instance->main_pid) < 0)
                count_error(p->request);
}

static bool unit_runs(const ObserveInstance *i) {
        return streq(i->unit.active_state, "active") || streq(i->unit.active_state, "reloading");
}

/* A running instance's NRestarts and start come from its agent: Restarts is the NRestarts it asked
 * systemd for when it started (it only changes when systemd starts the unit again, with a new agent),
 * and StartedAt is when the unit's main process, the agent, began. */
static void fill_from_agent(ObserveInstance *i) {
        const ObserveIndicator *restarts = observe_instance_indicator(i, "Restarts");

        if (i->have_service || !restarts || !unit_runs(i))
                return;
        i->have_service = true;
        i->n_restarts = restarts->u > UINT32_MAX ? UINT32_MAX : (uint32_t) restarts->u;
        i->start_usec = i->agent_started_usec;
}

static void on_agent(sd_bus_message *reply, int error, void *userdata) {
        Part *p = userdata;

        if (error >= 0)
                error = observe_agent_read_objects(reply, p->instance);
        p->instance->agent = error < 0 ? error : 1;
        if (error >= 0)
                fill_from_agent(p->instance);
        else if (p->expect_agent)
                count_error(p->request);
}

static void on_list(sd_bus_message *reply, int error, void *userdata) {
        ObserveRequest *r = userdata;

        if (error >= 0 && r->o->n_help == 0)
                (void) observe_agent_read_list(reply, r->o);
}

static void on_listen(sd_bus_message *reply, int error, void *userdata) {
        Part *p = userdata;

        if (error < 0 || systemd_read_listen(reply, &p->socket->listen) < 0)
                count_error(p->request);
}

static int new_agent_call(ObserveRequest *r, const char *app, const Part *p, const char *path,
                          const char *interface, const char *member, sd_bus_message **ret) {
        _cleanup_free_ char *name = NULL;
        int k;

        /* Peer to peer, there is no one to route to: no destination. */
        if (p->peer)
                return sd_bus_message_new_method_call(p->peer, ret, NULL, path, interface, member);
        k = bus_instance_name(app, p->instance->process, p->instance->instance, &name);
        if (k < 0)
                return k;
        return calls_new_method(r->calls, ret, name, path, interface, member);
}

/* Connects to the agent's private socket when it has one. A socket nobody answers on is the agent's
 * failure, as its silence on the bus would be: 0 with the error in the instance, and nothing to ask. */
static int open_peer(ObserveRequest *r, Part *p, bool *ret_failed) {
        _cleanup_free_ char *path = NULL;
        int k;

        *ret_failed = false;
        k = observe_peer_socket(r->user, p->instance->unit.name, &path);
        if (k == -ENOENT || k == -ENXIO)
                return 0;
        if (k >= 0)
                k = observe_peer_open(sd_bus_get_event(r->bus), path, &p->peer);
        if (k == -ENOMEM)
                return k;
        if (k < 0) {
                p->instance->agent = k;
                *ret_failed = true;
                if (p->expect_agent)
                        count_error(r);
        }
        return 0;
}

static int ask_instance(ObserveRequest *r, const char *app, Part *p, bool *list_asked) {
        const ObserveInstance *i = p->instance;
        const char *active = i->unit.active_state;
        bool ask_agent, peer_failed = false;
        sd_bus_message *m;
        int k;

        p->expect_agent = unit_runs(i) || streq(active, "deactivating");
        ask_agent = p->expect_agent ||
                    (streq(active, "activating") && !streq(i->unit.sub_state, "auto-restart"));
        k = ask_agent ? open_peer(r, p, &peer_failed) : 0;
        if (k < 0)
                return k;
        /* The manager answers one call after the other: a running instance costs it nothing more than
         * its PID when asked for; its agent tells the rest (fill_from_agent()), except an agent on its
         * private socket, which could not ask the manager for its NRestarts. */
        if (!unit_runs(i) || p->peer || peer_failed) {
                k = systemd_new_get_all(r->calls, i->unit.name, SERVICE_INTERFACE, &m);
                if (k >= 0)
                        k = add_call(r, m, on_service, p);
        } else if (r->pids) {
                k = systemd_new_get(r->calls, i->unit.name, SERVICE_INTERFACE, "MainPID", &m);
                if (k >= 0)
                        k = add_call(r, m, on_main_pid, p);
        } else
                k = 0;
        if (k < 0 || !ask_agent || peer_failed)
                return k;
        k = new_agent_call(r, app, p, "/io/pandora", "org.freedesktop.DBus.ObjectManager",
                           "GetManagedObjects", &m);
        if (k >= 0)
                k = add_call(r, m, on_agent, p);
        if (k < 0 || *list_asked || !p->expect_agent)
                return k;
        *list_asked = true;
        k = new_agent_call(r, app, p, "/io/pandora/Metrics", "io.pandora.Metrics1", "List", &m);
        return k < 0 ? k : add_call(r, m, on_list, r);
}

static int compare_instances(const void *a, const void *b) {
        const ObserveInstance *x = a, *y = b;
        unsigned long nx = strtoul(x->instance, NULL, 10), ny = strtoul(y->instance, NULL, 10);
        int c = strcmp(x->process, y->process);

        if (c != 0)
                return c;
        if (nx != ny)
                return nx < ny ? -1 : 1;
        return strcmp(x->instance, y->instance);
}

static int compare_sockets(const void *a, const void *b) {
        return strcmp(((const ObserveSocket *) a)->unit.name, ((const ObserveSocket *) b)->unit.name);
}

static int ask_socket(ObserveRequest *r, Part *p) {
        sd_bus_message *m;
        int k;

        k = systemd_new_get(r->calls, p->socket->unit.name, SOCKET_INTERFACE, "Listen", &m);
        return k < 0 ? k : add_call(r, m, on_listen, p);
}

/* Sorts each app's instances and sockets, before anything points into the arrays; returns how many
 * there are in all. */
static size_t sort_units(Observation *o) {
        size_t n = 0;

        for (size_t i = 0; i < o->n_apps; i++) {
                ObserveApp *a = &o->apps[i];

                if (a->n_instances > 1)
                        qsort(a->instances, a->n_instances, sizeof(ObserveInstance), compare_instances);
                if (a->n_sockets > 1)
                        qsort(a->sockets, a->n_sockets, sizeof(ObserveSocket), compare_sockets);
                n += a->n_instances + a->n_sockets;
        }
        return n;
}

static int ask_details(ObserveRequest *r) {
        size_t n = sort_units(r->o), k = 0;
        bool list_asked = false;
        int q = 0;

        r->parts = calloc(n ?: 1, sizeof(Part));
        if (!r->parts)
                return -ENOMEM;
        for (size_t i = 0; i < r->o->n_apps && q >= 0; i++) {
                ObserveApp *a = &r->o->apps[i];

                for (size_t j = 0; j < a->n_instances && q >= 0; j++) {
                        r->parts[k] = (Part) { .request = r, .instance = &a->instances[j] };
                        r->n_parts = k + 1;
                        q = ask_instance(r, a->name, &r->parts[k++], &list_asked);
                }
                for (size_t j = 0; j < a->n_sockets && q >= 0; j++) {
                        r->parts[k] = (Part) { .request = r, .socket = &a->sockets[j] };
                        r->n_parts = k + 1;
                        q = ask_socket(r, &r->parts[k++]);
                }
        }
        return q;
}

/* The agents' private connections, once their calls are gone. */
static void close_peers(ObserveRequest *r) {
        for (size_t i = 0; i < r->n_parts; i++)
                r->parts[i].peer = observe_peer_close(r->parts[i].peer);
}

/* ---- the rounds ---- */

/* Hands the reading over. No handler runs after this: the calls still outstanding after a failure are
 * dropped (freeing the queue from its own idle callback is allowed). */
static void finish(ObserveRequest *r) {
        Observation *o = r->error < 0 ? NULL : TAKE_PTR(r->o);

        r->calls = calls_free(r->calls);
        close_peers(r);
        r->callback(o, r->error, r->userdata);
}

/* Starts the rounds after round, until one sends calls (then on_idle comes back here) or none is left.
 * May free r, through the callback. */
static void advance(ObserveRequest *r) {
        int k = 0;

        while (r->error == 0 && calls_pending(r->calls) == 0 && r->round < ROUND_DETAILS) {
                r->round++;
                k = r->round == ROUND_STATES ? ask_states(r) : ask_details(r);
                if (k < 0)
                        request_fail(r, k);
        }
        if (r->error < 0 || calls_pending(r->calls) == 0)
                finish(r);
}

static void on_idle(void *userdata) {
        advance(userdata);
}

static int on_kick(sd_event_source *s, void *userdata) {
        ObserveRequest *r = userdata;
        int k;

        k = ask_units(r);
        if (k < 0)
                request_fail(r, k);
        if (r->error < 0 || calls_pending(r->calls) == 0)
                advance(r);
        return 0;
}

static int add_apps(ObserveRequest *r) {
        _cleanup_strv_free_ char **apps = NULL;
        size_t n;
        int k;

        if (r->app)
                k = strv_extend(&apps, r->app);
        else
                k = observe_installed_apps(r->user, &apps);
        if (k < 0)
                return k;
        n = strv_length(apps);
        r->o->apps = calloc(n ?: 1, sizeof(ObserveApp));
        if (!r->o->apps)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                r->o->apps[i].name = TAKE_PTR(apps[i]);
        r->o->n_apps = n;
        return 0;
}

int observe_start(sd_bus *bus, const ObserveOptions *options, ObserveCallback callback, void *userdata,
                  ObserveRequest **ret) {
        _cleanup_(observe_request_freep) ObserveRequest *r = NULL;
        uint64_t timeout = options->timeout_usec ?: OBSERVE_TIMEOUT_USEC_DEFAULT;
        sd_event *e = sd_bus_get_event(bus);
        int k;

        if (!e)
                return -EINVAL;
        r = calloc(1, sizeof(ObserveRequest));
        if (!r)
                return -ENOMEM;
        *r = (ObserveRequest) {
                .bus = sd_bus_ref(bus),
                .user = options->user,
                .pids = options->pids,
                .deadline_usec = clock_usec(CLOCK_MONOTONIC) + timeout,
                .callback = callback,
                .userdata = userdata,
        };
        r->o = calloc(1, sizeof(Observation));
        if (!r->o || (options->app && !(r->app = strdup(options->app))))
                return -ENOMEM;
        r->o->realtime_usec = clock_usec(CLOCK_REALTIME);
        k = add_apps(r);
        if (k >= 0)
                k = calls_new(bus, r->deadline_usec, options->max_in_flight ?: OBSERVE_IN_FLIGHT_DEFAULT,
                              on_idle, r, &r->calls);
        if (k >= 0)
                k = sd_event_add_defer(e, &r->kick, on_kick, r);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}

ObserveRequest *observe_request_free(ObserveRequest *r) {
        if (!r)
                return NULL;
        calls_free(r->calls);
        if (r->parts)
                close_peers(r);
        sd_event_source_disable_unref(r->kick);
        observation_free(r->o);
        strv_free(r->names);
        free(r->parts);
        free(r->app);
        sd_bus_unref(r->bus);
        free(r);
        return NULL;
}

typedef struct ReadResult {
        sd_event *event;
        Observation *o;
        int error;
} ReadResult;

static void on_read(Observation *o, int error, void *userdata) {
        ReadResult *res = userdata;

        res->o = o;
        res->error = error;
        (void) sd_event_exit(res->event, 0);
}

int observe_read(sd_bus *bus, const ObserveOptions *options, Observation **ret) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        ObserveRequest *request = NULL;
        ReadResult res = {};
        int r;

        r = sd_event_new(&e);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        res.event = e;
        r = observe_start(bus, options, on_read, &res, &request);
        if (r >= 0)
                r = sd_event_loop(e);
        observe_request_free(request);
        (void) sd_bus_detach_event(bus);
        if (r < 0) {
                observation_free(res.o);
                return r;
        }
        if (res.error < 0)
                return res.error;
        *ret = res.o;
        return 0;
}

int observe_bus_open(bool user, sd_bus **ret) {
        return user ? sd_bus_open_user(ret) : sd_bus_open_system(ret);
}
