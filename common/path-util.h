/* SPDX-License-Identifier: MIT */
#pragma once

/* Path helpers for procfile paths and what they name. */

#include <sys/types.h>

/* Returns path made absolute against base (an absolute directory), or NULL when out of memory. An
 * absolute path is returned as a copy. */
char *path_join_absolute(const char *base, const char *path);

/* Returns path made absolute against the working directory. Returns 0 or a negative errno. */
int path_make_absolute_cwd(const char *path, char **ret);

/* Returns the directory part of an absolute path ("/" for "/x"), or NULL when out of memory. */
char *path_dirname(const char *path);

/* Returns the last component of path, without trailing slashes, or NULL when out of memory. */
char *path_basename(const char *path);

/* Creates path and every missing directory above it with mode, like mkdir -p. Returns 0 or a negative
 * errno. */
int path_mkdir_p(const char *path, mode_t mode);
