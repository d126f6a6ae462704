/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's side of the listen interposer (preload/listen.c): describes the unit's sockets for the
 * children's $PANDORA_LISTEN and answers their requests on a seqpacket socket ($PANDORA_LISTEN_SOCKET):
 * "BIND i ADDRESS" (answered with socket i as SCM_RIGHTS), "LISTEN i ADDRESS", "INUSE ADDRESS" and
 * "REUSEPORT ADDRESS". Only processes that the owner callback accepts (the agent's own children and
 * their descendants) get an answer; others are refused. Never logs: the callbacks do. */

#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "common/listen-address.h"

typedef enum ListenRequest {
        LISTEN_REQUEST_BIND,            /* the app bound a shared address: it gets the socket */
        LISTEN_REQUEST_LISTEN,          /* the app listens on shared socket index */
        LISTEN_REQUEST_IN_USE,          /* the app's bind() failed with EADDRINUSE */
        LISTEN_REQUEST_REUSEPORT,       /* the app bound a port with SO_REUSEPORT (no `listen`) */
        _LISTEN_REQUEST_MAX,
        _LISTEN_REQUEST_INVALID = -EINVAL,
} ListenRequest;

typedef struct ListenShareOps {
        /* Whether pid may ask: true for the agent's children and their descendants. */
        bool (*owns)(pid_t pid, void *userdata);
        /* A request from pid, after it was answered. index: the shared socket (BIND, LISTEN), else
         * (size_t) -1; app: the address the app named. */
        void (*on_request)(ListenRequest request, pid_t pid, size_t index, const ListenAddress *app,
                           void *userdata);
} ListenShareOps;

typedef struct ListenShare {
        int fd;                                 /* -1: not open */
        sd_event_source *source;
        char *address;                          /* $PANDORA_LISTEN_SOCKET: "@" and the abstract name */
        const int *socket_fds;                  /* the unit's sockets, not owned */
        ListenAddress sockets[LISTEN_ADDRESS_MAX];
        size_t n_sockets;
        char *description;                      /* $PANDORA_LISTEN; NULL: no sockets */
        const ListenShareOps *ops;
        void *userdata;
        unsigned n_refused;                     /* requests from strangers or malformed */
} ListenShare;

/* Describes each of the n sockets in fds (kept, not owned; at most LISTEN_ADDRESS_MAX are shared) and
 * opens the request socket on e. Returns 0 or a negative errno; either way listen_share_done()
 * releases what was set up. */
int listen_share_open(ListenShare *s, sd_event *e, const int *fds, size_t n, const ListenShareOps *ops,
                      void *userdata);

/* Closes the request socket; accepts a share that was never opened (zeroed, fd -1). */
void listen_share_done(ListenShare *s);

/* Describes the socket fd (getsockname(), SO_TYPE, IPV6_V6ONLY, its inode) into *ret. Returns 0 or a
 * negative errno (-EINVAL: a family or type the interposer can't share). */
int listen_address_of_fd(int fd, ListenAddress *ret);

/* Parses one request: "VERB [INDEX] ADDRESS". Returns 0 or -EINVAL; *ret_index is (size_t) -1 for
 * verbs without one. index is checked against n_sockets. */
int listen_request_parse(const char *text, size_t n_sockets, ListenRequest *ret, size_t *ret_index,
                         ListenAddress *ret_app);
