/* SPDX-License-Identifier: MIT */

/* agent/listen/ owns the sharing of the unit's sockets with unmodified children: the description of
 * each socket that the interposer (preload/) matches binds against, and the request socket through
 * which a child's bind() gets the systemd-held socket by SCM_RIGHTS. Sockets are handed out on request
 * only, to the agent's own descendants (the owner callback), so a program that never binds a shared
 * address never holds one through the interposer. It calls only common/ and sd-event; it never logs
 * and never knows the Context: the core's callbacks turn requests into readiness and journal entries.
 *
 * Each request is one connection: accept, read one packet, answer, close. The child sends its packet
 * right after connecting, so the short receive timeout on the accepted socket is never waited out by
 * a well-behaved child, and a stuck one costs the loop at most REQUEST_TIMEOUT_MS. */

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent/listen/share.h"
#include "common/macro.h"
#include "common/socket-util.h"

#define REQUEST_TIMEOUT_MS 500

static const char * const request_table[_LISTEN_REQUEST_MAX] = {
        [LISTEN_REQUEST_BIND] = "BIND",
        [LISTEN_REQUEST_LISTEN] = "LISTEN",
        [LISTEN_REQUEST_IN_USE] = "INUSE",
        [LISTEN_REQUEST_REUSEPORT] = "REUSEPORT",
};

int listen_address_of_fd(int fd, ListenAddress *ret) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss), n;
        int type, v6only = 0, r;
        struct stat st;

        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        n = sizeof(type);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &n) < 0)
                return negative_errno();
        n = sizeof(v6only);
        if (ss.ss_family == AF_INET6 && getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &n) < 0)
                return negative_errno();
        r = listen_address_from_sockaddr((struct sockaddr *) &ss, len, type, v6only, ret);
        if (r < 0)
                return r;
        ret->inode = st.st_ino;
        return 0;
}

static bool has_index(ListenRequest request) {
        return request == LISTEN_REQUEST_BIND || request == LISTEN_REQUEST_LISTEN;
}

int listen_request_parse(const char *text, size_t n_sockets, ListenRequest *ret, size_t *ret_index,
                         ListenAddress *ret_app) {
        ListenRequest request = _LISTEN_REQUEST_INVALID;
        size_t verb = strcspn(text, " "), index = (size_t) -1;
        char line[LISTEN_ADDRESS_TEXT_MAX + 32];
        const char *rest;
        ListenAddress app;

        for (size_t i = 0; i < _LISTEN_REQUEST_MAX; i++)
                if (strlen(request_table[i]) == verb && strncmp(text, request_table[i], verb) == 0)
                        request = i;
        if (request < 0 || text[verb] != ' ')
                return -EINVAL;
        rest = text + verb + 1;
        if (has_index(request)) {
                char *end;

                index = strtoul(rest, &end, 10);
                if (end == rest || *end != ' ' || index >= n_sockets)
                        return -EINVAL;
                rest = end + 1;
        }
        /* The address parser reads whole $PANDORA_LISTEN lines; the type and inode don't matter here. */
        if ((size_t) snprintf(line, sizeof(line), "stream 0 0 %s", rest) >= sizeof(line) ||
            listen_address_parse_list(line, &app, 1) != 1)
                return -EINVAL;
        *ret = request;
        *ret_index = index;
        *ret_app = app;
        return 0;
}

static pid_t peer_pid(int fd) {
        struct ucred cred;
        socklen_t len = sizeof(cred);

        return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ? 0 : cred.pid;
}

static int answer(int fd, int pass_fd) {
        union {
                struct cmsghdr align;
                char data[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (char *) "OK", .iov_len = 2 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (pass_fd >= 0) {
                struct cmsghdr *cmsg;

                mh.msg_control = &control;
                mh.msg_controllen = sizeof(control);
                cmsg = CMSG_FIRSTHDR(&mh);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
        }
        return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? negative_errno() : 0;
}

/* One connection: read its packet, answer it, tell the owner. */
static void serve(ListenShare *s, int fd) {
        struct timeval tv = { .tv_usec = REQUEST_TIMEOUT_MS * 1000 };
        char text[LISTEN_ADDRESS_TEXT_MAX + 64];
        ListenRequest request;
        ListenAddress app;
        size_t index;
        ssize_t n;
        pid_t pid;

        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        pid = peer_pid(fd);
        n = recv(fd, text, sizeof(text) - 1, 0);
        if (pid <= 0 || n <= 0 || !s->ops->owns(pid, s->userdata)) {
                s->n_refused++;
                return;
        }
        text[n] = '\0';
        if (listen_request_parse(text, s->n_sockets, &request, &index, &app) < 0) {
                s->n_refused++;
                (void) send(fd, "NO", 2, MSG_NOSIGNAL | MSG_DONTWAIT);
                return;
        }
        if (answer(fd, request == LISTEN_REQUEST_BIND ? s->socket_fds[index] : -1) < 0)
                return;
        s->ops->on_request(request, pid, index, &app, s->userdata);
}

static int on_connection(sd_event_source *source _unused_, int fd, uint32_t revents _unused_, void *userdata) {
        ListenShare *s = userdata;
        int conn;

        conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
                return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : negative_errno();
        serve(s, conn);
        close(conn);
        return 0;
}

/* $PANDORA_LISTEN: one line per socket the interposer can share. */
static int describe(ListenShare *s, const int *fds, size_t n) {
        size_t size = 1, used = 0;

        for (size_t i = 0; i < n && s->n_sockets < LISTEN_ADDRESS_MAX; i++) {
                int r = listen_address_of_fd(fds[i], &s->sockets[s->n_sockets]);

                /* Indexes are fd positions: one socket the interposer can't describe (a FIFO, a
                 * netlink socket) and none is shared, rather than a wrong one. */
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        s->n_sockets = 0;
                        return 0;
                }
                s->n_sockets++;
                size += LISTEN_ADDRESS_TEXT_MAX + 48;
        }
        if (s->n_sockets == 0)
                return 0;
        s->description = malloc(size);
        if (!s->description)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_sockets; i++) {
                int k = listen_address_format(&s->sockets[i], s->description + used, size - used);

                if (k < 0)
                        return k;
                used += k;
                if (i + 1 < s->n_sockets)
                        s->description[used++] = '\n';
        }
        s->description[used] = '\0';
        return 0;
}

int listen_share_open(ListenShare *s, sd_event *e, const int *fds, size_t n, const ListenShareOps *ops,
                      void *userdata) {
        int r;

        *s = (ListenShare) { .fd = -1, .socket_fds = fds, .ops = ops, .userdata = userdata };
        r = describe(s, fds, n);
        if (r < 0)
                return r;
        s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->fd < 0)
                return negative_errno();
        r = socket_bind_abstract(s->fd, &s->address);
        if (r < 0)
                return r;
        if (listen(s->fd, SOMAXCONN) < 0)
                return negative_errno();
        return sd_event_add_io(e, &s->source, s->fd, EPOLLIN, on_connection, s);
}

void listen_share_done(ListenShare *s) {
        s->source = sd_event_source_disable_unref(s->source);
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
        s->address = mfree(s->address);
        s->description = mfree(s->description);
}
