/* SPDX-License-Identifier: MIT */
#pragma once

/* Procfiles of other process managers handed to pandora-gen: today a Pandora.js procfile.js, which
 * libconfig would only call a syntax error at line 1. procfile_load() asks here after a parse failure,
 * so a file that parses is never second-guessed. */

#include <stdbool.h>
#include <stddef.h>

#include "common/procfile/procfile.h"

/* Whether the file at path, whose text (size bytes, NULs allowed) failed to parse, is a Pandora.js
 * procfile: its name ends in .js, .cjs or .mjs, or its text holds `module.exports`, `exports.default`
 * or `export default`. */
bool procfile_is_pandora_js(const char *path, const char *text, size_t size);

/* Replaces what e holds (when not NULL) by "FILE: this is a Pandora.js procfile (JavaScript); convert
 * it with: pandora-gen --import GIVEN > DIR/procfile", where GIVEN is the path as the user wrote it and
 * DIR its directory, so the command can be pasted from where it was run. Returns -EINVAL, or -ENOMEM. */
int procfile_error_pandora_js(ProcfileError *e, const char *file, const char *given);
