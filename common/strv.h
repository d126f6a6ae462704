/* SPDX-License-Identifier: MIT */
#pragma once

/* NULL-terminated string vectors: argv, environment blocks ("KEY=value") and name lists. */

#include <stdbool.h>
#include <stddef.h>

#include "common/macro.h"

/* Frees every string and the vector; accepts NULL and returns NULL. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char * const *l);

/* Appends s to *l, taking ownership of s (freed on failure too). Returns 0, or -ENOMEM also when s is
 * NULL, so that the result of an allocation can be passed unchecked. */
int strv_consume(char ***l, char *s);

/* Appends a copy of s to *l. Returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);

/* Appends copies of every string of other to *l. Returns 0 or -ENOMEM. */
int strv_extend_strv(char ***l, char * const *other);

/* Returns a deep copy of l (NULL for NULL), or NULL with errno = ENOMEM. */
char **strv_copy(char * const *l);

/* Returns the first entry of l equal to s, or NULL. */
char *strv_find(char * const *l, const char *s) _pure_;

/* Sets NAME to value in the environment block *l: replaces an existing NAME in place (so the first
 * definition keeps its position) or appends it. Returns 0 or -ENOMEM. */
int strv_env_set(char ***l, const char *name, const char *value);

/* Returns the value of NAME in the environment block l, or NULL. */
const char *strv_env_get(char * const *l, const char *name) _pure_;

/* Sets every entry of other ("KEY=value") in *l with strv_env_set(). Returns 0 or -ENOMEM. */
int strv_env_merge(char ***l, char * const *other);

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
