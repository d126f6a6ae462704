/* SPDX-License-Identifier: MIT */

/* The instance's objects without a bus: peer-to-peer D-Bus on $RUNTIME_DIRECTORY/bus.sock, for an
 * instance that can't be on the system bus (DynamicUser=yes: dbus-daemon refuses a dynamic user, and
 * systemd documents the two as incompatible). Each connection is an sd-bus server of its own (as
 * systemd's /run/systemd/private is) with the same objects and vtables as the bus, so
 * `busctl --address=unix:path=.../bus.sock` and pandora's readers ask it exactly what they ask the bus.
 *
 * Who may connect is the socket's mode (0666: any local reader, as the bus policy lets anyone read an
 * agent); who may listen there is the directory's, which systemd made for this unit and this unit's
 * user alone may write, so no other user can put a socket in its place. Authentication is therefore
 * not what protects anything: EXTERNAL and ANONYMOUS are both accepted.
 *
 * A reader must never hurt the agent: connections are bounded (the oldest makes room for a new one,
 * so idle ones can't lock readers out), a hung-up reader is dropped, and so is one that leaves replies
 * and signals unread, before its queue grows; nothing here blocks (no flush on close), and no error of
 * a reader's reaches the loop. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/bus/interfaces.h"

/* Replies and signals a reader may leave unread before it is dropped. A reader asks and waits; the
 * only things that queue up without being asked for are PropertiesChanged signals. */
#define PEER_WRITE_QUEUE_MAX 64U

static size_t peer_index(const BusAgent *b, const sd_bus *bus) {
        for (size_t i = 0; i < b->n_peers; i++)
                if (b->peers[i] == bus)
                        return i;
        return SIZE_MAX;
}

/* Closes peer i without flushing (a reader that does not read would block the flush). */
static void peer_drop(BusAgent *b, size_t i) {
        sd_bus *bus = b->peers[i];

        memmove(b->peers + i, b->peers + i + 1, (b->n_peers - i - 1) * sizeof(sd_bus *));
        b->n_peers--;
        (void) sd_bus_detach_event(bus);
        sd_bus_close_unref(bus);
}

static bool peer_backed_up(sd_bus *bus) {
        uint64_t queued;

        return sd_bus_get_n_queued_write(bus, &queued) >= 0 && queued > PEER_WRITE_QUEUE_MAX;
}

/* Every message of a reader passes here before it is dispatched. Disconnected (synthesized by sd-bus
 * when the reader hangs up or breaks the protocol) drops it; so does a call from a reader that left too
 * many replies unread: returning 1 tells sd-bus the message is handled, so no reply is queued. */
static int on_peer_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error _unused_) {
        BusAgent *b = userdata;
        sd_bus *bus = sd_bus_message_get_bus(m);
        size_t i = peer_index(b, bus);

        if (i == SIZE_MAX)
                return 0;
        if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected") ||
            peer_backed_up(bus)) {
                /* sd-bus holds its own reference while it dispatches: dropping ours here is safe. */
                peer_drop(b, i);
                return 1;
        }
        return 0;
}

void bus_agent_prune_peers(BusAgent *b) {
        for (size_t i = b->n_peers; i > 0; i--)
                if (peer_backed_up(b->peers[i - 1]))
                        peer_drop(b, i - 1);
}

/* busctl, like any client that expects a bus, opens with org.freedesktop.DBus.Hello() and waits for its
 * unique name before it sends anything else; a peer-to-peer server has no bus driver to answer it, so
 * each connection answers this one call itself, with a name that is unique among its readers. */
static int method_hello(sd_bus_message *m, void *userdata, sd_bus_error *error _unused_) {
        BusAgent *b = userdata;
        char name[32];

        (void) snprintf(name, sizeof(name), ":1.%u", ++b->hellos);
        return sd_bus_reply_method_return(m, "s", name);
}

static const sd_bus_vtable driver_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Hello", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", unique_name), method_hello,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* Makes fd (an accepted connection, taken over) a server connection with the objects, on the loop. */
static int peer_new(BusAgent *b, int fd, sd_bus **ret) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0) {
                close(fd);
                return r;
        }
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        (void) sd_bus_set_description(bus, "pandora-agent-peer");
        r = sd_bus_set_server(bus, true, b->server_id);
        if (r >= 0)
                r = sd_bus_set_anonymous(bus, true);
        if (r >= 0)
                /* Nothing here takes a file descriptor: refuse them rather than hold a reader's. */
                r = sd_bus_negotiate_fds(bus, false);
        if (r >= 0)
                r = sd_bus_add_filter(bus, NULL, on_peer_message, b);
        if (r >= 0)
                r = bus_agent_add_objects(b, bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                             driver_vtable, b);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

static int on_connection(sd_event_source *s _unused_, int fd, uint32_t revents _unused_, void *userdata) {
        BusAgent *b = userdata;
        sd_bus *bus;
        int conn;

        conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (conn < 0)
                /* A reader that gave up, or no fds left: nothing the agent could do about it. */
                return 0;
        if (b->n_peers == BUS_PRIVATE_PEERS_MAX)
                peer_drop(b, 0);
        if (peer_new(b, conn, &bus) < 0)
                return 0;
        b->peers[b->n_peers++] = bus;
        return 0;
}

/* Binds path, mode 0666 (connecting takes write permission), and listens. Returns the fd. */
static int listen_at(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        (void) unlink(path);
        /* chmod() after bind() rather than umask(): until then the socket is only more private. */
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
            listen(fd, SOMAXCONN) < 0) {
                r = negative_errno();
                close(fd);
                return r;
        }
        return fd;
}

int bus_agent_listen(BusAgent *b, sd_event *e, const char *dir) {
        size_t n;
        int fd, r;

        if (!dir || dir[0] == '\0')
                return -ENXIO;
        n = strcspn(dir, ":");
        if (asprintf(&b->listener_path, "%.*s/" BUS_PRIVATE_SOCKET_NAME, (int) n, dir) < 0) {
                b->listener_path = NULL;
                return -ENOMEM;
        }
        r = sd_id128_randomize(&b->server_id);
        if (r < 0)
                return r;
        fd = listen_at(b->listener_path);
        if (fd < 0) {
                b->listener_path = mfree(b->listener_path);
                return fd;
        }
        b->event = sd_event_ref(e);
        r = sd_event_add_io(e, &b->listener, fd, EPOLLIN, on_connection, b);
        if (r < 0) {
                close(fd);
                return r;
        }
        r = sd_event_source_set_io_fd_own(b->listener, true);
        if (r < 0) {
                close(fd);
                return r;
        }
        (void) sd_event_source_set_description(b->listener, "bus-private");
        return 0;
}

void bus_agent_close_private(BusAgent *b) {
        while (b->n_peers > 0)
                peer_drop(b, b->n_peers - 1);
        b->listener = sd_event_source_disable_unref(b->listener);
        if (b->listener_path)
                (void) unlink(b->listener_path);
        b->listener_path = mfree(b->listener_path);
}
