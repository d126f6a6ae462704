/* SPDX-License-Identifier: MIT */

/* pandora-gen --status: what `pm2 ls` shows, for an app made of systemd units. One reading of systemd and
 * every agent (observe/, shared with pandora-exporter, so both say the same), each instance's last error
 * line from the journal, then a table per app (or JSON), again every 2 s with --watch. The exit status
 * says whether every instance runs, so it doubles as a health check. Nothing here needs root: the
 * manager's properties, the agents' Metrics1 and Service1 objects are readable by everyone; without
 * access to the system journal the LAST ERROR column says "-".
 *
 * Printing (status_write_table(), status_write_json()) is pure; status_run() reads, logs and loops. */

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "cli/status.h"
#include "common/string-util.h"
#include "generator/log.h"
#include "observe/journal.h"

#define RESET "\033[0m"
#define BOLD "\033[1m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define RED "\033[31m"
#define DIM "\033[2m"

enum {
        COL_INSTANCE, COL_STATE, COL_PID, COL_UPTIME, COL_RESTARTS, COL_CPU, COL_MEMORY, COL_SERVICES,
        COL_ERROR, _COL_MAX,
};

static const char * const headers[_COL_MAX] = {
        "INSTANCE", "STATE", "PID", "UPTIME", "RESTARTS", "CPU", "MEMORY", "SERVICES", "LAST ERROR",
};

static const char *state_colour(InstanceState s) {
        switch (s) {
        case INSTANCE_RUNNING:
        case INSTANCE_RELOADING:
                return GREEN;
        case INSTANCE_FAILED:
                return RED;
        case INSTANCE_STOPPED:
                return DIM;
        default:
                return YELLOW;
        }
}

static const char *unit_colour(const ObserveUnit *u) {
        if (!u->active_state)
                return RED;
        if (streq(u->active_state, "active"))
                return GREEN;
        if (streq(u->active_state, "failed"))
                return RED;
        return streq(u->active_state, "inactive") ? DIM : YELLOW;
}

/* "45s", "12m03s", "3h04m", "2d03h". */
static void format_uptime(char out[static 32], uint64_t usec) {
        uint64_t s = usec / 1000000;

        if (s < 60)
                snprintf(out, 32, "%" PRIu64 "s", s);
        else if (s < 3600)
                snprintf(out, 32, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
        else if (s < 86400)
                snprintf(out, 32, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
        else
                snprintf(out, 32, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

/* "512B", "12.3K", "4.0M", "1.2G" (powers of 1024). */
static void format_bytes(char out[static 32], uint64_t bytes) {
        static const char units[] = "KMGT";
        double v = (double) bytes;
        size_t u = 0;

        if (bytes < 1024) {
                snprintf(out, 32, "%" PRIu64 "B", bytes);
                return;
        }
        for (v /= 1024; v >= 1024 && u + 1 < strlen(units); u++)
                v /= 1024;
        snprintf(out, 32, "%.1f%c", v, units[u]);
}

/* The state cell: "running", "failed (exit status 1)"; a reason that starts with the state's word
 * ("starting cache (2/4)", the agent's STATUS=) stands alone. */
static char *state_cell(const ObserveInstance *i) {
        const char *state = instance_state_to_string(observe_instance_state(i));
        _cleanup_free_ char *reason = NULL;
        size_t n = strlen(state);

        if (observe_instance_reason(i, &reason) < 0)
                return NULL;
        if (!reason)
                return strdup(state);
        if (strncmp(reason, state, n) == 0 && (reason[n] == ' ' || reason[n] == '\0'))
                return TAKE_PTR(reason);
        return strprintf("%s (%s)", state, reason);
}

/* Whether the instance runs and since when is known: its uptime is. */
static bool instance_up(const ObserveInstance *i, uint64_t now) {
        return observe_instance_healthy(i) && i->start_usec > 0 && now > i->start_usec;
}

static char *number_cell(bool known, uint64_t n) {
        return known ? strprintf("%" PRIu64, n) : strdup("-");
}

static int instance_cells(const ObserveInstance *i, const char *error, uint64_t now, char *cells[_COL_MAX]) {
        bool agent = i->agent > 0, up = instance_up(i, now);
        unsigned ready, total;
        char buf[32] = "-";
        uint64_t memory;
        double cpu;

        observe_instance_services(i, &ready, &total);
        cells[COL_INSTANCE] = strprintf("%s@%s", i->process, i->instance);
        cells[COL_STATE] = state_cell(i);
        cells[COL_PID] = number_cell(i->main_pid > 0, i->main_pid);
        if (up)
                format_uptime(buf, now - i->start_usec);
        cells[COL_UPTIME] = strdup(buf);
        cells[COL_RESTARTS] = number_cell(i->have_service, i->n_restarts);
        cells[COL_CPU] = agent && observe_instance_cpu_percent(i, &cpu) ? strprintf("%.1f%%", cpu) :
                                                                           strdup("-");
        strcpy(buf, "-");
        if (agent && observe_instance_memory_bytes(i, &memory))
                format_bytes(buf, memory);
        cells[COL_MEMORY] = strdup(buf);
        cells[COL_SERVICES] = agent ? strprintf("%u/%u", ready, total) : strdup("-");
        cells[COL_ERROR] = strdup(error ?: "-");
        for (size_t c = 0; c < _COL_MAX; c++)
                if (!cells[c])
                        return -ENOMEM;
        return 0;
}

/* Cuts s to at most n bytes, on a UTF-8 character boundary, ending in "..." when cut. */
static void truncate_cell(char *s, size_t n) {
        size_t len = strlen(s);

        if (len <= n || n < 4)
                return;
        n -= 3;
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        strcpy(s + n, "...");
}

/* Writes rows (n_rows × n_cols cells, the first row the header) as columns two spaces apart; the last
 * column is not padded, and cut to fit s->width. colours[k] (may be NULL) colours row k's column
 * coloured_col. */
static void write_columns(FILE *f, char **cells, size_t n_rows, size_t n_cols, size_t coloured_col,
                          const char * const *colours, const StatusStyle *s) {
        size_t widths[_COL_MAX] = {}, used = 0;

        for (size_t r = 0; r < n_rows; r++)
                for (size_t c = 0; c < n_cols; c++) {
                        size_t w = strlen(cells[r * n_cols + c]);

                        widths[c] = w > widths[c] ? w : widths[c];
                }
        for (size_t c = 0; c + 1 < n_cols; c++)
                used += widths[c] + 2;
        for (size_t r = 0; r < n_rows; r++) {
                const char *colour = s->colour && r > 0 && colours ? colours[r] : NULL;

                if (s->colour && r == 0)
                        fputs(BOLD, f);
                for (size_t c = 0; c < n_cols; c++) {
                        char *cell = cells[r * n_cols + c];
                        bool paint = colour && c == coloured_col;

                        if (c + 1 == n_cols) {
                                if (s->width > 0)
                                        truncate_cell(cell, s->width > used + 10 ? s->width - used : 10);
                                fprintf(f, "%s%s%s", paint ? colour : "", cell, paint ? RESET : "");
                        } else
                                fprintf(f, "%s%s%s%*s", paint ? colour : "", cell, paint ? RESET : "",
                                        (int) (widths[c] - strlen(cell) + 2), "");
                }
                fprintf(f, "%s\n", s->colour && r == 0 ? RESET : "");
        }
}

static void cells_free(char **cells, size_t n) {
        for (size_t k = 0; k < n; k++)
                free(cells[k]);
        free(cells);
}

static int write_instances(FILE *f, const ObserveApp *a, const StatusStyle *s, size_t *error_index) {
        size_t n = a->n_instances + 1;
        char **cells = calloc(n * _COL_MAX, sizeof(char *));
        const char **colours = calloc(n, sizeof(char *));
        int r = 0;

        for (size_t c = 0; cells && c < _COL_MAX; c++)
                if (!(cells[c] = strdup(headers[c])))
                        r = -ENOMEM;
        for (size_t k = 0; cells && colours && r >= 0 && k < a->n_instances; k++, (*error_index)++) {
                const ObserveInstance *i = &a->instances[k];
                const char *error = *error_index < s->n_errors ? s->errors[*error_index] : NULL;

                colours[k + 1] = state_colour(observe_instance_state(i));
                r = instance_cells(i, error, s->now_usec, cells + (k + 1) * _COL_MAX);
        }
        if (!cells || !colours || r < 0)
                r = -ENOMEM;
        else
                write_columns(f, cells, n, _COL_MAX, COL_STATE, colours, s);
        if (cells)
                cells_free(cells, n * _COL_MAX);
        free(colours);
        return r;
}

/* Whether the socket listens: active, while it waits ("listening") and while its service runs
 * ("running"). */
static bool socket_listening(const ObserveSocket *k) {
        return k->unit.active_state && streq(k->unit.active_state, "active");
}

/* The socket's addresses, one space apart; "-" for none. */
static char *socket_listen(const ObserveSocket *k) {
        char *s = strdup(k->listen && k->listen[0] ? "" : "-");

        for (size_t i = 0; s && k->listen && k->listen[i]; i++) {
                char *next = strprintf("%s%s%s", s, i > 0 ? " " : "", k->listen[i]);

                free(s);
                s = next;
        }
        return s;
}

static int write_sockets(FILE *f, const ObserveApp *a, const StatusStyle *s) {
        static const char * const socket_headers[] = { "SOCKET", "STATE", "LISTEN" };
        size_t n = a->n_sockets + 1;
        char **cells = calloc(n * 3, sizeof(char *));
        const char **colours = calloc(n, sizeof(char *));
        int r = cells && colours ? 0 : -ENOMEM;

        for (size_t c = 0; r >= 0 && c < 3; c++)
                if (!(cells[c] = strdup(socket_headers[c])))
                        r = -ENOMEM;
        for (size_t k = 0; r >= 0 && k < a->n_sockets; k++) {
                const ObserveSocket *sock = &a->sockets[k];

                char **row = cells + (k + 1) * 3;

                colours[k + 1] = unit_colour(&sock->unit);
                row[0] = strdup(sock->unit.name);
                row[1] = strdup(socket_listening(sock) ? "listening" : sock->unit.active_state ?: "-");
                row[2] = socket_listen(sock);
                if (!row[0] || !row[1] || !row[2])
                        r = -ENOMEM;
        }
        if (r >= 0)
                write_columns(f, cells, n, 3, 1, colours, s);
        if (cells)
                cells_free(cells, n * 3);
        free(colours);
        return r;
}

int status_write_table(FILE *f, const Observation *o, const StatusStyle *s) {
        size_t error_index = 0;
        int r;

        if (o->n_apps == 0)
                fprintf(f, "No pandora app is installed.\n");
        for (size_t k = 0; k < o->n_apps; k++) {
                const ObserveApp *a = &o->apps[k];
                const char *state = a->target.active_state ?: "unknown";

                fprintf(f, "%s%s.target: %s%s%s\n", k > 0 ? "\n" : "", a->name,
                        s->colour ? unit_colour(&a->target) : "", state, s->colour ? RESET : "");
                r = write_instances(f, a, s, &error_index);
                if (r >= 0 && a->n_sockets > 0)
                        r = write_sockets(f, a, s);
                if (r < 0)
                        return r;
        }
        return ferror(f) ? -EIO : 0;
}

/* ---- JSON ---- */

/* ,"key":value — a string, a number, or null for what is not known (the table's "-"). */
static void json_string(FILE *f, const char *key, const char *value) {
        fprintf(f, ",\"%s\":", key);
        if (value)
                json_append_string(f, value);
        else
                fputs("null", f);
}

static void json_u64(FILE *f, const char *key, bool known, uint64_t value) {
        if (known)
                fprintf(f, ",\"%s\":%" PRIu64, key, value);
        else
                fprintf(f, ",\"%s\":null", key);
}

static void json_double(FILE *f, const char *key, bool known, double value) {
        char buf[32] = "null";

        if (known)
                format_double(buf, value);
        fprintf(f, ",\"%s\":%s", key, buf);
}

/* Opens the unit's object; the caller adds its own fields and closes it. */
static void json_unit(FILE *f, const ObserveUnit *u) {
        fputs("{\"unit\":", f);
        json_append_string(f, u->name ?: "");
        json_string(f, "active_state", u->active_state);
        json_string(f, "sub_state", u->sub_state);
}

static int json_instance(FILE *f, const ObserveInstance *i, const char *error, uint64_t now) {
        bool agent = i->agent > 0, up = instance_up(i, now), has_cpu, has_memory;
        _cleanup_free_ char *reason = NULL;
        unsigned ready, total;
        uint64_t memory = 0;
        double cpu = 0;

        if (observe_instance_reason(i, &reason) < 0)
                return -ENOMEM;
        observe_instance_services(i, &ready, &total);
        json_unit(f, &i->unit);
        json_string(f, "process", i->process);
        json_string(f, "instance", i->instance);
        json_string(f, "state", instance_state_to_string(observe_instance_state(i)));
        json_string(f, "reason", reason);
        json_u64(f, "pid", i->main_pid > 0, i->main_pid);
        json_u64(f, "restarts", i->have_service, i->n_restarts);
        json_double(f, "started_at", i->start_usec > 0, (double) i->start_usec / 1e6);
        json_double(f, "uptime_seconds", up, up ? (double) (now - i->start_usec) / 1e6 : 0);
        fprintf(f, ",\"agent\":%s", agent ? "true" : "false");
        has_cpu = agent && observe_instance_cpu_percent(i, &cpu);
        has_memory = agent && observe_instance_memory_bytes(i, &memory);
        json_double(f, "cpu_percent", has_cpu, cpu);
        json_u64(f, "memory_bytes", has_memory, memory);
        json_u64(f, "services_ready", agent, ready);
        json_u64(f, "services_total", agent, total);
        json_string(f, "last_error", error);
        fputc('}', f);
        return 0;
}

static void json_socket(FILE *f, const ObserveSocket *k) {
        json_unit(f, &k->unit);
        json_string(f, "process", k->process);
        fprintf(f, ",\"listening\":%s,\"listen\":[", socket_listening(k) ? "true" : "false");
        for (size_t i = 0; k->listen && k->listen[i]; i++) {
                if (i > 0)
                        fputc(',', f);
                json_append_string(f, k->listen[i]);
        }
        fputs("]}", f);
}

int status_write_json(FILE *f, const Observation *o, const StatusStyle *s) {
        size_t error_index = 0;
        int r;

        fputs("{\"apps\":[", f);
        for (size_t k = 0; k < o->n_apps; k++) {
                const ObserveApp *a = &o->apps[k];

                fprintf(f, "%s{\"app\":", k > 0 ? "," : "");
                json_append_string(f, a->name);
                fputs(",\"target\":", f);
                json_unit(f, &a->target);
                fputs("},\"instances\":[", f);
                for (size_t i = 0; i < a->n_instances; i++, error_index++) {
                        const char *error = error_index < s->n_errors ? s->errors[error_index] : NULL;

                        if (i > 0)
                                fputc(',', f);
                        r = json_instance(f, &a->instances[i], error, s->now_usec);
                        if (r < 0)
                                return r;
                }
                fputs("],\"sockets\":[", f);
                for (size_t i = 0; i < a->n_sockets; i++) {
                        if (i > 0)
                                fputc(',', f);
                        json_socket(f, &a->sockets[i]);
                }
                fputs("]}", f);
        }
        fprintf(f, "],\"healthy\":%s}\n", status_exit_code(o) == 0 ? "true" : "false");
        return ferror(f) ? -EIO : 0;
}

int status_exit_code(const Observation *o) {
        int code = 0;

        for (size_t k = 0; k < o->n_apps; k++) {
                const ObserveApp *a = &o->apps[k];

                bool found = a->target.load_state && !streq(a->target.load_state, "not-found");

                if (!found && a->n_instances == 0)
                        return STATUS_EXIT_NO_APP;
                for (size_t i = 0; i < a->n_instances; i++)
                        if (!observe_instance_healthy(&a->instances[i]))
                                code = STATUS_EXIT_NOT_RUNNING;
        }
        return code;
}

/* ---- reading and printing ---- */

static uint64_t realtime_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

/* Each instance's last error line, in the reading's order; lines the journal can't give are NULL. */
static void read_errors(const Observation *o, bool user, StatusStyle *s) {
        sd_journal *j = NULL;
        size_t n = 0;

        for (size_t k = 0; k < o->n_apps; k++)
                n += o->apps[k].n_instances;
        s->errors = calloc(n ?: 1, sizeof(char *));
        if (!s->errors || sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) < 0)
                return;
        for (size_t k = 0; k < o->n_apps; k++)
                for (size_t i = 0; i < o->apps[k].n_instances; i++, s->n_errors++)
                        (void) observe_last_error(j, o->apps[k].instances[i].unit.name, user,
                                                  &s->errors[s->n_errors]);
        sd_journal_close(j);
}

static size_t terminal_width(void) {
        struct winsize w;

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) < 0 || w.ws_col == 0)
                return 0;
        return w.ws_col;
}

/* Prints o as the options say; returns the exit status it calls for. */
static int print(const StatusOptions *opts, const Observation *o, bool again) {
        bool tty = isatty(STDOUT_FILENO);
        const char *no_colour = getenv("NO_COLOR"), *term = getenv("TERM");
        StatusStyle s = {
                .colour = tty && !(no_colour && no_colour[0]) && !(term && streq(term, "dumb")),
                .width = tty ? terminal_width() : 0,
                .now_usec = realtime_usec(),
        };
        int code = status_exit_code(o), r;

        if (code == STATUS_EXIT_NO_APP) {
                log_error("no app '%s' is installed (%s.target not found)", opts->app ?: "",
                          opts->app ?: "");
                return code;
        }
        if (o->errors > 0)
                log_error("%u calls to systemd or an agent were not answered in time; some rows are "
                          "incomplete", o->errors);
        read_errors(o, opts->user, &s);
        if (opts->watch && tty && !opts->json)
                fputs("\033[H\033[2J", stdout);  /* in place: home, then clear */
        else if (again && !opts->json)
                fputc('\n', stdout);
        r = opts->json ? status_write_json(stdout, o, &s) : status_write_table(stdout, o, &s);
        fflush(stdout);
        for (size_t k = 0; k < s.n_errors; k++)
                free(s.errors[k]);
        free(s.errors);
        if (r < 0) {
                log_error("can't print the status: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        return code;
}

typedef struct Watch {
        const StatusOptions *options;
        sd_bus *bus;
        sd_event *event;
        sd_event_source *timer;
        ObserveRequest *request;
        unsigned readings;
        int code;
} Watch;

static void on_reading(Observation *o, int error, void *userdata) {
        _cleanup_(observation_freep) Observation *owned = o;
        Watch *w = userdata;

        w->request = observe_request_free(w->request);
        if (error < 0) {
                log_error("can't read the apps: %s", strerror(-error));
                w->code = EXIT_FAILURE;
        } else
                w->code = print(w->options, o, w->readings++ > 0);
        (void) sd_event_source_set_time_relative(w->timer, STATUS_WATCH_USEC);
        (void) sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        Watch *w = userdata;
        ObserveOptions o = { .user = w->options->user, .pids = true, .app = w->options->app };
        int r;

        r = observe_start(w->bus, &o, on_reading, w, &w->request);
        if (r < 0) {
                log_error("can't read the apps: %s", strerror(-r));
                return sd_event_exit(w->event, EXIT_FAILURE);
        }
        return 0;
}

static int watch(const StatusOptions *options, sd_bus *bus) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        Watch w = { .options = options, .bus = bus };
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        r = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? negative_errno() : sd_event_new(&e);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_event_add_time_relative(e, &w.timer, CLOCK_MONOTONIC, 0, 0, on_tick, &w);
        w.event = e;
        if (r >= 0)
                r = sd_event_loop(e);
        w.request = observe_request_free(w.request);
        w.timer = sd_event_source_disable_unref(w.timer);
        (void) sd_bus_detach_event(bus);
        if (r < 0) {
                log_error("--watch failed: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        return r > 0 ? r : w.code;
}

int status_run(const StatusOptions *options) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(observation_freep) Observation *o = NULL;
        ObserveOptions oo = { .user = options->user, .pids = true, .app = options->app };
        int r;

        r = observe_bus_open(options->user, &bus);
        if (r < 0) {
                log_error("can't connect to the %s bus: %s", options->user ? "user" : "system",
                          strerror(-r));
                return EXIT_FAILURE;
        }
        if (options->watch)
                return watch(options, bus);
        r = observe_read(bus, &oo, &o);
        if (r < 0) {
                log_error("can't read the apps: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        return print(options, o, false);
}
