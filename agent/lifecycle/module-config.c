/* SPDX-License-Identifier: MIT */

/* A service's `config` back into libconfig, for modules. The model keeps `config` as a ConfigValue,
 * because the parser is the only code that reads procfiles with libconfig (STYLE.md); the service API
 * promises modules a libconfig setting, so this file, and only this one in the agent, builds one. An
 * array whose elements are all scalars of one type becomes a libconfig array, any other a list. */

#include <stdint.h>

#include "agent/lifecycle/module-service.h"

static int setting_type(const ConfigValue *v);

static bool is_uniform_scalar_array(const ConfigValue *v) {
        for (size_t i = 0; i < v->n_children; i++) {
                const ConfigValue *c = v->children[i];

                if (c->type == CONFIG_VALUE_GROUP || c->type == CONFIG_VALUE_ARRAY ||
                    setting_type(c) != setting_type(v->children[0]))
                        return false;
        }
        return true;
}

static int setting_type(const ConfigValue *v) {
        switch (v->type) {
        case CONFIG_VALUE_GROUP:
                return CONFIG_TYPE_GROUP;
        case CONFIG_VALUE_ARRAY:
                return is_uniform_scalar_array(v) ? CONFIG_TYPE_ARRAY : CONFIG_TYPE_LIST;
        case CONFIG_VALUE_STRING:
                return CONFIG_TYPE_STRING;
        case CONFIG_VALUE_INTEGER:
                return v->integer >= INT32_MIN && v->integer <= INT32_MAX ? CONFIG_TYPE_INT : CONFIG_TYPE_INT64;
        case CONFIG_VALUE_FLOAT:
                return CONFIG_TYPE_FLOAT;
        case CONFIG_VALUE_BOOLEAN:
                return CONFIG_TYPE_BOOL;
        default:
                return CONFIG_TYPE_NONE;
        }
}

static int set_scalar(config_setting_t *s, const ConfigValue *v) {
        int ok;

        switch (v->type) {
        case CONFIG_VALUE_STRING:
                ok = config_setting_set_string(s, v->string);
                break;
        case CONFIG_VALUE_INTEGER:
                ok = config_setting_type(s) == CONFIG_TYPE_INT ? config_setting_set_int(s, (int) v->integer)
                                                               : config_setting_set_int64(s, v->integer);
                break;
        case CONFIG_VALUE_FLOAT:
                ok = config_setting_set_float(s, v->number);
                break;
        case CONFIG_VALUE_BOOLEAN:
                ok = config_setting_set_bool(s, v->boolean);
                break;
        default:
                return -EINVAL;
        }
        return ok == CONFIG_TRUE ? 0 : -ENOMEM;
}

static int add_children(config_setting_t *parent, const ConfigValue *v) {
        bool named = v->type == CONFIG_VALUE_GROUP;

        for (size_t i = 0; i < v->n_children; i++) {
                const ConfigValue *c = v->children[i];
                config_setting_t *s;
                int r;

                if (named && !c->name)
                        return -EINVAL;
                s = config_setting_add(parent, named ? c->name : NULL, setting_type(c));
                if (!s)
                        return -EINVAL;
                if (c->type == CONFIG_VALUE_GROUP || c->type == CONFIG_VALUE_ARRAY)
                        r = add_children(s, c);
                else
                        r = set_scalar(s, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

int module_config_build(const ConfigValue *v, config_t *c) {
        int r;

        config_init(c);
        if (!v)
                return 0;
        if (v->type != CONFIG_VALUE_GROUP) {
                config_destroy(c);
                return -EINVAL;
        }
        r = add_children(config_root_setting(c), v);
        if (r < 0)
                config_destroy(c);
        return r;
}
