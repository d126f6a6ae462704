/* SPDX-License-Identifier: MIT */
#pragma once

/* The D-Bus policy of an app whose processes run as their own user: only that user may own the
 * instances' names (io.pandora.<app>.<process>.i<N>), so that an unprivileged instance publishes its
 * metrics and no other unprivileged user can take or impersonate them. The system bus reads it from
 * /etc/dbus-1/system.d (dbus-daemon and dbus-broker alike). */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "common/procfile/procfile.h"

/* The policy text for p: one <policy user=...> per process that sets `user`. *ret is NULL when no
 * process does (root owns names by the shipped io.pandora.conf). Returns 0 or -ENOMEM. */
int policy_render(const Procfile *p, char **ret);

/* Writes (or, when no process sets `user`, removes) the app's policy and asks the bus to reload its
 * configuration, before any instance asks for its name. Logs what failed. Returns 0 or a negative
 * errno. */
int policy_install(sd_bus *bus, const Procfile *p);

/* Removes the app's policy, if any, and reloads the bus's configuration. Logs. Returns 0 or a negative
 * errno. */
int policy_remove(sd_bus *bus, const char *app);
