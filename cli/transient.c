/* SPDX-License-Identifier: MIT */

/* The transient unit model of transient.h: a growing array of typed properties. */

#include <stdlib.h>
#include <string.h>

#include "cli/transient.h"
#include "common/strv.h"

static const char * const signatures[_PROPERTY_TYPE_MAX] = {
        [PROPERTY_STRING] = "s",
        [PROPERTY_BOOL] = "b",
        [PROPERTY_U32] = "u",
        [PROPERTY_U64] = "t",
        [PROPERTY_STRV] = "as",
        [PROPERTY_EXEC] = "a(sasb)",
        [PROPERTY_LISTEN] = "a(ss)",
        [PROPERTY_BYTE_ARRAYS] = "aay",
        [PROPERTY_PID] = "au",
};

const char *property_type_signature(PropertyType t) {
        return t >= 0 && t < _PROPERTY_TYPE_MAX ? signatures[t] : NULL;
}

TransientUnit *transient_unit_new(const char *name) {
        _cleanup_free_ TransientUnit *u = calloc(1, sizeof(TransientUnit));

        if (!u)
                return NULL;
        u->name = strdup(name);
        if (!u->name)
                return NULL;
        return TAKE_PTR(u);
}

TransientUnit *transient_unit_free(TransientUnit *u) {
        if (!u)
                return NULL;
        for (size_t i = 0; i < u->n_properties; i++) {
                free(u->properties[i].name);
                free(u->properties[i].string);
                strv_free(u->properties[i].strv);
        }
        free(u->properties);
        free(u->name);
        free(u);
        return NULL;
}

/* Appends property p, taking ownership of its strings (freed on failure too). */
static int add(TransientUnit *u, UnitProperty p) {
        UnitProperty *grown = NULL;

        if (p.name)
                grown = realloc(u->properties, sizeof(UnitProperty) * (u->n_properties + 1));
        if (!grown) {
                free(p.name);
                free(p.string);
                strv_free(p.strv);
                return -ENOMEM;
        }
        grown[u->n_properties++] = p;
        u->properties = grown;
        return 0;
}

int transient_unit_add_string(TransientUnit *u, const char *name, const char *value) {
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        return add(u, (UnitProperty) { .name = strdup(name), .type = PROPERTY_STRING, .string = copy });
}

int transient_unit_add_bool(TransientUnit *u, const char *name, int value) {
        return add(u, (UnitProperty) { .name = strdup(name), .type = PROPERTY_BOOL, .number = !!value });
}

int transient_unit_add_u32(TransientUnit *u, const char *name, uint32_t value) {
        return add(u, (UnitProperty) { .name = strdup(name), .type = PROPERTY_U32, .number = value });
}

int transient_unit_add_pid(TransientUnit *u, const char *name, uint32_t pid) {
        return add(u, (UnitProperty) { .name = strdup(name), .type = PROPERTY_PID, .number = pid });
}

int transient_unit_add_u64(TransientUnit *u, const char *name, uint64_t value) {
        return add(u, (UnitProperty) { .name = strdup(name), .type = PROPERTY_U64, .number = value });
}

int transient_unit_add_strv(TransientUnit *u, const char *name, PropertyType type, char * const *value) {
        char **copy = strv_copy(value);

        if (!copy && value)
                return -ENOMEM;
        /* An empty list is still a list: systemd reads "as" with no entries as "reset". */
        if (!copy) {
                copy = calloc(1, sizeof(char *));
                if (!copy)
                        return -ENOMEM;
        }
        return add(u, (UnitProperty) { .name = strdup(name), .type = type, .strv = copy });
}

const UnitProperty *transient_unit_find(const TransientUnit *u, const char *name) {
        for (size_t i = u->n_properties; i > 0; i--)
                if (streq(u->properties[i - 1].name, name))
                        return &u->properties[i - 1];
        return NULL;
}
