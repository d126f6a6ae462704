/* SPDX-License-Identifier: MIT */
#pragma once

/* Bytes from a pipe → lines. A line longer than the buffer's maximum is cut into pieces of at most that
 * size (at a UTF-8 character boundary where there is one), never dropped; what is left without a newline
 * is handed over by line_buffer_flush(), at EOF or when the writer has been idle. Pure: no I/O. */

#include <stdbool.h>
#include <stddef.h>

/* journald's default LineMax= for stream clients: the same cut the journal would make. */
#define LINE_BUFFER_MAX_DEFAULT (48 * 1024)

typedef struct LineBuffer {
        char *data;
        size_t size;            /* bytes held: the start of a line not yet complete */
        size_t max_line;        /* pieces are at most this long; 0: LINE_BUFFER_MAX_DEFAULT */
        unsigned long splits;   /* lines that were cut */
} LineBuffer;

/* Receives one line (without its newline) or one piece of a long line. Returns 0 or a negative errno,
 * which stops the feed and is returned by it. */
typedef int (*LineHandler)(const char *line, size_t size, void *userdata);

/* Adds n bytes and hands over every complete line and every full piece. Returns 0, -ENOMEM, or what the
 * handler returned. */
int line_buffer_feed(LineBuffer *b, const char *data, size_t n, LineHandler handler, void *userdata);

/* Hands over what is held, if anything, as one line. Returns 0 or what the handler returned. */
int line_buffer_flush(LineBuffer *b, LineHandler handler, void *userdata);

static inline bool line_buffer_pending(const LineBuffer *b) {
        return b->size > 0;
}

void line_buffer_done(LineBuffer *b);
