/* SPDX-License-Identifier: MIT */

/* Journal entries with the instance's identity. Every entry of the agent, of its modules and of its
 * children's output goes through log_submit(): one sd_journal_sendv() with PRIORITY, SYSLOG_IDENTIFIER
 * and the PANDORA_* fields. stderr reaches the journal too under systemd, but as plain lines without
 * fields, so it is only the fallback; there the sd-daemon "<N>" prefix keeps the priority. Nothing is
 * dropped silently: what the journal refuses goes to stderr and is counted, so is what neither took.
 *
 * agent/log/ owns everything on the way to journald: capture.c reads children's pipes, line-buffer.c
 * cuts lines, line.c reads <N> prefixes and JSON loggers, this file sends. It calls only common/ and
 * sd-journal; it never knows the Context or the metrics (the core copies LogCounters out). */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* The entry's own CODE_* fields, not those of the sd_journal_sendv() call in this file. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "agent/log/log.h"

/* The fields log_submit() adds itself; an entry's own come on top. */
#define OWN_FIELDS 8
#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define STACK_FIELDS 24

static struct {
        char *app, *process, *instance;
        char *fields[3];        /* "PANDORA_APP=...", "PANDORA_PROCESS=...", "PANDORA_INSTANCE=..." */
        int journal;            /* -1: not decided yet */
        LogCounters *counters;
} identity = { .journal = -1 };

static const char * const priority_fields[8] = {
        "PRIORITY=0", "PRIORITY=1", "PRIORITY=2", "PRIORITY=3",
        "PRIORITY=4", "PRIORITY=5", "PRIORITY=6", "PRIORITY=7",
};

/* "NAME=value" as a new string; NULL when value is NULL or out of memory. */
static char *field_new(const char *name, const char *value) {
        char *s;

        if (!value || asprintf(&s, "%s=%s", name, value) < 0)
                return NULL;
        return s;
}

void log_set_identity(const char *app, const char *process, const char *instance) {
        log_reset_identity();
        identity.app = app ? strdup(app) : NULL;
        identity.process = process ? strdup(process) : NULL;
        identity.instance = instance ? strdup(instance) : NULL;
        identity.fields[0] = field_new("PANDORA_APP", identity.app);
        identity.fields[1] = field_new("PANDORA_PROCESS", identity.process);
        identity.fields[2] = field_new("PANDORA_INSTANCE", identity.instance);
}

void log_reset_identity(void) {
        identity.app = mfree(identity.app);
        identity.process = mfree(identity.process);
        identity.instance = mfree(identity.instance);
        for (size_t i = 0; i < ELEMENTSOF(identity.fields); i++)
                identity.fields[i] = mfree(identity.fields[i]);
}

void log_set_journal(bool journal) {
        identity.journal = journal;
}

void log_set_counters(LogCounters *counters) {
        identity.counters = counters;
}

LogCounters *log_get_counters(void) {
        return identity.counters;
}

static bool use_journal(void) {
        if (identity.journal < 0)
                identity.journal = getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID");
        return identity.journal;
}

bool log_field_name_is_valid(const char *name, size_t size) {
        if (size == 0 || size > 64 || name[0] == '_' || (name[0] >= '0' && name[0] <= '9'))
                return false;
        for (size_t i = 0; i < size; i++)
                if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
                        return false;
        return true;
}

static const char *entry_identifier(const LogEntry *e) {
        return e->identifier ?: e->service ?: identity.process ?: "pandora-agent";
}

static void add_iovec(struct iovec *iov, size_t *n, const char *s, size_t size) {
        if (s)
                iov[(*n)++] = (struct iovec) { .iov_base = (char *) s, .iov_len = size };
}

static void add_string(struct iovec *iov, size_t *n, const char *s) {
        if (s)
                add_iovec(iov, n, s, strlen(s));
}

static int send_journal(const LogEntry *e) {
        _cleanup_free_ char *message = NULL, *identifier = NULL, *service = NULL, *pid = NULL;
        _cleanup_free_ struct iovec *heap = NULL;
        struct iovec stack[STACK_FIELDS], *iov = stack;
        size_t n = 0;

        /* sd_journal_sendv() says 0 when the socket is not there at all ("fail silently"): look first. */
        if (access(JOURNAL_SOCKET, F_OK) < 0)
                return negative_errno();
        if (OWN_FIELDS + e->n_fields > ELEMENTSOF(stack)) {
                iov = heap = calloc(OWN_FIELDS + e->n_fields, sizeof(struct iovec));
                if (!heap)
                        return -ENOMEM;
        }
        /* MESSAGE is data: copied whole, NUL bytes and all, after its name. */
        message = malloc(strlen("MESSAGE=") + e->message_size);
        identifier = field_new("SYSLOG_IDENTIFIER", entry_identifier(e));
        service = field_new("PANDORA_SERVICE", e->service);
        if (e->pid > 0 && asprintf(&pid, "SYSLOG_PID=%d", (int) e->pid) < 0)
                pid = NULL;
        if (!message || !identifier || (e->service && !service) || (e->pid > 0 && !pid))
                return -ENOMEM;
        memcpy(message, "MESSAGE=", strlen("MESSAGE="));
        memcpy(message + strlen("MESSAGE="), e->message, e->message_size);
        add_iovec(iov, &n, message, strlen("MESSAGE=") + e->message_size);
        add_string(iov, &n, priority_fields[e->priority & 7]);
        add_string(iov, &n, identifier);
        for (size_t i = 0; i < ELEMENTSOF(identity.fields); i++)
                add_string(iov, &n, identity.fields[i]);
        add_string(iov, &n, service);
        add_string(iov, &n, pid);
        for (size_t i = 0; i < e->n_fields; i++)
                iov[n++] = e->fields[i];
        return sd_journal_sendv(iov, n);
}

/* One line: "pandora-agent: [SERVICE: ]MESSAGE" for the agent's own, "IDENTIFIER: LINE" for a child's. */
static int send_stderr(const LogEntry *e) {
        _cleanup_free_ char *prefix = NULL, *buf = NULL;
        size_t k;
        int n;

        if (e->captured)
                n = asprintf(&prefix, "%s%s: ", identity.journal > 0 ? "<N>" : "", entry_identifier(e));
        else
                n = asprintf(&prefix, "%spandora-agent: %s%s", identity.journal > 0 ? "<N>" : "",
                             e->service ?: "", e->service ? ": " : "");
        if (n < 0)
                return -ENOMEM;
        /* Under systemd stderr is a journal stream, which reads the "<N>" prefix as the priority. */
        if (identity.journal > 0)
                prefix[1] = (char) ('0' + (e->priority & 7));
        k = (size_t) n;
        buf = malloc(k + e->message_size + 1);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, prefix, k);
        memcpy(buf + k, e->message, e->message_size);
        buf[k + e->message_size] = '\n';
        /* One write per entry: stderr is unbuffered, and a stream reader splits at newlines only. */
        if (fwrite(buf, 1, k + e->message_size + 1, stderr) != k + e->message_size + 1) {
                clearerr(stderr);
                return -EIO;
        }
        return 0;
}

static void count(const LogEntry *e, bool fallback, int r) {
        LogCounters *c = identity.counters;

        if (!c)
                return;
        if (r < 0) {
                c->lost++;
                return;
        }
        c->entries[e->priority & 7]++;
        c->bytes += e->message_size;
        c->fallbacks += fallback;
}

int log_submit(const LogEntry *e) {
        bool fallback = false;
        int r = -EIO;

        if (use_journal()) {
                r = send_journal(e);
                fallback = r < 0;
        }
        if (r < 0)
                r = send_stderr(e);
        count(e, fallback, r);
        return r < 0 ? -EIO : 0;
}

/* Adds the origin's CODE_* fields and its valid "FIELD=value" entries to fields (allocated by the caller
 * for 3 + their number); the CODE_* strings go to owned[3]. */
static size_t origin_fields(const LogOrigin *o, struct iovec *fields, char *owned[static 3]) {
        size_t n = 0;

        if (o->file) {
                owned[0] = field_new("CODE_FILE", o->file);
                if (asprintf(&owned[1], "CODE_LINE=%d", o->line) < 0)
                        owned[1] = NULL;
                owned[2] = field_new("CODE_FUNC", o->func);
                for (size_t i = 0; i < 3; i++)
                        add_string(fields, &n, owned[i]);
        }
        for (const char * const *f = o->fields; f && *f; f++) {
                size_t k = strcspn(*f, "=");

                if ((*f)[k] == '=' && log_field_name_is_valid(*f, k))
                        add_string(fields, &n, *f);
        }
        return n;
}

int log_sendv(int priority, const LogOrigin *origin, const char *format, va_list ap) {
        _cleanup_free_ char *message = NULL;
        _cleanup_free_ struct iovec *fields = NULL;
        char *owned[3] = {};
        size_t n = 3;
        int r;

        for (const char * const *f = origin->fields; f && *f; f++)
                n++;
        fields = calloc(n, sizeof(struct iovec));
        if (!fields || vasprintf(&message, format, ap) < 0)
                return -ENOMEM;
        n = origin_fields(origin, fields, owned);
        r = log_submit(&(LogEntry) {
                .priority = priority,
                .message = message,
                .message_size = strlen(message),
                .service = origin->service,
                .identifier = origin->identifier,
                .fields = fields,
                .n_fields = n,
        });
        for (size_t i = 0; i < 3; i++)
                free(owned[i]);
        return r;
}

int log_full(int priority, const char *service, const char *format, ...) {
        LogOrigin origin = { .service = service };
        va_list ap;

        va_start(ap, format);
        (void) log_sendv(priority, &origin, format, ap);
        va_end(ap);
        return 0;
}

int log_event(int priority, const char *service, const char * const *fields, const char *format, ...) {
        LogOrigin origin = {
                .service = service,
                .identifier = identity.process ?: "pandora-agent",
                .fields = fields,
        };
        va_list ap;

        va_start(ap, format);
        (void) log_sendv(priority, &origin, format, ap);
        va_end(ap);
        return 0;
}
