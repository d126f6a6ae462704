/* SPDX-License-Identifier: MIT */
#pragma once

/* The sandboxing and resource-control lines of an instance unit: pure, part of the renderer. */

#include <stdbool.h>
#include <stdio.h>

#include "common/procfile/procfile.h"

/* Writes the process's hardening profile (`hardening`, `writable`; dir is the app's working directory,
 * kept writable) into a [Service] section. user: a unit of a user manager, which can't set up mount
 * namespaces or drop capabilities it never had, so only the settings that work unprivileged are
 * written. */
void unit_write_hardening(FILE *f, const Process *p, const char *dir, bool user);

/* Writes MemoryMax=, MemoryHigh=, CPUQuota=, CPUWeight=, TasksMax= and LimitNOFILE= for what the
 * process sets. */
void unit_write_limits(FILE *f, const Process *p);
