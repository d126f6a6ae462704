/* SPDX-License-Identifier: MIT */
#pragma once

/* The names an instance has on D-Bus: its well-known bus name and its services' object paths. Pure. */

#include "common/bus-name.h"
#include "common/macro.h"

#define BUS_SERVICE_PATH_PREFIX "/io/pandora/service"

/* "/io/pandora/service/<service>", escaped with sd_bus_path_encode(): "web" stays "web", "my-db" becomes
 * "my_2ddb". Returns 0, or -ENOMEM. */
int bus_service_path(const char *service, char **ret);

/* The service name of such a path, newly allocated in *ret. Returns 0, -ENXIO when path is not one. */
int bus_service_from_path(const char *path, char **ret);
