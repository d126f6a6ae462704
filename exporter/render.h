/* SPDX-License-Identifier: MIT */
#pragma once

/* A reading (observe/) as a Prometheus exposition (pure): the text format 0.0.4, or OpenMetrics 1.0.0.
 *
 *   pandora_build_info{version}                       the exporter's build
 *   pandora_exporter_scrape_duration_seconds          how long this reading took
 *   pandora_exporter_scrape_errors_total              calls not answered (in time), since the start
 *   pandora_instance_up{app,process,instance}         1 while systemd says the instance runs
 *   pandora_instance_state{...,state}                 1 for its state (running, failed, ...), else 0
 *   pandora_instance_restarts_total, _start_time_seconds   systemd's NRestarts, ExecMainStartTimestamp
 *   pandora_<indicator>{app,process,instance}         every built-in indicator the agent published
 *   pandora_instance_service_up, _starts_total, _failures_total, _start_duration_seconds {...,service}
 *   pandora_app_<name>{...,service}                   each service's own counters, gauges, timings
 *
 * Every family is written once, HELP and TYPE first, its samples together; a sample whose name is
 * taken by a family of another kind, or whose labels repeat, is left out. */

#include <stddef.h>
#include <stdint.h>

#include "observe/observe.h"

typedef enum RenderFormat {
        RENDER_TEXT,            /* text/plain; version=0.0.4 */
        RENDER_OPENMETRICS,     /* application/openmetrics-text; version=1.0.0 */
        _RENDER_FORMAT_MAX,
        _RENDER_FORMAT_INVALID = -EINVAL,
} RenderFormat;

/* The Content-Type of format f. */
const char *render_content_type(RenderFormat f) _pure_;

/* The exporter's own numbers. */
typedef struct RenderExporter {
        const char *version;
        double scrape_duration_seconds;
        uint64_t scrape_errors_total;   /* this reading's errors included */
} RenderExporter;

/* Writes o (NULL: nothing could be read, only the exporter's own metrics) in format f to a new buffer.
 * Returns 0 and the text in *ret (NUL-terminated) and its length in *ret_size, or -ENOMEM. */
int render_metrics(const Observation *o, const RenderExporter *x, RenderFormat f, char **ret,
                   size_t *ret_size);

/* A double as Prometheus reads it: "NaN", "+Inf", "-Inf", or the shortest decimal that reads back the
 * same (%.15g, else %.17g). */
void render_double(char out[static 32], double d);
