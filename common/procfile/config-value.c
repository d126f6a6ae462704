/* SPDX-License-Identifier: MIT */

/* A small tree for service `config` values: the parser copies libconfig groups into it, the dev overlay
 * deep-merges it, and services receive it as JSON. */

#include <inttypes.h>
#include <search.h>
#include <stdint.h>
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

/* Adds group's child at position i to the name index, unless a child of that name is there: the first
 * one is the one merged into. */
static int index_child(struct hsearch_data *names, ConfigValue *group, size_t i) {
        ENTRY item = { .key = group->children[i]->name, .data = (void *) (uintptr_t) i }, *entry;

        if (!hsearch_r(item, ENTER, &entry, names))
                return -ENOMEM;
        return 0;
}

/* Merges each key of overlay into base's key of that name, found through a hash table of base's keys
 * (a scan of base per key cost base × overlay, issue 19 finding 8). */
static int merge_groups(ConfigValue *base, ConfigValue *overlay) {
        struct hsearch_data names = {};
        int r = 0;

        /* hcreate_r() wants room to spare: every key of both may end up in it. */
        if (!hcreate_r(2 * (base->n_children + overlay->n_children) + 1, &names))
                return -ENOMEM;
        for (size_t i = 0; i < base->n_children && r >= 0; i++)
                r = index_child(&names, base, i);
        for (size_t i = 0; i < overlay->n_children && r >= 0; i++) {
                ConfigValue *child = TAKE_PTR(overlay->children[i]), **slot;
                ENTRY *found;

                if (!hsearch_r((ENTRY) { .key = child->name }, FIND, &found, &names)) {
                        r = config_value_append(base, child);
                        if (r >= 0)
                                r = index_child(&names, base, base->n_children - 1);
                        continue;
                }
                slot = &base->children[(uintptr_t) found->data];
                r = config_value_merge(slot, child);
                /* The merge may have replaced the child whose name the table points at. */
                found->key = (*slot)->name;
        }
        hdestroy_r(&names);
        return r;
}

int config_value_merge(ConfigValue **base, ConfigValue *overlay) {
        int r;

        if (!*base || (*base)->type != CONFIG_VALUE_GROUP || overlay->type != CONFIG_VALUE_GROUP) {
                config_value_free(*base);
                *base = overlay;
                return 0;
        }
        r = merge_groups(*base, overlay);
        config_value_free(overlay);
        return r;
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
