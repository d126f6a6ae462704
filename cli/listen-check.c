/* SPDX-License-Identifier: MIT */

/* The install-time look at the addresses an app declares in `listen`: when another program already
 * listens on one, the app's socket unit will fail to start and no instance will run, and that is
 * better said by pandora-gen, with the owner's name, than found later under "(sd-listen)" in the
 * journal. A probe binds each address as systemd's ListenStream= would (SO_REUSEADDR, an IPv6 socket
 * that takes IPv4 too for a bare port) and lets the kernel say whether it is taken. A UNIX socket is
 * taken when a connect() to it succeeds; systemd unlinks the path and binds its own, so there the
 * warning is that the other program's clients will reach the app. It only warns: the other program
 * may be about to go, and the procfile is right as it is. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/listen-check.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "generator/log.h"
#include "generator/unit-render.h"

typedef struct Probe {
        struct sockaddr_storage address;
        socklen_t length;
        uint16_t port;                  /* host order; 0 for a UNIX socket */
        const char *path;               /* UNIX: the path, '@' first for an abstract name */
} Probe;

static int probe_ip(Probe *p, int family, const char *host, const char *port_text) {
        char *end;
        unsigned long port = strtoul(port_text, &end, 10);

        if (*port_text == '\0' || *end != '\0' || port == 0 || port > 65535)
                return -EINVAL;
        p->port = (uint16_t) port;
        if (family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *) &p->address;

                *in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(p->port) };
                p->length = sizeof(*in);
                return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
        }
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &p->address;

        *in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(p->port),
                                       .sin6_addr = in6addr_any };
        p->length = sizeof(*in6);
        return !host || inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
}

/* A `listen` entry as the generator writes it into ListenStream=: "PORT", "HOST:PORT", "[V6]:PORT",
 * "/path" or "@name". */
static int probe_parse(const char *spec, Probe *p) {
        _cleanup_free_ char *host = NULL;
        const char *colon = strrchr(spec, ':');

        *p = (Probe) {};
        if (spec[0] == '/' || spec[0] == '@') {
                struct sockaddr_un *un = (struct sockaddr_un *) &p->address;
                size_t n = strlen(spec);

                if (n >= sizeof(un->sun_path))
                        return -EINVAL;
                un->sun_family = AF_UNIX;
                memcpy(un->sun_path, spec, n);
                if (spec[0] == '@')
                        un->sun_path[0] = '\0';
                p->length = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + (spec[0] == '/'));
                p->path = spec;
                return 0;
        }
        if (!colon)
                return probe_ip(p, AF_INET6, NULL, spec);
        if (spec[0] == '[' && colon > spec + 1 && colon[-1] == ']') {
                host = strndup(spec + 1, colon - spec - 2);
                return host ? probe_ip(p, AF_INET6, host, colon + 1) : -ENOMEM;
        }
        host = strndup(spec, colon - spec);
        return host ? probe_ip(p, AF_INET, host, colon + 1) : -ENOMEM;
}

/* 1: something listens there; 0: free, or the probe can't tell (a port this user may not bind). */
static int probe_taken(const Probe *p) {
        int family = p->address.ss_family, one = 1, zero = 0;
        _cleanup_close_ int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return 0;
        if (family == AF_UNIX)
                return connect(fd, (const struct sockaddr *) &p->address, p->length) >= 0;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        return bind(fd, (const struct sockaddr *) &p->address, p->length) < 0 && errno == EADDRINUSE;
}

/* The inode of a listening socket on p, from /proc/net: "tcp" and "tcp6" lines are
 * "sl local:PORT remote st ... inode" with st 0A for LISTEN; "unix" lines end in "inode path", with the
 * 00010000 flag (__SO_ACCEPTCON) for a listening one. 0 when none is seen. */
static uint64_t listening_inode(const Probe *p) {
        const char *tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
        const char *unix_table[] = { "/proc/net/unix" };
        bool is_unix = p->path != NULL;
        const char **files = is_unix ? unix_table : tables;

        for (size_t i = 0; i < (is_unix ? 1 : ELEMENTSOF(tables)); i++) {
                _cleanup_fclose_ FILE *f = fopen(files[i], "re");
                char line[512], path[256];
                unsigned port, state, flags;
                uint64_t inode;

                while (f && fgets(line, sizeof(line), f)) {
                        if (is_unix) {
                                if (sscanf(line, "%*s %*s %*s %x %*s %*s %" SCNu64 " %255s", &flags, &inode,
                                           path) == 3 && (flags & 0x10000) && streq(path, p->path))
                                        return inode;
                                continue;
                        }
                        if (sscanf(line, " %*u: %*[0-9A-F]:%x %*s %x %*s %*s %*s %*s %*s %" SCNu64, &port, &state,
                                   &inode) == 3 && state == 0x0A && port == p->port)
                                return inode;
                }
        }
        return 0;
}

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

/* /proc/PID/comm without its newline, or NULL. */
static char *process_comm(const char *pid) {
        _cleanup_free_ char *path = strprintf("/proc/%s/comm", pid);
        _cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
        char comm[64];

        if (!f || !fgets(comm, sizeof(comm), f))
                return NULL;
        comm[strcspn(comm, "\n")] = '\0';
        return strdup(comm);
}

/* "NAME, pid N" of a process that holds socket inode, or NULL (not found, or not this user's to see). */
static char *socket_owner(uint64_t inode) {
        _cleanup_(closedirp) DIR *proc = opendir("/proc");
        _cleanup_free_ char *want = strprintf("socket:[%" PRIu64 "]", inode);
        struct dirent *d;

        if (!proc || !want || inode == 0)
                return NULL;
        while ((d = readdir(proc))) {
                _cleanup_free_ char *fds = NULL, *comm = NULL;
                _cleanup_(closedirp) DIR *dir = NULL;
                struct dirent *fd;
                char link[64];

                if (!strchr("123456789", d->d_name[0]) || !(fds = strprintf("/proc/%s/fd", d->d_name)) ||
                    !(dir = opendir(fds)))
                        continue;
                while ((fd = readdir(dir))) {
                        ssize_t n = readlinkat(dirfd(dir), fd->d_name, link, sizeof(link) - 1);

                        if (n < 0 || (link[n] = '\0', !streq(link, want)))
                                continue;
                        comm = process_comm(d->d_name);
                        return strprintf("%s, pid %s", comm ?: "?", d->d_name);
                }
        }
        return NULL;
}

/* Whether the app's own socket unit is running (the group's, or its first instance's): then it holds
 * its addresses, and whether another program also wants them is not for the probe to find out. */
static bool own_socket_active(Manager *m, const Procfile *p, const Process *process) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *state = NULL, *unit = unit_socket_name(p, process, 1);

        return unit && manager_active_state(m, unit, &state, &error) >= 0 && state &&
               !streq(state, "inactive") && !streq(state, "failed");
}

void listen_check_warn(Manager *m, const Procfile *p) {
        for (size_t i = 0; i < p->n_processes; i++) {
                const Process *process = p->processes[i];

                if (!process->listen || own_socket_active(m, p, process))
                        continue;
                STRV_FOREACH(spec, process->listen) {
                        _cleanup_free_ char *owner = NULL;
                        Probe probe;

                        if (probe_parse(*spec, &probe) < 0 || probe_taken(&probe) <= 0)
                                continue;
                        owner = socket_owner(listening_inode(&probe));
                        log_warning("%s:%u: processes.%s.listen: %s is already in use%s%s%s: %s-%s%s.socket %s",
                                    process->file ?: p->path, process->line, process->name, *spec,
                                    owner ? " (by " : "", owner ?: "", owner ? ")" : "", p->app, process->name,
                                    unit_socket_per_instance(process) ? "@N" : "",
                                    probe.path ? "will take the path over, and its clients will reach this app" :
                                    "can't listen there, and no instance starts, until it is free");
                }
        }
}
