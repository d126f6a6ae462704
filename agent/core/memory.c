/* SPDX-License-Identifier: MIT */

/* memory_restart, pm2's max_memory_restart done gracefully: after each sample of the metrics (no
 * polling of its own), the instance's cgroup memory is compared with the threshold; above it for two
 * samples in a row, the instance is handed over to a new generation of the same model as a reload
 * does: the new children start and become ready beside the old ones, which are then stopped within
 * the stop window, so no request on a shared socket is dropped. Counted in MemoryRestarts. */

#include <inttypes.h>
#include <syslog.h>

#include "agent/core/context.h"
#include "agent/log/ids.h"
#include "agent/log/log.h"
#include "agent/metrics/read.h"

/* Samples in a row above the threshold before the restart: one sample may be a burst. */
#define MEMORY_SAMPLES_OVER 2

static void on_sampled(Metrics *m, void *userdata) {
        Context *c = userdata;
        char field[64];
        const char *fields[] = { PANDORA_MESSAGE_MEMORY_RESTART, field, NULL };
        MetricValue v;

        metrics_get(m, METRIC_CGROUP_MEMORY_CURRENT_BYTES, &v);
        /* Without the memory controller (a hybrid host), the resident memory of the cgroup's processes. */
        if (!v.present && m->cgroup &&
            metrics_read_cgroup_rss(&(MetricsSources) { METRICS_PROC_ROOT, METRICS_CGROUP_ROOT }, m->cgroup, &v.u) >= 0)
                v.present = true;
        if (!v.present || v.u <= c->process->memory_restart || c->next) {
                c->memory_over = 0;
                return;
        }
        if (++c->memory_over < MEMORY_SAMPLES_OVER)
                return;
        c->memory_over = 0;
        snprintf(field, sizeof(field), "PANDORA_MEMORY_BYTES=%" PRIu64, v.u);
        if (!context_restart_gracefully(c))
                return;
        metrics_add(m, METRIC_MEMORY_RESTARTS, 1);
        log_event(LOG_WARNING, NULL, fields, "Memory %" PRIu64 " MiB stayed above memory_restart (%" PRIu64
                  " MiB): restarting the instance's children gracefully", v.u >> 20, c->process->memory_restart >> 20);
}

void context_setup_memory_restart(Context *c) {
        if (c->process->memory_restart == 0)
                return;
        c->metrics.on_sampled = on_sampled;
        c->metrics.on_sampled_userdata = c;
}
