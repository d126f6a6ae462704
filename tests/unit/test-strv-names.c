/* SPDX-License-Identifier: MIT */

/* String vectors (argv, environment blocks in definition order) and the name checks for unit names and
 * environment variables. */

#include "test-util.h"

#include "common/names.h"
#include "common/strv.h"

static void test_strv_basics(void **state _unused_) {
        _cleanup_strv_free_ char **l = NULL, **copy = NULL, **empty = NULL;

        assert_null(strv_free(NULL));
        assert_int_equal(strv_length(NULL), 0);
        assert_null(strv_copy(NULL));
        assert_null(strv_find(NULL, "a"));

        assert_int_equal(strv_extend(&l, "a"), 0);
        assert_int_equal(strv_consume(&l, strdup("b")), 0);
        assert_int_equal(strv_extend_strv(&l, (char **) STRV("c", "d")), 0);
        assert_int_equal(strv_extend_strv(&l, NULL), 0);
        test_strv_equal(l, STRV("a", "b", "c", "d"), "extended");
        assert_int_equal(strv_length(l), 4);
        assert_ptr_equal(strv_find(l, "c"), l[2]);
        assert_null(strv_find(l, "e"));

        /* A deep copy: equal strings, none shared. */
        copy = strv_copy(l);
        test_strv_equal(copy, STRV("a", "b", "c", "d"), "copy");
        for (size_t i = 0; l[i]; i++)
                assert_ptr_not_equal(copy[i], l[i]);

        /* An empty vector copies to an empty vector, not to NULL. */
        empty = calloc(1, sizeof(char *));
        assert_non_null(empty);
        strv_free(copy);
        copy = strv_copy(empty);
        assert_non_null(copy);
        assert_null(copy[0]);
}

static void test_strv_env_set(void **state _unused_) {
        _cleanup_strv_free_ char **l = NULL;

        assert_null(strv_env_get(NULL, "A"));
        assert_int_equal(strv_env_set(&l, "A", "1"), 0);
        assert_int_equal(strv_env_set(&l, "B", "2"), 0);
        assert_int_equal(strv_env_set(&l, "AB", "x"), 0);
        /* Replacing keeps the first definition's place. */
        assert_int_equal(strv_env_set(&l, "A", "3"), 0);
        assert_int_equal(strv_env_set(&l, "K", "a=b"), 0);
        assert_int_equal(strv_env_set(&l, "E", ""), 0);
        test_strv_equal(l, STRV("A=3", "B=2", "AB=x", "K=a=b", "E="), "env");

        assert_string_equal(strv_env_get(l, "A"), "3");
        assert_string_equal(strv_env_get(l, "AB"), "x");
        assert_string_equal(strv_env_get(l, "K"), "a=b");
        assert_string_equal(strv_env_get(l, "E"), "");
        assert_null(strv_env_get(l, "C"));
        assert_null(strv_env_get(l, "a"));
        /* A prefix of a name is not that name. */
        assert_int_equal(strv_env_set(&l, "ABC", "y"), 0);
        assert_string_equal(strv_env_get(l, "AB"), "x");
        assert_int_equal(strv_length(l), 6);
}

static void test_strv_env_merge(void **state _unused_) {
        _cleanup_strv_free_ char **l = NULL, **fresh = NULL;

        assert_int_equal(strv_env_set(&l, "A", "1"), 0);
        assert_int_equal(strv_env_set(&l, "B", "2"), 0);
        assert_int_equal(strv_env_merge(&l, (char **) STRV("C=3", "A=4", "junk", "B=", "D=x=y", "C=5")), 0);
        test_strv_equal(l, STRV("A=4", "B=", "C=5", "D=x=y"), "merged");

        assert_int_equal(strv_env_merge(&l, NULL), 0);
        assert_int_equal(strv_length(l), 4);

        assert_int_equal(strv_env_merge(&fresh, (char **) STRV("worker=true", "X=1")), 0);
        test_strv_equal(fresh, STRV("worker=true", "X=1"), "into NULL");
}

static void test_unit_prefix_one(const char *s, bool expected) {
        if (unit_prefix_is_valid(s) != expected)
                fail_msg("unit_prefix_is_valid(\"%s\") should be %s", s ?: "(null)",
                         expected ? "true" : "false");
}

static void test_unit_prefix_is_valid(void **state _unused_) {
        char longest[UNIT_NAME_LENGTH_MAX + 2];

        test_unit_prefix_one("a", true);
        test_unit_prefix_one("web", true);
        test_unit_prefix_one("A0", true);
        test_unit_prefix_one("0", true);
        test_unit_prefix_one("my-app_1.x:y", true);
        test_unit_prefix_one("a\\x2db", true);  /* systemd's escapes */
        test_unit_prefix_one(".", false);       /* what a directory walk yields */
        test_unit_prefix_one("..", false);
        test_unit_prefix_one("...", false);
        test_unit_prefix_one(".a", true);
        test_unit_prefix_one("weak-all", true); /* reserved elsewhere, not here */

        test_unit_prefix_one(NULL, false);
        test_unit_prefix_one("", false);
        test_unit_prefix_one("a b", false);
        test_unit_prefix_one("a@b", false);
        test_unit_prefix_one("a/b", false);
        test_unit_prefix_one("a*", false);
        test_unit_prefix_one("a\n", false);
        test_unit_prefix_one("\xc3\xa4", false);

        memset(longest, 'a', UNIT_NAME_LENGTH_MAX);
        longest[UNIT_NAME_LENGTH_MAX] = '\0';
        test_unit_prefix_one(longest, true);
        longest[UNIT_NAME_LENGTH_MAX] = 'a';
        longest[UNIT_NAME_LENGTH_MAX + 1] = '\0';
        test_unit_prefix_one(longest, false);
}

static void test_env_name_one(const char *s, bool expected) {
        if (env_name_is_valid(s) != expected)
                fail_msg("env_name_is_valid(\"%s\") should be %s", s ?: "(null)",
                         expected ? "true" : "false");
}

static void test_env_name_is_valid(void **state _unused_) {
        test_env_name_one("A", true);
        test_env_name_one("_", true);
        test_env_name_one("_A1", true);
        test_env_name_one("path", true);
        test_env_name_one("A_B_9", true);
        test_env_name_one("worker", true);

        test_env_name_one(NULL, false);
        test_env_name_one("", false);
        test_env_name_one("1A", false);
        test_env_name_one("A-B", false);
        test_env_name_one("A B", false);
        test_env_name_one("A=B", false);
        test_env_name_one("A.B", false);
        test_env_name_one("A*", false);
        test_env_name_one("\xc3\x84", false);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strv_basics),
                cmocka_unit_test(test_strv_env_set),
                cmocka_unit_test(test_strv_env_merge),
                cmocka_unit_test(test_unit_prefix_is_valid),
                cmocka_unit_test(test_env_name_is_valid),
        };
        return cmocka_run_group_tests_name("strv-names", tests, NULL, NULL);
}
