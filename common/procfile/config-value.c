/* SPDX-License-Identifier: MIT */

/* A small tree for service `config` values: the parser copies libconfig groups into it, the dev overlay
 * deep-merges it, and services receive it as JSON. */

#include <inttypes.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfile/config-value.h"
#include "common/string-util.h"

ConfigValue *config_value_new(ConfigValueType type, const char *name) {
        _cleanup_(config_value_freep) ConfigValue *v = calloc(1, sizeof(ConfigValue));

        if (!v)
                return NULL;
        v->type = type;
        if (name) {
                v->name = strdup(name);
                if (!v->name)
                        return NULL;
        }
        return TAKE_PTR(v);
}

ConfigValue *config_value_free(ConfigValue *v) {
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n_children; i++)
                config_value_free(v->children[i]);
        free(v->children);
        free(v->string);
        free(v->name);
        free(v);
        return NULL;
}

int config_value_append(ConfigValue *parent, ConfigValue *child) {
        ConfigValue **grown = realloc(parent->children, sizeof(ConfigValue *) * (parent->n_children + 1));

        if (!grown) {
                config_value_free(child);
                return -ENOMEM;
        }
        grown[parent->n_children++] = child;
        parent->children = grown;
        return 0;
}

static ConfigValue **config_value_find_child(ConfigValue *group, const char *name) {
        for (size_t i = 0; i < group->n_children; i++)
                if (group->children[i]->name && streq(group->children[i]->name, name))
                        return &group->children[i];
        return NULL;
}

int config_value_merge(ConfigValue **base, ConfigValue *overlay) {
        int r;

        if (!*base || (*base)->type != CONFIG_VALUE_GROUP || overlay->type != CONFIG_VALUE_GROUP) {
                config_value_free(*base);
                *base = overlay;
                return 0;
        }

        for (size_t i = 0; i < overlay->n_children; i++) {
                ConfigValue *child = TAKE_PTR(overlay->children[i]);
                ConfigValue **slot = config_value_find_child(*base, child->name);

                r = slot ? config_value_merge(slot, child) : config_value_append(*base, child);
                if (r < 0) {
                        config_value_free(overlay);
                        return r;
                }
        }
        config_value_free(overlay);
        return 0;
}

static void config_value_write_json(const ConfigValue *v, FILE *f) {
        char number[32];
        bool group = v->type == CONFIG_VALUE_GROUP;

        switch (v->type) {
        case CONFIG_VALUE_GROUP:
        case CONFIG_VALUE_ARRAY:
                fputc(group ? '{' : '[', f);
                for (size_t i = 0; i < v->n_children; i++) {
                        if (i > 0)
                                fputc(',', f);
                        if (group) {
                                json_append_string(f, v->children[i]->name);
                                fputc(':', f);
                        }
                        config_value_write_json(v->children[i], f);
                }
                fputc(group ? '}' : ']', f);
                break;
        case CONFIG_VALUE_STRING:
                json_append_string(f, v->string);
                break;
        case CONFIG_VALUE_INTEGER:
                fprintf(f, "%" PRId64, v->integer);
                break;
        case CONFIG_VALUE_FLOAT:
                format_double(number, v->number);
                fputs(number, f);
                break;
        case CONFIG_VALUE_BOOLEAN:
                fputs(v->boolean ? "true" : "false", f);
                break;
        default:
                fputs("null", f);
        }
}

int config_value_to_json(const ConfigValue *v, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        config_value_write_json(v, f);
        if (fclose(f) != 0 || !buf)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
