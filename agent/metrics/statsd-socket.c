/* SPDX-License-Identifier: MIT */

/* A bound, named socket rather than an abstract one (as notify.c uses): statsd clients take a path, and
 * a path under the unit's RuntimeDirectory= is private to the unit and removed by systemd with it.
 * Datagrams larger than the buffer are truncated by the kernel; the cut last line is then malformed and
 * counted, which is the right outcome for a client sending more than a datagram should hold. */

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/metrics/statsd-socket.h"

/* The largest datagram read: far more than statsd clients send (hot-shots batches up to 1432 bytes). */
#define STATSD_DATAGRAM_MAX (64 * 1024)

struct StatsdSocket {
        int fd;
        char *path;
        sd_event_source *source;
        StatsdHandler handler;
        void *userdata;
        StatsdStats *stats;
        char buffer[STATSD_DATAGRAM_MAX];
};

int statsd_socket_path(const char *runtime_directory, const char *service, char **ret) {
        size_t dir_len;
        char *path;

        if (!runtime_directory || runtime_directory[0] == '\0')
                return -ENXIO;
        dir_len = strcspn(runtime_directory, ":");
        if (asprintf(&path, "%.*s/metrics-%s.sock", (int) dir_len, runtime_directory, service) < 0)
                return -ENOMEM;
        if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path)) {
                free(path);
                return -ENAMETOOLONG;
        }
        *ret = path;
        return 0;
}

static int on_datagram(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        StatsdSocket *s = userdata;
        ssize_t n;

        n = recv(fd, s->buffer, sizeof(s->buffer), MSG_DONTWAIT);
        if (n < 0)
                /* EAGAIN: another reader was first; anything else is the socket's own problem, and
                 * dropping one datagram is all that can be done about it. */
                return 0;
        (void) statsd_parse_datagram(s->buffer, (size_t) n, s->handler, s->userdata, s->stats);
        return 0;
}

static int bind_at(const char *path, int *ret_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        /* A socket file left by an agent that was killed would make bind() fail with EADDRINUSE. */
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = negative_errno();

                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int statsd_socket_new(sd_event *e, const char *path, StatsdHandler handler, void *userdata,
                      StatsdStats *stats, StatsdSocket **ret) {
        _cleanup_(statsd_socket_freep) StatsdSocket *s = NULL;
        int r;

        s = calloc(1, sizeof(StatsdSocket));
        if (!s)
                return -ENOMEM;
        *s = (StatsdSocket) { .fd = -EBADF, .handler = handler, .userdata = userdata, .stats = stats };
        s->path = strdup(path);
        if (!s->path)
                return -ENOMEM;
        r = bind_at(path, &s->fd);
        if (r < 0)
                return r;
        r = sd_event_add_io(e, &s->source, s->fd, EPOLLIN, on_datagram, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->source, "statsd");
        *ret = TAKE_PTR(s);
        return 0;
}

StatsdSocket *statsd_socket_free(StatsdSocket *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->source);
        if (s->fd >= 0) {
                close(s->fd);
                /* Only a socket this object bound is removed: fd is set once bind() succeeded. */
                (void) unlink(s->path);
        }
        free(s->path);
        return mfree(s);
}

const char *statsd_socket_get_path(const StatsdSocket *s) {
        return s->path;
}
