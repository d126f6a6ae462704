/* SPDX-License-Identifier: MIT */

/* pandora-exporter, as hostnamed is written: one Context, one sd-event loop, signals, READY=1 and
 * STOPPING=1. systemd hands it its listening socket (pandora-exporter.socket, Accept=no); each connection
 * is one HTTP request, and each GET /metrics one reading of every pandora app (observe/), rendered as
 * Prometheus metrics (render.c). It keeps nothing between scrapes but the bus connection and its error
 * counter, and changes nothing it reads.
 *
 * exporter/ owns the pandora-exporter program: its options, the socket, HTTP and the rendering. It may
 * call observe/ (the reading), common/ and libsystemd (sd-event, sd-bus, sd-daemon); it never reads the
 * agent's code or the procfiles, and logs only here and in connection.c, to stderr (the journal). */

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "exporter/context.h"
#include "exporter/exporter.h"
#include "observe/observe.h"

#define EXIT_USAGE 2
#define TIMEOUT_MS_DEFAULT 1000

static unsigned long arg_timeout_ms = TIMEOUT_MS_DEFAULT;

static void help(void) {
        printf("usage: pandora-exporter [--timeout MS]\n"
               "       pandora-exporter --help | --version\n"
               "\n"
               "Prometheus metrics of every pandora app on this host, for a scrape of the socket systemd\n"
               "passes it (pandora-exporter.socket).\n"
               "\n"
               "  --timeout MS   how long a scrape waits for systemd and the agents (default %d)\n"
               "  --help         show this help\n"
               "  --version      show the version\n", TIMEOUT_MS_DEFAULT);
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "timeout", required_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        char *end;
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 't':
                        errno = 0;
                        arg_timeout_ms = strtoul(optarg, &end, 10);
                        if (errno != 0 || *end || end == optarg || arg_timeout_ms == 0 ||
                            arg_timeout_ms > 600000) {
                                fprintf(stderr, "pandora-exporter: --timeout takes 1 to 600000 ms\n");
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("pandora-exporter %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "pandora-exporter: takes no operands (see --help)\n");
                return -EINVAL;
        }
        return 1;
}

sd_bus *context_bus(Context *c, int *ret_error) {
        int r;

        if (c->bus && sd_bus_is_open(c->bus) > 0) {
                *ret_error = 0;
                return c->bus;
        }
        c->bus = sd_bus_flush_close_unref(c->bus);
        r = observe_bus_open(false, &c->bus);
        if (r >= 0)
                r = sd_bus_attach_event(c->bus, c->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                c->bus = sd_bus_close_unref(c->bus);
                *ret_error = r;
                return NULL;
        }
        *ret_error = 0;
        return c->bus;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Context *c = userdata;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;       /* EAGAIN, or a connection gone before it was taken */
        if (c->n_connections >= CONNECTIONS_MAX) {
                close(cfd);
                return 0;
        }
        r = connection_new(c, cfd);
        if (r < 0)
                fprintf(stderr, "pandora-exporter: can't serve a connection: %s\n", strerror(-r));
        return 0;
}

/* The one socket of pandora-exporter.socket: a listening stream socket. */
static int take_socket(Context *c) {
        int n = sd_listen_fds(true);

        if (n < 0)
                return n;
        if (n != 1 || sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                fprintf(stderr, "pandora-exporter: expects one listening stream socket from systemd "
                        "(pandora-exporter.socket), got %d file descriptors\n", n);
                return -EBADF;
        }
        c->listen_fd = SD_LISTEN_FDS_START;
        if (fcntl(c->listen_fd, F_SETFL, fcntl(c->listen_fd, F_GETFL) | O_NONBLOCK) < 0)
                return negative_errno();
        return 0;
}

static void context_done(Context *c) {
        while (c->connections)
                connection_free(c->connections);
        c->listen_source = sd_event_source_disable_unref(c->listen_source);
        c->bus = sd_bus_flush_close_unref(c->bus);
        c->event = sd_event_unref(c->event);
}

static int context_setup(Context *c) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return negative_errno();
        r = sd_event_default(&c->event);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(c->event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_set_watchdog(c->event, true);
        if (r >= 0)
                r = take_socket(c);
        if (r >= 0)
                r = sd_event_add_io(c->event, &c->listen_source, c->listen_fd, EPOLLIN, on_accept, c);
        return r;
}

static int run(void) {
        _cleanup_(context_done) Context c = { .listen_fd = -1, .timeout_usec = arg_timeout_ms * 1000ULL };
        int r;

        r = context_setup(&c);
        if (r < 0) {
                if (r != -EBADF)
                        fprintf(stderr, "pandora-exporter: can't start: %s\n", strerror(-r));
                return r;
        }
        (void) sd_notify(false, "READY=1\nSTATUS=Serving scrapes");
        r = sd_event_loop(c.event);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                fprintf(stderr, "pandora-exporter: event loop failed: %s\n", strerror(-r));
        return r;
}

int exporter_main(int argc, char *argv[]) {
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        return run() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
