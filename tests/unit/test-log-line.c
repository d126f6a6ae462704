/* SPDX-License-Identifier: MIT */

/* A child's output line as a journal entry: priority prefixes, JSON logger lines (nested values
 * flattened into fields, colour codes removed), and bytes kept as they are. Table-driven: each case is a
 * line and the entry it must become. The logger lines are what pino, bunyan and winston print (recorded
 * from Debian 12's node-bunyan 2.0.5 and node-winston 3.8.2; pino's, which Debian does not package,
 * written as pino's lib/tools.js and its test/error.test.js have it). */

#include "test-util.h"

#include <syslog.h>

#include "agent/log/line.h"

#define NO_FIELDS ((const char *[]) { NULL })

/* Parses line (size bytes) and checks priority, message and the fields, in order. */
static void check_sized(const char *line, size_t size, int priority, const char *message, size_t message_size,
                        const char * const *fields) {
        LogLine l = {};
        size_t n = 0;

        assert_int_equal(log_line_parse(line, size, LOG_INFO, &l), 0);
        if (l.priority != priority || l.message_size != message_size ||
            memcmp(l.message, message, message_size) != 0)
                fail_msg("line '%.*s': got priority %d, message '%.*s'", (int) size, line, l.priority,
                         (int) l.message_size, l.message);
        for (; fields[n]; n++) {
                if (n >= l.n_fields)
                        fail_msg("line '%s': missing field '%s'", line, fields[n]);
                if (l.fields[n].iov_len != strlen(fields[n]) ||
                    memcmp(l.fields[n].iov_base, fields[n], l.fields[n].iov_len) != 0)
                        fail_msg("line '%s': field %zu is '%.*s', expected '%s'", line, n,
                                 (int) l.fields[n].iov_len, (char *) l.fields[n].iov_base, fields[n]);
        }
        if (l.n_fields != n)
                fail_msg("line '%s': %zu fields, expected %zu", line, l.n_fields, n);
        log_line_done(&l);
}

static void check(const char *line, int priority, const char *message, const char * const *fields) {
        check_sized(line, strlen(line), priority, message, strlen(message), fields);
}

static void test_plain_and_prefix(void **state _unused_) {
        check("hello", LOG_INFO, "hello", NO_FIELDS);
        check("", LOG_INFO, "", NO_FIELDS);
        check("<3>disk full", LOG_ERR, "disk full", NO_FIELDS);
        check("<7>", LOG_DEBUG, "", NO_FIELDS);
        /* Only 0-7 in angle brackets is a prefix. */
        check("<8>x", LOG_INFO, "<8>x", NO_FIELDS);
        check("<3 x", LOG_INFO, "<3 x", NO_FIELDS);
        check(" <3>x", LOG_INFO, " <3>x", NO_FIELDS);
}

static void test_bytes_kept(void **state _unused_) {
        static const char nul[] = "a\0b", bad[] = "caf\xc3 \xff\xfe";

        check_sized(nul, 3, LOG_INFO, nul, 3, NO_FIELDS);
        check_sized(bad, sizeof(bad) - 1, LOG_INFO, bad, sizeof(bad) - 1, NO_FIELDS);
}

static void test_pino_bunyan_winston(void **state _unused_) {
        /* pino */
        check("{\"level\":30,\"time\":1700000000000,\"pid\":42,\"hostname\":\"h\",\"msg\":\"listening\"}",
              LOG_INFO, "listening",
              STRV("PANDORA_JSON_TIME=1700000000000", "PANDORA_JSON_PID=42", "PANDORA_JSON_HOSTNAME=h"));
        check("{\"level\":50,\"msg\":\"boom\",\"err\":{\"type\":\"Error\",\"stack\":[1,2]}}", LOG_ERR, "boom",
              STRV("PANDORA_JSON_ERR_TYPE=Error", "PANDORA_JSON_ERR_STACK_0=1", "PANDORA_JSON_ERR_STACK_1=2"));
        check("{\"level\":60,\"msg\":\"dead\"}", LOG_CRIT, "dead", NO_FIELDS);
        check("{\"level\":10,\"msg\":\"t\"}", LOG_DEBUG, "t", NO_FIELDS);
        check("{\"level\":40,\"msg\":\"w\"}", LOG_WARNING, "w", NO_FIELDS);
        /* bunyan: the same numbers, plus name and v */
        check("{\"name\":\"shop\",\"v\":0,\"level\":20,\"msg\":\"dbg\"}", LOG_DEBUG, "dbg",
              STRV("PANDORA_JSON_NAME=shop", "PANDORA_JSON_V=0"));
        /* winston: names and "message" */
        check("{\"level\":\"warn\",\"message\":\"slow\",\"service\":\"cache\"}", LOG_WARNING, "slow",
              STRV("PANDORA_JSON_SERVICE=cache"));
        check("{\"level\":\"ERROR\",\"message\":\"x\"}", LOG_ERR, "x", NO_FIELDS);
        check("{\"level\":\"silly\",\"message\":\"x\"}", LOG_DEBUG, "x", NO_FIELDS);
        /* syslog numbers, and an unknown level keeping the stream's priority */
        check("{\"level\":2,\"msg\":\"x\"}", LOG_CRIT, "x", NO_FIELDS);
        check("{\"level\":\"loud\",\"msg\":\"x\"}", LOG_INFO, "x", NO_FIELDS);
        /* msg wins over message; the other one is dropped, not a field */
        check("{\"message\":\"b\",\"msg\":\"a\"}", LOG_INFO, "a", NO_FIELDS);
}

/* logger.error(err): the error's stack, a multi-line string inside one JSON line, is one field of the
 * one entry, newlines and all. */
static void test_logged_errors(void **state _unused_) {
        /* pino: logger.error(new Error('boom')) */
        check("{\"level\":50,\"time\":1700000000000,\"pid\":42,\"hostname\":\"h\",\"err\":{\"type\":\"Error\","
              "\"message\":\"boom\",\"stack\":\"Error: boom\\n    at Object.<anonymous> (/srv/app.js:3:13)\\n    at "
              "Module._compile (node:internal/modules/cjs/loader:1256:14)\"},\"msg\":\"boom\"}",
              LOG_ERR, "boom",
              STRV("PANDORA_JSON_TIME=1700000000000", "PANDORA_JSON_PID=42", "PANDORA_JSON_HOSTNAME=h",
                   "PANDORA_JSON_ERR_TYPE=Error", "PANDORA_JSON_ERR_MESSAGE=boom",
                   "PANDORA_JSON_ERR_STACK=Error: boom\n    at Object.<anonymous> (/srv/app.js:3:13)\n    at "
                   "Module._compile (node:internal/modules/cjs/loader:1256:14)"));
        /* bunyan: log.error(err), with its code */
        check("{\"name\":\"shop\",\"hostname\":\"vm\",\"pid\":31779,\"level\":50,\"err\":{\"message\":\"boom\","
              "\"name\":\"Error\",\"stack\":\"Error: boom\\n    at Object.<anonymous> (/tmp/lg.js:4:11)\","
              "\"code\":\"E_BOOM\"},\"msg\":\"boom\",\"time\":\"2026-11-29T17:29:55.802Z\",\"v\":0}",
              LOG_ERR, "boom",
              STRV("PANDORA_JSON_NAME=shop", "PANDORA_JSON_HOSTNAME=vm", "PANDORA_JSON_PID=31779",
                   "PANDORA_JSON_ERR_MESSAGE=boom", "PANDORA_JSON_ERR_NAME=Error",
                   "PANDORA_JSON_ERR_STACK=Error: boom\n    at Object.<anonymous> (/tmp/lg.js:4:11)",
                   "PANDORA_JSON_ERR_CODE=E_BOOM", "PANDORA_JSON_TIME=2026-11-29T17:29:55.802Z", "PANDORA_JSON_V=0"));
        /* winston with format.errors({ stack: true }) and colorize(): the stack at the top level */
        check("{\"level\":\"\\u001b[31merror\\u001b[39m\",\"message\":\"boom\",\"stack\":\"Error: boom\\n    at "
              "Object.<anonymous> (/tmp/lg2.js:5:11)\"}",
              LOG_ERR, "boom", STRV("PANDORA_JSON_STACK=Error: boom\n    at Object.<anonymous> (/tmp/lg2.js:5:11)"));
}

/* winston's colorize() wraps the level, colorize({ all: true }) the message too, in SGR escapes. */
static void test_colours(void **state _unused_) {
        check("{\"level\":\"\\u001b[33mwarn\\u001b[39m\",\"message\":\"\\u001b[33mslow\\u001b[39m\"}",
              LOG_WARNING, "slow", NO_FIELDS);
        check("{\"level\":\"\\u001b[32minfo\\u001b[39m\",\"message\":\"hello\",\"user\":{\"id\":7}}", LOG_INFO,
              "hello", STRV("PANDORA_JSON_USER_ID=7"));
        /* Without a message the line is the message, as written (its escapes are text there). */
        check("{\"code\":\"E_BOOM\",\"level\":\"\\u001b[31merror\\u001b[39m\"}", LOG_ERR,
              "{\"code\":\"E_BOOM\",\"level\":\"\\u001b[31merror\\u001b[39m\"}", STRV("PANDORA_JSON_CODE=E_BOOM"));
        /* Plain lines lose their colours too; other escapes stay. */
        check("\x1b[1;32mok\x1b[0m done \x1b[38;5;208mx\x1b[m", LOG_INFO, "ok done x", NO_FIELDS);
        check("<3>\x1b[31mfailed\x1b[39m", LOG_ERR, "failed", NO_FIELDS);
        check("\x1b[2Jclear \x1b[31 unfinished \x1b", LOG_INFO, "\x1b[2Jclear \x1b[31 unfinished \x1b", NO_FIELDS);
}

/* Nested objects and arrays: each value a field named by its path, empty ones as "{}" and "[]". */
static void test_nested(void **state _unused_) {
        check("{\"level\":\"warn\",\"message\":\"list\",\"n\":null,\"tags\":[\"a\",\"b\"]}", LOG_WARNING, "list",
              STRV("PANDORA_JSON_N=null", "PANDORA_JSON_TAGS_0=a", "PANDORA_JSON_TAGS_1=b"));
        check("{\"msg\":\"m\",\"req\":{\"headers\":{\"user-agent\":\"curl\"},\"ids\":[[1,2],{\"x\":true}]},\"e\":{},"
              "\"l\":[],\"\":{\"dropped\":1},\"k\":{\"\":2}}", LOG_INFO, "m",
              STRV("PANDORA_JSON_REQ_HEADERS_USER_AGENT=curl", "PANDORA_JSON_REQ_IDS_0_0=1", "PANDORA_JSON_REQ_IDS_0_1=2",
                   "PANDORA_JSON_REQ_IDS_1_X=true", "PANDORA_JSON_E={}", "PANDORA_JSON_L=[]"));
        /* msg, message and level are only read at the top level, and as scalars. */
        check("{\"msg\":{\"text\":\"t\"},\"a\":{\"level\":\"error\",\"msg\":\"inner\"}}", LOG_INFO,
              "{\"msg\":{\"text\":\"t\"},\"a\":{\"level\":\"error\",\"msg\":\"inner\"}}",
              STRV("PANDORA_JSON_MSG_TEXT=t", "PANDORA_JSON_A_LEVEL=error", "PANDORA_JSON_A_MSG=inner"));
}

/* Past 8 levels a value is its JSON text; past 256 fields they are counted, not sent. */
static void test_bounds(void **state _unused_) {
        char line[8192], field[64];
        const char *fields[LOG_LINE_FIELDS_MAX + 2];
        size_t n = 0;

        check("{\"msg\":\"deep\",\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\": [1, {\"j\":2}]}}}}}}}}}",
              LOG_INFO, "deep", STRV("PANDORA_JSON_A_B_C_D_E_F_G_H={\"i\": [1, {\"j\":2}]}"));
        n = (size_t) snprintf(line, sizeof(line), "{\"msg\":\"many\"");
        for (int i = 0; i < 300; i++)
                n += (size_t) snprintf(line + n, sizeof(line) - n, ",\"k%d\":%d", i, i);
        snprintf(line + n, sizeof(line) - n, "}");
        for (size_t i = 0; i < LOG_LINE_FIELDS_MAX; i++) {
                snprintf(field, sizeof(field), "PANDORA_JSON_K%zu=%zu", i, i);
                fields[i] = strdup(field);
                assert_non_null(fields[i]);
        }
        fields[LOG_LINE_FIELDS_MAX] = "PANDORA_JSON_DROPPED=44";
        fields[LOG_LINE_FIELDS_MAX + 1] = NULL;
        check(line, LOG_INFO, "many", fields);
        for (size_t i = 0; i < LOG_LINE_FIELDS_MAX; i++)
                free((char *) fields[i]);
}

static void test_json_values(void **state _unused_) {
        check("{\"msg\":\"tab\\there \\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/\"}", LOG_INFO,
              "tab\there \xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ /", NO_FIELDS);
        check("{ \"msg\" : \"spaced\" , \"ok\" : true , \"no\" : false , \"nil\" : null , \"f\" : -1.5e+3 }",
              LOG_INFO, "spaced",
              STRV("PANDORA_JSON_OK=true", "PANDORA_JSON_NO=false", "PANDORA_JSON_NIL=null",
                   "PANDORA_JSON_F=-1.5e+3"));
        /* keys upper-cased, other characters become '_' */
        check("{\"req.id\":\"7\",\"user-agent\":\"curl\",\"x\":1}", LOG_INFO,
              "{\"req.id\":\"7\",\"user-agent\":\"curl\",\"x\":1}",
              STRV("PANDORA_JSON_REQ_ID=7", "PANDORA_JSON_USER_AGENT=curl", "PANDORA_JSON_X=1"));
        /* a non-string msg is its text */
        check("{\"msg\":42}", LOG_INFO, "42", NO_FIELDS);
        /* a lone surrogate becomes U+FFFD */
        check("{\"msg\":\"\\ud800\"}", LOG_INFO, "\xef\xbf\xbd", NO_FIELDS);
        /* the prefix still applies to a JSON line without a level */
        check("<4>{\"msg\":\"pre\"}", LOG_WARNING, "pre", NO_FIELDS);
}

static void test_not_json(void **state _unused_) {
        static const char *const lines[] = {
                "{", "{}x", "{\"a\":}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1,}", "{\"a\":\"\\x\"}",
                "{\"a\":tru}", "{\"a\":[1,]}", "{\"a\":\"unterminated}", "{\"a\":1} {\"b\":2}", "{a:1}",
                "{\"a\":1.}", "{\"a\":1e}", "{\"a\":\"\\u12\"}", "{\"a\":\"raw\ttab\"}",
        };

        for (size_t i = 0; i < ELEMENTSOF(lines); i++)
                check(lines[i], LOG_INFO, lines[i], NO_FIELDS);
        /* An empty object is valid JSON without a message: the line itself is the message. */
        check("{}", LOG_INFO, "{}", NO_FIELDS);
        check("<2>{broken", LOG_CRIT, "{broken", NO_FIELDS);
}

static void test_deep_nesting(void **state _unused_) {
        char deep[300] = "{\"a\":";
        size_t n = strlen(deep);

        /* Nesting past the limit is not parsed as JSON, and does not overflow the stack. */
        for (int i = 0; i < 100; i++)
                deep[n++] = '[';
        for (int i = 0; i < 100; i++)
                deep[n++] = ']';
        deep[n++] = '}';
        deep[n] = '\0';
        check(deep, LOG_INFO, deep, NO_FIELDS);
}

static void test_long_field_name(void **state _unused_) {
        char line[200], field[100];

        snprintf(line, sizeof(line), "{\"%s\":1,\"msg\":\"m\"}",
                 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij");
        snprintf(field, sizeof(field), "PANDORA_JSON_%s=1", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXY");
        assert_int_equal(strlen(field) - 2, LOG_FIELD_NAME_MAX);
        check(line, LOG_INFO, "m", STRV(field));
}

static void test_level_names(void **state _unused_) {
        assert_int_equal(log_level_to_priority("emerg", 5, 0), LOG_EMERG);
        assert_int_equal(log_level_to_priority("alert", 5, 0), LOG_ALERT);
        assert_int_equal(log_level_to_priority("Fatal", 5, 0), LOG_CRIT);
        assert_int_equal(log_level_to_priority("notice", 6, 0), LOG_NOTICE);
        assert_int_equal(log_level_to_priority("http", 4, 0), LOG_INFO);
        assert_int_equal(log_level_to_priority("verbose", 7, 0), LOG_DEBUG);
        assert_int_equal(log_level_to_priority("35", 2, 1), LOG_INFO);
        assert_int_equal(log_level_to_priority("99", 2, 1), LOG_CRIT);
        assert_int_equal(log_level_to_priority("8", 1, 1), -EINVAL);
        assert_int_equal(log_level_to_priority("warnx", 5, 0), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_and_prefix),
                cmocka_unit_test(test_bytes_kept),
                cmocka_unit_test(test_pino_bunyan_winston),
                cmocka_unit_test(test_logged_errors),
                cmocka_unit_test(test_colours),
                cmocka_unit_test(test_nested),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_json_values),
                cmocka_unit_test(test_not_json),
                cmocka_unit_test(test_deep_nesting),
                cmocka_unit_test(test_long_field_name),
                cmocka_unit_test(test_level_names),
        };
        return cmocka_run_group_tests_name("log-line", tests, NULL, NULL);
}
