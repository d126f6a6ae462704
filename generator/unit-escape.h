/* SPDX-License-Identifier: MIT */
#pragma once

/* Escaping of procfile values for the place they take in a unit file. No value may add a line or a
 * directive, and every value must arrive byte-exact in the running unit. */

#include <stdbool.h>
#include <stdio.h>

/* Writes s with every '%' doubled, for settings that take the rest of the line verbatim (Description=,
 * SourcePath=, WorkingDirectory=, ListenStream=). The caller guarantees s has no control characters. */
void unit_write_verbatim(FILE *f, const char *s);

/* Writes DIRECTIVE="NAME=value" (Environment=, LogExtraFields=), in double quotes with C escapes, as
 * systemd.exec(5) unquotes it; '%' doubled; '$' stays literal (neither directive expands it). */
void unit_write_assignment(FILE *f, const char *directive, const char *name, const char *value);

/* Writes one ExecStart= word in double quotes with C escapes, as systemd.service(5) unquotes it; '%'
 * doubled, '$' doubled so that systemd does not expand it. */
void unit_write_exec_word(FILE *f, const char *word);

/* Writes ExecStart='s program path like an argument, except that '$' stays single: systemd expands
 * variables in arguments, not in the path. */
void unit_write_exec_path(FILE *f, const char *path);
