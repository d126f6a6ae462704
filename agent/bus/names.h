/* SPDX-License-Identifier: MIT */
#pragma once

/* The names an instance has on D-Bus: its well-known bus name and its services' object paths. Pure. */

#include "common/macro.h"

/* The well-known name of an instance: "io.pandora.<app>.<process>.i<instance>". In each element, every
 * byte outside [A-Za-z0-9_] becomes '_', an element that would start with a digit gets a leading '_', and
 * an empty one is "_". Distinct names can escape alike ("my-app" and "my_app"); the second instance then
 * waits in the bus's queue for the name. Returns 0 and the name in *ret, -ENAMETOOLONG when it would be
 * longer than D-Bus allows (255), -ENOMEM. */
int bus_instance_name(const char *app, const char *process, const char *instance, char **ret);

/* One element escaped as above, newly allocated in *ret. Returns 0 or -ENOMEM. */
int bus_name_escape_element(const char *s, char **ret);

#define BUS_SERVICE_PATH_PREFIX "/io/pandora/service"

/* "/io/pandora/service/<service>", escaped with sd_bus_path_encode(): "web" stays "web", "my-db" becomes
 * "my_2ddb". Returns 0, or -ENOMEM. */
int bus_service_path(const char *service, char **ret);

/* The service name of such a path, newly allocated in *ret. Returns 0, -ENXIO when path is not one. */
int bus_service_from_path(const char *path, char **ret);
