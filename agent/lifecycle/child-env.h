/* SPDX-License-Identifier: MIT */
#pragma once

/* The environment an exec child gets: the unit's, with what sd-daemon(3) addresses to one process
 * rewritten for the child (LISTEN_PID, WATCHDOG_PID point at it; NOTIFY_SOCKET at the agent), plus
 * PANDORA_SERVICE and PANDORA_SERVICE_CONFIG for a service, and PANDORA_METRICS_SOCKET. Pure: tested
 * without forking. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/macro.h"

typedef struct ChildEnvOptions {
        const char *notify_socket;      /* NOTIFY_SOCKET; NULL: none */
        size_t n_listen_fds;            /* sockets at fd 3 and up; 0: no LISTEN_* at all */
        const char *listen_fd_names;    /* LISTEN_FDNAMES as the unit set it; NULL: left out */
        uint64_t watchdog_usec;         /* WATCHDOG_USEC; 0: no watchdog */
        const char *service;            /* PANDORA_SERVICE; NULL: the entry, which is no service */
        const char *config_json;        /* PANDORA_SERVICE_CONFIG; NULL: left out */
        const char *metrics_socket;     /* PANDORA_METRICS_SOCKET, its statsd socket; NULL: left out */
        /* The listen interposer: the library put first in LD_PRELOAD (NULL: none, and none of the
         * three variables below), the request socket, the shared sockets, and SO_REUSEPORT mode. */
        const char *listen_preload;
        const char *listen_socket;      /* PANDORA_LISTEN_SOCKET */
        const char *listen_description; /* PANDORA_LISTEN; NULL: no shared sockets */
        bool listen_reuseport;          /* PANDORA_LISTEN_REUSEPORT=1 */
        int listen_drain_fd;            /* PANDORA_LISTEN_DRAIN_FD, the child's fd number of the drain flag;
                                         * 0: none */
} ChildEnvOptions;

/* Builds a child's environment from base (an environment block such as environ): drops base's
 * NOTIFY_SOCKET, LISTEN_*, WATCHDOG_*, PANDORA_SERVICE*, PANDORA_METRICS_SOCKET and PANDORA_LISTEN* and sets
 * them from o; with o->listen_preload, puts the interposer first in LD_PRELOAD (once).
 * LISTEN_PID and WATCHDOG_PID hold room for any pid, filled in by child_env_set_pid() in the child after
 * fork. Returns 0 or -ENOMEM. */
int child_env_build(char * const *base, const ChildEnvOptions *o, char ***ret);

/* Writes pid into the LISTEN_PID= and WATCHDOG_PID= entries made by child_env_build(). Only stores
 * bytes, so it is safe between fork() and exec(). */
void child_env_set_pid(char **env, pid_t pid);
