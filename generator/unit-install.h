/* SPDX-License-Identifier: MIT */
#pragma once

/* Writing a rendered UnitSet to a directory. */

#include <stdio.h>

#include "generator/unit-render.h"

/* Creates dir when missing (not its parents), then every file of set in it with O_EXCL (systemd.generator(7): never overwrite), creating the
 * .wants/ directories its links need. Returns 0 or a negative errno; on failure *ret_failed_path (when
 * not NULL) names the path that failed (free it). */
int unit_set_install(const UnitSet *set, const char *dir, char **ret_failed_path);

/* Prints every unit as "---NAME---" followed by its text, then every link as "LINK -> TARGET". */
void unit_set_print(const UnitSet *set, FILE *f);
