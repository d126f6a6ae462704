/* SPDX-License-Identifier: MIT */
#pragma once

/* Whole-buffer reads and writes on file descriptors, retrying short transfers and EINTR. */

#include <stddef.h>

/* Writes all n bytes of data to fd. Returns 0 or a negative errno. */
int loop_write(int fd, const void *data, size_t n);

/* Reads fd to EOF into a new buffer with a NUL after the data (which may itself hold NUL bytes).
 * Returns 0 and sets *ret and *ret_size; -EBADMSG when the data would exceed max bytes; -ENOMEM; or
 * the read's negative errno. */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size);
