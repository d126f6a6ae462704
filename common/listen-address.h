/* SPDX-License-Identifier: MIT */
#pragma once

/* The addresses of the unit's listening sockets, as the agent describes them to its children and as
 * the listen interposer (preload/) matches an app's bind() against them. Pure and allocation-free,
 * because the interposer runs inside any program, before and during its main(). */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* The most sockets a unit can share with its children through the interposer. */
#define LISTEN_ADDRESS_MAX 64

/* Room for the longest text of one address: "[v6%scope]:port" or a UNIX path. */
#define LISTEN_ADDRESS_TEXT_MAX (sizeof(((struct sockaddr_un *) 0)->sun_path) + 8)

typedef struct ListenAddress {
        int type;               /* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
        int family;             /* AF_INET, AF_INET6 or AF_UNIX */
        bool v6only;            /* AF_INET6: IPV6_V6ONLY, so no IPv4 reaches it */
        struct in6_addr addr;   /* AF_INET: stored v4-mapped */
        uint16_t port;          /* host order */
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path) + 1]; /* AF_UNIX: '@' for abstract */
        uint64_t inode;         /* the socket's inode (fstat()): how a listen() on it is recognised */
} ListenAddress;

/* Fills *ret from a socket address of the given type (SO_TYPE) and IPV6_V6ONLY. Returns 0, or -EINVAL
 * for an unsupported family, a short length or a type other than stream, datagram or seqpacket. */
int listen_address_from_sockaddr(const struct sockaddr *sa, size_t len, int type, bool v6only,
                                 ListenAddress *ret);

/* Whether an app's bind() to app would conflict with shared in the kernel's eyes, and so should be
 * given the shared socket: the same type, and the same port on overlapping addresses (a wildcard
 * overlaps every address of its family; an IPv6 wildcard without IPV6_V6ONLY overlaps IPv4's too; a
 * v4-mapped address is its IPv4 address), or the same UNIX path. Port 0 never matches. */
bool listen_address_match(const ListenAddress *shared, const ListenAddress *app);

/* Whether a (an IP address) is a wildcard and b is narrower: an app that bound 127.0.0.1 but got a
 * socket on every address. */
bool listen_address_wider(const ListenAddress *shared, const ListenAddress *app);

/* Writes the address as people read it: "0.0.0.0:3000", "[::]:3000", "/run/app.sock", "@name".
 * Always NUL-terminates within size (LISTEN_ADDRESS_TEXT_MAX is enough). */
void listen_address_to_string(const ListenAddress *a, char *buf, size_t size);

/* One line of $PANDORA_LISTEN: "TYPE INODE V6ONLY ADDRESS", e.g. "stream 4711 0 [::]:3000". Returns
 * the length written (without the NUL), or -ENOBUFS when size is too small. */
int listen_address_format(const ListenAddress *a, char *buf, size_t size);

/* Parses the newline-separated lines listen_address_format() writes, at most max of them, into out.
 * Returns how many were read, or -EINVAL at the first malformed line. */
int listen_address_parse_list(const char *text, ListenAddress *out, size_t max);
