/* SPDX-License-Identifier: MIT */

/* log.c without a journal: the stderr form of each kind of entry, the counters (entries by priority,
 * bytes, fallbacks when the journal can't be reached), and which "FIELD=value" names a module may send. */

#include <sys/mman.h>

#include "test-util.h"

#include "agent/log/log.h"

/* stderr redirected into a memfd, so that the test can read what log.c wrote. */
typedef struct Captured {
        int saved, fd;
} Captured;

static void capture_begin(Captured *c) {
        fflush(stderr);
        c->saved = dup(STDERR_FILENO);
        c->fd = memfd_create("stderr", MFD_CLOEXEC);
        assert_true(c->saved >= 0 && c->fd >= 0);
        assert_int_equal(dup2(c->fd, STDERR_FILENO), STDERR_FILENO);
}

/* Restores stderr and returns what was written to it, newly allocated (NUL bytes kept, size in *ret_size). */
static char *capture_end(Captured *c, size_t *ret_size) {
        off_t size = lseek(c->fd, 0, SEEK_CUR);
        char *text = calloc(1, (size_t) size + 1);

        assert_non_null(text);
        assert_int_equal(pread(c->fd, text, (size_t) size, 0), size);
        assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
        close(c->saved);
        close(c->fd);
        if (ret_size)
                *ret_size = (size_t) size;
        return text;
}

static void test_stderr_forms(void **state _unused_) {
        static const char expected[] = "pandora-agent: Instance ready: 2 services\n"
                                       "pandora-agent: cache: from a module\n"
                                       "cache: a\0b\n"
                                       "web: entry line\n";
        LogCounters counters = {};
        Captured c;
        _cleanup_free_ char *text = NULL;
        size_t size;

        log_set_identity("shop", "web", "1");
        log_set_journal(false);
        log_set_counters(&counters);
        capture_begin(&c);
        log_info("Instance ready: %d services", 2);
        log_full(LOG_ERR, "cache", "from a module");
        assert_int_equal(log_submit(&(LogEntry) { .priority = LOG_WARNING, .message = "a\0b", .message_size = 3,
                                                  .service = "cache", .captured = true }), 0);
        assert_int_equal(log_submit(&(LogEntry) { .priority = LOG_INFO, .message = "entry line", .message_size = 10,
                                                  .captured = true }), 0);
        text = capture_end(&c, &size);
        assert_int_equal(size, sizeof(expected) - 1);
        assert_memory_equal(text, expected, size);
        assert_int_equal(counters.entries[LOG_INFO], 2);
        assert_int_equal(counters.entries[LOG_ERR], 1);
        assert_int_equal(counters.entries[LOG_WARNING], 1);
        assert_int_equal(counters.bytes, strlen("Instance ready: 2 services") + strlen("from a module") + 3 + 10);
        assert_int_equal(counters.fallbacks, 0);
        assert_int_equal(counters.lost, 0);
        log_set_counters(NULL);
        log_reset_identity();
}

/* With the journal chosen but not there, entries go to stderr, with the "<N>" prefix a journal stream
 * reads, and each counts as a fallback. */
static void test_fallback_counted(void **state _unused_) {
        LogCounters counters = {};
        Captured c;
        _cleanup_free_ char *text = NULL;

        log_set_journal_socket("/nonexistent/journal/socket");
        log_set_identity("shop", "web", "1");
        log_set_journal(true);
        log_set_counters(&counters);
        capture_begin(&c);
        log_error("no journal");
        assert_int_equal(log_submit(&(LogEntry) { .priority = LOG_INFO, .message = "line", .message_size = 4,
                                                  .service = "cache", .captured = true }), 0);
        text = capture_end(&c, NULL);
        assert_string_equal(text, "<3>pandora-agent: no journal\n<6>cache: line\n");
        assert_int_equal(counters.fallbacks, 2);
        assert_int_equal(counters.entries[LOG_ERR], 1);
        assert_int_equal(counters.entries[LOG_INFO], 1);
        log_set_journal(false);
        log_set_journal_socket(NULL);
        log_set_counters(NULL);
        log_reset_identity();
}

/* Neither the journal nor stderr: counted as lost, and said so. */
static void test_lost_counted(void **state _unused_) {
        LogCounters counters = {};
        int saved = dup(STDERR_FILENO);

        log_set_journal(false);
        log_set_counters(&counters);
        assert_true(saved >= 0);
        close(STDERR_FILENO);
        assert_int_equal(log_submit(&(LogEntry) { .priority = LOG_INFO, .message = "x", .message_size = 1 }), -EIO);
        assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
        close(saved);
        clearerr(stderr);
        assert_int_equal(counters.lost, 1);
        assert_int_equal(counters.entries[LOG_INFO], 0);
        log_set_counters(NULL);
}

static void test_field_name_one(const char *name, bool valid) {
        if (log_field_name_is_valid(name, strlen(name)) != valid)
                fail_msg("'%s' should be %s", name, valid ? "valid" : "invalid");
}

static void test_field_names(void **state _unused_) {
        test_field_name_one("ORDER_ID", true);
        test_field_name_one("A", true);
        test_field_name_one("X9_", true);
        test_field_name_one("", false);
        test_field_name_one("_PID", false);             /* the journal's own */
        test_field_name_one("9LIVES", false);
        test_field_name_one("order_id", false);
        test_field_name_one("NOT A FIELD", false);
        test_field_name_one("ÄPFEL", false);
        test_field_name_one("A234567890123456789012345678901234567890123456789012345678901234", true);
        test_field_name_one("A2345678901234567890123456789012345678901234567890123456789012345", false);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stderr_forms),
                cmocka_unit_test(test_fallback_counted),
                cmocka_unit_test(test_lost_counted),
                cmocka_unit_test(test_field_names),
        };

        return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
