/* SPDX-License-Identifier: MIT */

/* log_format "text": a child's stdout and stderr are journal streams of its own (capture.c, journal.c),
 * which the test plays journald for: a stream socket it listens on, and a datagram socket for the
 * agent's own entries. Checked: the stream's header (the service, or the process for the entry, as
 * identifier; the priority; level prefix on), stderr sharing stdout's stream at info and having its own
 * at another priority, every line of a child that writes more than the socket holds arriving once and in
 * order, the agent's message after a child's exit waiting until journald has read the child's last
 * lines (log_add_barrier()), pipes again when no stream can be opened, and the names of the formats. */

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
        char *dir, *native_path, *stream_path;
        int native, stream;             /* the fake journal's sockets: datagrams, and the listening stream */
        sd_event *event;
        LogCounters counters;
} Fixture;

static int bound_socket(const char *path, int type) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        assert_true(fd >= 0);
        assert_true(strlen(path) < sizeof(sa.sun_path));
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        if (type == SOCK_STREAM)
                assert_int_equal(listen(fd, 16), 0);
        return fd;
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        f->dir = test_dir_new("test-log-stream");
        f->native_path = test_path(f->dir, "socket");
        f->stream_path = test_path(f->dir, "stdout");
        f->native = bound_socket(f->native_path, SOCK_DGRAM);
        f->stream = bound_socket(f->stream_path, SOCK_STREAM);
        assert_int_equal(sd_event_new(&f->event), 0);
        log_set_identity("shop", "web", "1");
        log_set_journal(true);
        log_set_journal_socket(f->native_path);
        log_set_journal_stream_socket(f->stream_path);
        log_set_counters(&f->counters);
        assert_int_equal(log_capture_set_default_format(LOG_FORMAT_TEXT), 0);
        assert_int_equal(log_capture_set_default_stderr_priority(LOG_INFO), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        alarm(0);
        /* A failed test may have left its attachment. */
        for (int i = 0; i < 4; i++)
                log_detach_event();
        (void) log_capture_set_default_format(LOG_FORMAT_AUTO);
        log_set_counters(NULL);
        log_set_journal_stream_socket(NULL);
        log_set_journal_socket(NULL);
        log_set_journal(false);
        log_reset_identity();
        sd_event_unref(f->event);
        close(f->native);
        close(f->stream);
        free(f->native_path);
        free(f->stream_path);
        test_dir_free(f->dir);
        free(f);
        return 0;
}

/* The next connection to the fake journal's stream socket (blocking from now on). */
static int accept_stream(Fixture *f) {
        struct pollfd p = { .fd = f->stream, .events = POLLIN };
        int fd;

        assert_int_equal(poll(&p, 1, 5000), 1);
        fd = accept4(f->stream, NULL, NULL, SOCK_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

/* Reads exactly size bytes from a stream; NUL-terminated. */
static char *read_exactly(int fd, size_t size) {
        char *buf = calloc(1, size + 1);
        size_t got = 0;

        assert_non_null(buf);
        while (got < size) {
                ssize_t n = read(fd, buf + got, size - got);

                assert_true(n > 0);
                got += (size_t) n;
        }
        return buf;
}

static void assert_reads(int fd, const char *expected) {
        _cleanup_free_ char *got = read_exactly(fd, strlen(expected));

        assert_string_equal(got, expected);
}

/* The stream's header: identifier, unit (whatever ours is, if any), priority, level prefix on, no
 * forwarding. Read a byte at a time, so that nothing after it is taken. */
static void assert_header(int fd, const char *identifier, int priority) {
        char lines[7][256] = {}, want[8];

        for (size_t i = 0; i < 7; i++)
                for (size_t k = 0;; k++) {
                        assert_true(k < sizeof(lines[i]) - 1);
                        assert_int_equal(read(fd, &lines[i][k], 1), 1);
                        if (lines[i][k] == '\n') {
                                lines[i][k] = '\0';
                                break;
                        }
                }
        snprintf(want, sizeof(want), "%d", priority);
        assert_string_equal(lines[0], identifier);
        assert_string_equal(lines[2], want);
        assert_string_equal(lines[3], "1");
        for (size_t i = 4; i < 7; i++)
                assert_string_equal(lines[i], "0");
}

static void write_all(int fd, const char *text) {
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
}

/* Whether the fake journal has a datagram for us now; its MESSAGE= line, if any, in message. */
static bool native_received(Fixture *f, char message[static 256]) {
        char buf[4096];
        ssize_t n = recv(f->native, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        const char *m;

        if (n < 0) {
                assert_int_equal(errno, EAGAIN);
                return false;
        }
        buf[n] = '\0';
        m = strstr(buf, "MESSAGE=");
        assert_non_null(m);
        snprintf(message, 256, "%.*s", (int) strcspn(m + 8, "\n"), m + 8);
        return true;
}

/* The header says who writes and at which priority; stdout and stderr share one stream at info, so
 * their lines keep the order they were written in. */
static void test_header_and_shared_stream(void **state) {
        Fixture *f = *state;
        LogCapture *c = NULL;
        int conn;

        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        assert_true(c->text);
        assert_int_equal(c->out.fd, -1);
        assert_int_equal(c->err.fd, -1);
        assert_true(c->child_fds[0] >= 0 && c->child_fds[1] >= 0);
        assert_int_equal(c->text_fds[1], -1);
        conn = accept_stream(f);
        assert_header(conn, "cache", LOG_INFO);
        write_all(c->child_fds[0], "one\n");
        write_all(c->child_fds[1], "<3>two\n");
        write_all(c->child_fds[0], "three\n");
        assert_reads(conn, "one\n<3>two\nthree\n");
        log_capture_started(c, getpid());
        assert_int_equal(c->child_fds[0], -1);
        log_capture_free(c);
        close(conn);

        /* The entry's output is named after the process, as the agent's own entries are. */
        assert_int_equal(log_capture_new(f->event, NULL, &c), 0);
        conn = accept_stream(f);
        assert_header(conn, "web", LOG_INFO);
        log_capture_free(c);
        close(conn);
}

/* stderr at another priority: a stream of its own, whose lines without "<N>" journald puts at it. */
static void test_stderr_own_stream(void **state) {
        Fixture *f = *state;
        LogCapture *c = NULL;
        int out, err;

        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        out = accept_stream(f);
        assert_int_equal(log_capture_set_stderr_priority(c, LOG_ERR), 0);
        assert_true(c->text_fds[1] >= 0);
        err = accept_stream(f);
        assert_header(out, "cache", LOG_INFO);
        assert_header(err, "cache", LOG_ERR);
        write_all(c->child_fds[1], "bad\n");
        write_all(c->child_fds[0], "good\n");
        assert_reads(err, "bad\n");
        assert_reads(out, "good\n");

        /* Back to info before the child starts: stdout's stream again. */
        assert_int_equal(log_capture_set_stderr_priority(c, LOG_INFO), 0);
        assert_int_equal(c->text_fds[1], -1);
        write_all(c->child_fds[1], "fine\n");
        assert_reads(out, "fine\n");
        log_capture_started(c, getpid());
        /* Once the child has its ends it is too late to change them. */
        assert_int_equal(log_capture_set_stderr_priority(c, LOG_ERR), -EBUSY);
        log_capture_free(c);
        close(out);
        close(err);
}

/* A child writing far more than the socket holds waits for journald in write(): every line arrives,
 * once, in order, however slowly the journal reads. */
static void test_many_lines_in_order(void **state) {
        Fixture *f = *state;
        enum { LINES = 200000 };
        LogCapture *c = NULL;
        FILE *in;
        char line[64];
        long expect = 1;
        pid_t pid;
        int conn, status;

        alarm(60);
        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        conn = accept_stream(f);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                FILE *out;

                /* Only the journal's end of the stream may read: the child must not hold it too. */
                close(conn);
                close(f->stream);
                out = fdopen(c->child_fds[0], "w");

                for (long i = 1; out && i <= LINES; i++)
                        fprintf(out, "line %ld\n", i);
                _exit(out && fclose(out) == 0 ? 0 : 1);
        }
        log_capture_started(c, pid);
        in = fdopen(conn, "r");
        assert_non_null(in);
        assert_header(conn, "cache", LOG_INFO);
        /* Until the child is gone and the agent has let go of its copy, no EOF: read as many as sent. */
        while (expect <= LINES && fgets(line, sizeof(line), in)) {
                char want[64];

                snprintf(want, sizeof(want), "line %ld\n", expect++);
                assert_string_equal(line, want);
        }
        assert_int_equal(expect - 1, LINES);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        log_capture_free(c);
        /* And nothing more. */
        assert_null(fgets(line, sizeof(line), in));
        fclose(in);
}

/* The agent's message about a child's exit comes after the child's last lines: it waits in the queue,
 * the loop running, until journald has read the stream, and is sent then. */
static void test_exit_message_after_last_lines(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *lines = NULL;
        char message[256];
        LogCapture *c = NULL;
        int conn;

        alarm(30);
        assert_int_equal(log_attach_event(f->event), 0);
        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        write_all(c->child_fds[0], "last words\n");
        log_capture_started(c, getpid());
        log_capture_drain(c);
        log_full(LOG_INFO, "cache", "cache exited");
        assert_false(native_received(f, message));
        assert_int_equal(f->counters.queued, 1);
        for (int i = 0; i < 20; i++)
                assert_true(sd_event_run(f->event, 1000) >= 0);
        assert_false(native_received(f, message));

        /* journald reads the stream: the message follows. */
        conn = accept_stream(f);
        assert_header(conn, "cache", LOG_INFO);
        lines = read_exactly(conn, strlen("last words\n"));
        assert_string_equal(lines, "last words\n");
        for (int i = 0; i < 5000 && !native_received(f, message); i++)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_string_equal(message, "cache exited");
        assert_int_equal(f->counters.queued, 0);
        log_capture_free(c);
        log_detach_event();
        close(conn);
}

/* No stream to be had: pipes, as with "auto", and a warning that says so. */
static void test_pipes_without_stream(void **state) {
        Fixture *f = *state;
        char message[256];
        LogCapture *c = NULL;

        close(f->stream);
        (void) unlink(f->stream_path);
        f->stream = -1;
        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        assert_false(c->text);
        assert_true(c->out.fd >= 0 && c->err.fd >= 0);
        assert_true(native_received(f, message));
        assert_non_null(strstr(message, "Cannot open a journal stream"));
        log_capture_free(c);
        f->stream = bound_socket(f->stream_path, SOCK_STREAM);

        /* "auto" reads the output itself. */
        assert_int_equal(log_capture_set_default_format(LOG_FORMAT_AUTO), 0);
        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        assert_false(c->text);
        assert_true(c->out.fd >= 0);
        log_capture_free(c);
}

static void test_format_names(void **state _unused_) {
        assert_int_equal(log_format_from_string("auto"), LOG_FORMAT_AUTO);
        assert_int_equal(log_format_from_string("text"), LOG_FORMAT_TEXT);
        assert_int_equal(log_format_from_string("json"), -EINVAL);
        assert_int_equal(log_format_from_string(""), -EINVAL);
        assert_int_equal(log_format_from_string(NULL), -EINVAL);
        assert_string_equal(log_format_to_string(LOG_FORMAT_TEXT), "text");
        assert_null(log_format_to_string(_LOG_FORMAT_MAX));
        assert_int_equal(log_capture_set_default_format(_LOG_FORMAT_MAX), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_header_and_shared_stream, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stderr_own_stream, setup, teardown),
                cmocka_unit_test_setup_teardown(test_many_lines_in_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_exit_message_after_last_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pipes_without_stream, setup, teardown),
                cmocka_unit_test(test_format_names),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("log-stream", tests, NULL, NULL);
}
