/* SPDX-License-Identifier: MIT */
#pragma once

/* A transient unit as org.freedesktop.systemd1.Manager.StartTransientUnit takes it: a name and a list of
 * typed properties, plain data so that building one is pure (and tested) and only manager.c turns it into
 * a D-Bus message. Property names and types are systemd's (org.freedesktop.systemd1(5)). */

#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

typedef enum PropertyType {
        PROPERTY_STRING,        /* "s": string */
        PROPERTY_BOOL,          /* "b": number */
        PROPERTY_U32,           /* "u": number */
        PROPERTY_U64,           /* "t": number */
        PROPERTY_STRV,          /* "as": strv */
        PROPERTY_EXEC,          /* "a(sasb)": one command, strv its argv and strv[0] its path */
        PROPERTY_LISTEN,        /* "a(ss)": strv holds pairs of type ("Stream") and address */
        PROPERTY_BYTE_ARRAYS,   /* "aay": each string of strv without its NUL (LogExtraFields) */
        PROPERTY_PID,           /* "au": one pid, number (a scope's PIDs) */
        _PROPERTY_TYPE_MAX,
        _PROPERTY_TYPE_INVALID = -EINVAL,
} PropertyType;

typedef struct UnitProperty {
        char *name;
        PropertyType type;
        char *string;
        uint64_t number;
        char **strv;
} UnitProperty;

typedef struct TransientUnit {
        char *name;
        UnitProperty *properties;
        size_t n_properties;
} TransientUnit;

/* A unit called name (copied) with no properties yet. Returns NULL when out of memory. */
TransientUnit *transient_unit_new(const char *name);

/* Frees the unit and its properties; accepts NULL and returns NULL. */
TransientUnit *transient_unit_free(TransientUnit *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(TransientUnit *, transient_unit_free);

/* Append a property; values are copied. Each returns 0 or -ENOMEM. */
int transient_unit_add_string(TransientUnit *u, const char *name, const char *value);
int transient_unit_add_bool(TransientUnit *u, const char *name, int value);
int transient_unit_add_u32(TransientUnit *u, const char *name, uint32_t value);
int transient_unit_add_u64(TransientUnit *u, const char *name, uint64_t value);
int transient_unit_add_pid(TransientUnit *u, const char *name, uint32_t pid);
/* For PROPERTY_STRV, PROPERTY_EXEC, PROPERTY_LISTEN and PROPERTY_BYTE_ARRAYS. */
int transient_unit_add_strv(TransientUnit *u, const char *name, PropertyType type, char * const *value);

/* The property called name, the last one when the unit has several; NULL when it has none. */
const UnitProperty *transient_unit_find(const TransientUnit *u, const char *name) _pure_;

/* The D-Bus signature of a property's value ("s", "a(sasb)", ...); NULL for an invalid type. */
const char *property_type_signature(PropertyType t) _pure_;
