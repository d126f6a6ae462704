/* SPDX-License-Identifier: MIT */
#pragma once

/* String helpers that several modules need. */

#include <stdbool.h>
#include <stddef.h>

#include "common/macro.h"

/* Edit distance between a and b for "did you mean" hints: optimal string alignment, where inserting,
 * deleting or replacing a character, or swapping two adjacent ones, is one edit each ("scael" is 1 from
 * "scale"). Returns (size_t) -1 when out of memory. */
size_t string_distance(const char *a, const char *b) _pure_;

/* Returns the entry of candidates (NULL-terminated) closest to s when it is close enough to be a likely
 * typo, or NULL. */
const char *string_closest(const char *s, const char * const *candidates);

/* Appends s to the growing buffer *buf as a JSON string, quotes included. Returns 0 or -ENOMEM. */
int json_append_string(FILE *buf, const char *s);

/* Formats d as the shortest decimal text that reads back as the same double. */
void format_double(char out[static 32], double d);

/* Returns a new string formatted as printf() would, or NULL when out of memory. */
char *strprintf(const char *format, ...) _printf_(1, 2);

/* Whether s ends with suffix. */
bool string_has_suffix(const char *s, const char *suffix) _pure_;

/* Whether s holds a control character (below 0x20, or DEL): what must not reach a unit unescaped. */
bool string_has_control(const char *s) _pure_;

/* Whether s is valid UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool utf8_is_valid(const char *s) _pure_;
