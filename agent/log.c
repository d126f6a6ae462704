/* SPDX-License-Identifier: MIT */

/* Journal entries with the instance's identity. stderr reaches the journal too under systemd, but as
 * plain lines without fields, so it is only the fallback; there the sd-daemon "<N>" prefix keeps the
 * priority. */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log.h"

#define MAX_FIELDS 32

static struct {
        char *app, *process, *instance;
        int journal;            /* -1: not decided yet */
} identity = { .journal = -1 };

void log_set_identity(const char *app, const char *process, const char *instance) {
        log_reset_identity();
        identity.app = app ? strdup(app) : NULL;
        identity.process = process ? strdup(process) : NULL;
        identity.instance = instance ? strdup(instance) : NULL;
}

void log_reset_identity(void) {
        identity.app = mfree(identity.app);
        identity.process = mfree(identity.process);
        identity.instance = mfree(identity.instance);
}

void log_set_journal(bool journal) {
        identity.journal = journal;
}

static bool use_journal(void) {
        if (identity.journal < 0)
                identity.journal = getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID");
        return identity.journal;
}

/* Adds "NAME=value" to the iovec list as a new string the caller frees with the list. */
static void add_field(struct iovec *iov, size_t *n, const char *name, const char *value) {
        char *s;

        if (!value || *n >= MAX_FIELDS || asprintf(&s, "%s=%s", name, value) < 0)
                return;
        iov[(*n)++] = (struct iovec) { .iov_base = s, .iov_len = strlen(s) };
}

static int send_journal(int priority, const LogOrigin *o, const char *message) {
        struct iovec iov[MAX_FIELDS];
        char prio[2] = { '0' + (priority & 7), 0 }, line[16];
        size_t n = 0;
        int r;

        add_field(iov, &n, "MESSAGE", message);
        add_field(iov, &n, "PRIORITY", prio);
        add_field(iov, &n, "SYSLOG_IDENTIFIER", o->service ?: identity.process ?: "pandora-agent");
        add_field(iov, &n, "PANDORA_APP", identity.app);
        add_field(iov, &n, "PANDORA_PROCESS", identity.process);
        add_field(iov, &n, "PANDORA_INSTANCE", identity.instance);
        add_field(iov, &n, "PANDORA_SERVICE", o->service);
        if (o->file) {
                snprintf(line, sizeof(line), "%d", o->line);
                add_field(iov, &n, "CODE_FILE", o->file);
                add_field(iov, &n, "CODE_LINE", line);
                add_field(iov, &n, "CODE_FUNC", o->func);
        }
        for (const char * const *f = o->fields; f && *f; f++) {
                size_t k = strcspn(*f, "=");

                if ((*f)[k] == '=')
                        add_field(iov, &n, strndupa(*f, k), *f + k + 1);
        }
        r = n > 0 && iov[0].iov_base ? sd_journal_sendv(iov, n) : -ENOMEM;
        for (size_t i = 0; i < n; i++)
                free(iov[i].iov_base);
        return r;
}

static int send_stderr(int priority, const LogOrigin *o, const char *message) {
        /* Under systemd stderr is a journal stream, which reads the "<N>" prefix as the priority. */
        if (identity.journal > 0)
                fprintf(stderr, "<%d>", priority & 7);
        if (fprintf(stderr, "pandora-agent: %s%s%s\n", o->service ?: "", o->service ? ": " : "", message) < 0)
                return -EIO;
        return 0;
}

int log_sendv(int priority, const LogOrigin *origin, const char *format, va_list ap) {
        _cleanup_free_ char *message = NULL;

        if (vasprintf(&message, format, ap) < 0)
                return -ENOMEM;
        if (use_journal() && send_journal(priority, origin, message) >= 0)
                return 0;
        return send_stderr(priority, origin, message);
}

int log_full(int priority, const char *service, const char *format, ...) {
        LogOrigin origin = { .service = service };
        va_list ap;

        va_start(ap, format);
        (void) log_sendv(priority, &origin, format, ap);
        va_end(ap);
        return 0;
}
