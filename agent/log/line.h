/* SPDX-License-Identifier: MIT */
#pragma once

/* One line a child wrote, as one journal entry. A leading "<N>" (0-7, the sd-daemon(3) prefix) sets the
 * priority and is stripped. A line that is one JSON object (what pino, bunyan and winston write) gives
 * MESSAGE from its "msg" or "message", PRIORITY from its "level" (syslog numbers 0-7, pino numbers 10-60,
 * or names; colour codes removed first), and a PANDORA_JSON_<PATH> field for every other value, nested
 * ones named by their path ({"err":{"stack":"..."}} gives PANDORA_JSON_ERR_STACK). Any other line is the
 * message as it is, NUL bytes and invalid UTF-8 included. Colour codes (SGR escapes) are removed from
 * every MESSAGE. Pure: no I/O, no logging. */

#include <stddef.h>
#include <sys/uio.h>

typedef struct LogLine {
        int priority;
        char *message;          /* bytes; may hold NUL and invalid UTF-8 */
        size_t message_size;
        struct iovec *fields;   /* "PANDORA_JSON_KEY=value", each buffer owned */
        size_t n_fields;
        size_t n_dropped;       /* values left out beyond LOG_LINE_FIELDS_MAX (PANDORA_JSON_DROPPED says so) */
} LogLine;

/* The longest journal field name journald accepts. */
#define LOG_FIELD_NAME_MAX 64

/* At most this many PANDORA_JSON_* fields per entry (and PANDORA_JSON_DROPPED): journald ignores an entry
 * of more than 1024 fields, and we would rather lose fields than the line. */
#define LOG_LINE_FIELDS_MAX 256

/* Parses size bytes of line (without its newline). default_priority applies when neither a prefix nor a
 * JSON level sets one. Returns 0 or -ENOMEM; on success *ret must be freed with log_line_done(). */
int log_line_parse(const char *line, size_t size, int default_priority, LogLine *ret);

void log_line_done(LogLine *l);

/* The priority a JSON "level" names: a syslog number 0-7, a pino/bunyan number (10 trace ... 60 fatal),
 * or a name such as "warn" or "error" (any case). Returns the priority, or -EINVAL. */
int log_level_to_priority(const char *level, size_t size, int is_number);
