/* SPDX-License-Identifier: MIT */

/* agent/control/ owns the control socket through which the instance is reloaded: `systemctl reload`
 * runs `pandora-agent --reload` (ExecReload=), and `pandora-gen --reload` connects itself. It reads one
 * request per connection and hands it, with the open connection, to the core, which answers when the
 * work is done. It calls only common/ and sd-event; it never logs and never knows the Context. Access
 * is the socket file's mode, 0600 in the unit's RuntimeDirectory=: the unit's user and root. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control/control.h"
#include "common/macro.h"
#include "common/path-util.h"

/* A client sends its request right after connecting; one that does not is dropped after this long. */
#define REQUEST_TIMEOUT_MS 500

static int on_connection(sd_event_source *source _unused_, int fd, uint32_t revents _unused_, void *userdata) {
        struct timeval tv = { .tv_usec = REQUEST_TIMEOUT_MS * 1000 };
        ControlServer *s = userdata;
        char request[256];
        ssize_t n;
        int conn;

        conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
                return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : negative_errno();
        (void) setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        n = recv(conn, request, sizeof(request) - 1, 0);
        if (n <= 0) {
                close(conn);
                return 0;
        }
        request[n] = '\0';
        s->handler(s, conn, request, s->userdata);
        return 0;
}

void control_reply(int connection, ControlAnswer answer, const char *text) {
        _cleanup_free_ char *reply = control_answer_format(answer, text);

        if (connection < 0)
                return;
        if (reply)
                (void) send(connection, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT);
        close(connection);
}

int control_server_open(ControlServer *s, sd_event *e, const char *dir, ControlHandler handler, void *userdata) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        mode_t mask;
        int r;

        *s = (ControlServer) { .fd = -1, .handler = handler, .userdata = userdata };
        s->path = path_join_absolute(dir, CONTROL_SOCKET_NAME);
        if (!s->path)
                return -ENOMEM;
        if (strlen(s->path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, s->path);
        s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->fd < 0)
                return negative_errno();
        (void) unlink(s->path);
        mask = umask(0077);
        r = bind(s->fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(mask);
        if (r < 0 || listen(s->fd, 16) < 0)
                return negative_errno();
        return sd_event_add_io(e, &s->source, s->fd, EPOLLIN, on_connection, s);
}

void control_server_done(ControlServer *s) {
        s->source = sd_event_source_disable_unref(s->source);
        if (s->fd >= 0) {
                close(s->fd);
                if (s->path)
                        (void) unlink(s->path);
        }
        s->fd = -1;
        s->path = mfree(s->path);
}
