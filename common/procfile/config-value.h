/* SPDX-License-Identifier: MIT */
#pragma once

/* A service's `config`: a copy of a libconfig group that outlives the parser, can be deep-merged by the
 * dev overlay and is handed to services as JSON. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

typedef enum ConfigValueType {
        CONFIG_VALUE_GROUP,
        CONFIG_VALUE_ARRAY,
        CONFIG_VALUE_STRING,
        CONFIG_VALUE_INTEGER,
        CONFIG_VALUE_FLOAT,
        CONFIG_VALUE_BOOLEAN,
        _CONFIG_VALUE_TYPE_MAX,
        _CONFIG_VALUE_TYPE_INVALID = -EINVAL,
} ConfigValueType;

typedef struct ConfigValue {
        ConfigValueType type;
        char *name;                     /* the key inside a group; NULL inside an array */
        char *string;
        int64_t integer;
        double number;
        bool boolean;
        struct ConfigValue **children;  /* GROUP and ARRAY, in file order */
        size_t n_children;
} ConfigValue;

/* Returns a new value of the given type and name (copied; NULL allowed), or NULL when out of memory. */
ConfigValue *config_value_new(ConfigValueType type, const char *name);

/* Frees v and its children; accepts NULL and returns NULL. */
ConfigValue *config_value_free(ConfigValue *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(ConfigValue *, config_value_free);

/* Appends child to the group or array parent, taking ownership (freed on failure too).
 * Returns 0 or -ENOMEM. */
int config_value_append(ConfigValue *parent, ConfigValue *child);

/* Merges overlay into *base and takes ownership of overlay: when both are groups, each key of overlay
 * is merged into the key of the same name (or appended, keeping file order); anything else replaces
 * *base. Returns 0 or -ENOMEM. */
int config_value_merge(ConfigValue **base, ConfigValue *overlay);

/* Renders v as compact JSON (a group is an object, an array an array). Returns 0 or -ENOMEM. */
int config_value_to_json(const ConfigValue *v, char **ret);
