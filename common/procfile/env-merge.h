/* SPDX-License-Identifier: MIT */
#pragma once

/* Environment blocks merged in time linear in their sizes: strv_env_merge() and strv_env_set() look
 * each name up from the start of the block, which made an env group of N variables cost N² (issue 19
 * finding 8). Same semantics and order as strv_env_merge(). */

/* Sets every "NAME=value" of other in *env: a NAME already there keeps its place and takes the new
 * value, a new one is appended (so *env keeps the order names were first set in), an entry without '='
 * is skipped; *env stays as it is (NULL included) when other sets nothing. other's strings are copied.
 * Returns 0, or -ENOMEM with *env still a valid block holding part of other. */
int procfile_env_merge(char ***env, char * const *other);

/* The same, taking other and its strings (freed, also on failure). */
int procfile_env_merge_consume(char ***env, char **other);
