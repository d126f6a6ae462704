/* SPDX-License-Identifier: MIT */

/* Splitting a child's output into lines, as journald splits a stream: at '\n', and at LineMax for a line
 * that does not end. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/log/line-buffer.h"

static size_t max_line(const LineBuffer *b) {
        return b->max_line > 0 ? b->max_line : LINE_BUFFER_MAX_DEFAULT;
}

/* Where to cut a piece of at most max bytes: before a UTF-8 continuation byte is not a boundary, so back
 * off over at most 3 of them; a run of longer garbage is cut at max. */
static size_t piece_length(const char *p, size_t max) {
        for (size_t back = 0; back < 4 && back < max; back++)
                if (((unsigned char) p[max - back] & 0xC0) != 0x80)
                        return max - back;
        return max;
}

/* Hands over the complete lines and full pieces at the start of p; returns how many bytes it used. */
static int drain(LineBuffer *b, const char *p, size_t n, size_t *used, LineHandler handler, void *userdata) {
        size_t start = 0, max = max_line(b);
        int r;

        while (start < n) {
                const char *nl = memchr(p + start, '\n', n - start);
                size_t len = nl ? (size_t) (nl - (p + start)) : n - start;

                if (len > max) {
                        len = piece_length(p + start, max);
                        b->splits++;
                        r = handler(p + start, len, userdata);
                        start += len;
                } else if (nl) {
                        r = handler(p + start, len, userdata);
                        start += len + 1;
                } else
                        break;
                if (r < 0) {
                        *used = start;
                        return r;
                }
        }
        *used = start;
        return 0;
}

int line_buffer_feed(LineBuffer *b, const char *data, size_t n, LineHandler handler, void *userdata) {
        char *grown;
        size_t used;
        int r;

        grown = realloc(b->data, b->size + n + 1);
        if (!grown)
                return -ENOMEM;
        b->data = grown;
        memcpy(b->data + b->size, data, n);
        b->size += n;
        r = drain(b, b->data, b->size, &used, handler, userdata);
        memmove(b->data, b->data + used, b->size - used);
        b->size -= used;
        return r;
}

int line_buffer_flush(LineBuffer *b, LineHandler handler, void *userdata) {
        size_t n = b->size;

        if (n == 0)
                return 0;
        b->size = 0;
        return handler(b->data, n, userdata);
}

void line_buffer_done(LineBuffer *b) {
        free(b->data);
        *b = (LineBuffer) {};
}
