/* SPDX-License-Identifier: MIT */
#pragma once

/* The generator proper: procfile → model → units → files, with no IPC (systemd.generator(7)). */

#include "common/procfile/procfile.h"
#include "generator/unit-render.h"

/* Loads the procfile at path and renders its units, logging what failed. default_app: the app when the
 * file names none (NULL: its directory's name). *ret_procfile (when not NULL) gets the model. Returns 0 or
 * a negative errno. */
int generator_load_and_render(const char *path, const char *default_app, const RenderOptions *o,
                              Procfile **ret_procfile, UnitSet **ret);

/* Writes set into dir (files with O_EXCL, relative links), logging the path that failed. Returns 0 or a
 * negative errno. */
int generator_install(const UnitSet *set, const char *dir);

/* The agent every ExecStart= runs: the installed one, or $PANDORA_AGENT_PATH (tests and build trees). */
const char *generator_agent_path(void);

/* Generator mode: every *.procfile of the search path ($SYSTEMD_SCOPE=user: the user's) becomes units in
 * output_dir; the first directory that has a name wins. One bad procfile is logged and skipped, the others
 * are still generated. Returns 0, or the first error. */
int generator_run(const char *output_dir);
