/* SPDX-License-Identifier: MIT */
#pragma once

/* One line a child wrote, as one journal entry. A leading "<N>" (0-7, the sd-daemon(3) prefix) sets the
 * priority and is stripped. A line that is one JSON object (what pino, bunyan and winston write) gives
 * MESSAGE from its "msg" or "message", PRIORITY from its "level" (syslog numbers 0-7, pino numbers 10-60,
 * or names), and a PANDORA_JSON_<KEY> field for every other top-level scalar. Any other line is the
 * message as it is, NUL bytes and invalid UTF-8 included. Pure: no I/O, no logging. */

#include <stddef.h>
#include <sys/uio.h>

typedef struct LogLine {
        int priority;
        char *message;          /* bytes; may hold NUL and invalid UTF-8 */
        size_t message_size;
        struct iovec *fields;   /* "PANDORA_JSON_KEY=value", each buffer owned */
        size_t n_fields;
} LogLine;

/* The longest journal field name journald accepts. */
#define LOG_FIELD_NAME_MAX 64

/* Parses size bytes of line (without its newline). default_priority applies when neither a prefix nor a
 * JSON level sets one. Returns 0 or -ENOMEM; on success *ret must be freed with log_line_done(). */
int log_line_parse(const char *line, size_t size, int default_priority, LogLine *ret);

void log_line_done(LogLine *l);

/* The priority a JSON "level" names: a syslog number 0-7, a pino/bunyan number (10 trace ... 60 fatal),
 * or a name such as "warn" or "error" (any case). Returns the priority, or -EINVAL. */
int log_level_to_priority(const char *level, size_t size, int is_number);
