/* SPDX-License-Identifier: MIT */

/* Bytes from a pipe into lines: complete lines, partial lines held until flushed, long lines cut into
 * pieces at character boundaries, nothing lost or repeated. */

#include "test-util.h"

#include "agent/log/line-buffer.h"

typedef struct Seen {
        char text[4096];        /* every line handed over, each followed by '|' */
        size_t n;
        int fail_at;            /* the handler fails on this line (1-based); 0: never */
        int lines;
} Seen;

static int record(const char *line, size_t size, void *userdata) {
        Seen *s = userdata;

        s->lines++;
        if (s->fail_at == s->lines)
                return -EPIPE;
        assert_true(s->n + size + 1 < sizeof(s->text));
        memcpy(s->text + s->n, line, size);
        s->n += size;
        s->text[s->n++] = '|';
        s->text[s->n] = '\0';
        return 0;
}

static void test_lines_and_partials(void **state _unused_) {
        LineBuffer b = {};
        Seen s = {};

        assert_int_equal(line_buffer_feed(&b, "one\ntw", 6, record, &s), 0);
        assert_string_equal(s.text, "one|");
        assert_true(line_buffer_pending(&b));
        assert_int_equal(line_buffer_feed(&b, "o\n\nthr", 6, record, &s), 0);
        assert_string_equal(s.text, "one|two||");
        assert_int_equal(line_buffer_flush(&b, record, &s), 0);
        assert_string_equal(s.text, "one|two||thr|");
        assert_false(line_buffer_pending(&b));
        /* Flushing nothing hands over nothing. */
        assert_int_equal(line_buffer_flush(&b, record, &s), 0);
        assert_int_equal(s.lines, 4);
        assert_int_equal(b.splits, 0);
        line_buffer_done(&b);
}

static void test_nul_bytes(void **state _unused_) {
        LineBuffer b = {};
        Seen s = {};

        assert_int_equal(line_buffer_feed(&b, "a\0b\n", 4, record, &s), 0);
        assert_int_equal(s.n, 4);
        assert_memory_equal(s.text, "a\0b|", 4);
        line_buffer_done(&b);
}

static void test_long_lines_cut(void **state _unused_) {
        LineBuffer b = { .max_line = 4 };
        Seen s = {};

        assert_int_equal(line_buffer_feed(&b, "abcdefghij\nxy", 13, record, &s), 0);
        assert_string_equal(s.text, "abcd|efgh|ij|");
        assert_int_equal(b.splits, 2);
        /* A piece is cut as soon as it is full, newline or not. */
        assert_int_equal(line_buffer_feed(&b, "zzz", 3, record, &s), 0);
        assert_string_equal(s.text, "abcd|efgh|ij|xyzz|");
        assert_int_equal(line_buffer_flush(&b, record, &s), 0);
        assert_string_equal(s.text, "abcd|efgh|ij|xyzz|z|");
        line_buffer_done(&b);
}

static void test_cut_at_character_boundary(void **state _unused_) {
        LineBuffer b = { .max_line = 4 };
        Seen s = {};

        /* A cut at 4 bytes would fall inside the 3 bytes of the euro sign: the piece stops before it. */
        assert_int_equal(line_buffer_feed(&b, "abc\xe2\x82\xac" "d\n", 8, record, &s), 0);
        assert_string_equal(s.text, "abc|\xe2\x82\xac" "d|");
        /* Garbage of continuation bytes only is cut at the maximum. */
        assert_int_equal(line_buffer_feed(&b, "\x80\x80\x80\x80\x80\n", 6, record, &s), 0);
        assert_string_equal(s.text, "abc|\xe2\x82\xac" "d|\x80\x80\x80\x80|\x80|");
        line_buffer_done(&b);
}

static void test_handler_error_keeps_rest(void **state _unused_) {
        LineBuffer b = {};
        Seen s = { .fail_at = 2 };

        assert_int_equal(line_buffer_feed(&b, "a\nb\nc\n", 6, record, &s), -EPIPE);
        assert_string_equal(s.text, "a|");
        /* The failed line was consumed; the rest is still there. */
        assert_int_equal(line_buffer_flush(&b, record, &s), 0);
        assert_string_equal(s.text, "a|c\n|");
        line_buffer_done(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines_and_partials),
                cmocka_unit_test(test_nul_bytes),
                cmocka_unit_test(test_long_lines_cut),
                cmocka_unit_test(test_cut_at_character_boundary),
                cmocka_unit_test(test_handler_error_keeps_rest),
        };
        return cmocka_run_group_tests_name("line-buffer", tests, NULL, NULL);
}
