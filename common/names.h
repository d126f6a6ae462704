/* SPDX-License-Identifier: MIT */
#pragma once

/* What a name or a value from the procfile may look like, by the place it ends up in: unit names,
 * environment blocks, and the settings systemd reads verbatim. */

#include <stdbool.h>
#include <stddef.h>

#include "common/macro.h"

/* The longest unit name systemd accepts, suffix included (UNIT_NAME_MAX - 1 in systemd). */
#define UNIT_NAME_LENGTH_MAX 255

/* The longest app name: "<app>.target.wants", the longest name an app alone makes (a directory beside
 * <app>.target), must fit in a file name (NAME_MAX) and "<app>.target" in a unit name. */
#define APP_NAME_LENGTH_MAX 242

/* The longest unit name prefix whose instances systemd can load: it puts the instances of P@.service into
 * the slice "system-<P escaped>.slice", which must be a valid unit name itself. */
#define INSTANCE_PREFIX_ESCAPED_MAX 242

/* The length of s escaped as systemd escapes a unit name prefix for a slice (unit_name_escape()): '-',
 * '\\', a leading '.' and any character not valid in a unit name take 4 ("\\x2d"), the others 1. */
size_t unit_prefix_escaped_length(const char *s) _pure_;

/* True when s is non-empty, at most UNIT_NAME_LENGTH_MAX long, and made only of the characters
 * systemd allows in a unit name prefix ([A-Za-z0-9:_.\-] and backslash; no '@', which starts the
 * instance), not only dots, and does not end with a backslash (which would join the next line where
 * the name ends a setting, as in SyslogIdentifier=). */
bool unit_prefix_is_valid(const char *s);

/* Why a name can't name an app: a valid unit name prefix (above) is not enough, because an app's name
 * alone makes <app>.target, and starts every other unit's name. */
typedef enum AppNameProblem {
        APP_NAME_VALID,
        APP_NAME_NOT_UNIT_PREFIX,       /* unit_prefix_is_valid() is false */
        APP_NAME_LEADING_DASH,          /* systemctl would read "-x.target" as an option */
        APP_NAME_LEADING_DOT,           /* systemd does not load hidden unit files */
        APP_NAME_TOO_LONG,              /* longer than APP_NAME_LENGTH_MAX */
        APP_NAME_SYSTEMD,               /* "systemd" or "systemd-*": systemd's own units */
        APP_NAME_SPECIAL,               /* <app>.target is a special unit of systemd.special(7) */
        _APP_NAME_PROBLEM_MAX,
        _APP_NAME_PROBLEM_INVALID = -1,
} AppNameProblem;

/* Checks s as an app name; returns APP_NAME_VALID or what is wrong with it. */
AppNameProblem app_name_check(const char *s) _pure_;

/* The rest of a sentence that starts "'APP' ": "is not a valid unit name prefix", ...; NULL for
 * APP_NAME_VALID and out-of-range values. */
const char *app_name_problem_to_string(AppNameProblem p) _pure_;

/* True when s can be an environment variable name that systemd passes on: [A-Za-z_][A-Za-z0-9_]*. */
bool env_name_is_valid(const char *s);

/* True when s is a User= or Group= value that systemd takes as it is and without a warning: a name of
 * its strict rules ([A-Za-z_][A-Za-z0-9_-]*, at most 31 characters), or a numeric ID in canonical form
 * (no leading zero) other than 65535 and 4294967295, which are never valid IDs. */
bool user_group_name_is_valid(const char *s) _pure_;

/* Why s can't be written as the value of a setting that systemd reads verbatim (WorkingDirectory=,
 * User=, Group=, ListenStream=, SourcePath=, Description=): NULL when it can be, else the rest of a
 * sentence such as "must not end with a backslash: ...". systemd unescapes nothing there, so there is no
 * way to write these values other than refusing them: a control character would start a line, a trailing
 * backslash joins the next line to the value, leading or trailing spaces are stripped, and a value that
 * is not UTF-8 makes systemd ignore the setting. */
const char *unit_verbatim_problem(const char *s) _pure_;

/* Like unit_verbatim_problem(), for an absolute path that systemd checks as a path (WorkingDirectory=,
 * SourcePath=): it also refuses "." and ".." components, which systemd calls "not normalized". */
const char *unit_path_problem(const char *path) _pure_;
