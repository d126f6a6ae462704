/* SPDX-License-Identifier: MIT */

/* dotenv_parse(): what foreman, honcho, python-dotenv and docker accept, and the lines they refuse. */

#include "test-util.h"

#include "common/dotenv.h"
#include "common/strv.h"

static void test_dotenv_one(const char *text, const char * const *expected) {
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char *));
        const char *error = NULL;
        unsigned line = 0;
        int r;

        assert_non_null(env);
        r = dotenv_parse(text, strlen(text), &env, &line, &error);
        if (r < 0)
                fail_msg("dotenv_parse(\"%s\") = %d at line %u: %s", text, r, line, error);
        test_strv_equal(env, expected, text);
}

static void test_dotenv_error(const char *text, unsigned expected_line, const char *expected_error) {
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char *));
        const char *error = NULL;
        unsigned line = 0;

        assert_non_null(env);
        assert_int_equal(dotenv_parse(text, strlen(text), &env, &line, &error), -EINVAL);
        assert_int_equal(line, expected_line);
        assert_string_equal(error, expected_error);
}

static void test_plain(void **state _unused_) {
        test_dotenv_one("", (const char * const[]) { NULL });
        test_dotenv_one("A=1\nB=two words\n", STRV("A=1", "B=two words"));
        test_dotenv_one("A=1", STRV("A=1"));                          /* no final newline */
        test_dotenv_one("  A = 1  \n", STRV("A=1"));                  /* blanks around = and the value */
        test_dotenv_one("A=\nB=\n", STRV("A=", "B="));                /* empty values are kept */
        test_dotenv_one("A=1\r\nB=2\r\n", STRV("A=1", "B=2"));        /* CRLF files */
        test_dotenv_one("A=1\nA=2\n", STRV("A=2"));                   /* the later one wins */
        test_dotenv_one("URL=postgres://u:p@h/db?x=1\n", STRV("URL=postgres://u:p@h/db?x=1"));
}

static void test_comments_and_export(void **state _unused_) {
        test_dotenv_one("# a comment\n\n   # indented\nA=1\n", STRV("A=1"));
        test_dotenv_one("A=1 # trailing comment\n", STRV("A=1"));
        test_dotenv_one("A=a#b\n", STRV("A=a#b"));                    /* '#' inside a word is not one */
        test_dotenv_one("export A=1\nexport\tB=2\n", STRV("A=1", "B=2"));
        test_dotenv_one("exported=1\n", STRV("exported=1"));
}

static void test_quotes(void **state _unused_) {
        test_dotenv_one("A='single $HOME \\n'\n", STRV("A=single $HOME \\n"));
        test_dotenv_one("A=\"double \\\"q\\\" \\\\ \\n \\t end\"\n", STRV("A=double \"q\" \\ \n \t end"));
        test_dotenv_one("A=\"\"\nB=''\n", STRV("A=", "B="));
        test_dotenv_one("A=\"a # not a comment\" # a comment\n", STRV("A=a # not a comment"));
        test_dotenv_one("KEY=\"-----BEGIN\nline2\n-----END\"\nB=1\n", STRV("KEY=-----BEGIN\nline2\n-----END", "B=1"));
        test_dotenv_one("A=  ' padded '  \n", STRV("A= padded "));
}

static void test_errors(void **state _unused_) {
        test_dotenv_error("A=1\nnot an assignment\n", 2, "expected KEY=value");
        test_dotenv_error("A=1\n\n1A=2\n", 3, "the name must be letters, digits and '_', not starting with a digit");
        test_dotenv_error("A-B=1\n", 1, "the name must be letters, digits and '_', not starting with a digit");
        test_dotenv_error("A=\"open\nB=2\n", 1, "a double-quoted value is not closed");
        test_dotenv_error("A='open\nB=2'\n", 1, "a single-quoted value must end on its line");
        test_dotenv_error("A=\"x\" y\n", 1, "unexpected text after the closing quote");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_comments_and_export),
                cmocka_unit_test(test_quotes),
                cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests_name("dotenv", tests, NULL, NULL);
}
