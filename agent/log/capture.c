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
static LogFormat default_format = _LOG_FORMAT_INVALID;      /* not decided yet: $PANDORA_LOG_FORMAT */

static const char * const format_names[_LOG_FORMAT_MAX] = {
        [LOG_FORMAT_AUTO] = "auto",
        [LOG_FORMAT_TEXT] = "text",
};

const char *log_format_to_string(LogFormat f) {
        return f >= 0 && f < _LOG_FORMAT_MAX ? format_names[f] : NULL;
}

LogFormat log_format_from_string(const char *s) {
        for (LogFormat f = 0; s && f < _LOG_FORMAT_MAX; f++)
                if (streq(s, format_names[f]))
                        return f;
        return _LOG_FORMAT_INVALID;
}

int log_capture_set_default_format(LogFormat format) {
        if (!log_format_to_string(format))
                return -EINVAL;
        default_format = format;
        return 0;
}

static LogFormat capture_format(void) {
        const char *e;

        if (default_format >= 0)
                return default_format;
        e = getenv("PANDORA_LOG_FORMAT");
        default_format = log_format_from_string(e);
        if (default_format < 0) {
                if (e && *e)
                        log_warning("PANDORA_LOG_FORMAT='%s' is not \"auto\" or \"text\", ignoring", e);
                default_format = LOG_FORMAT_AUTO;
        }
        return default_format;
}

int log_capture_set_default_stderr_priority(int priority) {
        if (priority < 0 || priority > 7)
                return -EINVAL;
        default_stderr_priority = priority;
        return 0;
}

/* Puts fd's copy at *child (closing what was there), keeping the original. */
static int text_hand_over(int fd, int *child) {
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);

        if (copy < 0)
                return negative_errno();
        if (*child >= 0)
                close(*child);
        *child = copy;
        return 0;
}

/* The child's stderr: stdout's stream at info, a stream of its own at another priority (journald applies
 * one priority per stream to lines without "<N>"). Only before the child has its ends. */
static int text_set_stderr(LogCapture *c, int priority) {
        int fd, r;

        if (c->child_fds[1] < 0)
                return -EBUSY;
        if (priority == LOG_INFO) {
                r = text_hand_over(c->text_fds[0], &c->child_fds[1]);
                if (r >= 0 && c->text_fds[1] >= 0) {
                        close(c->text_fds[1]);
                        c->text_fds[1] = -1;
                }
                return r;
        }
        r = log_open_stream(c->service, priority, &fd);
        if (r < 0)
                return r;
        r = text_hand_over(fd, &c->child_fds[1]);
        if (r < 0) {
                close(fd);
                return r;
        }
        if (c->text_fds[1] >= 0)
                close(c->text_fds[1]);
        c->text_fds[1] = fd;
        return 0;
}

int log_capture_set_stderr_priority(LogCapture *c, int priority) {
        if (priority < 0 || priority > 7)
                return -EINVAL;
        c->err.priority = priority;
        return c->text ? text_set_stderr(c, priority) : 0;
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

/* LOG_FORMAT_TEXT: the child's ends are journal streams. Returns 0, -EOPNOTSUPP when the log does not go
 * to the journal, or a negative errno; on failure nothing is left open. */
static int text_open(LogCapture *c) {
        int r;

        r = log_open_stream(c->service, LOG_INFO, &c->text_fds[0]);
        if (r < 0)
                return r;
        c->text = true;
        c->err.priority = default_stderr_priority;
        r = text_hand_over(c->text_fds[0], &c->child_fds[0]);
        if (r >= 0)
                r = text_hand_over(c->text_fds[0], &c->child_fds[1]);
        if (r >= 0 && default_stderr_priority != LOG_INFO)
                r = text_set_stderr(c, default_stderr_priority);
        if (r >= 0)
                return 0;
        for (size_t i = 0; i < 2; i++) {
                if (c->text_fds[i] >= 0)
                        close(c->text_fds[i]);
                if (c->child_fds[i] >= 0)
                        close(c->child_fds[i]);
                c->text_fds[i] = c->child_fds[i] = -1;
        }
        c->text = false;
        return r;
}

/* The pipes, unless the child writes plain text to journal streams of its own. */
static int capture_open(LogCapture *c) {
        int r;

        if (capture_format() == LOG_FORMAT_TEXT) {
                /* Where the streams can't be had, reading the output still loses nothing. */
                r = text_open(c);
                if (r >= 0)
                        return 0;
                if (r == -EPERM)
                        log_full(LOG_NOTICE, c->service, "log format 'text' needs the agent to run as root "
                                 "(journald takes a stream's unit from root only), reading the output instead");
                else if (r != -EOPNOTSUPP)
                        log_full(LOG_WARNING, c->service, "Cannot open a journal stream (%s), reading the output instead",
                                 strerror(-r));
        }
        r = stream_open(c, &c->out, LOG_INFO, &c->child_fds[0]);
        if (r >= 0)
                r = stream_open(c, &c->err, default_stderr_priority, &c->child_fds[1]);
        return r;
}

int log_capture_new(sd_event *e, const char *service, LogCapture **ret) {
        LogCapture *c = calloc(1, sizeof(LogCapture));
        int r;

        if (!c)
                return -ENOMEM;
        *c = (LogCapture) { .event = sd_event_ref(e), .child_fds = { -1, -1 }, .text_fds = { -1, -1 },
                            .out = { .capture = c, .fd = -1 }, .err = { .capture = c, .fd = -1 } };
        c->service = service ? strdup(service) : NULL;
        r = service && !c->service ? -ENOMEM : capture_open(c);
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

/* The streams the child wrote to: the next entries (the agent's message about its exit) wait until
 * journald has read them. */
static void text_drain(LogCapture *c) {
        for (size_t i = 0; i < 2; i++) {
                log_add_barrier(c->text_fds[i]);
                c->text_fds[i] = -1;
        }
}

void log_capture_drain(LogCapture *c) {
        text_drain(c);
        stream_drain(&c->out);
        stream_drain(&c->err);
}

LogCapture *log_capture_free(LogCapture *c) {
        if (!c)
                return NULL;
        close_child_fds(c);
        if (c->pid > 0)
                log_capture_drain(c);
        for (size_t i = 0; i < 2; i++)
                if (c->text_fds[i] >= 0)
                        close(c->text_fds[i]);
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
