/* SPDX-License-Identifier: MIT */
#pragma once

/* The generator proper: procfile → model → units → files, with no IPC (systemd.generator(7)). */

#include "common/procfile/procfile.h"
#include "generator/search-path.h"
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

/* The installed procfiles generator mode reads: every *.procfile of the search path, the first of each
 * name; one that is not a regular file is logged and skipped ("..., ignoring"), as is a directory that
 * can't be read. *ret is NULL when there is none. Returns 0 or -ENOMEM. */
int generator_installed_procfiles(const SearchPath *sp, char ***ret);

/* Loads and renders the installed procfile at path (one of generator_installed_procfiles()) exactly as
 * generator mode does: named after its file unless it sets `app`, linked from the default target when
 * it sets `autostart` and lies in the persistent directory. generator_render_installed() logs what
 * failed; _quiet() does not (the command line looks at other apps' procfiles, whose errors are not its
 * own). Returns 0 or a negative errno. */
int generator_render_installed(const char *path, const SearchPath *sp, bool user, UnitSet **ret);
int generator_render_installed_quiet(const char *path, const SearchPath *sp, bool user, UnitSet **ret);

/* Every unit name set makes: its files (templates included) and what its links name (instances, the
 * target of an autostart link), sorted, each once. *ret is an empty vector for an empty set. Returns 0
 * or -ENOMEM. */
int generator_unit_names(const UnitSet *set, char ***ret);

/* The first name that two sorted vectors (of generator_unit_names()) share, or NULL. */
const char *generator_shared_name(char * const *a, char * const *b);

/* Generator mode: every *.procfile of the search path ($SYSTEMD_SCOPE=user: the user's) becomes units in
 * output_dir; the first directory that has a name wins. One bad procfile is logged and skipped, the others
 * are still generated. Two procfiles whose units share a name (app "a" with process "b-c" and app "a-b"
 * with process "c" both make a-b-c@.service) are logged as a pair and neither is generated. Returns 0, or
 * the first error (-EEXIST for a collision). */
int generator_run(const char *output_dir);
