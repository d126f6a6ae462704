/* SPDX-License-Identifier: MIT */

/* Naming, by rule: CamelCase becomes snake_case, a USec or Percent suffix becomes the base unit, and a
 * counter gets _total. The one thing no rule can tell is whether an indicator only grows; the agent's
 * table has no such column, so each indicator's kind is listed below. test-exporter-names checks the
 * list against the agent's table (agent/metrics/metrics.c), so a new or renamed indicator fails the
 * tests instead of quietly turning into something else. */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/string-util.h"
#include "exporter/names.h"

/* Every built-in indicator's kind, by name, sorted: a counter only grows (events since the agent started,
 * CPU time), a gauge goes up and down. One the agent publishes and this table does not know yet is
 * rendered untyped; test-exporter-names fails until it is added here. */
typedef struct IndicatorKind {
        const char *name;
        PromKind kind;
} IndicatorKind;

static const IndicatorKind indicator_kinds[] = {
        { "CPUSystemSeconds", PROM_COUNTER },
        { "CPUUsagePercent", PROM_GAUGE },
        { "CPUUserSeconds", PROM_COUNTER },
        { "CgroupCPUSystemSeconds", PROM_COUNTER },
        { "CgroupCPUUsagePercent", PROM_GAUGE },
        { "CgroupCPUUserSeconds", PROM_COUNTER },
        { "CgroupMemoryCurrentBytes", PROM_GAUGE },
        { "CgroupMemoryPeakBytes", PROM_GAUGE },
        { "CgroupTasks", PROM_GAUGE },
        { "ChildrenExits", PROM_COUNTER },
        { "ChildrenFailed", PROM_COUNTER },
        { "ContextSwitchesInvoluntary", PROM_COUNTER },
        { "ContextSwitchesVoluntary", PROM_COUNTER },
        { "HostLoad1", PROM_GAUGE },
        { "HostLoad15", PROM_GAUGE },
        { "HostLoad5", PROM_GAUGE },
        { "HostMemoryAvailableBytes", PROM_GAUGE },
        { "HostMemoryTotalBytes", PROM_GAUGE },
        { "HostTCPCurrEstab", PROM_GAUGE },
        { "HostTCPRetransSegs", PROM_COUNTER },
        { "IOReadBytes", PROM_COUNTER },
        { "IOWriteBytes", PROM_COUNTER },
        { "LogBytes", PROM_COUNTER },
        { "LogEntriesAlert", PROM_COUNTER },
        { "LogEntriesCrit", PROM_COUNTER },
        { "LogEntriesDebug", PROM_COUNTER },
        { "LogEntriesEmerg", PROM_COUNTER },
        { "LogEntriesErr", PROM_COUNTER },
        { "LogEntriesInfo", PROM_COUNTER },
        { "LogEntriesNotice", PROM_COUNTER },
        { "LogEntriesWarning", PROM_COUNTER },
        { "LogJournalFallbacks", PROM_COUNTER },
        { "LogLinesSplit", PROM_COUNTER },
        { "LoopIterations", PROM_COUNTER },
        { "LoopMaxDispatchDelayUSec", PROM_GAUGE },
        { "MemoryRSSBytes", PROM_GAUGE },
        { "MemoryRestarts", PROM_COUNTER },
        { "MemoryVirtualBytes", PROM_GAUGE },
        { "OpenFDs", PROM_GAUGE },
        { "ReloadFailures", PROM_COUNTER },
        { "Reloads", PROM_COUNTER },
        { "Restarts", PROM_COUNTER },
        { "ServiceFailures", PROM_COUNTER },
        { "ServiceStarts", PROM_COUNTER },
        { "ServicesFailed", PROM_GAUGE },
        { "ServicesRunning", PROM_GAUGE },
        { "StatsdLines", PROM_COUNTER },
        { "StatsdMalformed", PROM_COUNTER },
        { "Threads", PROM_GAUGE },
        { "UptimeUSec", PROM_GAUGE },
};

static const char * const kind_table[_PROM_KIND_MAX] = {
        [PROM_GAUGE] = "gauge",
        [PROM_COUNTER] = "counter",
        [PROM_SUMMARY] = "summary",
        [PROM_INFO] = "info",
        [PROM_UNTYPED] = "untyped",
};

const char *prom_kind_to_string(PromKind k) {
        return k >= 0 && k < _PROM_KIND_MAX ? kind_table[k] : NULL;
}

static int compare_kind(const void *key, const void *element) {
        return strcmp(key, ((const IndicatorKind *) element)->name);
}

PromKind prom_indicator_kind(const char *name) {
        const IndicatorKind *k = bsearch(name, indicator_kinds, ELEMENTSOF(indicator_kinds),
                                         sizeof(IndicatorKind), compare_kind);

        return k ? k->kind : PROM_UNTYPED;
}

const char *prom_indicator_known(size_t i) {
        return i < ELEMENTSOF(indicator_kinds) ? indicator_kinds[i].name : NULL;
}

/* A capital starts a word after a lower-case letter or a digit, and ends an acronym when a lower-case
 * letter follows it ("CPUUser": "cpu", "user"), except a plural s that ends the name or a word
 * ("OpenFDs": "open", "fds"). */
static bool starts_word(const char *s, size_t i) {
        bool plural;

        if (i == 0 || !isupper((unsigned char) s[i]))
                return false;
        if (islower((unsigned char) s[i - 1]) || isdigit((unsigned char) s[i - 1]))
                return true;
        plural = s[i + 1] == 's' && (s[i + 2] == '\0' || isupper((unsigned char) s[i + 2]));
        return isupper((unsigned char) s[i - 1]) && islower((unsigned char) s[i + 1]) && !plural;
}

char *prom_snake_case(const char *camel) {
        size_t n = strlen(camel), k = 0;
        char *out = malloc(2 * n + 1);

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (starts_word(camel, i))
                        out[k++] = '_';
                out[k++] = (char) tolower((unsigned char) camel[i]);
        }
        out[k] = '\0';
        return out;
}

bool prom_name_is_valid(const char *s) {
        if (!s || !*s || isdigit((unsigned char) s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_' && *p != ':')
                        return false;
        return true;
}

char *prom_app_name(const char *name) {
        char *s = strprintf("pandora_app_%s", name);

        for (char *p = s ? s + strlen("pandora_app_") : NULL; p && *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '_')
                        *p = '_';
        return s;
}

/* help with the first from replaced by to, or with " (to)" appended when from is not in it. */
static char *help_replace(const char *help, const char *from, const char *to) {
        const char *at = strstr(help, from);

        if (!at)
                return strprintf("%s (%s)", help, to);
        return strprintf("%.*s%s%s", (int) (at - help), help, to, at + strlen(from));
}

int prom_indicator(const char *name, const char *help, PromIndicator *ret) {
        _cleanup_free_ char *stem = NULL, *snake = NULL, *family = NULL, *text = NULL;
        const char *unit = "";
        double divisor = 1;

        if (string_has_suffix(name, "USec")) {
                stem = strndup(name, strlen(name) - strlen("USec"));
                unit = "_seconds";
                divisor = 1e6;
        } else if (string_has_suffix(name, "Percent")) {
                stem = strndup(name, strlen(name) - strlen("Percent"));
                unit = "_ratio";
                divisor = 100;
        } else
                stem = strdup(name);
        snake = stem ? prom_snake_case(stem) : NULL;
        if (!snake)
                return -ENOMEM;
        family = strprintf("pandora_%s%s", snake, unit);
        if (!help)
                text = strprintf("pandora-agent's indicator %s", name);
        else if (divisor == 1e6)
                text = help_replace(help, "in µs", "in seconds");
        else if (divisor == 100)
                text = help_replace(help, "in percent", "as a ratio, 1 being 100%");
        else
                text = strdup(help);
        if (!family || !text)
                return -ENOMEM;
        if (!prom_name_is_valid(family))
                return -EINVAL;
        *ret = (PromIndicator) {
                .family = TAKE_PTR(family),
                .kind = prom_indicator_kind(name),
                .divisor = divisor,
                .help = TAKE_PTR(text),
        };
        return 0;
}

void prom_indicator_done(PromIndicator *p) {
        p->family = mfree(p->family);
        p->help = mfree(p->help);
}
