/* SPDX-License-Identifier: MIT */
#pragma once

/* Prometheus names for what the agents publish (pure). A built-in indicator's name and help come from
 * the agent (Metrics1.List(), made from agent/metrics/metrics.c's table); what Prometheus needs besides,
 * the kind and the base unit, is decided here:
 *
 *   CgroupMemoryCurrentBytes → pandora_cgroup_memory_current_bytes              gauge
 *   CPUUserSeconds           → pandora_cpu_user_seconds_total                   counter
 *   UptimeUSec               → pandora_uptime_seconds        (value / 10⁶)      gauge
 *   CPUUsagePercent          → pandora_cpu_usage_ratio       (value / 100)      gauge
 *
 * An app's own metric keeps the name it was sent with, every character outside [A-Za-z0-9_] made '_':
 * pandora_app_<name>_total (counter), pandora_app_<name> (gauge), pandora_app_<name>_seconds (timing, a
 * summary without quantiles). */

#include <stdbool.h>
#include <stddef.h>

#include "common/macro.h"

typedef enum PromKind {
        PROM_GAUGE,
        PROM_COUNTER,           /* samples are <family>_total */
        PROM_SUMMARY,           /* samples are <family>_sum and <family>_count */
        PROM_INFO,              /* one sample <family>_info 1; a gauge in the text format 0.0.4 */
        PROM_UNTYPED,           /* "unknown" in OpenMetrics */
        _PROM_KIND_MAX,
        _PROM_KIND_INVALID = -EINVAL,
} PromKind;

/* "gauge", "counter", "summary", "info", "untyped". */
const char *prom_kind_to_string(PromKind k) _pure_;

typedef struct PromIndicator {
        char *family;           /* "pandora_cpu_user_seconds": a counter's without its _total */
        PromKind kind;
        double divisor;         /* the bus value divided by it is the value in base units */
        char *help;             /* the agent's help, its unit said as the metric's ("in seconds") */
} PromIndicator;

/* The Prometheus side of the built-in indicator called name (CamelCase, as on the bus), with help
 * text help (NULL: the agent did not say). Returns 0, -EINVAL for a name that makes no metric name,
 * -ENOMEM. */
int prom_indicator(const char *name, const char *help, PromIndicator *ret);

void prom_indicator_done(PromIndicator *p);

/* The kind of the indicator called name: PROM_COUNTER for one that only grows, PROM_GAUGE, or
 * PROM_UNTYPED for one this build does not know. */
PromKind prom_indicator_kind(const char *name) _pure_;

/* The i-th indicator whose kind this build knows (sorted by name), NULL past the last: for the test
 * that checks them against the agent's table. */
const char *prom_indicator_known(size_t i) _pure_;

/* "CgroupCPUUsage" → "cgroup_cpu_usage", "OpenFDs" → "open_fds". Returns a new string or NULL. */
char *prom_snake_case(const char *camel);

/* "pandora_app_" + name with every character outside [A-Za-z0-9_] as '_'. Returns a new string or
 * NULL. */
char *prom_app_name(const char *name);

/* Whether s is a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
bool prom_name_is_valid(const char *s) _pure_;
