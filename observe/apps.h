/* SPDX-License-Identifier: MIT */
#pragma once

/* The installed apps: the names of the procfiles in the search path. */

#include <stdbool.h>

/* Every APP of an APP.procfile in the system's (user: the user's) procfile directories, or in
 * $PANDORA_PROCFILE_DIRS, sorted, each once. *ret may be NULL when there is none. Returns 0 or a
 * negative errno. */
int observe_installed_apps(bool user, char ***ret);
