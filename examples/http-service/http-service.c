/* SPDX-License-Identifier: MIT */

/* httpServer, the seed's example service, as a pandora module: answers every request with
 * "Hello pandora", on the `port` of its config (1338 by default) or, when its process has `listen`, on
 * the instance's first listening socket. It logs each request and counts them, and stops by closing
 * the server: at once when idle, else once the requests in flight are answered (an asynchronous stop).
 * Everything runs on the agent's event loop; nothing blocks. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* accept4() */
#endif

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>
#include <pandora/service.h>

#define RESPONSE "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\nConnection: close\r\n\r\n" \
                 "Hello pandora\n"

typedef struct Server {
        PandoraService *service;
        int fd;
        bool own_fd;                    /* bound here, not the unit's socket */
        sd_event_source *listener;
        unsigned n_connections;
        bool stopping;
} Server;

typedef struct Connection {
        Server *server;
        int fd;
        sd_event_source *source;
        char request[2048];
        size_t size;
} Connection;

static void connection_close(Connection *c) {
        Server *server = c->server;

        sd_event_source_disable_unref(c->source);
        close(c->fd);
        free(c);
        server->n_connections--;
        if (server->stopping && server->n_connections == 0)
                pandora_service_stopped(server->service, 0);
}

/* Reads until the end of the request head, then answers and closes. */
static int on_readable(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Connection *c = userdata;
        ssize_t n = read(fd, c->request + c->size, sizeof(c->request) - 1 - c->size);
        char *line_end;

        (void) source;
        (void) revents;
        if (n < 0 && errno == EAGAIN)
                return 0;
        if (n > 0) {
                c->size += n;
                c->request[c->size] = '\0';
                if (!strstr(c->request, "\r\n\r\n") && c->size < sizeof(c->request) - 1)
                        return 0;
                (void) !write(fd, RESPONSE, strlen(RESPONSE));
                line_end = strstr(c->request, "\r\n");
                pandora_log(c->server->service, LOG_INFO, "%.*s", line_end ? (int) (line_end - c->request) : 64,
                            c->request);
                (void) pandora_counter_add(c->server->service, "requests", 1);
        }
        connection_close(c);
        return 0;
}

static int on_connection(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Server *server = userdata;
        Connection *c;
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        (void) source;
        (void) revents;
        if (cfd < 0)
                return 0;
        c = calloc(1, sizeof(Connection));
        if (!c || sd_event_add_io(pandora_service_event(server->service), &c->source, cfd, EPOLLIN, on_readable,
                                  c) < 0) {
                free(c);
                close(cfd);
                return 0;
        }
        c->server = server;
        c->fd = cfd;
        server->n_connections++;
        return 0;
}

static int bind_port(int port) {
        struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
        int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, zero = 0, r;

        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static int http_start(PandoraService *s) {
        Server *server = calloc(1, sizeof(Server));
        const int *fds;
        int port = 1338, r;

        if (!server)
                return -ENOMEM;
        server->service = s;
        if (pandora_service_listen_fds(s, &fds) > 0)
                server->fd = fds[0];
        else {
                (void) config_setting_lookup_int(pandora_service_config(s), "port", &port);
                server->fd = bind_port(port);
                server->own_fd = true;
        }
        r = server->fd < 0 ? server->fd
                           : sd_event_add_io(pandora_service_event(s), &server->listener, server->fd, EPOLLIN,
                                             on_connection, server);
        if (r < 0) {
                pandora_log(s, LOG_ERR, "Can't listen on port %d: %s", port, strerror(-r));
                if (server->own_fd && server->fd >= 0)
                        close(server->fd);
                free(server);
                return r;
        }
        pandora_service_set_userdata(s, server);
        pandora_log(s, LOG_INFO, "Listening on %s", server->own_fd ? "the configured port" : "the unit's socket");
        return 0;
}

static int http_stop(PandoraService *s) {
        Server *server = pandora_service_get_userdata(s);

        server->listener = sd_event_source_disable_unref(server->listener);
        if (server->own_fd)
                close(server->fd);
        if (server->n_connections == 0) {
                free(server);
                return 0;
        }
        /* Answer what is in flight; connection_close() reports the stop. The server is freed with the
         * process: the agent exits after its stop. */
        server->stopping = true;
        return PANDORA_SERVICE_PENDING;
}

PANDORA_SERVICE_MODULE(http_start, http_stop);
