/* SPDX-License-Identifier: MIT */
#pragma once

/* The pandora-gen program: option parsing and the modes, over the render and install libraries. */

/* Runs pandora-gen with the given arguments; returns the process exit status. */
int gen_main(int argc, char *argv[]);

#include "procfile.h"
#include "unit-render.h"

/* Loads the procfile at path and renders its units, logging what failed. default_app: the app when the
 * file names none (NULL: its directory's name). *ret_procfile (when not NULL) gets the model. Returns 0 or
 * a negative errno. */
int gen_load_and_render(const char *path, const char *default_app, const RenderOptions *o,
                        Procfile **ret_procfile, UnitSet **ret);
