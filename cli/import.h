/* SPDX-License-Identifier: MIT */
#pragma once

/* pandora-gen --import: a Pandora.js procfile.js converted into a pandora procfile. Node.js runs the
 * file against a recorder (cli/import/recorder.js, installed in pandora's data directory), which
 * prints the procfile; it is loaded with procfile_load() before anything is printed, so --import
 * never prints a procfile pandora would refuse. Logs and prints: an edge. */

/* The recorder: $PANDORA_IMPORT_SCRIPT when set (tests and build trees point it at the source tree),
 * else the installed copy. */
const char *import_script_path(void);

/* Converts the procfile.js at path and prints the procfile on stdout; messages go to stderr.
 * Returns 0, or a negative errno (already logged): no node in $PATH, the recorder unreadable,
 * procfile.js failing under Node.js (its message, with the file and line), or a conversion that does
 * not load (the loader's message). Nothing is printed on stdout then. */
int import_run(const char *path);
