/* SPDX-License-Identifier: MIT */

/* Journal entries with the instance's identity. Every entry of the agent, of its modules and of its
 * children's output goes through log_submit(): one datagram of journald's native protocol with
 * PRIORITY, SYSLOG_IDENTIFIER and the PANDORA_* fields. stderr reaches the journal too under systemd, but
 * as plain lines without fields, so it is only the fallback; there the sd-daemon "<N>" prefix keeps the
 * priority. Nothing is dropped silently: what the journal refuses goes to stderr and is counted, so is
 * what neither took.
 *
 * The agent must never wait for journald: its loop also answers D-Bus, signals, children's
 * notifications and pings the watchdog, and a stopped journald (SIGSTOP, a slow disk) used to hold it in
 * sd_journal_sendv() until the watchdog killed it. So entries go to a non-blocking socket of our own
 * (journal.c) and what the journal can't take at once waits here, serialized with all its fields, in one
 * FIFO queue sent when the socket polls writable. Why a queue on the loop and not a writer thread: the
 * socket itself tells when journald reads again, the order of entries is the order of log_submit() with
 * no locking, the counters stay on the loop, and the agent stays single-threaded (its children are
 * forked from it). The queue is bounded by back-pressure, not by dropping: while it holds LOG_QUEUE_MAX
 * bytes, capture.c stops reading children's pipes (they wait in write(), as they would on a slow
 * journald stream) and resumes when it is down to half; the agent's own few entries always queue.
 *
 * agent/log/ owns everything on the way to journald: capture.c reads children's pipes, line-buffer.c
 * cuts lines, line.c reads <N> prefixes and JSON loggers, this file queues and journal.c sends. It calls
 * only common/, sd-event and the journal's socket; it never knows the Context or the metrics (the core
 * copies LogCounters out). */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "agent/log/journal.h"
#include "agent/log/log.h"

/* The fields log_submit() adds itself; an entry's own come on top. */
#define OWN_FIELDS 8
#define STACK_FIELDS 24
/* Entries sent per wake-up of the writable socket, so that a long queue shares the loop. */
#define FLUSH_BATCH 1024
/* How often a barrier asks whether journald has read its stream: nothing polls for an empty send
 * queue, and an exit message waits about this long behind its child's last lines. */
#define BARRIER_POLL_USEC 1000

/* An entry waiting for the journal: its datagram, and what its stderr form and its counting need. */
typedef struct Pending {
        struct Pending *next;
        int priority;
        bool captured;
        size_t size;                    /* of the datagram */
        size_t message, message_size;   /* offsets of values in data */
        size_t identifier, identifier_size;
        size_t service, service_size;   /* service_size 0: none */
        char data[];
} Pending;

/* A stream journald must have read before the queue goes on (log_add_barrier()). */
typedef struct Barrier {
        int fd;
        uint64_t deadline;      /* CLOCK_MONOTONIC, µs */
} Barrier;

static struct {
        char *app, *process, *instance;
        int journal;            /* -1: not decided yet */
        LogCounters *counters;
        JournalSocket socket;
        sd_event *event;        /* attached: the queue is sent on it; NULL: writes wait */
        unsigned n_attached;
        sd_event_source *writable;      /* watches socket.fd while something is queued */
        Pending *head, **tail;
        size_t n_queued, queued_bytes;
        LogWaiter *waiters;
        const char *stream_path;        /* NULL: journald's */
        char *unit;                     /* ours, named in the streams' headers; NULL: none */
        bool unit_known;
        Barrier *barriers;
        size_t n_barriers;
        sd_event_source *barrier_timer; /* polls the barriers while entries wait behind them */
} identity = { .journal = -1, .socket = JOURNAL_SOCKET_INIT };

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
        identity.unit = mfree(identity.unit);
        identity.unit_known = false;
}

void log_set_journal(bool journal) {
        identity.journal = journal;
}

void log_set_journal_socket(const char *path) {
        identity.writable = sd_event_source_disable_unref(identity.writable);
        journal_socket_close(&identity.socket);
        identity.socket.path = path;
}

void log_set_journal_stream_socket(const char *path) {
        identity.stream_path = path;
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

const char *log_identifier(const char *service) {
        return service ?: identity.process ?: "pandora-agent";
}

static const char *entry_identifier(const LogEntry *e) {
        return e->identifier ?: log_identifier(e->service);
}

int log_open_stream(const char *service, int priority, int *ret_fd) {
        if (!use_journal())
                return -EOPNOTSUPP;
        /* journald takes the stream's unit from root only; without it, the lines of a writer that exited
         * before journald read them (a burst) would have no _SYSTEMD_UNIT and no PANDORA_APP. */
        if (geteuid() != 0)
                return -EPERM;
        if (!identity.unit_known) {
                /* Not in a unit (a test, a shell): the stream names none, as sd_journal_stream_fd(). */
                if (sd_pid_get_unit(0, &identity.unit) < 0)
                        identity.unit = NULL;
                identity.unit_known = true;
        }
        return journal_stream_open(identity.stream_path, log_identifier(service), identity.unit, priority, ret_fd);
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

void log_add_barrier(int fd) {
        Barrier *b;

        if (fd < 0)
                return;
        b = reallocarray(identity.barriers, identity.n_barriers + 1, sizeof(Barrier));
        if (!b) {
                /* Without it the exit message may come before the last lines; nothing is lost. */
                close(fd);
                return;
        }
        identity.barriers = b;
        b[identity.n_barriers++] = (Barrier) { fd, now_usec() + LOG_BARRIER_TIMEOUT_USEC };
}

/* Forgets the barriers journald is done with (or that waited long enough). Returns whether none is
 * left, i.e. whether entries may be sent. */
static bool barriers_passed(void) {
        uint64_t now;
        size_t k = 0;

        if (identity.n_barriers == 0)
                return true;
        now = now_usec();
        for (size_t i = 0; i < identity.n_barriers; i++) {
                Barrier *b = &identity.barriers[i];

                if (journal_stream_is_read(b->fd) != 0 || now >= b->deadline)
                        close(b->fd);
                else
                        identity.barriers[k++] = *b;
        }
        identity.n_barriers = k;
        if (k == 0)
                identity.barriers = mfree(identity.barriers);
        return k == 0;
}

/* Without a loop to wait on: waits here until the barriers are passed. */
static void barriers_wait(void) {
        while (!barriers_passed())
                (void) usleep(BARRIER_POLL_USEC);
}

static void add_field(JournalField *f, size_t *n, const char *name, const void *value, size_t size) {
        if (value)
                f[(*n)++] = (JournalField) { name, strlen(name), value, size };
}

static void add_string(JournalField *f, size_t *n, const char *name, const char *value) {
        if (value)
                add_field(f, n, name, value, strlen(value));
}

/* The entry's fields in f: MESSAGE (index 0), PRIORITY, SYSLOG_IDENTIFIER (2), the instance's fields,
 * PANDORA_SERVICE (at *ret_service, SIZE_MAX: none), SYSLOG_PID (written into pid), then the entry's own
 * "NAME=value" fields. Returns their number. */
static size_t entry_fields(const LogEntry *e, JournalField *f, char pid[static 16], size_t *ret_service) {
        static const char digits[] = "01234567";
        size_t n = 0;

        add_field(f, &n, "MESSAGE", e->message ?: "", e->message_size);
        add_field(f, &n, "PRIORITY", digits + (e->priority & 7), 1);
        add_string(f, &n, "SYSLOG_IDENTIFIER", entry_identifier(e));
        add_string(f, &n, "PANDORA_APP", identity.app);
        add_string(f, &n, "PANDORA_PROCESS", identity.process);
        add_string(f, &n, "PANDORA_INSTANCE", identity.instance);
        *ret_service = e->service ? n : SIZE_MAX;
        add_string(f, &n, "PANDORA_SERVICE", e->service);
        if (e->pid > 0) {
                snprintf(pid, 16, "%d", (int) e->pid);
                add_string(f, &n, "SYSLOG_PID", pid);
        }
        for (size_t i = 0; i < e->n_fields; i++) {
                const char *field = e->fields[i].iov_base, *eq = memchr(field, '=', e->fields[i].iov_len);

                if (eq)
                        f[n++] = (JournalField) { field, (size_t) (eq - field), eq + 1,
                                                  e->fields[i].iov_len - (size_t) (eq - field) - 1 };
        }
        return n;
}

/* The entry as one datagram, with where its message, identifier and service are in it. f: room for
 * OWN_FIELDS + e->n_fields fields. */
static Pending *pending_new(const LogEntry *e, JournalField *f) {
        size_t n, size = 0, service;
        char pid[16], *p, *end;
        Pending *q;

        n = entry_fields(e, f, pid, &service);
        for (size_t i = 0; i < n; i++)
                size += journal_field_size(&f[i]);
        q = malloc(sizeof(Pending) + size);
        if (!q)
                return NULL;
        *q = (Pending) { .priority = e->priority & 7, .captured = e->captured, .size = size,
                         .message_size = e->message_size, .identifier_size = f[2].value_size };
        p = q->data;
        for (size_t i = 0; i < n; i++) {
                size_t value = (size_t) (journal_field_write(p, &f[i], &end) - q->data);

                if (i == 0)
                        q->message = value;
                else if (i == 2)
                        q->identifier = value;
                else if (i == service) {
                        q->service = value;
                        q->service_size = f[i].value_size;
                }
                p = end;
        }
        return q;
}

/* One line: "pandora-agent: [SERVICE: ]MESSAGE" for the agent's own, "IDENTIFIER: LINE" for a child's. */
static int send_stderr(const Pending *q) {
        const char *service = q->data + q->service, *message = q->data + q->message;
        _cleanup_free_ char *prefix = NULL, *buf = NULL;
        size_t k;
        int n;

        if (q->captured)
                n = asprintf(&prefix, "%s%.*s: ", identity.journal > 0 ? "<N>" : "", (int) q->identifier_size,
                             q->data + q->identifier);
        else
                n = asprintf(&prefix, "%spandora-agent: %.*s%s", identity.journal > 0 ? "<N>" : "",
                             (int) q->service_size, service, q->service_size > 0 ? ": " : "");
        if (n < 0)
                return -ENOMEM;
        /* Under systemd stderr is a journal stream, which reads the "<N>" prefix as the priority. */
        if (identity.journal > 0)
                prefix[1] = (char) ('0' + q->priority);
        k = (size_t) n;
        buf = malloc(k + q->message_size + 1);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, prefix, k);
        memcpy(buf + k, message, q->message_size);
        buf[k + q->message_size] = '\n';
        /* One write per entry: stderr is unbuffered, and a stream reader splits at newlines only. */
        if (fwrite(buf, 1, k + q->message_size + 1, stderr) != k + q->message_size + 1) {
                clearerr(stderr);
                return -EIO;
        }
        return 0;
}

static void count(const Pending *q, bool fallback, int r) {
        LogCounters *c = identity.counters;

        if (!c)
                return;
        if (r < 0) {
                c->lost++;
                return;
        }
        c->entries[q->priority]++;
        c->bytes += q->message_size;
        c->fallbacks += fallback;
}

/* The journal refused q for good: stderr instead. Returns 0, or what send_stderr() says. */
static int fall_back(const Pending *q) {
        int r = send_stderr(q);

        count(q, true, r);
        return r;
}

static void update_queue_counters(void) {
        if (identity.counters) {
                identity.counters->queued = identity.n_queued;
                identity.counters->queued_bytes = identity.queued_bytes;
        }
}

static void queue_push(Pending *q) {
        q->next = NULL;
        if (!identity.head)
                identity.tail = &identity.head;
        *identity.tail = q;
        identity.tail = &q->next;
        identity.n_queued++;
        identity.queued_bytes += q->size;
        update_queue_counters();
}

static Pending *queue_pop(void) {
        Pending *q = identity.head;

        identity.head = q->next;
        identity.n_queued--;
        identity.queued_bytes -= q->size;
        update_queue_counters();
        return q;
}

bool log_queue_full(void) {
        return identity.queued_bytes >= LOG_QUEUE_MAX;
}

static bool queue_has_room(void) {
        return identity.queued_bytes <= LOG_QUEUE_MAX / 2;
}

/* Resumes every waiter, in the order they came; one that finds the queue full again waits anew. */
static void wake_waiters(void) {
        LogWaiter *w = identity.waiters;

        identity.waiters = NULL;
        while (w) {
                LogWaiter *next = w->next;

                w->next = NULL;
                w->waiting = false;
                w->resume(w);
                w = next;
        }
}

void log_wait_for_room(LogWaiter *w) {
        LogWaiter **i = &identity.waiters;

        if (w->waiting)
                return;
        if (queue_has_room()) {
                w->resume(w);
                return;
        }
        while (*i)
                i = &(*i)->next;
        *i = w;
        w->next = NULL;
        w->waiting = true;
}

void log_waiter_cancel(LogWaiter *w) {
        for (LogWaiter **i = &identity.waiters; *i; i = &(*i)->next)
                if (*i == w) {
                        *i = w->next;
                        break;
                }
        w->next = NULL;
        w->waiting = false;
}

/* Sends q's datagram to the journal without waiting: 0, -EAGAIN, or another negative errno. A socket
 * whose peer is gone (journald's socket made anew) is closed, its watch first, and connected again. */
static int journal_send(const Pending *q) {
        int r;

        r = journal_socket_send(&identity.socket, q->data, q->size);
        if (r != -ENOTCONN)
                return r;
        identity.writable = sd_event_source_disable_unref(identity.writable);
        journal_socket_close(&identity.socket);
        r = journal_socket_send(&identity.socket, q->data, q->size);
        return r == -ENOTCONN ? -ECONNREFUSED : r;
}

/* Sends queued entries, at most max of them, until the journal can't take more. Returns -EAGAIN when
 * it can't (wait for the socket), 0 otherwise. */
static int queue_send(size_t max) {
        int r = 0;

        if (identity.head && !barriers_passed())
                return -EAGAIN;
        for (; identity.head && max > 0; max--) {
                r = journal_send(identity.head);
                if (r == -EAGAIN)
                        break;
                if (r < 0)
                        fall_back(identity.head);
                else
                        count(identity.head, false, 0);
                free(queue_pop());
        }
        if (queue_has_room())
                wake_waiters();
        return r == -EAGAIN ? r : 0;
}

static int on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int on_barrier_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* While a barrier holds the queue, asks again in BARRIER_POLL_USEC; otherwise stops asking. */
static void barrier_arm(bool on) {
        if (!on) {
                if (identity.barrier_timer)
                        (void) sd_event_source_set_enabled(identity.barrier_timer, SD_EVENT_OFF);
                return;
        }
        if (!identity.barrier_timer) {
                /* Without it the queue waits for the next entry, or for the exit. */
                (void) sd_event_add_time_relative(identity.event, &identity.barrier_timer, CLOCK_MONOTONIC,
                                                  BARRIER_POLL_USEC, BARRIER_POLL_USEC / 10, on_barrier_timer, NULL);
                return;
        }
        (void) sd_event_source_set_time_relative(identity.barrier_timer, BARRIER_POLL_USEC);
        (void) sd_event_source_set_enabled(identity.barrier_timer, SD_EVENT_ONESHOT);
}

/* Watches the socket while something is queued, or polls the barriers that hold the queue. Without the
 * watch the queue would wait for the next entry: a failure here is unlikely enough to accept that. */
static void queue_arm(void) {
        bool barred = identity.n_barriers > 0, writable = identity.head && !barred;

        if (!identity.event)
                return;
        barrier_arm(identity.head && barred);
        if (!identity.writable) {
                if (writable && identity.socket.fd >= 0)
                        (void) sd_event_add_io(identity.event, &identity.writable, identity.socket.fd, EPOLLOUT,
                                               on_writable, NULL);
                return;
        }
        (void) sd_event_source_set_enabled(identity.writable, writable ? SD_EVENT_ON : SD_EVENT_OFF);
}

static int on_writable(sd_event_source *s _unused_, int fd _unused_, uint32_t revents _unused_, void *userdata _unused_) {
        (void) queue_send(FLUSH_BATCH);
        queue_arm();
        return 0;
}

static int on_barrier_timer(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata _unused_) {
        (void) queue_send(FLUSH_BATCH);
        queue_arm();
        return 0;
}

/* Sends q to the journal now, or queues it; takes q. Returns 0, or a negative errno when neither the
 * journal nor stderr took it. */
static int submit_journal(Pending *q) {
        _cleanup_free_ Pending *owned = q;
        int r;

        /* Behind what waits already: one order for all entries. */
        if (identity.head) {
                queue_push(TAKE_PTR(owned));
                return 0;
        }
        /* Behind a stream's last lines (log_add_barrier()). */
        if (!barriers_passed()) {
                if (identity.event) {
                        queue_push(TAKE_PTR(owned));
                        queue_arm();
                        return 0;
                }
                barriers_wait();
        }
        for (;;) {
                r = journal_send(q);
                if (r != -EAGAIN)
                        break;
                if (identity.counters)
                        identity.counters->stalls++;
                if (identity.event) {
                        queue_push(TAKE_PTR(owned));
                        queue_arm();
                        return 0;
                }
                /* No loop to wait on: wait here, as sd_journal_sendv() would. */
                if (journal_socket_wait(&identity.socket, -1) < 0)
                        break;
        }
        if (r < 0)
                return fall_back(q);
        count(q, false, 0);
        return 0;
}

int log_submit(const LogEntry *e) {
        _cleanup_free_ JournalField *heap = NULL;
        JournalField stack[STACK_FIELDS], *f = stack;
        _cleanup_free_ Pending *q = NULL;
        int r;

        if (OWN_FIELDS + e->n_fields > ELEMENTSOF(stack))
                f = heap = calloc(OWN_FIELDS + e->n_fields, sizeof(JournalField));
        q = f ? pending_new(e, f) : NULL;
        if (!q) {
                if (identity.counters)
                        identity.counters->lost++;
                return -EIO;
        }
        if (use_journal())
                r = submit_journal(TAKE_PTR(q));
        else {
                r = send_stderr(q);
                count(q, false, r);
        }
        return r < 0 ? -EIO : 0;
}

int log_attach_event(sd_event *e) {
        if (identity.event && identity.event != e)
                return -EBUSY;
        if (!identity.event)
                identity.event = sd_event_ref(e);
        identity.n_attached++;
        return 0;
}

/* Sends the whole queue, waiting for the journal while it takes entries; the rest to stderr. */
static void queue_flush(void) {
        if (identity.head)
                barriers_wait();
        while (identity.head)
                if (queue_send(SIZE_MAX) == -EAGAIN &&
                    journal_socket_wait(&identity.socket, (int) (LOG_FLUSH_TIMEOUT_USEC / 1000)) <= 0)
                        break;
        while (identity.head) {
                Pending *q = queue_pop();

                fall_back(q);
                free(q);
        }
        wake_waiters();
}

void log_detach_event(void) {
        if (identity.n_attached == 0 || --identity.n_attached > 0)
                return;
        queue_flush();
        /* Nothing waits behind them any more. */
        for (size_t i = 0; i < identity.n_barriers; i++)
                close(identity.barriers[i].fd);
        identity.n_barriers = 0;
        identity.barriers = mfree(identity.barriers);
        identity.writable = sd_event_source_disable_unref(identity.writable);
        identity.barrier_timer = sd_event_source_disable_unref(identity.barrier_timer);
        identity.event = sd_event_unref(identity.event);
}

/* "NAME=value" as a new string; NULL when value is NULL or out of memory. */
static char *field_new(const char *name, const char *value) {
        char *s;

        if (!value || asprintf(&s, "%s=%s", name, value) < 0)
                return NULL;
        return s;
}

static void add_iovec(struct iovec *iov, size_t *n, const char *s) {
        if (s)
                iov[(*n)++] = (struct iovec) { .iov_base = (char *) s, .iov_len = strlen(s) };
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
                        add_iovec(fields, &n, owned[i]);
        }
        for (const char * const *f = o->fields; f && *f; f++) {
                size_t k = strcspn(*f, "=");

                if ((*f)[k] == '=' && log_field_name_is_valid(*f, k))
                        add_iovec(fields, &n, *f);
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
