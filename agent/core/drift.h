/* SPDX-License-Identifier: MIT */
#pragma once

/* Whether the procfile still says what the unit was generated from. The agent reads the procfile when
 * it starts, but systemd runs the unit pandora-gen wrote at the last daemon-reload: an edit since then
 * (a new env value, another scale, a socket added) reaches the services the agent runs but not the
 * unit's own settings. The unit's environment, its sockets and its watchdog show what it was generated
 * with, so they are compared with the model. */

#include <stddef.h>
#include <stdint.h>

#include "common/procfile/procfile.h"

typedef struct DriftInput {
        char * const *env;              /* the agent's environment: the unit's Environment= */
        size_t n_listen_fds;            /* sockets the unit passed */
        uint64_t watchdog_usec;         /* the unit's WatchdogSec=, 0: none */
} DriftInput;

/* Compares process with what the unit was generated from. Returns 0 with *ret NULL when they agree,
 * 0 with *ret a message naming the first difference (such as "env 'PORT' is '81' in the procfile
 * but '80' in the unit"), or -ENOMEM. */
int drift_check(const Process *process, const DriftInput *in, char **ret);
