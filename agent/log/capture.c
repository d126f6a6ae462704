/* SPDX-License-Identifier: MIT */

/* Children's output → journal entries. The write ends are ordinary blocking pipes: a child that writes
 * faster than the journal takes waits in write() instead of losing lines, and lines of one stream
 * arrive in order, each exactly once. The read ends are non-blocking and read one chunk per event, so
 * that a chatty child can't starve the agent's signals, notifications and timers. The agent itself never
 * waits for the journal (log.c queues); while its queue is full a pipe is not read at all, which is what
 * makes the child wait, until log.c says there is room again. */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/log/capture.h"
#include "agent/log/line.h"
#include "agent/log/log.h"

#define READ_SIZE (64 * 1024)
#define PIPE_SIZE (1024 * 1024)
/* log_capture_drain() reads at most this many chunks per pipe: a grandchild that keeps writing can't
 * hold the agent there. */
#define DRAIN_READS_MAX 64

static int default_stderr_priority = LOG_INFO;

int log_capture_set_default_stderr_priority(int priority) {
        if (priority < 0 || priority > 7)
                return -EINVAL;
        default_stderr_priority = priority;
        return 0;
}

int log_capture_set_stderr_priority(LogCapture *c, int priority) {
        if (priority < 0 || priority > 7)
                return -EINVAL;
        c->err.priority = priority;
        return 0;
}

/* One line (or a piece of a long one) → one entry. Never fails the feed: a line that can't be parsed
 * for lack of memory is sent as it is. */
static int on_line(const char *line, size_t size, void *userdata) {
        LogStream *s = userdata;
        LogCapture *c = s->capture;
        LogLine l = {};
        LogEntry e = {
                .priority = s->priority,
                .message = line,
                .message_size = size,
                .service = c->service,
                .pid = c->pid,
                .captured = true,
        };

        if (log_line_parse(line, size, s->priority, &l) >= 0) {
                e.priority = l.priority;
                e.message = l.message;
                e.message_size = l.message_size;
                e.fields = l.fields;
                e.n_fields = l.n_fields;
        }
        (void) log_submit(&e);
        log_line_done(&l);
        return 0;
}

static void stream_flush(LogStream *s) {
        (void) line_buffer_flush(&s->buffer, on_line, s);
        if (s->idle)
                (void) sd_event_source_set_enabled(s->idle, SD_EVENT_OFF);
}

static void stream_close(LogStream *s) {
        log_waiter_cancel(&s->waiter);
        stream_flush(s);
        s->io = sd_event_source_disable_unref(s->io);
        s->idle = sd_event_source_disable_unref(s->idle);
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
}


static int on_idle(sd_event_source *source, uint64_t usec, void *userdata);

/* A partial line is held: (re)starts the idle clock; none: stops it. */
static void stream_arm_idle(LogStream *s) {
        sd_event *e = s->capture->event;

        if (!line_buffer_pending(&s->buffer)) {
                if (s->idle)
                        (void) sd_event_source_set_enabled(s->idle, SD_EVENT_OFF);
                return;
        }
        if (!s->idle) {
                /* Without it the partial line waits for EOF, which is still when nothing is lost. */
                (void) sd_event_add_time_relative(e, &s->idle, CLOCK_MONOTONIC, LOG_CAPTURE_IDLE_USEC,
                                                  LOG_CAPTURE_IDLE_USEC / 10, on_idle, s);
                return;
        }
        (void) sd_event_source_set_time_relative(s->idle, LOG_CAPTURE_IDLE_USEC);
        (void) sd_event_source_set_enabled(s->idle, SD_EVENT_ONESHOT);
}

/* Reads one chunk and sends its complete lines. Returns the bytes read, 0 at EOF, -EAGAIN when the pipe
 * is empty, or another negative errno. */
static int stream_read(LogStream *s) {
        LogCounters *counters = log_get_counters();
        unsigned long splits = s->buffer.splits;
        char buf[READ_SIZE];
        ssize_t n;

        n = read(s->fd, buf, sizeof(buf));
        if (n < 0)
                return errno == EINTR ? -EAGAIN : negative_errno();
        if (n == 0)
                return 0;
        /* -ENOMEM leaves the bytes unread in the buffer's eyes: they are lost, and counted as one entry. */
        if (line_buffer_feed(&s->buffer, buf, (size_t) n, on_line, s) < 0 && counters)
                counters->lost++;
        if (counters)
                counters->lines_split += s->buffer.splits - splits;
        return (int) n;
}

static void stream_resume(LogWaiter *w) {
        LogStream *s = (LogStream *) ((char *) w - offsetof(LogStream, waiter));

        if (s->fd < 0)
                return;
        (void) sd_event_source_set_enabled(s->io, SD_EVENT_ON);
        stream_arm_idle(s);
}

/* While the journal's queue is full the pipe is left unread, its writer waiting in write(), until
 * log.c calls stream_resume(). Returns whether the stream now waits. */
static bool stream_wait_for_room(LogStream *s) {
        LogCounters *counters = log_get_counters();

        if (!log_queue_full())
                return false;
        (void) sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
        if (s->idle)
                (void) sd_event_source_set_enabled(s->idle, SD_EVENT_OFF);
        if (!s->waiter.waiting) {
                if (counters)
                        counters->pauses++;
                log_wait_for_room(&s->waiter);
        }
        return true;
}

/* Reads a chunk: at EOF closes the stream, after data (re)starts the idle clock. idle: the idle time has
 * passed. The writer may only seem idle because the agent itself was busy (the journal was slow) while
 * the pipe holds the rest of the line: only an empty pipe means idle. */
static void stream_pump(LogStream *s, bool idle) {
        int r;

        if (stream_wait_for_room(s))
                return;
        r = stream_read(s);
        if (r == -EAGAIN) {
                if (idle)
                        stream_flush(s);
        } else if (r <= 0)
                stream_close(s);
        else
                stream_arm_idle(s);
}

static int on_idle(sd_event_source *source, uint64_t usec, void *userdata) {
        stream_pump(userdata, true);
        return 0;
}

static int on_readable(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        stream_pump(userdata, false);
        return 0;
}

static int stream_open(LogCapture *c, LogStream *s, int priority, int *ret_child_fd) {
        int fds[2], r;

        *s = (LogStream) { .capture = c, .fd = -1, .priority = priority, .waiter.resume = stream_resume };
        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        s->fd = fds[0];
        *ret_child_fd = fds[1];
        if (fcntl(s->fd, F_SETFL, O_NONBLOCK) < 0)
                return negative_errno();
        /* Room for a burst while the journal catches up; the kernel's limit for us may be lower. */
        (void) fcntl(s->fd, F_SETPIPE_SZ, PIPE_SIZE);
        r = sd_event_add_io(c->event, &s->io, s->fd, EPOLLIN, on_readable, s);
        return r < 0 ? r : 0;
}

int log_capture_new(sd_event *e, const char *service, LogCapture **ret) {
        LogCapture *c = calloc(1, sizeof(LogCapture));
        int r;

        if (!c)
                return -ENOMEM;
        *c = (LogCapture) { .event = sd_event_ref(e), .child_fds = { -1, -1 }, .out.fd = -1, .err.fd = -1 };
        c->service = service ? strdup(service) : NULL;
        r = service && !c->service ? -ENOMEM : stream_open(c, &c->out, LOG_INFO, &c->child_fds[0]);
        if (r >= 0)
                r = stream_open(c, &c->err, default_stderr_priority, &c->child_fds[1]);
        /* Without it the journal is waited for, as before there was a queue: still nothing is lost. */
        if (r >= 0)
                c->attached = log_attach_event(e) >= 0;
        if (r < 0) {
                log_capture_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

static void close_child_fds(LogCapture *c) {
        for (size_t i = 0; i < 2; i++) {
                if (c->child_fds[i] >= 0)
                        close(c->child_fds[i]);
                c->child_fds[i] = -1;
        }
}

void log_capture_started(LogCapture *c, pid_t pid) {
        c->pid = pid;
        close_child_fds(c);
}

static void stream_drain(LogStream *s) {
        int r = -EAGAIN;

        for (size_t i = 0; s->fd >= 0 && i < DRAIN_READS_MAX; i++) {
                r = stream_read(s);
                if (r <= 0)
                        break;
        }
        if (s->fd >= 0 && r != -EAGAIN && r <= 0)
                stream_close(s);
        else
                stream_flush(s);
}

void log_capture_drain(LogCapture *c) {
        stream_drain(&c->out);
        stream_drain(&c->err);
}

LogCapture *log_capture_free(LogCapture *c) {
        if (!c)
                return NULL;
        close_child_fds(c);
        if (c->pid > 0)
                log_capture_drain(c);
        stream_close(&c->out);
        stream_close(&c->err);
        line_buffer_done(&c->out.buffer);
        line_buffer_done(&c->err.buffer);
        if (c->attached)
                log_detach_event();
        sd_event_unref(c->event);
        free(c->service);
        free(c);
        return NULL;
}
