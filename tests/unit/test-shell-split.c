/* SPDX-License-Identifier: MIT */

/* shell_split(): the words `entry` and `exec` become, and the lines it refuses. */

#include "test-util.h"

#include "common/shell-split.h"
#include "common/strv.h"

static void test_shell_split_one(const char *line, const char * const *expected) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = shell_split(line, &words);
        if (r < 0)
                fail_msg("shell_split(\"%s\") = %d", line, r);
        assert_non_null(words);
        test_strv_equal(words, expected, line);
}

static void test_shell_split_error(const char *line, int expected) {
        char **words = (char **) STRV("untouched");
        int r;

        r = shell_split(line, &words);
        if (r != expected)
                fail_msg("shell_split(\"%s\") = %d, expected %d", line, r, expected);
        /* The output is only set on success. */
        assert_string_equal(words[0], "untouched");
}

static void test_words(void **state _unused_) {
        test_shell_split_one("x", STRV("x"));
        test_shell_split_one("a b c", STRV("a", "b", "c"));
        test_shell_split_one("  a\t\tb\n c\r", STRV("a", "b", "c"));
        test_shell_split_one("node ./app.js --port=80", STRV("node", "./app.js", "--port=80"));
        test_shell_split_one("h\xc3\xa9llo w\xc3\xb6rld", STRV("h\xc3\xa9llo", "w\xc3\xb6rld"));
}

static void test_single_quotes(void **state _unused_) {
        test_shell_split_one("'a b'", STRV("a b"));
        /* Nothing is special between single quotes, not even a backslash. */
        test_shell_split_one("'a \" \\ $x `y`'", STRV("a \" \\ $x `y`"));
        test_shell_split_one("'a\\'", STRV("a\\"));
        test_shell_split_one("a'b c'd", STRV("ab cd"));
        test_shell_split_one("'\t'", STRV("\t"));
}

static void test_double_quotes(void **state _unused_) {
        test_shell_split_one("\"a 'b' c\"", STRV("a 'b' c"));
        /* A backslash escapes only " \ $ ` and stays before anything else. */
        test_shell_split_one("\"\\\" \\\\ \\$ \\`\"", STRV("\" \\ $ `"));
        test_shell_split_one("\"\\n \\a \\'\"", STRV("\\n \\a \\'"));
        test_shell_split_one("\"a\"'b'c", STRV("abc"));
        test_shell_split_one("x \"\" y", STRV("x", "", "y"));
}

static void test_backslashes(void **state _unused_) {
        test_shell_split_one("a\\ b", STRV("a b"));
        test_shell_split_one("\\'x", STRV("'x"));
        test_shell_split_one("\\\"x\\\"", STRV("\"x\""));
        test_shell_split_one("a\\\\", STRV("a\\"));
        test_shell_split_one("\\a\\b", STRV("ab"));
        /* No line continuation: the backslash keeps the newline, as the header says. */
        test_shell_split_one("a\\\nb", STRV("a\nb"));
}

static void test_empty_words(void **state _unused_) {
        test_shell_split_one("''", STRV(""));
        test_shell_split_one("'' \"\"", STRV("", ""));
        test_shell_split_one("a''b", STRV("ab"));
        test_shell_split_one("a '' b", STRV("a", "", "b"));
}

static void test_no_expansion(void **state _unused_) {
        test_shell_split_one("$HOME *.js ~ ; | > `x` $(y) &&",
                             STRV("$HOME", "*.js", "~", ";", "|", ">", "`x`", "$(y)", "&&"));
        test_shell_split_one("a;b", STRV("a;b"));
}

static void test_errors(void **state _unused_) {
        test_shell_split_error("'a", -EINVAL);
        test_shell_split_error("\"a", -EINVAL);
        test_shell_split_error("a\\", -EINVAL);
        test_shell_split_error("'a\"", -EINVAL);
        test_shell_split_error("\"a'", -EINVAL);
        test_shell_split_error("abc '", -EINVAL);
        test_shell_split_error("ok \"a\\\"", -EINVAL);
        test_shell_split_error("\"a\\", -EINVAL);
        test_shell_split_error("", -ENODATA);
        test_shell_split_error("   \t\n\r", -ENODATA);
}

static void test_find_operator_one(const char *line, const char *expected) {
        _cleanup_free_ char *word = NULL;
        int r;

        r = shell_find_operator(line, &word);
        if (expected ? r != 1 || strcmp(word, expected) != 0 : r != 0)
                fail_msg("shell_find_operator(\"%s\") = %d '%s', expected '%s'", line, r, word ?: "",
                         expected ?: "(none)");
}

static void test_find_operator(void **state _unused_) {
        test_find_operator_one("node app.js", NULL);
        test_find_operator_one("/bin/sh -c 'a | b > c; d &'", NULL);        /* quoted: one word */
        test_find_operator_one("grep \"a>b\" x", NULL);
        test_find_operator_one("echo a\\|b", NULL);                      /* escaped */
        test_find_operator_one("node app.js > app.log", ">");
        test_find_operator_one("node app.js 2>&1", "2>&1");
        test_find_operator_one("a&&b", "a&&b");
        test_find_operator_one("ls | wc", "|");
        test_find_operator_one("echo `date`", "`date`");
        test_find_operator_one("x; y", "x;");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_words),
                cmocka_unit_test(test_single_quotes),
                cmocka_unit_test(test_double_quotes),
                cmocka_unit_test(test_backslashes),
                cmocka_unit_test(test_empty_words),
                cmocka_unit_test(test_no_expansion),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_find_operator),
        };
        return cmocka_run_group_tests_name("shell-split", tests, NULL, NULL);
}
