/* SPDX-License-Identifier: MIT */

/* Bus names allow only [A-Za-z0-9_-] in an element and no leading digit; we leave out '-' too, so the
 * same escaped element would also be valid in an object path or an interface name, should one ever be
 * derived from it. Object paths use sd-bus's own escaping, which decodes back exactly. */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "agent/bus/names.h"
#include "common/macro.h"

/* The D-Bus specification's limit on any bus name. */
#define BUS_NAME_LENGTH_MAX 255

static bool char_is_plain(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int bus_name_escape_element(const char *s, char **ret) {
        size_t n = strlen(s);
        char *out, *p;

        out = malloc(n + 2);
        if (!out)
                return -ENOMEM;
        p = out;
        if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
                *p++ = '_';
        for (size_t i = 0; i < n; i++)
                *p++ = char_is_plain(s[i]) ? s[i] : '_';
        *p = '\0';
        *ret = out;
        return 0;
}

int bus_instance_name(const char *app, const char *process, const char *instance, char **ret) {
        _cleanup_free_ char *a = NULL, *p = NULL, *i = NULL, *prefixed = NULL;
        char *name;
        int r;

        /* The instance is prefixed before escaping: "i1", never "_1". */
        if (asprintf(&prefixed, "i%s", instance) < 0)
                return -ENOMEM;
        r = bus_name_escape_element(app, &a);
        if (r >= 0)
                r = bus_name_escape_element(process, &p);
        if (r >= 0)
                r = bus_name_escape_element(prefixed, &i);
        if (r < 0)
                return r;
        if (asprintf(&name, "io.pandora.%s.%s.%s", a, p, i) < 0)
                return -ENOMEM;
        if (strlen(name) > BUS_NAME_LENGTH_MAX) {
                free(name);
                return -ENAMETOOLONG;
        }
        *ret = name;
        return 0;
}

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
