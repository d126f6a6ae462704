/* SPDX-License-Identifier: MIT */

/* Socket addresses for the listen interposer: the agent writes one line per shared socket into
 * $PANDORA_LISTEN; the interposer, inside the app, parses them once and matches every bind() against
 * them. Matching follows the kernel's own conflict rule, so that exactly the binds that would fail
 * with EADDRINUSE against the shared socket are the ones given it. No allocation, no stdio state:
 * this code runs in arbitrary programs. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/listen-address.h"

static const char *type_to_string(int type) {
        switch (type) {
        case SOCK_STREAM:
                return "stream";
        case SOCK_DGRAM:
                return "dgram";
        case SOCK_SEQPACKET:
                return "seqpacket";
        default:
                return NULL;
        }
}

static int type_from_string(const char *s, size_t n) {
        static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                const char *name = type_to_string(types[i]);

                if (strlen(name) == n && strncmp(name, s, n) == 0)
                        return types[i];
        }
        return -EINVAL;
}

int listen_address_from_sockaddr(const struct sockaddr *sa, size_t len, int type, bool v6only,
                                 ListenAddress *ret) {
        ListenAddress a = { .type = type, .family = sa ? sa->sa_family : AF_UNSPEC };

        if (!type_to_string(type) || len < sizeof(sa_family_t))
                return -EINVAL;
        switch (a.family) {
        case AF_INET: {
                const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

                if (len < sizeof(*in))
                        return -EINVAL;
                a.addr.s6_addr[10] = a.addr.s6_addr[11] = 0xff;
                memcpy(&a.addr.s6_addr[12], &in->sin_addr, 4);
                a.port = ntohs(in->sin_port);
                break;
        }
        case AF_INET6: {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;

                if (len < sizeof(*in6))
                        return -EINVAL;
                a.addr = in6->sin6_addr;
                a.port = ntohs(in6->sin6_port);
                a.v6only = v6only;
                break;
        }
        case AF_UNIX: {
                const struct sockaddr_un *un = (const struct sockaddr_un *) sa;
                size_t n = len - offsetof(struct sockaddr_un, sun_path);

                if (len <= offsetof(struct sockaddr_un, sun_path) || n > sizeof(un->sun_path))
                        return -EINVAL;
                if (un->sun_path[0] == '\0') {
                        /* Abstract: every byte of the length counts; "@" spells the leading NUL. */
                        a.path[0] = '@';
                        memcpy(a.path + 1, un->sun_path + 1, n - 1);
                        a.path[n] = '\0';
                        if (strlen(a.path) != n)
                                return -EINVAL;
                } else
                        memcpy(a.path, un->sun_path, strnlen(un->sun_path, n));
                break;
        }
        default:
                return -EINVAL;
        }
        *ret = a;
        return 0;
}

/* Which IPv4 and IPv6 addresses a bound IP socket covers: a wildcard is all of its family. */
typedef struct Coverage {
        bool v4, v4_any;
        struct in_addr v4_addr;
        bool v6, v6_any;
        struct in6_addr v6_addr;
} Coverage;

static Coverage coverage_of(const ListenAddress *a) {
        Coverage c = {};

        if (a->family == AF_INET || IN6_IS_ADDR_V4MAPPED(&a->addr)) {
                c.v4 = true;
                memcpy(&c.v4_addr, &a->addr.s6_addr[12], 4);
                c.v4_any = c.v4_addr.s_addr == htonl(INADDR_ANY);
                return c;
        }
        c.v6 = true;
        c.v6_addr = a->addr;
        c.v6_any = IN6_IS_ADDR_UNSPECIFIED(&a->addr);
        /* [::] without IPV6_V6ONLY is dual-stack: it takes every IPv4 address too. */
        c.v4 = c.v6_any && !a->v6only;
        c.v4_any = c.v4;
        return c;
}

bool listen_address_match(const ListenAddress *shared, const ListenAddress *app) {
        Coverage s, a;

        if (shared->type != app->type)
                return false;
        if (shared->family == AF_UNIX || app->family == AF_UNIX)
                return shared->family == app->family && shared->path[0] && strcmp(shared->path, app->path) == 0;
        if (app->port == 0 || shared->port != app->port)
                return false;
        s = coverage_of(shared);
        a = coverage_of(app);
        if (s.v4 && a.v4 && (s.v4_any || a.v4_any || s.v4_addr.s_addr == a.v4_addr.s_addr))
                return true;
        return s.v6 && a.v6 && (s.v6_any || a.v6_any || IN6_ARE_ADDR_EQUAL(&s.v6_addr, &a.v6_addr));
}

bool listen_address_wider(const ListenAddress *shared, const ListenAddress *app) {
        Coverage s, a;

        if (shared->family == AF_UNIX || app->family == AF_UNIX)
                return false;
        s = coverage_of(shared);
        a = coverage_of(app);
        return (s.v4_any && a.v4 && !a.v4_any) || (s.v6_any && a.v6 && !a.v6_any) || (s.v4 && !a.v4) ||
               (s.v6 && !a.v6);
}

void listen_address_to_string(const ListenAddress *a, char *buf, size_t size) {
        char ip[INET6_ADDRSTRLEN];

        if (size == 0)
                return;
        if (a->family == AF_UNIX) {
                snprintf(buf, size, "%s", a->path);
                return;
        }
        if (a->family == AF_INET || IN6_IS_ADDR_V4MAPPED(&a->addr)) {
                inet_ntop(AF_INET, &a->addr.s6_addr[12], ip, sizeof(ip));
                snprintf(buf, size, "%s:%u", ip, a->port);
                return;
        }
        inet_ntop(AF_INET6, &a->addr, ip, sizeof(ip));
        snprintf(buf, size, "[%s]:%u", ip, a->port);
}

int listen_address_format(const ListenAddress *a, char *buf, size_t size) {
        char text[LISTEN_ADDRESS_TEXT_MAX];
        int n;

        listen_address_to_string(a, text, sizeof(text));
        n = snprintf(buf, size, "%s %llu %d %s", type_to_string(a->type), (unsigned long long) a->inode,
                     a->v6only, text);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : n;
}

/* "1.2.3.4:80", "[::1]:80" (family from the text), "/path" or "@name" into a. */
static int parse_address(const char *s, size_t n, ListenAddress *a) {
        char host[INET6_ADDRSTRLEN + 2];
        const char *colon;
        char *end;
        unsigned long port;

        if (n > 0 && (s[0] == '/' || s[0] == '@')) {
                if (n >= sizeof(a->path))
                        return -EINVAL;
                a->family = AF_UNIX;
                memcpy(a->path, s, n);
                a->path[n] = '\0';
                return 0;
        }
        colon = memrchr(s, ':', n);
        if (!colon || (size_t) (colon - s) >= sizeof(host))
                return -EINVAL;
        port = strtoul(colon + 1, &end, 10);
        if (end != s + n || end == colon + 1 || port > 65535)
                return -EINVAL;
        a->port = port;
        if (s[0] == '[' && colon > s + 1 && colon[-1] == ']') {
                memcpy(host, s + 1, colon - s - 2);
                host[colon - s - 2] = '\0';
                a->family = AF_INET6;
                return inet_pton(AF_INET6, host, &a->addr) == 1 ? 0 : -EINVAL;
        }
        memcpy(host, s, colon - s);
        host[colon - s] = '\0';
        a->family = AF_INET;
        a->addr = (struct in6_addr) {};
        a->addr.s6_addr[10] = a->addr.s6_addr[11] = 0xff;
        return inet_pton(AF_INET, host, &a->addr.s6_addr[12]) == 1 ? 0 : -EINVAL;
}

/* "TYPE INODE V6ONLY ADDRESS" of n bytes at s. */
static int parse_line(const char *s, size_t n, ListenAddress *ret) {
        const char *end = s + n, *space;
        ListenAddress a = {};
        char *after;
        int r;

        space = memchr(s, ' ', n);
        if (!space || (a.type = type_from_string(s, space - s)) < 0)
                return -EINVAL;
        s = space + 1;
        a.inode = strtoull(s, &after, 10);
        if (after == s || after >= end || *after != ' ')
                return -EINVAL;
        s = after + 1;
        if (end - s < 3 || (s[0] != '0' && s[0] != '1') || s[1] != ' ')
                return -EINVAL;
        a.v6only = s[0] == '1';
        s += 2;
        r = parse_address(s, end - s, &a);
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

int listen_address_parse_list(const char *text, ListenAddress *out, size_t max) {
        size_t n = 0;

        while (text && *text && n < max) {
                size_t len = strcspn(text, "\n");
                int r;

                r = parse_line(text, len, &out[n]);
                if (r < 0)
                        return r;
                n++;
                text += len;
                if (*text == '\n')
                        text++;
        }
        return (int) n;
}
