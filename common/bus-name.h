/* SPDX-License-Identifier: MIT */
#pragma once

/* The well-known bus names of instances: "io.pandora.<app>.<process>.i<instance>". Pure. */

#define BUS_NAME_PREFIX "io.pandora."

/* The well-known name of an instance: "io.pandora.<app>.<process>.i<instance>". In each element, every
 * byte outside [A-Za-z0-9_] becomes '_', an element that would start with a digit gets a leading '_', and
 * an empty one is "_". Distinct names can escape alike ("my-app" and "my_app"); the second instance then
 * waits in the bus's queue for the name. Returns 0 and the name in *ret, -ENAMETOOLONG when it would be
 * longer than D-Bus allows (255), -ENOMEM. */
int bus_instance_name(const char *app, const char *process, const char *instance, char **ret);

/* One element escaped as above, newly allocated in *ret. Returns 0 or -ENOMEM. */
int bus_name_escape_element(const char *s, char **ret);
