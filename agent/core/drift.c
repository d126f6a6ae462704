/* SPDX-License-Identifier: MIT */

/* The comparison behind "the procfile changed since the units were generated". It only sees what
 * reaches the agent: PANDORA_SCALE in Environment=, LISTEN_FDS and WATCHDOG_USEC; a changed stop
 * timeout or restart policy goes unnoticed. The procfile's env is not in the unit: the agent gives
 * it to the children as the procfile says it now, so it can't drift. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/drift.h"
#include "common/strv.h"

static int check_scale(const Process *process, char * const *env, char **ret) {
        const char *unit = strv_env_get(env, "PANDORA_SCALE");
        char now[16];

        /* "auto" depends on the machine and $DEFAULT_WORKER_COUNT, not on the file. */
        if (!unit || process->scale_auto)
                return 0;
        snprintf(now, sizeof(now), "%u", process->scale);
        if (streq(now, unit))
                return 0;
        return asprintf(ret, "scale is %s in the procfile but %s in the unit", now, unit) < 0 ? -ENOMEM : 0;
}

static int check_units_settings(const Process *process, const DriftInput *in, char **ret) {
        bool listens = strv_length(process->listen) > 0;

        if (listens && in->n_listen_fds == 0)
                return asprintf(ret, "the procfile has 'listen' but the unit got no sockets") < 0 ? -ENOMEM : 0;
        if (!listens && in->n_listen_fds > 0)
                return asprintf(ret, "the unit passed %zu sockets but the procfile has no 'listen'",
                                in->n_listen_fds) < 0 ? -ENOMEM : 0;
        if (process->watchdog_ms * 1000 != in->watchdog_usec)
                return asprintf(ret, "watchdog_ms is %" PRIu64 " in the procfile but %" PRIu64 " in the unit",
                                process->watchdog_ms, in->watchdog_usec / 1000) < 0 ? -ENOMEM : 0;
        return 0;
}

int drift_check(const Process *process, const DriftInput *in, char **ret) {
        char *message = NULL;
        int r;

        r = check_scale(process, in->env, &message);
        if (r >= 0 && !message)
                r = check_units_settings(process, in, &message);
        if (r < 0)
                return r;
        *ret = message;
        return 0;
}
