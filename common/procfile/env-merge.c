/* SPDX-License-Identifier: MIT */

/* Environment blocks merged through a hash index of their names (open addressing over positions in
 * the block), so that an env group, the app's env copied into each process and a process's own env
 * over it each cost time linear in their sizes. */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfile/env-merge.h"
#include "common/strv.h"

typedef struct EnvMerge {
        char **entries;         /* the merged block, NULL-terminated at n */
        size_t n;
        size_t *slots;          /* position + 1 of an entry, 0 for an empty slot */
        size_t mask;            /* the number of slots - 1 (a power of two) */
} EnvMerge;

static uint64_t hash_name(const char *name, size_t length) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < length; i++)     /* FNV-1a */
                h = (h ^ (unsigned char) name[i]) * 0x100000001b3ULL;
        return h;
}

/* The slot of the entry called name (length bytes), or the empty slot where it would go. Matches as
 * strv_env_get() does: the entry starts with name and '='. */
static size_t *env_slot(const EnvMerge *m, const char *name, size_t length) {
        size_t i = hash_name(name, length) & m->mask;

        for (;; i = (i + 1) & m->mask) {
                size_t *slot = &m->slots[i];
                const char *e = *slot ? m->entries[*slot - 1] : NULL;

                if (!e || (strncmp(e, name, length) == 0 && e[length] == '='))
                        return slot;
        }
}

/* Sets entry (taken) in the block: replaces the entry of its name, or appends it. */
static void env_put(EnvMerge *m, char *entry, size_t name_length) {
        size_t *slot = env_slot(m, entry, name_length);

        if (*slot) {
                free(m->entries[*slot - 1]);
                m->entries[*slot - 1] = entry;
                return;
        }
        m->entries[m->n++] = entry;
        m->entries[m->n] = NULL;
        *slot = m->n;
}

/* A block of room for the entries of *env plus n_more, indexed; takes *env's strings. */
static int env_merge_begin(EnvMerge *m, char ***env, size_t n_more) {
        size_t n = strv_length(*env), size = 16;

        while (size < 2 * (n + n_more))
                size *= 2;
        *m = (EnvMerge) { .mask = size - 1 };
        m->entries = malloc(sizeof(char *) * (n + n_more + 1));
        m->slots = calloc(size, sizeof(size_t));
        if (!m->entries || !m->slots) {
                free(m->entries);
                free(m->slots);
                return -ENOMEM;
        }
        m->entries[0] = NULL;
        for (size_t i = 0; i < n; i++) {
                char *e = (*env)[i];
                const char *eq = strchr(e, '=');
                size_t *slot = eq ? env_slot(m, e, eq - e) : NULL;

                m->entries[m->n++] = e;
                m->entries[m->n] = NULL;
                /* A repeated name keeps its first entry, the one strv_env_set() would replace. */
                if (slot && !*slot)
                        *slot = m->n;
        }
        free(*env);
        *env = NULL;
        return 0;
}

static void env_merge_end(EnvMerge *m, char ***env) {
        free(m->slots);
        *env = m->entries;
}

/* other's strings are copied, or taken when take is set (other is then freed, whatever happens). */
static int env_merge(char ***env, char **other, bool take) {
        size_t n_other = strv_length(other);
        EnvMerge m;
        int r = 0;

        if (n_other > 0)
                r = env_merge_begin(&m, env, n_other);
        if (n_other == 0 || r < 0) {
                if (take)
                        strv_free(other);
                return r;
        }
        for (size_t i = 0; i < n_other; i++) {
                const char *eq = strchr(other[i], '=');
                char *entry = take ? other[i] : NULL;

                if (!eq) {
                        free(entry);
                        continue;
                }
                if (!take)
                        entry = strdup(other[i]);
                if (!entry) {
                        r = -ENOMEM;
                        break;
                }
                env_put(&m, entry, eq - other[i]);
        }
        if (take)
                free(other);
        env_merge_end(&m, env);
        return r;
}

int procfile_env_merge(char ***env, char * const *other) {
        return env_merge(env, (char **) other, false);
}

int procfile_env_merge_consume(char ***env, char **other) {
        return env_merge(env, other, true);
}
