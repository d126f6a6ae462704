/* SPDX-License-Identifier: MIT */
#pragma once

/* Splits a command line into words with shell-like quoting, without ever running a shell. */

/* Splits line into words: blanks separate words; '…' keeps everything literally; "…" keeps everything
 * but a backslash before " or \ or $ or `; a backslash outside quotes keeps the next character. No
 * expansion of any kind happens. On success *ret_words is a non-empty vector.
 * Returns 0, -EINVAL for an unterminated quote or a trailing backslash, -ENODATA for a line without
 * words, -ENOMEM. */
int shell_split(const char *line, char ***ret_words);
