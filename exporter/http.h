/* SPDX-License-Identifier: MIT */
#pragma once

/* The little of HTTP/1.1 a scrape needs (pure): a request's head read, the exposition format chosen
 * from its Accept header, and a response's head. One request per connection, answered with
 * "Connection: close". */

#include <stddef.h>

#include "exporter/render.h"

/* The largest request head taken, request line and headers. */
#define HTTP_HEAD_MAX 8192

typedef enum HttpMethod {
        HTTP_GET,
        HTTP_HEAD,
        HTTP_OTHER,
        _HTTP_METHOD_MAX,
        _HTTP_METHOD_INVALID = -EINVAL,
} HttpMethod;

typedef struct HttpRequest {
        HttpMethod method;
        char *path;             /* the target without its query: "/metrics" */
        RenderFormat format;    /* what its Accept header prefers */
} HttpRequest;

void http_request_done(HttpRequest *r);

/* Reads the request head at the start of buf (n bytes, not NUL-terminated), lines ending in CRLF or
 * LF. Returns 1 and fills *ret once the empty line that ends the head is in; 0 when more is needed;
 * -EBADMSG for a request line that is not "METHOD TARGET HTTP/1.x"; -E2BIG when n reaches HTTP_HEAD_MAX
 * without the end of the head; -ENOMEM. */
int http_parse_request(const char *buf, size_t n, HttpRequest *ret);

/* The format an Accept header value prefers (NULL: none): OpenMetrics when
 * application/openmetrics-text has the highest q, else the text format 0.0.4, also for types neither
 * format is (a scraper asking for something else gets text rather than a 406). */
RenderFormat http_negotiate(const char *accept);

/* "200 OK", "404 Not Found", ...: the reason phrase of the statuses the exporter answers. */
const char *http_status_line(int status) _pure_;

/* The head of a response: status line, Content-Type, Content-Length, Connection: close, and extra
 * (NULL or header lines each ending in CRLF). Returns a new string or NULL. */
char *http_response_head(int status, const char *content_type, size_t length, const char *extra);
