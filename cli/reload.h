/* SPDX-License-Identifier: MIT */
#pragma once

/* pandora-gen --reload: every running instance of an app, one at a time, handed over to a new
 * generation by its agent (or restarted, where the change needs it). Logs and prints: an edge. */

#include <stdbool.h>

typedef struct ReloadOptions {
        bool user;                      /* the calling user's manager, search path and runtime directory */
        char * const *processes;        /* only these process groups; NULL or empty: every one */
} ReloadOptions;

/* Reloads app's running instances in the procfile's start order, one at a time, each ready before the
 * next begins. Stops at the first instance that can't be reloaded (its old generation keeps running)
 * and says which, and why. Returns 0 when every instance runs the new generation, else a negative
 * errno (already logged). */
int reload_app(const char *app, const ReloadOptions *o);
