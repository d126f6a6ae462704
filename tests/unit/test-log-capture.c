/* SPDX-License-Identifier: MIT */

/* log/capture.c on a real sd-event loop and real pipes, with log.c writing to stderr (read back from a
 * memfd): lines of both streams with their default priorities (stderr at info, as systemd logs it, or
 * err when chosen), partial lines at EOF and after the idle time, draining at a child's exit, long lines
 * cut and counted, many lines in order from another process. */

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "test-util.h"

#include "agent/log/capture.h"
#include "agent/log/log.h"

typedef struct Fixture {
        sd_event *event;
        LogCounters counters;
        int saved_stderr, out;          /* stderr goes to the memfd out */
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->event), 0);
        log_set_identity("shop", "web", "1");
        log_set_journal(false);
        log_set_counters(&f->counters);
        fflush(stderr);
        f->saved_stderr = dup(STDERR_FILENO);
        f->out = memfd_create("stderr", MFD_CLOEXEC);
        assert_true(f->saved_stderr >= 0 && f->out >= 0);
        assert_int_equal(dup2(f->out, STDERR_FILENO), STDERR_FILENO);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        assert_int_equal(dup2(f->saved_stderr, STDERR_FILENO), STDERR_FILENO);
        close(f->saved_stderr);
        close(f->out);
        log_set_counters(NULL);
        log_reset_identity();
        sd_event_unref(f->event);
        free(f);
        return 0;
}

/* What log.c wrote so far, newly allocated. */
static char *written(Fixture *f) {
        off_t size = lseek(f->out, 0, SEEK_CUR);
        char *text = calloc(1, (size_t) size + 1);

        assert_non_null(text);
        assert_int_equal(pread(f->out, text, (size_t) size, 0), size);
        return text;
}

static void write_all(int fd, const char *text) {
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
}

/* Runs the loop until both pipes are closed, for at most a few seconds. */
static void run_until_eof(Fixture *f, LogCapture *c) {
        for (int i = 0; i < 1000 && (c->out.fd >= 0 || c->err.fd >= 0); i++)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_int_equal(c->out.fd, -1);
        assert_int_equal(c->err.fd, -1);
}

static void test_lines_priorities_and_eof(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *text = NULL;
        LogCapture *c;

        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        write_all(c->child_fds[0], "one\n<4>warned\n{\"msg\":\"json\",\"level\":\"debug\"}\nno newline");
        write_all(c->child_fds[1], "oops\n");
        log_capture_started(c, getpid());
        assert_int_equal(c->child_fds[0], -1);
        run_until_eof(f, c);
        text = written(f);
        /* Each stream in order; the two streams in any order. */
        assert_non_null(strstr(text, "cache: one\ncache: warned\ncache: json\n"));
        assert_non_null(strstr(text, "cache: no newline\n"));
        assert_non_null(strstr(text, "cache: oops\n"));
        assert_int_equal(strlen(text), strlen("cache: one\ncache: warned\ncache: json\ncache: no newline\ncache: oops\n"));
        /* stderr's "oops" is info: systemd's default for a unit's stderr (it was err before issue 16). */
        assert_int_equal(f->counters.entries[LOG_INFO], 3);
        assert_int_equal(f->counters.entries[LOG_WARNING], 1);
        assert_int_equal(f->counters.entries[LOG_DEBUG], 1);
        assert_int_equal(f->counters.entries[LOG_ERR], 0);
        log_capture_free(c);
}

/* stderr as errors, for a process or a service that wants it: the default for new captures, or one
 * capture's own; a "<N>" prefix and a JSON level still win, and stdout stays info. */
static void test_stderr_priority(void **state) {
        Fixture *f = *state;
        LogCapture *c, *d;

        assert_int_equal(log_capture_set_default_stderr_priority(8), -EINVAL);
        assert_int_equal(log_capture_set_default_stderr_priority(LOG_ERR), 0);
        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        assert_int_equal(log_capture_set_default_stderr_priority(LOG_INFO), 0);
        assert_int_equal(log_capture_new(f->event, "web", &d), 0);
        assert_int_equal(log_capture_set_stderr_priority(d, -1), -EINVAL);
        assert_int_equal(log_capture_set_stderr_priority(d, LOG_WARNING), 0);
        write_all(c->child_fds[1], "err\n<5>notice\n{\"level\":\"debug\",\"msg\":\"d\"}\n");
        write_all(c->child_fds[0], "out\n");
        write_all(d->child_fds[1], "warn\n");
        log_capture_started(c, getpid());
        log_capture_started(d, getpid());
        run_until_eof(f, c);
        run_until_eof(f, d);
        assert_int_equal(f->counters.entries[LOG_ERR], 1);
        assert_int_equal(f->counters.entries[LOG_NOTICE], 1);
        assert_int_equal(f->counters.entries[LOG_DEBUG], 1);
        assert_int_equal(f->counters.entries[LOG_INFO], 1);
        assert_int_equal(f->counters.entries[LOG_WARNING], 1);
        log_capture_free(c);
        log_capture_free(d);
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* A partial line is sent once the writer has been quiet for the idle time, not before; the rest of the
 * line, later, is a line of its own. */
static void test_idle_flush(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *text = NULL;
        LogCapture *c;
        uint64_t begin;
        int fds[2];

        assert_int_equal(log_capture_new(f->event, NULL, &c), 0);
        fds[0] = dup(c->child_fds[0]);
        fds[1] = dup(c->child_fds[1]);
        log_capture_started(c, getpid());
        begin = now_usec();
        write_all(fds[0], "prompt> ");
        while (now_usec() - begin < 3 * LOG_CAPTURE_IDLE_USEC && lseek(f->out, 0, SEEK_CUR) == 0)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_true(now_usec() - begin >= LOG_CAPTURE_IDLE_USEC);
        text = written(f);
        assert_string_equal(text, "web: prompt> \n");
        close(fds[0]);
        close(fds[1]);
        run_until_eof(f, c);
        log_capture_free(c);
}

/* At a child's exit what the pipes hold is sent at once, partial lines too, before the loop runs again. */
static void test_drain(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *text = NULL;
        LogCapture *c;

        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        write_all(c->child_fds[0], "last\nwords");
        write_all(c->child_fds[1], "error");
        log_capture_started(c, getpid());
        log_capture_drain(c);
        text = written(f);
        assert_string_equal(text, "cache: last\ncache: words\ncache: error\n");
        assert_int_equal(c->out.fd, -1);
        log_capture_free(c);
}

/* A line of 100 KiB: three entries of at most 48 KiB, two cuts counted, every byte counted once. */
static void test_long_line_split(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *line = malloc(100 * 1024 + 1);
        LogCapture *c;
        pid_t pid;

        assert_non_null(line);
        memset(line, 'a', 100 * 1024);
        line[100 * 1024] = '\n';
        assert_int_equal(log_capture_new(f->event, "cache", &c), 0);
        /* Another process writes: the pipe may hold less than the line. */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) !write(c->child_fds[0], line, 100 * 1024 + 1);
                _exit(0);
        }
        log_capture_started(c, pid);
        run_until_eof(f, c);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(f->counters.entries[LOG_INFO], 3);
        assert_int_equal(f->counters.lines_split, 2);
        assert_int_equal(f->counters.bytes, 100 * 1024);
        log_capture_free(c);
}

/* 20,000 lines from another process, written as fast as it can: all of them, in order, once. */
static void test_many_lines_in_order(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *text = NULL;
        LogCapture *c;
        const char *p;
        pid_t pid;

        assert_int_equal(log_capture_new(f->event, "n", &c), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                FILE *out = fdopen(c->child_fds[0], "w");

                for (int i = 1; out && i <= 20000; i++)
                        fprintf(out, "%d\n", i);
                _exit(out && fclose(out) == 0 ? 0 : 1);
        }
        log_capture_started(c, pid);
        run_until_eof(f, c);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        text = written(f);
        p = text;
        for (int i = 1; i <= 20000; i++) {
                char expected[32];
                int n = snprintf(expected, sizeof(expected), "n: %d\n", i);

                if (strncmp(p, expected, (size_t) n) != 0)
                        fail_msg("line %d: got '%.20s'", i, p);
                p += n;
        }
        assert_string_equal(p, "");
        log_capture_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_lines_priorities_and_eof, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stderr_priority, setup, teardown),
                cmocka_unit_test_setup_teardown(test_idle_flush, setup, teardown),
                cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
                cmocka_unit_test_setup_teardown(test_long_line_split, setup, teardown),
                cmocka_unit_test_setup_teardown(test_many_lines_in_order, setup, teardown),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("log-capture", tests, NULL, NULL);
}
