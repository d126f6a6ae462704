/* SPDX-License-Identifier: MIT */
#pragma once

/* `.env` files as foreman, honcho, python-dotenv and docker read them (pandora.procfile(5), env_file):
 * KEY=value lines, `export ` allowed before the key, `#` comments (whole lines, or after whitespace
 * outside quotes), 'single quotes' taken literally, "double quotes" with \n \t \r \" \\ escapes and
 * newlines inside, unquoted values trimmed, empty values kept. No variable expansion. Never logs. */

#include <stddef.h>

/* Parses text (size bytes) into "KEY=value" entries appended to *env (later keys replace earlier
 * ones). On a malformed line returns -EINVAL with *ret_line set to its number (1-based) and *ret_error
 * to a static description; -ENOMEM when out of memory. */
int dotenv_parse(const char *text, size_t size, char ***env, unsigned *ret_line, const char **ret_error);

/* The largest .env file read: 1 MiB. */
#define DOTENV_SIZE_MAX (1024 * 1024)
