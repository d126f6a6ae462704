/* SPDX-License-Identifier: MIT */
#pragma once

/* Splits a command line into words with shell-like quoting, without ever running a shell. */

/* Splits line into words: blanks separate words; '…' keeps everything literally; "…" keeps everything
 * but a backslash before " or \ or $ or `; a backslash outside quotes keeps the next character. No
 * expansion of any kind happens. On success *ret_words is a non-empty vector.
 * Returns 0, -EINVAL for an unterminated quote or a trailing backslash, -ENODATA for a line without
 * words, -ENOMEM. */
int shell_split(const char *line, char ***ret_words);

/* Finds shell syntax outside quotes that splitting would pass on as words: a pipe, a list or
 * background operator, a redirection or a command substitution (| & ; < > `). Returns 1 and the word
 * holding it (such as "2>&1"), newly allocated, in *ret_word; 0 when there is none; -ENOMEM. Meant for
 * lines shell_split() accepts. */
int shell_find_operator(const char *line, char **ret_word);
