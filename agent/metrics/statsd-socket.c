/* SPDX-License-Identifier: MIT */

/* A bound, named socket rather than an abstract one (as notify.c uses): statsd clients take a path, and
 * a path under the unit's RuntimeDirectory= is private to the unit and removed by systemd with it.
 * Datagrams larger than the buffer are truncated by the kernel; the cut last line is then malformed and
 * counted, which is the right outcome for a client sending more than a datagram should hold.
 *
 * Reports of malformed lines are rate-limited here, per socket, because a client with a bad name format
 * sends the same bad line hundreds of times a second: one report a second, and a count of the rest, is
 * what a reader of the journal can use. Two timers, both created only when asked for: the end of a
 * report interval with lines held back, and the interval ticks of the handler's sets. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/metrics/statsd-socket.h"

/* The largest datagram read: far more than statsd clients send (hot-shots batches up to 8192 bytes over
 * a Unix socket, 1432 over UDP). */
#define STATSD_DATAGRAM_MAX (64 * 1024)
#define REPORT_LINE_SIZE (STATSD_REPORT_LINE_MAX * 4 + 1)
#define TICK_ACCURACY_USEC 1000ULL

struct StatsdSocket {
        int fd;
        char *path;
        sd_event_source *source;
        StatsdHandler handler;
        void *userdata;
        StatsdStats *stats;

        StatsdReportHandler report;
        void *report_userdata;
        bool reported;                  /* a report was made; last_report_usec is its time */
        uint64_t last_report_usec;
        uint64_t held;                  /* lines held back since then; the latest one below */
        char held_line[REPORT_LINE_SIZE];
        bool held_truncated;
        char held_reason[128];
        sd_event_source *report_timer;  /* the end of the interval, while lines are held */

        StatsdTickHandler tick;
        uint64_t tick_usec;
        sd_event_source *tick_timer;

        char buffer[STATSD_DATAGRAM_MAX];
};

int statsd_socket_path(const char *runtime_directory, const char *service, char **ret) {
        size_t dir_len;
        char *path;

        if (!runtime_directory || runtime_directory[0] == '\0')
                return -ENXIO;
        dir_len = strcspn(runtime_directory, ":");
        if (asprintf(&path, "%.*s/metrics-%s.sock", (int) dir_len, runtime_directory, service) < 0)
                return -ENOMEM;
        if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path)) {
                free(path);
                return -ENAMETOOLONG;
        }
        *ret = path;
        return 0;
}

bool statsd_report_format_line(const char *line, size_t n, char buf[static REPORT_LINE_SIZE]) {
        size_t k = 0;

        for (size_t i = 0; i < n && i < STATSD_REPORT_LINE_MAX; i++) {
                unsigned char c = (unsigned char) line[i];

                if (c == '\\') {
                        buf[k++] = '\\';
                        buf[k++] = '\\';
                } else if (c >= 0x20 && c < 0x7f)
                        buf[k++] = (char) c;
                else
                        k += (size_t) snprintf(buf + k, REPORT_LINE_SIZE - k, "\\x%02x", c);
        }
        buf[k] = '\0';
        return n > STATSD_REPORT_LINE_MAX;
}

static uint64_t socket_now(StatsdSocket *s) {
        uint64_t now = 0;

        (void) sd_event_now(sd_event_source_get_event(s->source), CLOCK_MONOTONIC, &now);
        return now;
}

static void report_emit(StatsdSocket *s, const char *line, bool truncated, const char *reason,
                        uint64_t suppressed) {
        StatsdReport report = {
                .line = line,
                .truncated = truncated,
                .reason = reason,
                .suppressed = suppressed,
        };

        s->reported = true;
        s->last_report_usec = socket_now(s);
        s->held = 0;
        s->report(s, &report, s->report_userdata);
}

static int on_report_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        StatsdSocket *s = userdata;

        if (s->report && s->held > 0)
                report_emit(s, s->held_line, s->held_truncated, s->held_reason, s->held - 1);
        return 0;
}

/* Holds a line back until the end of the current report interval. */
static void report_hold(StatsdSocket *s, const char *line, size_t n, const char *reason) {
        uint64_t due = s->last_report_usec + STATSD_REPORT_INTERVAL_USEC;
        int r;

        s->held_truncated = statsd_report_format_line(line, n, s->held_line);
        /* Copied: strerror()'s text may live in a buffer the next call reuses. */
        (void) snprintf(s->held_reason, sizeof(s->held_reason), "%s", reason);
        s->held++;
        if (s->report_timer) {
                r = sd_event_source_set_time(s->report_timer, due);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->report_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(sd_event_source_get_event(s->source), &s->report_timer,
                                      CLOCK_MONOTONIC, due, 0, on_report_timer, s);
        /* Without a timer the held lines are counted in the next report, whenever a line comes. */
        (void) r;
}

static void on_reject(const char *line, size_t n, const char *reason, void *userdata) {
        StatsdSocket *s = userdata;
        char text[REPORT_LINE_SIZE];
        bool truncated;

        if (s->reported && socket_now(s) - s->last_report_usec < STATSD_REPORT_INTERVAL_USEC) {
                report_hold(s, line, n, reason);
                return;
        }
        /* Lines still held here were the timer's to report (it is late, or could not be set up). */
        truncated = statsd_report_format_line(line, n, text);
        report_emit(s, text, truncated, reason, s->held);
}

static int on_datagram(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        StatsdSocket *s = userdata;
        ssize_t n;

        n = recv(fd, s->buffer, sizeof(s->buffer), MSG_DONTWAIT);
        if (n < 0)
                /* EAGAIN: another reader was first; anything else is the socket's own problem, and
                 * dropping one datagram is all that can be done about it. */
                return 0;
        (void) statsd_parse_datagram_full(s->buffer, (size_t) n, s->handler, s->userdata,
                                          s->report ? on_reject : NULL, s, s->stats);
        return 0;
}

void statsd_socket_set_report(StatsdSocket *s, StatsdReportHandler report, void *userdata) {
        s->report = report;
        s->report_userdata = userdata;
        if (!report) {
                s->held = 0;
                s->report_timer = sd_event_source_disable_unref(s->report_timer);
        }
}

/* The next multiple of interval after now. */
static uint64_t next_tick(uint64_t now, uint64_t interval) {
        return (now / interval + 1) * interval;
}

static int on_tick_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        StatsdSocket *s = userdata;
        uint64_t now = socket_now(s);
        int r;

        if (s->tick)
                s->tick(s->userdata, now);
        r = sd_event_source_set_time(source, next_tick(now, s->tick_usec));
        if (r >= 0)
                r = sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        /* Re-arming a timer that exists fails only when the loop is going away. */
        (void) r;
        return 0;
}

int statsd_socket_set_tick(StatsdSocket *s, uint64_t interval_usec, StatsdTickHandler tick) {
        struct timespec ts;
        uint64_t due;

        if (!tick) {
                s->tick = NULL;
                s->tick_timer = sd_event_source_disable_unref(s->tick_timer);
                return 0;
        }
        if (interval_usec == 0)
                return -EINVAL;
        s->tick = tick;
        s->tick_usec = interval_usec;
        /* The clock, not the loop's time, which is that of its last iteration: long ago, maybe. */
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        due = next_tick((uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000, interval_usec);
        if (s->tick_timer) {
                int r = sd_event_source_set_time(s->tick_timer, due);

                return r < 0 ? r : sd_event_source_set_enabled(s->tick_timer, SD_EVENT_ONESHOT);
        }
        /* To the millisecond, not sd-event's default 250 ms: a line that arrives between the interval's
         * end and a late tick would count in the old interval and be forgotten with it. */
        return sd_event_add_time(sd_event_source_get_event(s->source), &s->tick_timer, CLOCK_MONOTONIC, due,
                                 TICK_ACCURACY_USEC, on_tick_timer, s);
}

static int bind_at(const char *path, int *ret_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        /* A socket file left by an agent that was killed would make bind() fail with EADDRINUSE. */
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = negative_errno();

                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int statsd_socket_new(sd_event *e, const char *path, StatsdHandler handler, void *userdata,
                      StatsdStats *stats, StatsdSocket **ret) {
        _cleanup_(statsd_socket_freep) StatsdSocket *s = NULL;
        int r;

        s = calloc(1, sizeof(StatsdSocket));
        if (!s)
                return -ENOMEM;
        *s = (StatsdSocket) { .fd = -EBADF, .handler = handler, .userdata = userdata, .stats = stats };
        s->path = strdup(path);
        if (!s->path)
                return -ENOMEM;
        r = bind_at(path, &s->fd);
        if (r < 0)
                return r;
        r = sd_event_add_io(e, &s->source, s->fd, EPOLLIN, on_datagram, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->source, "statsd");
        *ret = TAKE_PTR(s);
        return 0;
}

StatsdSocket *statsd_socket_free(StatsdSocket *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->source);
        sd_event_source_disable_unref(s->report_timer);
        sd_event_source_disable_unref(s->tick_timer);
        if (s->fd >= 0) {
                close(s->fd);
                /* Only a socket this object bound is removed: fd is set once bind() succeeded. */
                (void) unlink(s->path);
        }
        free(s->path);
        return mfree(s);
}

const char *statsd_socket_get_path(const StatsdSocket *s) {
        return s->path;
}
