/* SPDX-License-Identifier: MIT */

/* journald's native protocol on a socket of our own. sd_journal_sendv() writes to a blocking socket it
 * keeps to itself: while journald is stopped it waits in sendmsg(), and with it the whole event loop. Here
 * the socket is connected and non-blocking, so that a full journal says -EAGAIN at once and the socket
 * polls writable (EPOLLOUT on a connected datagram socket follows the receiver's queue) the moment
 * journald reads again. The wire format and the memfd for large entries are sd_journal_sendv()'s. */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/sockios.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/log/journal.h"
#include "common/io-util.h"
#include "common/macro.h"

/* As libsystemd's: room for many entries in flight before the journal's queue, not ours, is full. */
#define SNDBUF_SIZE (8 * 1024 * 1024)

static bool field_is_binary(const JournalField *f) {
        return memchr(f->value, '\n', f->value_size) != NULL;
}

size_t journal_field_size(const JournalField *f) {
        return f->name_size + 1 + (field_is_binary(f) ? sizeof(uint64_t) : 0) + f->value_size + 1;
}

char *journal_field_write(char *p, const JournalField *f, char **ret_end) {
        char *value;

        memcpy(p, f->name, f->name_size);
        p += f->name_size;
        if (field_is_binary(f)) {
                uint64_t le = htole64((uint64_t) f->value_size);

                *p++ = '\n';
                memcpy(p, &le, sizeof(le));
                p += sizeof(le);
        } else
                *p++ = '=';
        value = p;
        memcpy(p, f->value, f->value_size);
        p += f->value_size;
        *p++ = '\n';
        *ret_end = p;
        return value;
}

static int journal_connect(JournalSocket *j) {
        const char *path = j->path ?: JOURNAL_SOCKET_PATH;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        int size = SNDBUF_SIZE;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        /* Beyond net.core.wmem_max only as root; less is fine, the journal's queue limit comes first. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        if (connect(fd, (struct sockaddr *) &sa, offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1) < 0)
                return negative_errno();
        j->fd = fd;
        fd = -1;
        return 0;
}

void journal_socket_close(JournalSocket *j) {
        if (j->fd >= 0)
                close(j->fd);
        j->fd = -1;
}

/* A datagram larger than the socket takes: written to a sealed memfd whose descriptor is sent instead
 * (journald reads such a memfd from anyone, an unsealed file only from root). */
static int send_memfd(JournalSocket *j, const void *data, size_t size) {
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr mh = { .msg_control = &control, .msg_controllen = sizeof(control) };
        _cleanup_close_ int fd = -1;
        int r;

        fd = memfd_create("journal-data", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return negative_errno();
        r = loop_write(fd, data, size);
        if (r < 0)
                return r;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return negative_errno();
        control.header.cmsg_level = SOL_SOCKET;
        control.header.cmsg_type = SCM_RIGHTS;
        control.header.cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(&control.header), &fd, sizeof(int));
        if (sendmsg(j->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : negative_errno();
        return 0;
}

static int send_once(JournalSocket *j, const void *data, size_t size) {
        for (;;) {
                if (send(j->fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno == EMSGSIZE || errno == ENOBUFS)
                        return send_memfd(j, data, size);
                return errno == EWOULDBLOCK ? -EAGAIN : negative_errno();
        }
}

int journal_socket_send(JournalSocket *j, const void *data, size_t size) {
        int r;

        if (j->fd < 0) {
                r = journal_connect(j);
                if (r < 0)
                        return r;
        }
        r = send_once(j, data, size);
        /* The socket we are connected to is gone: journald's was made anew (its socket unit restarted). */
        if (r == -ECONNREFUSED || r == -ENOTCONN || r == -EPIPE || r == -ECONNRESET)
                return -ENOTCONN;
        return r;
}

int journal_socket_wait(JournalSocket *j, int timeout_ms) {
        struct pollfd p = { .fd = j->fd, .events = POLLOUT };
        int n;

        if (j->fd < 0)
                return 1;
        n = poll(&p, 1, timeout_ms);
        if (n < 0)
                return errno == EINTR ? 0 : negative_errno();
        return n > 0;
}

/* The stream's header, as systemd writes it for a unit: identifier, unit, priority, level prefix, and no
 * forwarding to syslog, kmsg or the console. */
static int stream_header(int fd, const char *identifier, const char *unit, int priority) {
        char header[640];
        int n;

        n = snprintf(header, sizeof(header), "%s\n%s\n%i\n1\n0\n0\n0\n", identifier, unit ?: "", priority);
        if (n < 0 || (size_t) n >= sizeof(header))
                return -EINVAL;
        /* A new socket's buffer is empty: the header goes in at once, or not at all. */
        if (send(fd, header, (size_t) n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
                return n < 0 ? negative_errno() : -EIO;
        return 0;
}

int journal_stream_open(const char *path, const char *identifier, const char *unit, int priority, int *ret_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        int size = SNDBUF_SIZE, r;

        path = path ?: JOURNAL_STREAM_PATH;
        if (strlen(path) >= sizeof(sa.sun_path) || strchr(identifier, '\n') || (unit && strchr(unit, '\n')) ||
            priority < 0 || priority > 7)
                return -EINVAL;
        strcpy(sa.sun_path, path);
        /* Non-blocking while connecting: a stopped journald with a full listen queue must not hold the
         * agent's loop in connect(). */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1) < 0)
                return errno == EINPROGRESS ? -EAGAIN : negative_errno();
        (void) shutdown(fd, SHUT_RD);
        /* As systemd gives a unit's stream: room for a burst while journald catches up. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        r = stream_header(fd, identifier, unit, priority);
        if (r < 0)
                return r;
        /* The child's stdout blocks, as a pipe or a unit's stream does: a fast writer waits for journald
         * instead of losing lines. The flag belongs to the open file, so the agent's copy blocks too; the
         * agent only asks it how much is unread. */
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
                return negative_errno();
        *ret_fd = fd;
        fd = -1;
        return 0;
}

int journal_stream_is_read(int fd) {
        int unread = 0;

        /* On an AF_UNIX stream socket: what the peer has not read yet (skbs are charged to the sender
         * until the reader consumes them). */
        if (ioctl(fd, SIOCOUTQ, &unread) < 0)
                return negative_errno();
        return unread == 0;
}
