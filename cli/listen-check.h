/* SPDX-License-Identifier: MIT */
#pragma once

#include "cli/manager.h"
#include "common/procfile/procfile.h"

/* Warns (file:line:setting, the address and, when it can see it, the program) for every `listen`
 * address of p that another program already listens on, so that p's socket unit would fail to start.
 * A group whose own socket unit runs is skipped: its addresses are its own. Never fails. */
void listen_check_warn(Manager *m, const Procfile *p);
