/* SPDX-License-Identifier: MIT */

/* Parsing is lenient where it costs nothing (LF alone ends a line, header names in any case, unknown
 * headers ignored) and strict where a mistake would answer the wrong thing (the request line). */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/string-util.h"
#include "exporter/http.h"

void http_request_done(HttpRequest *r) {
        r->path = mfree(r->path);
}

/* The end of the head in buf: the offset after its empty line, or 0 while it is not in. */
static size_t head_end(const char *buf, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (buf[i] != '\n')
                        continue;
                if (i + 1 < n && buf[i + 1] == '\n')
                        return i + 2;
                if (i + 2 < n && buf[i + 1] == '\r' && buf[i + 2] == '\n')
                        return i + 3;
        }
        return 0;
}

static HttpMethod method_from(const char *s, size_t n) {
        if (n == 3 && strncmp(s, "GET", 3) == 0)
                return HTTP_GET;
        if (n == 4 && strncmp(s, "HEAD", 4) == 0)
                return HTTP_HEAD;
        return HTTP_OTHER;
}

/* "METHOD TARGET HTTP/1.x" into r. */
static int parse_request_line(const char *line, size_t n, HttpRequest *r) {
        const char *sp1 = memchr(line, ' ', n), *sp2, *target, *query;

        if (!sp1 || sp1 == line)
                return -EBADMSG;
        target = sp1 + 1;
        sp2 = memchr(target, ' ', n - (target - line));
        if (!sp2 || sp2 == target || *target != '/')
                return -EBADMSG;
        if ((size_t) (line + n - (sp2 + 1)) != strlen("HTTP/1.1") || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
                return -EBADMSG;
        query = memchr(target, '?', sp2 - target);
        r->method = method_from(line, sp1 - line);
        r->path = strndup(target, (query ?: sp2) - target);
        return r->path ? 0 : -ENOMEM;
}

/* The value of header name in the head's lines after the first, or NULL; a new string. */
static char *header_value(const char *head, size_t n, const char *name, int *ret_error) {
        size_t len = strlen(name);
        const char *p = memchr(head, '\n', n), *end = head + n;

        *ret_error = 0;
        while (p && ++p < end) {
                const char *eol = memchr(p, '\n', end - p) ?: end, *v = p + len + 1;
                char *value;

                if ((size_t) (eol - p) <= len || strncasecmp(p, name, len) != 0 || p[len] != ':') {
                        p = memchr(p, '\n', end - p);
                        continue;
                }
                v += strspn(v, " \t");
                while (eol > v && (eol[-1] == '\r' || eol[-1] == ' ' || eol[-1] == '\t'))
                        eol--;
                value = strndup(v, eol > v ? eol - v : 0);
                if (!value)
                        *ret_error = -ENOMEM;
                return value;
        }
        return NULL;
}

int http_parse_request(const char *buf, size_t n, HttpRequest *ret) {
        _cleanup_(http_request_done) HttpRequest r = {};
        _cleanup_free_ char *accept = NULL;
        size_t end = head_end(buf, n), line;
        int k;

        if (end == 0)
                return n >= HTTP_HEAD_MAX ? -E2BIG : 0;
        line = (const char *) memchr(buf, '\n', end) - buf;
        k = parse_request_line(buf, line > 0 && buf[line - 1] == '\r' ? line - 1 : line, &r);
        if (k < 0)
                return k;
        accept = header_value(buf, end, "Accept", &k);
        if (k < 0)
                return k;
        r.format = http_negotiate(accept);
        *ret = r;
        r = (HttpRequest) {};
        return 1;
}

/* One media range "type/subtype; q=0.5; version=1.0.0": its quality for format, or -1 when it is
 * not one of format's. */
static double range_quality(const char *range, size_t n, RenderFormat format) {
        _cleanup_free_ char *copy = strndup(range, n);
        char *save = NULL, *type;
        bool ours;
        double q = 1;

        if (!copy)
                return -1;
        type = strtok_r(copy, ";", &save);
        while (type && (*type == ' ' || *type == '\t'))
                type++;
        if (!type)
                return -1;
        type[strcspn(type, " \t")] = '\0';
        if (format == RENDER_OPENMETRICS)
                ours = strcasecmp(type, "application/openmetrics-text") == 0;
        else
                ours = strcasecmp(type, "text/plain") == 0 || strcasecmp(type, "text/*") == 0 ||
                       strcmp(type, "*/*") == 0;
        if (!ours)
                return -1;
        for (char *p = strtok_r(NULL, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
                p += strspn(p, " \t");
                if (strncasecmp(p, "q=", 2) == 0)
                        q = strtod(p + 2, NULL);
        }
        return q;
}

static double best_quality(const char *accept, RenderFormat format) {
        double best = -1;

        for (const char *p = accept; *p;) {
                size_t n = strcspn(p, ",");
                double q = range_quality(p, n, format);

                if (q > best)
                        best = q;
                p += n;
                if (*p == ',')
                        p++;
        }
        return best;
}

RenderFormat http_negotiate(const char *accept) {
        double om, text;

        if (!accept)
                return RENDER_TEXT;
        om = best_quality(accept, RENDER_OPENMETRICS);
        text = best_quality(accept, RENDER_TEXT);
        return om > 0 && om >= text ? RENDER_OPENMETRICS : RENDER_TEXT;
}

const char *http_status_line(int status) {
        switch (status) {
        case 200:
                return "200 OK";
        case 400:
                return "400 Bad Request";
        case 404:
                return "404 Not Found";
        case 405:
                return "405 Method Not Allowed";
        case 431:
                return "431 Request Header Fields Too Large";
        case 503:
                return "503 Service Unavailable";
        default:
                return "500 Internal Server Error";
        }
}

char *http_response_head(int status, const char *content_type, size_t length, const char *extra) {
        return strprintf("HTTP/1.1 %s\r\n"
                         "Content-Type: %s\r\n"
                         "Content-Length: %zu\r\n"
                         "Connection: close\r\n"
                         "%s"
                         "\r\n",
                         http_status_line(status), content_type, length, extra ?: "");
}
