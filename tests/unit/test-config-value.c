/* SPDX-License-Identifier: MIT */

/* A service's `config` tree: its JSON rendering (what a service receives) and the dev overlay's deep
 * merge. */

#include "test-util.h"

#include "common/procfile/config-value.h"

static ConfigValue *value_string(const char *name, const char *s) {
        ConfigValue *v = config_value_new(CONFIG_VALUE_STRING, name);

        assert_non_null(v);
        v->string = strdup(s);
        assert_non_null(v->string);
        return v;
}

static ConfigValue *value_integer(const char *name, int64_t i) {
        ConfigValue *v = config_value_new(CONFIG_VALUE_INTEGER, name);

        assert_non_null(v);
        v->integer = i;
        return v;
}

static ConfigValue *value_float(const char *name, double d) {
        ConfigValue *v = config_value_new(CONFIG_VALUE_FLOAT, name);

        assert_non_null(v);
        v->number = d;
        return v;
}

static ConfigValue *value_boolean(const char *name, bool b) {
        ConfigValue *v = config_value_new(CONFIG_VALUE_BOOLEAN, name);

        assert_non_null(v);
        v->boolean = b;
        return v;
}

/* A group or array of the given children (NULL-terminated), which it takes over. */
static ConfigValue *value_node(ConfigValueType type, const char *name, va_list ap) {
        ConfigValue *v = config_value_new(type, name), *child;

        assert_non_null(v);
        while ((child = va_arg(ap, ConfigValue *)))
                assert_int_equal(config_value_append(v, child), 0);
        return v;
}

static ConfigValue *group(const char *name, ...) {
        ConfigValue *v;
        va_list ap;

        va_start(ap, name);
        v = value_node(CONFIG_VALUE_GROUP, name, ap);
        va_end(ap);
        return v;
}

static ConfigValue *array(const char *name, ...) {
        ConfigValue *v;
        va_list ap;

        va_start(ap, name);
        v = value_node(CONFIG_VALUE_ARRAY, name, ap);
        va_end(ap);
        return v;
}

/* Renders v, frees it and compares. */
static void test_json_one(ConfigValue *v, const char *expected) {
        _cleanup_(config_value_freep) ConfigValue *owned = v;
        _cleanup_free_ char *json = NULL;

        assert_int_equal(config_value_to_json(owned, &json), 0);
        assert_string_equal(json, expected);
}

static void test_json_scalars(void **state _unused_) {
        test_json_one(value_string(NULL, "x"), "\"x\"");
        test_json_one(value_string(NULL, ""), "\"\"");
        test_json_one(value_integer(NULL, 0), "0");
        test_json_one(value_integer(NULL, -5), "-5");
        test_json_one(value_integer(NULL, INT64_MAX), "9223372036854775807");
        test_json_one(value_integer(NULL, INT64_MIN), "-9223372036854775808");
        test_json_one(value_boolean(NULL, true), "true");
        test_json_one(value_boolean(NULL, false), "false");
        test_json_one(config_value_new(_CONFIG_VALUE_TYPE_INVALID, NULL), "null");
}

static void test_json_floats(void **state _unused_) {
        /* The shortest text that reads back as the same double. */
        test_json_one(value_float(NULL, 0.1), "0.1");
        test_json_one(value_float(NULL, 1e100), "1e+100");
        test_json_one(value_float(NULL, 1.5), "1.5");
        test_json_one(value_float(NULL, -2.5e-7), "-2.5e-07");
        test_json_one(value_float(NULL, 3.0), "3");
        test_json_one(value_float(NULL, 0.0), "0");
        test_json_one(value_float(NULL, 1.0 / 3.0), "0.3333333333333333");
        test_json_one(value_float(NULL, 123456.789), "123456.789");
        test_json_one(value_float(NULL, 5e-324), "5e-324");
        test_json_one(value_float(NULL, 1.7976931348623157e308), "1.7976931348623157e+308");
}

static void test_json_escaping(void **state _unused_) {
        test_json_one(value_string(NULL, "a\"b"), "\"a\\\"b\"");
        test_json_one(value_string(NULL, "a\\b"), "\"a\\\\b\"");
        test_json_one(value_string(NULL, "\n\t"), "\"\\n\\t\"");
        test_json_one(value_string(NULL, "\x01\x1f\r\b\f\x7f"),
                      "\"\\u0001\\u001f\\u000d\\u0008\\u000c\\u007f\"");
        test_json_one(value_string(NULL, " /<>'"), "\" /<>'\"");
        /* UTF-8 passes through as it is. */
        test_json_one(value_string(NULL, "h\xc3\xa9 \xe2\x82\xac"), "\"h\xc3\xa9 \xe2\x82\xac\"");
        /* Keys are strings too. */
        test_json_one(group(NULL, value_integer("a\"b\\c\n", 1), NULL), "{\"a\\\"b\\\\c\\n\":1}");
}

static void test_json_nested(void **state _unused_) {
        test_json_one(group(NULL, NULL), "{}");
        test_json_one(array(NULL, NULL), "[]");
        test_json_one(group("named-but-top", value_integer("port", 1338), value_string("host", "a"), NULL),
                      "{\"port\":1338,\"host\":\"a\"}");
        test_json_one(group(NULL,
                            value_string("s", "x"),
                            array("arr",
                                  value_integer(NULL, 1),
                                  array(NULL, value_integer(NULL, 2), value_string(NULL, "x"), NULL),
                                  group(NULL, value_string("k", "v"), NULL),
                                  array(NULL, NULL), NULL),
                            group("g", group("h", value_boolean("deep", true), NULL), NULL),
                            value_float("f", 0.5), NULL),
                      "{\"s\":\"x\",\"arr\":[1,[2,\"x\"],{\"k\":\"v\"},[]],"
                      "\"g\":{\"h\":{\"deep\":true}},\"f\":0.5}");
}

/* Merges overlay into base and compares the JSON of the result. */
static void test_merge_one(ConfigValue *base, ConfigValue *overlay, const char *expected) {
        _cleanup_(config_value_freep) ConfigValue *result = base;
        _cleanup_free_ char *json = NULL;

        assert_int_equal(config_value_merge(&result, overlay), 0);
        assert_int_equal(config_value_to_json(result, &json), 0);
        assert_string_equal(json, expected);
}

static void test_merge(void **state _unused_) {
        test_merge_one(NULL, group(NULL, value_integer("a", 1), NULL), "{\"a\":1}");
        test_merge_one(group(NULL, value_integer("port", 1338), value_string("host", "a"), NULL),
                       group(NULL, value_integer("port", 9), NULL),
                       "{\"port\":9,\"host\":\"a\"}");
        /* Groups merge key by key at every depth, new keys go last, arrays and scalars replace. */
        test_merge_one(group(NULL,
                             value_integer("a", 1),
                             group("g", value_integer("x", 1), value_integer("y", 2), NULL),
                             array("arr", value_integer(NULL, 1), value_integer(NULL, 2), NULL),
                             value_string("s", "base"), NULL),
                       group(NULL,
                             group("g", value_integer("y", 3), value_integer("z", 4), NULL),
                             array("arr", value_integer(NULL, 9), NULL),
                             value_string("new", "n"),
                             group("s", value_boolean("now_a_group", true), NULL), NULL),
                       "{\"a\":1,\"g\":{\"x\":1,\"y\":3,\"z\":4},\"arr\":[9],\"s\":{\"now_a_group\":true},"
                       "\"new\":\"n\"}");
        test_merge_one(group(NULL, group("g", value_integer("x", 1), NULL), NULL),
                       group(NULL, value_integer("g", 5), NULL),
                       "{\"g\":5}");
        test_merge_one(value_integer(NULL, 1), group(NULL, value_integer("a", 2), NULL), "{\"a\":2}");
        test_merge_one(group(NULL, value_integer("a", 1), NULL), group(NULL, NULL), "{\"a\":1}");
}

static void test_value_free(void **state _unused_) {
        assert_null(config_value_free(NULL));
        assert_null(config_value_free(group("g", array("a", value_string(NULL, "x"), NULL), NULL)));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_scalars),
                cmocka_unit_test(test_json_floats),
                cmocka_unit_test(test_json_escaping),
                cmocka_unit_test(test_json_nested),
                cmocka_unit_test(test_merge),
                cmocka_unit_test(test_value_free),
        };
        return cmocka_run_group_tests_name("config-value", tests, NULL, NULL);
}
