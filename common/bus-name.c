/* SPDX-License-Identifier: MIT */

/* An instance's well-known bus name, shared by the agent, which owns it, and pandora-gen, which writes
 * the D-Bus policy that lets the instance's user own it. Pure. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bus-name.h"
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
