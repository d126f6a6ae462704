/* SPDX-License-Identifier: MIT */
#pragma once

/* What a name from the procfile may look like, by the place it ends up in. */

#include <stdbool.h>

/* The longest unit name systemd accepts, suffix included (UNIT_NAME_MAX - 1 in systemd). */
#define UNIT_NAME_LENGTH_MAX 255

/* True when s is non-empty, at most UNIT_NAME_LENGTH_MAX long, and made only of the characters
 * systemd allows in a unit name prefix ([A-Za-z0-9:_.\-] and backslash; no '@', which starts the
 * instance), and not only dots. */
bool unit_prefix_is_valid(const char *s);

/* True when s can be an environment variable name that systemd passes on: [A-Za-z_][A-Za-z0-9_]*. */
bool env_name_is_valid(const char *s);
