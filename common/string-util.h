/* SPDX-License-Identifier: MIT */
#pragma once

/* String helpers that several modules need. */

#include <stddef.h>

#include "macro.h"

/* Levenshtein distance between a and b; for "did you mean" hints. */
size_t string_distance(const char *a, const char *b) _pure_;

/* Returns the entry of candidates (NULL-terminated) closest to s when it is close enough to be a likely
 * typo, or NULL. */
const char *string_closest(const char *s, const char * const *candidates);

/* Appends s to the growing buffer *buf as a JSON string, quotes included. Returns 0 or -ENOMEM. */
int json_append_string(FILE *buf, const char *s);

/* Formats d as the shortest decimal text that reads back as the same double. */
void format_double(char out[static 32], double d);
