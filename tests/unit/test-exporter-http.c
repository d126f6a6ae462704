/* SPDX-License-Identifier: MIT */

/* The HTTP a scrape needs: request heads complete or not, their method and path, the Accept header
 * negotiated as Prometheus, curl and a browser send it, and a response's head. */

#include "test-util.h"

#include "exporter/http.h"

static void test_parse_one(const char *head, int expected, HttpMethod method, const char *path,
                           RenderFormat format) {
        _cleanup_(http_request_done) HttpRequest r = {};
        int k = http_parse_request(head, strlen(head), &r);

        if (k != expected)
                fail_msg("'%s': got %d, expected %d", head, k, expected);
        if (k <= 0)
                return;
        assert_int_equal(r.method, method);
        assert_string_equal(r.path, path);
        assert_int_equal(r.format, format);
}

static void test_parse(void **state) {
        test_parse_one("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 1, HTTP_GET, "/metrics", RENDER_TEXT);
        test_parse_one("GET /metrics?x=1 HTTP/1.0\n\n", 1, HTTP_GET, "/metrics", RENDER_TEXT);
        test_parse_one("HEAD / HTTP/1.1\r\n\r\n", 1, HTTP_HEAD, "/", RENDER_TEXT);
        test_parse_one("POST /metrics HTTP/1.1\r\n\r\n", 1, HTTP_OTHER, "/metrics", RENDER_TEXT);
        test_parse_one("GET /metrics HTTP/1.1\r\nHost: x\r\n", 0, 0, NULL, 0);
        test_parse_one("GET /metrics HTTP/1.1\r\n", 0, 0, NULL, 0);
        test_parse_one("", 0, 0, NULL, 0);
        test_parse_one("GET\r\n\r\n", -EBADMSG, 0, NULL, 0);
        test_parse_one("GET metrics HTTP/1.1\r\n\r\n", -EBADMSG, 0, NULL, 0);
        test_parse_one("GET /metrics SPDY/3\r\n\r\n", -EBADMSG, 0, NULL, 0);
        test_parse_one("GET /metrics HTTP/1.1 extra\r\n\r\n", -EBADMSG, 0, NULL, 0);
        /* Prometheus 2.42's own request. */
        test_parse_one("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9687\r\nUser-Agent: Prometheus/2.42.0\r\n"
                       "accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                       "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
                       "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
                       1, HTTP_GET, "/metrics", RENDER_OPENMETRICS);
}

static void test_too_large(void **state) {
        _cleanup_free_ char *head = malloc(HTTP_HEAD_MAX);
        HttpRequest r = {};

        assert_non_null(head);
        memset(head, 'a', HTTP_HEAD_MAX);
        memcpy(head, "GET / HTTP/1.1\r\nX: ", 19);
        assert_int_equal(http_parse_request(head, HTTP_HEAD_MAX - 1, &r), 0);
        assert_int_equal(http_parse_request(head, HTTP_HEAD_MAX, &r), -E2BIG);
}

static void test_negotiate(void **state) {
        assert_int_equal(http_negotiate(NULL), RENDER_TEXT);
        assert_int_equal(http_negotiate("*/*"), RENDER_TEXT);
        assert_int_equal(http_negotiate("text/plain; version=0.0.4"), RENDER_TEXT);
        assert_int_equal(http_negotiate("application/openmetrics-text"), RENDER_OPENMETRICS);
        assert_int_equal(http_negotiate("application/openmetrics-text; version=1.0.0; charset=utf-8"),
                         RENDER_OPENMETRICS);
        assert_int_equal(http_negotiate("text/plain;q=0.9, application/openmetrics-text;q=0.5"),
                         RENDER_TEXT);
        assert_int_equal(http_negotiate("text/plain;q=0.5, Application/OpenMetrics-Text;q=0.9"),
                         RENDER_OPENMETRICS);
        assert_int_equal(http_negotiate("application/openmetrics-text;q=0"), RENDER_TEXT);
        assert_int_equal(http_negotiate("text/html,application/xhtml+xml,*/*;q=0.8"), RENDER_TEXT);
        assert_int_equal(http_negotiate("application/json"), RENDER_TEXT);
}

static void test_response_head(void **state) {
        _cleanup_free_ char *head = http_response_head(405, "text/plain", 12, "Allow: GET, HEAD\r\n");

        assert_string_equal(head, "HTTP/1.1 405 Method Not Allowed\r\n"
                                  "Content-Type: text/plain\r\n"
                                  "Content-Length: 12\r\n"
                                  "Connection: close\r\n"
                                  "Allow: GET, HEAD\r\n"
                                  "\r\n");
        assert_string_equal(http_status_line(200), "200 OK");
        assert_string_equal(http_status_line(999), "500 Internal Server Error");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_negotiate),
                cmocka_unit_test(test_response_head),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
