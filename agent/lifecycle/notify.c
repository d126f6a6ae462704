/* SPDX-License-Identifier: MIT */

/* The notification socket children report to. An abstract address bound with autobind needs no
 * directory the agent could lack (units have no RuntimeDirectory=) and disappears with the agent.
 * SO_PASSCRED makes the kernel attach the sender's pid to every datagram, so a message is believed
 * only for the child it comes from, as systemd does with NotifyAccess=main. */

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/lifecycle/notify.h"
#include "common/socket-util.h"

/* systemd reads notifications into a buffer of this size too (NOTIFY_BUFFER_MAX). */
#define NOTIFY_BUFFER_MAX 4096

static int apply_line(NotifyMessage *m, const char *line, size_t n) {
        if (n == 7 && memcmp(line, "READY=1", 7) == 0)
                m->ready = true;
        else if (n == 10 && memcmp(line, "STOPPING=1", 10) == 0)
                m->stopping = true;
        else if (n == 10 && memcmp(line, "WATCHDOG=1", 10) == 0)
                m->watchdog = true;
        else if (n == 16 && memcmp(line, "WATCHDOG=trigger", 16) == 0)
                m->watchdog_trigger = true;
        else if (n >= 7 && memcmp(line, "STATUS=", 7) == 0) {
                char *status = strndup(line + 7, n - 7);

                if (!status)
                        return -ENOMEM;
                free(m->status);
                m->status = status;
        }
        return 0;
}

int notify_message_parse(const char *data, size_t size, NotifyMessage *ret) {
        NotifyMessage m = {};
        int r;

        if (memchr(data, '\0', size))
                return -EBADMSG;
        for (size_t i = 0; i < size;) {
                const char *nl = memchr(data + i, '\n', size - i);
                size_t n = nl ? (size_t) (nl - (data + i)) : size - i;

                r = apply_line(&m, data + i, n);
                if (r < 0) {
                        notify_message_done(&m);
                        return r;
                }
                i += n + 1;
        }
        *ret = m;
        return 0;
}

void notify_message_done(NotifyMessage *m) {
        m->status = mfree(m->status);
}

/* Closes every fd passed along (FDSTORE=1 and the like): the agent keeps none for its children. */
static void close_passed_fds(struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                        close(((int *) CMSG_DATA(c))[i]);
        }
}

static pid_t sender_of(struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                        return ((struct ucred *) CMSG_DATA(c))->pid;
        return 0;
}

static int on_datagram(sd_event_source *source _unused_, int fd, uint32_t revents _unused_, void *userdata) {
        NotifyServer *s = userdata;
        char buf[NOTIFY_BUFFER_MAX];
        union {
                struct cmsghdr align;
                char data[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        NotifyMessage m = {};
        ssize_t n;
        pid_t pid;

        n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : negative_errno();
        close_passed_fds(&mh);
        pid = sender_of(&mh);
        if (pid <= 0 || (size_t) n > sizeof(buf) || (mh.msg_flags & MSG_CTRUNC) ||
            notify_message_parse(buf, n, &m) < 0) {
                s->n_dropped++;
                return 0;
        }
        s->handler(pid, &m, s->userdata);
        notify_message_done(&m);
        return 0;
}

int notify_server_open(NotifyServer *s, sd_event *e, NotifyHandler handler, void *userdata) {
        int one = 1, r;

        *s = (NotifyServer) { .fd = -1, .handler = handler, .userdata = userdata };
        s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->fd < 0)
                return negative_errno();
        if (setsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return negative_errno();
        r = socket_bind_abstract(s->fd, &s->address);
        if (r < 0)
                return r;
        return sd_event_add_io(e, &s->source, s->fd, EPOLLIN, on_datagram, s);
}

void notify_server_done(NotifyServer *s) {
        s->source = sd_event_source_disable_unref(s->source);
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
        s->address = mfree(s->address);
}
