/* SPDX-License-Identifier: MIT */

/* One connection, one request, one answer: the head is read (at most HTTP_HEAD_MAX bytes), GET or HEAD
 * /metrics starts a reading of every app on the Context's bus, and its rendering is written back as
 * the socket takes it; then the connection is closed. Everything happens on the Context's loop, so a
 * slow scraper or a silent agent holds up nobody else. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "config.h"
#include "exporter/context.h"
#include "exporter/http.h"
#include "exporter/render.h"
#include "observe/observe.h"

#define INDEX_TEXT "pandora-exporter: Prometheus metrics of the pandora apps on this host are at /metrics\n"

struct Connection {
        Context *context;
        int fd;
        sd_event_source *io;
        sd_event_source *timer;
        char in[HTTP_HEAD_MAX];
        size_t n_in;
        HttpRequest request;
        ObserveRequest *observe;
        uint64_t started_usec;
        char *out;
        size_t n_out, written;
        Connection *prev, *next;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

Connection *connection_free(Connection *x) {
        if (!x)
                return NULL;
        if (x->prev)
                x->prev->next = x->next;
        else
                x->context->connections = x->next;
        if (x->next)
                x->next->prev = x->prev;
        x->context->n_connections--;
        observe_request_free(x->observe);
        sd_event_source_disable_unref(x->io);
        sd_event_source_disable_unref(x->timer);
        if (x->fd >= 0)
                close(x->fd);
        http_request_done(&x->request);
        free(x->out);
        free(x);
        return NULL;
}

static int on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Connection *x = userdata;

        while (x->written < x->n_out) {
                ssize_t k = send(fd, x->out + x->written, x->n_out - x->written, MSG_NOSIGNAL);

                if (k < 0 && errno == EAGAIN)
                        return 0;
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;  /* the scraper went away */
                x->written += k;
        }
        connection_free(x);
        return 0;
}

/* Sends status with body (its Content-Length even for HEAD, which gets no body). */
static void respond(Connection *x, int status, const char *content_type, const char *body, size_t n,
                    const char *extra) {
        _cleanup_free_ char *head = http_response_head(status, content_type, n, extra);
        bool with_body = x->request.method != HTTP_HEAD;
        char *out;

        if (!head) {
                connection_free(x);
                return;
        }
        out = malloc(strlen(head) + (with_body ? n : 0));
        if (!out) {
                connection_free(x);
                return;
        }
        memcpy(out, head, strlen(head));
        if (with_body)
                memcpy(out + strlen(head), body, n);
        x->out = out;
        x->n_out = strlen(head) + (with_body ? n : 0);
        if (sd_event_source_set_io_events(x->io, EPOLLOUT) < 0 ||
            sd_event_source_set_enabled(x->io, SD_EVENT_ON) < 0) {
                connection_free(x);
                return;
        }
        (void) on_writable(x->io, x->fd, EPOLLOUT, x);
}

static void respond_text(Connection *x, int status, const char *text) {
        respond(x, status, "text/plain; charset=utf-8", text, strlen(text),
                status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

/* Says, at most once a minute, that calls went unanswered; when the bus itself hung up on us, the likely
 * reason: dbus-daemon refuses the connections of a dynamic user, the static one was never made. */
static void log_scrape_errors(Context *c, unsigned errors) {
        uint64_t now = now_usec();

        if (c->errors_logged_usec != 0 && now - c->errors_logged_usec < 60 * 1000000ULL)
                return;
        c->errors_logged_usec = now;
        if (c->bus && sd_bus_is_open(c->bus) <= 0)
                fprintf(stderr, "pandora-exporter: the system bus closed the connection; does the user "
                        "pandora-exporter exist (systemd-sysusers)? dbus-daemon refuses dynamic users\n");
        else
                fprintf(stderr, "pandora-exporter: %u calls to systemd or an agent failed or were not "
                        "answered in time; counted in pandora_exporter_scrape_errors_total\n", errors);
}

/* The reading is in (o NULL and error 0: there was no bus to read, only the exporter's own metrics). */
static void on_observed(Observation *o, int error, void *userdata) {
        _cleanup_(observation_freep) Observation *owned = o;
        Connection *x = userdata;
        Context *c = x->context;
        _cleanup_free_ char *text = NULL;
        RenderExporter e = { .version = PACKAGE_VERSION };
        size_t n;
        int r;

        x->observe = observe_request_free(x->observe);
        if (error < 0) {
                fprintf(stderr, "pandora-exporter: reading the apps failed: %s\n", strerror(-error));
                respond_text(x, 500, "pandora-exporter: reading the apps failed\n");
                return;
        }
        if (o && o->errors > 0)
                log_scrape_errors(c, o->errors);
        c->scrape_errors += o ? o->errors : 0;
        e.scrape_errors_total = c->scrape_errors;
        e.scrape_duration_seconds = (double) (now_usec() - x->started_usec) / 1e6;
        r = render_metrics(o, &e, x->request.format, &text, &n);
        if (r < 0)
                respond_text(x, 500, "pandora-exporter: out of memory\n");
        else
                respond(x, 200, render_content_type(x->request.format), text, n, NULL);
}

/* GET /metrics: a reading, answered in on_observed(); without a bus, only the exporter's own metrics. */
static void scrape(Connection *x) {
        Context *c = x->context;
        ObserveOptions o = { .timeout_usec = c->timeout_usec };
        sd_bus *bus;
        int r;

        x->started_usec = now_usec();
        bus = context_bus(c, &r);
        if (bus)
                r = observe_start(bus, &o, on_observed, x, &x->observe);
        if (r >= 0)
                return;
        fprintf(stderr, "pandora-exporter: can't read the system bus: %s\n", strerror(-r));
        c->scrape_errors++;
        on_observed(NULL, 0, x);
}

static void handle(Connection *x) {
        (void) sd_event_source_set_enabled(x->io, SD_EVENT_OFF);
        if (x->request.method == HTTP_OTHER)
                respond_text(x, 405, "pandora-exporter: only GET and HEAD\n");
        else if (streq(x->request.path, "/"))
                respond_text(x, 200, INDEX_TEXT);
        else if (!streq(x->request.path, "/metrics"))
                respond_text(x, 404, "pandora-exporter: not found; metrics are at /metrics\n");
        else
                scrape(x);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Connection *x = userdata;
        ssize_t k;
        int r;

        k = recv(fd, x->in + x->n_in, sizeof(x->in) - x->n_in, 0);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (k <= 0) {
                connection_free(x);
                return 0;
        }
        x->n_in += k;
        r = http_parse_request(x->in, x->n_in, &x->request);
        if (r == 0)
                return 0;
        if (r == -E2BIG)
                respond_text(x, 431, "pandora-exporter: request head too large\n");
        else if (r < 0)
                respond_text(x, 400, "pandora-exporter: bad request\n");
        else
                handle(x);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        connection_free(userdata);
        return 0;
}

int connection_new(Context *c, int fd) {
        Connection *x = calloc(1, sizeof(Connection));
        int r;

        if (!x) {
                close(fd);
                return -ENOMEM;
        }
        *x = (Connection) { .context = c, .fd = fd, .started_usec = now_usec(), .next = c->connections };
        if (c->connections)
                c->connections->prev = x;
        c->connections = x;
        c->n_connections++;
        r = sd_event_add_io(c->event, &x->io, fd, EPOLLIN, on_readable, x);
        if (r >= 0)
                r = sd_event_add_time_relative(c->event, &x->timer, CLOCK_MONOTONIC,
                                               CONNECTION_TIMEOUT_USEC, 0, on_timeout, x);
        if (r < 0)
                connection_free(x);
        return r;
}
