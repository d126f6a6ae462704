/* SPDX-License-Identifier: MIT */

/* The small helpers under the procfile model: "did you mean" distances, double formatting (env values and
 * JSON), and the path joins that make `dir`, `module` and the procfile's own path absolute. */

#include "test-util.h"

#include "common/path-util.h"
#include "common/string-util.h"

static void test_string_distance(void **state _unused_) {
        assert_int_equal(string_distance("", ""), 0);
        assert_int_equal(string_distance("abc", ""), 3);
        assert_int_equal(string_distance("", "abc"), 3);
        assert_int_equal(string_distance("scale", "scale"), 0);
        assert_int_equal(string_distance("scal", "scale"), 1);
        assert_int_equal(string_distance("kitten", "sitting"), 3);
        assert_int_equal(string_distance("dev", "env"), 2);
        /* A swap of two adjacent characters is one edit, anywhere in the word (optimal string
         * alignment), where Levenshtein counts two. */
        assert_int_equal(string_distance("sacle", "scale"), 1);
        assert_int_equal(string_distance("scael", "scale"), 1);
        assert_int_equal(string_distance("csale", "scale"), 1);
        assert_int_equal(string_distance("ab", "ba"), 1);
        assert_int_equal(string_distance("abc", "ca"), 3);
        assert_int_equal(string_distance("ca", "abc"), 3);
        assert_int_equal(string_distance("enrty", "entry"), 1);
        assert_int_equal(string_distance("scaelx", "scale"), 2);
        /* Symmetric, and a swap next to another edit. */
        assert_int_equal(string_distance("scale", "sacel"), 2);
        assert_int_equal(string_distance("sacel", "scale"), 2);
        assert_int_equal(string_distance("a", "b"), 1);
}

static void test_string_closest_one(const char *s, const char *expected) {
        static const char * const keys[] = {
                "scale", "entry", "env", "restart_delay_ms", "processes", NULL,
        };
        const char *got = string_closest(s, keys);

        if (expected ? !got || strcmp(got, expected) != 0 : got != NULL)
                fail_msg("string_closest(\"%s\") = %s, expected %s", s, got ?: "NULL", expected ?: "NULL");
}

static void test_string_closest(void **state _unused_) {
        /* One edit in a short word, a third of the word in a long one. */
        test_string_closest_one("scale", "scale");
        test_string_closest_one("scal", "scale");
        test_string_closest_one("scalee", "scale");
        test_string_closest_one("sacle", "scale");
        test_string_closest_one("scael", "scale");
        test_string_closest_one("enrty", "entry");
        test_string_closest_one("nev", "env");
        test_string_closest_one("sacel", NULL);
        test_string_closest_one("emv", "env");
        test_string_closest_one("foo", NULL);
        test_string_closest_one("restart_delay", "restart_delay_ms");
        test_string_closest_one("procesess", "processes");
        test_string_closest_one("", NULL);
}

static void test_format_double_one(double d, const char *expected) {
        char out[32];

        format_double(out, d);
        assert_string_equal(out, expected);
}

static void test_format_double(void **state _unused_) {
        test_format_double_one(0.1, "0.1");
        test_format_double_one(2.5, "2.5");
        test_format_double_one(-7.0, "-7");
        test_format_double_one(1e100, "1e+100");
        test_format_double_one(1e-5, "0.00001");
        test_format_double_one(2.5e-7, "2.5e-07");
        test_format_double_one(0.000001, "0.000001");
        test_format_double_one(1e-8, "1e-08");
        test_format_double_one(100.0, "100");
        test_format_double_one(1500.0, "1500");
        test_format_double_one(123456789012.0, "123456789012");
        test_format_double_one(0.30000000000000004, "0.30000000000000004");
}

static void test_path_join_one(const char *base, const char *path, const char *expected) {
        _cleanup_free_ char *joined = path_join_absolute(base, path);

        assert_non_null(joined);
        assert_string_equal(joined, expected);
}

static void test_path_join_absolute(void **state _unused_) {
        test_path_join_one("/srv/shop", "lib/m.so", "/srv/shop/lib/m.so");
        test_path_join_one("/srv/shop/", "lib/m.so", "/srv/shop/lib/m.so");
        test_path_join_one("/", "procfile", "/procfile");
        test_path_join_one("/srv/shop", "/abs/x.so", "/abs/x.so");
        test_path_join_one("/srv/shop", "../x", "/srv/shop/../x");
}

static void test_dirname_basename_one(const char *path, const char *dir, const char *base) {
        _cleanup_free_ char *d = path_dirname(path), *b = path_basename(path);

        assert_non_null(d);
        assert_non_null(b);
        assert_string_equal(d, dir);
        assert_string_equal(b, base);
}

static void test_dirname_basename(void **state _unused_) {
        test_dirname_basename_one("/srv/shop/procfile", "/srv/shop", "procfile");
        test_dirname_basename_one("/srv/shop/", "/srv", "shop");
        test_dirname_basename_one("/srv//shop//", "/srv", "shop");
        test_dirname_basename_one("/procfile", "/", "procfile");
        test_dirname_basename_one("/", "/", "");
        test_dirname_basename_one("procfile", ".", "procfile");
}

static void test_path_make_absolute_cwd_one(const char *path, const char *expected_below_cwd) {
        _cleanup_free_ char *cwd = getcwd(NULL, 0), *absolute = NULL, *expected = NULL;

        assert_non_null(cwd);
        assert_int_equal(path_make_absolute_cwd(path, &absolute), 0);
        if (expected_below_cwd)
                assert_true(asprintf(&expected, "%s%s%s", cwd, streq(cwd, "/") ? "" : "/",
                                     expected_below_cwd) >= 0);
        assert_string_equal(absolute, expected ?: path);
}

static void test_path_make_absolute_cwd(void **state _unused_) {
        test_path_make_absolute_cwd_one("/srv/shop/procfile", NULL);
        test_path_make_absolute_cwd_one("procfile", "procfile");
        test_path_make_absolute_cwd_one("shop/procfile", "shop/procfile");
        /* A leading "./" would otherwise become the directory's name. */
        test_path_make_absolute_cwd_one("./procfile", "procfile");
        test_path_make_absolute_cwd_one(".//./shop/procfile", "shop/procfile");
        test_path_make_absolute_cwd_one("../procfile", "../procfile");
}

static void test_utf8_and_control(void **state _unused_) {
        static const char *const valid[] = { "", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                             "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf" };
        static const char *const invalid[] = { "caf\xe9", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                                               "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe2\x82", "\x80" };

        for (size_t i = 0; i < ELEMENTSOF(valid); i++)
                if (!utf8_is_valid(valid[i]))
                        fail_msg("valid[%zu] refused", i);
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                if (utf8_is_valid(invalid[i]))
                        fail_msg("invalid[%zu] accepted", i);
        assert_false(string_has_control("a b~\xc3\xa9"));
        assert_true(string_has_control("a\nb"));
        assert_true(string_has_control("\x1b[0m"));
        assert_true(string_has_control("del\x7f"));
        assert_true(string_has_suffix("shop-web@1.socket", ".socket"));
        assert_true(string_has_suffix(".socket", ".socket"));
        assert_false(string_has_suffix("socket", ".socket"));
        assert_false(string_has_suffix("shop-web@1.service", ".socket"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_string_distance),
                cmocka_unit_test(test_string_closest),
                cmocka_unit_test(test_format_double),
                cmocka_unit_test(test_path_join_absolute),
                cmocka_unit_test(test_dirname_basename),
                cmocka_unit_test(test_path_make_absolute_cwd),
                cmocka_unit_test(test_utf8_and_control),
        };
        return cmocka_run_group_tests_name("string-path-util", tests, NULL, NULL);
}
