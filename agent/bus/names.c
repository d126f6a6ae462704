/* SPDX-License-Identifier: MIT */

/* Bus names allow only [A-Za-z0-9_-] in an element and no leading digit; we leave out '-' too, so the
 * same escaped element would also be valid in an object path or an interface name, should one ever be
 * derived from it. Object paths use sd-bus's own escaping, which decodes back exactly. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "agent/bus/names.h"
#include "common/bus-name.h"
#include "common/macro.h"


int bus_service_path(const char *service, char **ret) {
        int r;

        r = sd_bus_path_encode(BUS_SERVICE_PATH_PREFIX, service, ret);
        return r < 0 ? r : 0;
}

int bus_service_from_path(const char *path, char **ret) {
        char *name = NULL;
        int r;

        r = sd_bus_path_decode(path, BUS_SERVICE_PATH_PREFIX, &name);
        if (r < 0)
                return r;
        /* sd_bus_path_decode() takes anything below the prefix; only a direct child is a service. */
        if (r == 0 || !name || name[0] == '\0' || strchr(path + strlen(BUS_SERVICE_PATH_PREFIX "/"), '/')) {
                free(name);
                return -ENXIO;
        }
        *ret = name;
        return 0;
}
