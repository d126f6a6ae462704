/* SPDX-License-Identifier: MIT */

/* log.c's queue against a journal that stops reading (issue 19, finding 4). The test plays journald: a
 * datagram socket bound in a scratch directory, which log.c connects to as to journald's. While it
 * reads nothing, log_submit() returns at once and the loop keeps running (an alarm fails a test that
 * blocks); children's pipes are left unread once the queue is full, so the child waits in write(); when
 * the journal reads again every entry arrives, in order, with all its fields. Also: the queue sent at
 * the last log_detach_event(), an entry too large for a datagram sent as a sealed memfd, and a journal
 * socket made anew (journald's socket restarted). */

#include <endian.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>

#include "test-util.h"

#include "agent/log/capture.h"
#include "agent/log/log.h"

typedef struct Fixture {
        char *dir, *path;
        int journal;                    /* the fake journal's socket */
        sd_event *event;
        LogCounters counters;
} Fixture;

static int journal_open(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        assert_true(fd >= 0);
        assert_true(strlen(path) < sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        f->dir = test_dir_new("test-log-queue");
        f->path = test_path(f->dir, "journal");
        f->journal = journal_open(f->path);
        assert_int_equal(sd_event_new(&f->event), 0);
        log_set_identity("shop", "web", "1");
        log_set_journal(true);
        log_set_journal_socket(f->path);
        log_set_counters(&f->counters);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        alarm(0);
        /* A failed test may have left its attachments. */
        for (int i = 0; i < 4; i++)
                log_detach_event();
        log_set_counters(NULL);
        log_set_journal_socket(NULL);
        log_set_journal(false);
        log_reset_identity();
        sd_event_unref(f->event);
        close(f->journal);
        free(f->path);
        test_dir_free(f->dir);
        free(f);
        return 0;
}

/* The value of field name in a datagram of the native protocol; NULL when it has none. */
static const char *field_value(const char *d, size_t size, const char *name, size_t *ret_size) {
        const char *end = d + size;

        while (d < end) {
                const char *nl = memchr(d, '\n', (size_t) (end - d)), *eq = memchr(d, '=', (size_t) (end - d));
                const char *value;
                uint64_t n;

                assert_non_null(nl);
                if (eq && eq < nl) {
                        value = eq + 1;
                        n = (uint64_t) (nl - value);
                } else {
                        memcpy(&n, nl + 1, sizeof(n));
                        n = le64toh(n);
                        value = nl + 1 + sizeof(n);
                }
                if ((size_t) ((eq && eq < nl ? eq : nl) - d) == strlen(name) && memcmp(d, name, strlen(name)) == 0) {
                        *ret_size = (size_t) n;
                        return value;
                }
                d = value + n + 1;
        }
        return NULL;
}

static void assert_field(const char *d, size_t size, const char *name, const char *expected) {
        size_t n;
        const char *v = field_value(d, size, name, &n);

        if (!v || n != strlen(expected) || memcmp(v, expected, n) != 0)
                fail_msg("%s: got '%.*s', expected '%s'", name, v ? (int) n : 6, v ?: "(none)", expected);
}

/* Reads one datagram from the fake journal into buf; returns its size, or 0 when there is none now. */
static size_t journal_read(Fixture *f, char *buf, size_t size) {
        ssize_t n = recv(f->journal, buf, size, 0);

        if (n < 0 && errno == EAGAIN)
                return 0;
        assert_true(n > 0);
        return (size_t) n;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        (*(unsigned *) userdata)++;
        return sd_event_source_set_time_relative(s, 10 * 1000);
}

/* 20,000 entries of 1 KiB while the journal reads nothing: none waits, the queue holds them, a timer
 * still fires; then all arrive in order, each with its fields, a message with a newline included. */
static void test_never_waits(void **state) {
        Fixture *f = *state;
        static char buf[64 * 1024];
        char message[1024 + 32];
        const char *fields[] = { "ORDER_ID=42", NULL };
        sd_event_source *tick = NULL;
        unsigned ticks = 0, got = 0;

        alarm(20);
        assert_int_equal(log_attach_event(f->event), 0);
        assert_int_equal(sd_event_add_time_relative(f->event, &tick, CLOCK_MONOTONIC, 10 * 1000, 1, on_tick, &ticks), 0);
        assert_int_equal(sd_event_source_set_enabled(tick, SD_EVENT_ON), 0);
        for (unsigned i = 0; i < 20000; i++) {
                snprintf(message, sizeof(message), "%u%s%01000d", i, i % 1000 == 0 ? "\nsecond line " : " ", 0);
                assert_int_equal(log_submit(&(LogEntry) { .priority = LOG_INFO, .message = message,
                                                          .message_size = strlen(message), .service = "cache",
                                                          .pid = 7, .captured = true }), 0);
                if (i == 10000)
                        log_event(LOG_NOTICE, "cache", fields, "agent's own %u", i);
        }
        assert_true(f->counters.queued > 0);
        assert_true(f->counters.stalls >= 1);
        assert_true(log_queue_full());
        for (int i = 0; i < 10; i++)
                assert_true(sd_event_run(f->event, 20 * 1000) >= 0);
        assert_true(ticks >= 3);
        while (got < 20001) {
                size_t n = journal_read(f, buf, sizeof(buf)), size;
                const char *m;

                if (n == 0) {
                        assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
                        continue;
                }
                m = field_value(buf, n, "MESSAGE", &size);
                assert_non_null(m);
                if (got == 10001) {
                        assert_field(buf, n, "MESSAGE", "agent's own 10000");
                        assert_field(buf, n, "ORDER_ID", "42");
                        assert_field(buf, n, "PRIORITY", "5");
                        assert_field(buf, n, "SYSLOG_IDENTIFIER", "web");
                        got++;
                        continue;
                }
                snprintf(message, sizeof(message), "%u%s%01000d", got - (got > 10001), (got - (got > 10001)) % 1000 == 0 ?
                         "\nsecond line " : " ", 0);
                if (size != strlen(message) || memcmp(m, message, size) != 0)
                        fail_msg("entry %u: got '%.20s'", got, m);
                assert_field(buf, n, "PRIORITY", "6");
                assert_field(buf, n, "SYSLOG_IDENTIFIER", "cache");
                assert_field(buf, n, "PANDORA_SERVICE", "cache");
                assert_field(buf, n, "PANDORA_APP", "shop");
                assert_field(buf, n, "PANDORA_PROCESS", "web");
                assert_field(buf, n, "PANDORA_INSTANCE", "1");
                assert_field(buf, n, "SYSLOG_PID", "7");
                got++;
        }
        /* Counted once sent. */
        while (f->counters.queued > 0)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_int_equal(f->counters.entries[LOG_INFO], 20000);
        assert_int_equal(f->counters.entries[LOG_NOTICE], 1);
        assert_int_equal(f->counters.fallbacks, 0);
        assert_int_equal(journal_read(f, buf, sizeof(buf)), 0);
        sd_event_source_disable_unref(tick);
        log_detach_event();
}

/* A child writes 20 MB while the journal reads nothing: the queue fills to its bound, the pipe is left
 * unread and the child waits in write(); then every line arrives in order and the child finishes. */
static void test_back_pressure(void **state) {
        Fixture *f = *state;
        static char buf[64 * 1024];
        char expected[128];
        unsigned got = 0;
        LogCapture *c;
        pid_t pid;

        alarm(60);
        assert_int_equal(log_capture_new(f->event, "n", &c), 0);
        assert_true(c->attached);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                FILE *out = fdopen(c->child_fds[0], "w");

                for (int i = 1; out && i <= 200000; i++)
                        fprintf(out, "%06d %092d\n", i, 0);
                _exit(out && fclose(out) == 0 ? 0 : 1);
        }
        log_capture_started(c, pid);
        for (int i = 0; i < 100; i++)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_true(log_queue_full());
        assert_true(f->counters.pauses >= 1);
        /* Bounded: the queue, and at most one read's lines beyond it. */
        assert_true(f->counters.queued_bytes < LOG_QUEUE_MAX + 64 * 1024 * 4);
        assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
        while (c->out.fd >= 0 || f->counters.queued > 0 || got < 200000) {
                size_t n = journal_read(f, buf, sizeof(buf)), size;
                const char *m;

                if (n == 0) {
                        assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
                        continue;
                }
                m = field_value(buf, n, "MESSAGE", &size);
                got++;
                snprintf(expected, sizeof(expected), "%06u %092d", got, 0);
                if (!m || size != strlen(expected) || memcmp(m, expected, size) != 0)
                        fail_msg("line %u: got '%.20s'", got, m ?: "(none)");
                assert_field(buf, n, "PANDORA_SERVICE", "n");
        }
        assert_int_equal(got, 200000);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(f->counters.entries[LOG_INFO], 200000);
        log_capture_free(c);
}

/* The last log_detach_event() sends the queue, waiting for a journal that reads again later. */
static void test_flush_at_detach(void **state) {
        Fixture *f = *state;
        static char buf[64 * 1024];
        int counted[2];
        unsigned n = 0;
        pid_t pid;

        alarm(20);
        assert_int_equal(pipe2(counted, O_CLOEXEC), 0);
        assert_int_equal(log_attach_event(f->event), 0);
        for (unsigned i = 0; i < 5000; i++)
                log_info("entry %u", i);
        assert_true(f->counters.queued > 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct pollfd p = { .fd = f->journal, .events = POLLIN };

                usleep(300 * 1000);
                while (n < 5000 && poll(&p, 1, 5000) > 0)
                        if (recv(f->journal, buf, sizeof(buf), 0) > 0)
                                n++;
                _exit(write(counted[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
        }
        log_detach_event();
        assert_int_equal(f->counters.queued, 0);
        assert_int_equal(f->counters.entries[LOG_INFO], 5000);
        assert_int_equal(f->counters.fallbacks, 0);
        assert_int_equal(read(counted[0], &n, sizeof(n)), sizeof(n));
        assert_int_equal(n, 5000);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        close(counted[0]);
        close(counted[1]);
}

/* Larger than any datagram: sent as a sealed memfd holding the whole entry. */
static void test_large_entry(void **state) {
        Fixture *f = *state;
        size_t size = 20 * 1024 * 1024, n;
        _cleanup_free_ char *message = malloc(size), *data = malloc(size + 4096);
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        const char *m;
        struct stat st;
        int fd, seals;

        assert_non_null(message);
        assert_non_null(data);
        memset(message, 'x', size);
        assert_int_equal(log_submit(&(LogEntry) { .priority = LOG_INFO, .message = message, .message_size = size }), 0);
        assert_true(recvmsg(f->journal, &mh, 0) >= 0);
        assert_int_equal(control.header.cmsg_type, SCM_RIGHTS);
        memcpy(&fd, CMSG_DATA(&control.header), sizeof(int));
        seals = fcntl(fd, F_GET_SEALS);
        assert_true((seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK)) == (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK));
        assert_int_equal(fstat(fd, &st), 0);
        assert_true((size_t) st.st_size > size && (size_t) st.st_size < size + 4096);
        assert_int_equal(pread(fd, data, (size_t) st.st_size, 0), st.st_size);
        m = field_value(data, (size_t) st.st_size, "MESSAGE", &n);
        assert_non_null(m);
        assert_int_equal(n, size);
        assert_memory_equal(m, message, size);
        assert_field(data, (size_t) st.st_size, "PANDORA_APP", "shop");
        assert_int_equal(f->counters.fallbacks, 0);
        close(fd);
}

/* journald's socket made anew (systemd-journald.socket restarted): the next entry goes to the new one. */
static void test_socket_replaced(void **state) {
        Fixture *f = *state;
        char buf[4096];
        size_t n;

        log_info("before");
        n = journal_read(f, buf, sizeof(buf));
        assert_true(n > 0);
        assert_field(buf, n, "MESSAGE", "before");
        close(f->journal);
        f->journal = journal_open(f->path);
        log_info("after");
        n = journal_read(f, buf, sizeof(buf));
        assert_true(n > 0);
        assert_field(buf, n, "MESSAGE", "after");
        assert_int_equal(f->counters.fallbacks, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_never_waits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_back_pressure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_flush_at_detach, setup, teardown),
                cmocka_unit_test_setup_teardown(test_large_entry, setup, teardown),
                cmocka_unit_test_setup_teardown(test_socket_replaced, setup, teardown),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("log-queue", tests, NULL, NULL);
}
