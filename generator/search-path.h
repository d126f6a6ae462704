/* SPDX-License-Identifier: MIT */
#pragma once

/* Where installed procfiles live. The generator reads every directory, first name wins; the command line
 * installs into the persistent or the runtime one. */

#include <stdbool.h>

/* An installed procfile is DIR/APP.procfile. */
#define PROCFILE_SUFFIX ".procfile"

typedef struct SearchPath {
        char **dirs;            /* every directory, in precedence order */
        const char *persistent; /* dirs[0]: /etc/pandora, or $XDG_CONFIG_HOME/pandora */
        const char *runtime;    /* /run/pandora, or $XDG_RUNTIME_DIR/pandora; NULL when there is none */
} SearchPath;

/* Fills *ret with the system or the user search path, or with $PANDORA_PROCFILE_DIRS (colon-separated,
 * for tests: the first is the persistent directory, the second the runtime one). Returns 0, -ENOMEM, or
 * -ENXIO when no directory can be named (a user without $HOME). */
int search_path_init(SearchPath *ret, bool user);

void search_path_done(SearchPath *s);

/* The installed procfile of app: the first DIR/APP.procfile that exists. Returns 1 and sets *ret_path,
 * 0 when there is none, or a negative errno. */
int search_path_find(const SearchPath *s, const char *app, char **ret_path);

/* Returns DIR/APP.procfile, or NULL when out of memory. */
char *search_path_procfile(const char *dir, const char *app);
