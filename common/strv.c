/* SPDX-License-Identifier: MIT */

/* NULL-terminated string vectors. The environment helpers keep insertion order, so that rendered
 * units list variables in the order the procfile defined them. */

#include <stdlib.h>
#include <string.h>

#include "common/strv.h"

char **strv_free(char **l) {
        STRV_FOREACH(s, l)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        STRV_FOREACH(s, l)
                n++;
        return n;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **grown;

        /* So that strv_consume(&l, strdup(x)) needs one check: a failed allocation is -ENOMEM here. */
        if (!s)
                return -ENOMEM;
        grown = realloc(*l, sizeof(char *) * (n + 2));
        if (!grown) {
                free(s);
                return -ENOMEM;
        }
        grown[n] = s;
        grown[n + 1] = NULL;
        *l = grown;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        return strv_consume(l, copy);
}

int strv_extend_strv(char ***l, char * const *other) {
        int r;

        STRV_FOREACH(s, other) {
                r = strv_extend(l, *s);
                if (r < 0)
                        return r;
        }
        return 0;
}

char **strv_copy(char * const *l) {
        _cleanup_strv_free_ char **copy = NULL;

        if (!l)
                return NULL;
        copy = calloc(1, sizeof(char *));
        if (!copy)
                return NULL;
        if (strv_extend_strv(&copy, l) < 0)
                return NULL;
        return TAKE_PTR(copy);
}

char *strv_find(char * const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return *i;
        return NULL;
}

static char **strv_env_find(char * const *l, const char *name) {
        size_t len = strlen(name);

        STRV_FOREACH(i, l)
                if (strncmp(*i, name, len) == 0 && (*i)[len] == '=')
                        return (char **) i;
        return NULL;
}

int strv_env_set(char ***l, const char *name, const char *value) {
        char *entry, **slot;

        if (asprintf(&entry, "%s=%s", name, value) < 0)
                return -ENOMEM;

        slot = strv_env_find(*l, name);
        if (!slot)
                return strv_consume(l, entry);
        free(*slot);
        *slot = entry;
        return 0;
}

const char *strv_env_get(char * const *l, const char *name) {
        char **slot = strv_env_find(l, name);

        return slot ? *slot + strlen(name) + 1 : NULL;
}

int strv_env_merge(char ***l, char * const *other) {
        int r;

        STRV_FOREACH(i, other) {
                _cleanup_free_ char *name = NULL;
                const char *eq = strchr(*i, '=');

                if (!eq)
                        continue;
                name = strndup(*i, eq - *i);
                if (!name)
                        return -ENOMEM;
                r = strv_env_set(l, name, eq + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}
