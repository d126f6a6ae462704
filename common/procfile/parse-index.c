/* SPDX-License-Identifier: MIT */

/* libconfig's parse in time linear in the number of settings (issue 19 finding 8).
 *
 * libconfig 1.5's parser adds every setting with config_setting_add(), which first calls
 * config_setting_get_member(parent, name) to refuse a duplicate name. That function scans the parent's
 * members one by one (comparing names with a strchr() per character), so a group of N members costs
 * N²/2 comparisons: 10,000 env variables took 1 s, 50,000 took 28 s, before pandora saw the file.
 *
 * The way around it: libconfig.so.9 makes that call through its PLT (`objdump -d` shows
 * "call config_setting_get_member@plt" in config_setting_add), so a definition of that function in
 * the executable takes the call, as an executable's own malloc() takes libc's. This file defines it:
 * while parser_config_read() runs libconfig's parser in this thread, a lookup in a group of INDEX_MIN
 * members or more is answered from a hash index of (group, name). Everything else (smaller groups,
 * other threads, and every call outside a parse: the agent's service modules use libconfig too) goes
 * to libconfig's own function, found with dlsym(RTLD_NEXT).
 *
 * Why the answers are libconfig's:
 * - While libconfig's parser runs, a group only grows: settings are appended (config_setting_create()),
 *   none is removed or freed before config_read() returns, and each keeps its address and its name. So
 *   the index of a group remembers how many of its members it holds and adds the newer ones first.
 * - Names are compared as libconfig 1.5 compares them (__config_name_compare(): up to the first ':',
 *   '.' or '/', or the end), and the first member of a name is kept, so a lookup finds the member
 *   libconfig's scan finds. Duplicates are refused exactly as before: the parser gets the existing
 *   member back and reports "duplicate setting name" at its own file and line.
 * - The index is used only with the libconfig it was checked against, 1.5 (Debian 12's libconfig9):
 *   1.7 may remove a member while parsing (CONFIG_OPTION_ALLOW_OVERRIDES) and 1.8 compares whole names.
 * - When memory runs out, or when the hook is not reached at all (a libconfig linked with -Bsymbolic,
 *   or one that searches without calling config_setting_get_member()), the answer is libconfig's own
 *   scan: the same result in quadratic time. parser_index_effective() tells the tests which it was.
 *
 * Rewriting the text before libconfig reads it was the alternative: turning large groups into lists
 * (whose elements libconfig adds without a search) would need a second libconfig scanner in pandora,
 * for strings, comments and @include, and would move every error message; a pre-scan alone can't
 * spare libconfig its own check. */

#include <dlfcn.h>
#include <libconfig.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/procfile/parse-index.h"

#if LIBCONFIG_VER_MAJOR == 1 && LIBCONFIG_VER_MINOR == 5
#define INDEX_MATCHES_LIBCONFIG true
#else
#define INDEX_MATCHES_LIBCONFIG false
#endif

/* Below this many members a scan is as cheap as hashing: process and service groups stay scanned. */
#define INDEX_MIN 32U

typedef config_setting_t *(*GetMember)(const config_setting_t *setting, const char *name);

typedef struct IndexedGroup {
        const config_setting_t *group;
        unsigned n_indexed;             /* its first n_indexed members are in the member table */
} IndexedGroup;

typedef struct IndexedMember {
        const config_setting_t *group;
        config_setting_t *setting;
} IndexedMember;

/* Two open-addressing tables, each a power of two in size and at most half full. */
typedef struct MemberIndex {
        IndexedGroup *groups;
        size_t n_groups, size_groups;
        IndexedMember *members;
        size_t n_members, size_members;
        bool reached;                   /* libconfig's parser called config_setting_get_member() */
} MemberIndex;

/* Set only while parser_config_read() runs in this thread. */
static _Thread_local MemberIndex *active_index;
static _Thread_local bool last_effective;

/* The part of a name libconfig compares: up to its path separators. */
static size_t name_key_length(const char *name) {
        return strcspn(name, ":./");
}

static bool name_matches(const char *name, const char *key, size_t key_length) {
        return name_key_length(name) == key_length && memcmp(name, key, key_length) == 0;
}

/* libconfig 1.5's search, for when its own function can't be found (it always can when pandora is
 * linked against libconfig.so; this keeps the answer right if it ever isn't). */
static config_setting_t *scan_members(const config_setting_t *setting, const char *name) {
        const config_list_t *list = setting->value.list;
        size_t n;

        if (setting->type != CONFIG_TYPE_GROUP || !list || !name)
                return NULL;
        n = name_key_length(name);
        for (unsigned i = 0; i < list->length; i++)
                if (list->elements[i]->name && name_matches(list->elements[i]->name, name, n))
                        return list->elements[i];
        return NULL;
}

static GetMember libconfig_get_member(void) {
        static GetMember found;
        GetMember f = __atomic_load_n(&found, __ATOMIC_RELAXED);

        if (!f) {
                f = (GetMember) dlsym(RTLD_NEXT, "config_setting_get_member");
                if (!f || f == config_setting_get_member)
                        f = scan_members;
                __atomic_store_n(&found, f, __ATOMIC_RELAXED);
        }
        return f;
}

static uint64_t hash_pointer(const void *p) {
        uint64_t h = (uintptr_t) p;

        /* murmur3's finaliser: allocations share their low bits. */
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        return h;
}

static uint64_t hash_member(const config_setting_t *group, const char *key, size_t key_length) {
        uint64_t h = hash_pointer(group) ^ 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < key_length; i++)         /* FNV-1a */
                h = (h ^ (unsigned char) key[i]) * 0x100000001b3ULL;
        return h;
}

static IndexedGroup *group_slot(IndexedGroup *groups, size_t size, const config_setting_t *group) {
        size_t i = hash_pointer(group) & (size - 1);

        while (groups[i].group && groups[i].group != group)
                i = (i + 1) & (size - 1);
        return &groups[i];
}

static int grow_groups(MemberIndex *x) {
        size_t size = x->size_groups ? 2 * x->size_groups : 64;
        IndexedGroup *groups = calloc(size, sizeof(IndexedGroup));

        if (!groups)
                return -ENOMEM;
        for (size_t i = 0; i < x->size_groups; i++)
                if (x->groups[i].group)
                        *group_slot(groups, size, x->groups[i].group) = x->groups[i];
        free(x->groups);
        x->groups = groups;
        x->size_groups = size;
        return 0;
}

/* Returns the group's entry, added with nothing indexed when new, or NULL when out of memory. */
static IndexedGroup *index_group(MemberIndex *x, const config_setting_t *group) {
        IndexedGroup *g;

        if (2 * (x->n_groups + 1) > x->size_groups && grow_groups(x) < 0)
                return NULL;
        g = group_slot(x->groups, x->size_groups, group);
        if (!g->group) {
                g->group = group;
                x->n_groups++;
        }
        return g;
}

/* The slot of the member of group whose name matches key, or the empty slot where it would go. */
static IndexedMember *member_slot(IndexedMember *members, size_t size, const config_setting_t *group,
                                  const char *key, size_t key_length) {
        size_t i = hash_member(group, key, key_length) & (size - 1);

        while (members[i].setting &&
               (members[i].group != group || !name_matches(members[i].setting->name, key, key_length)))
                i = (i + 1) & (size - 1);
        return &members[i];
}

static int grow_members(MemberIndex *x) {
        size_t size = x->size_members ? 2 * x->size_members : 256;
        IndexedMember *members = calloc(size, sizeof(IndexedMember));

        if (!members)
                return -ENOMEM;
        for (size_t i = 0; i < x->size_members; i++) {
                const IndexedMember *m = &x->members[i];

                if (m->setting)
                        *member_slot(members, size, m->group, m->setting->name,
                                     name_key_length(m->setting->name)) = *m;
        }
        free(x->members);
        x->members = members;
        x->size_members = size;
        return 0;
}

/* Adds setting, a member of group, unless a member of its name is there already: the first one is
 * what libconfig's scan finds. */
static int index_member(MemberIndex *x, const config_setting_t *group, config_setting_t *setting) {
        IndexedMember *m;

        if (2 * (x->n_members + 1) > x->size_members && grow_members(x) < 0)
                return -ENOMEM;
        m = member_slot(x->members, x->size_members, group, setting->name, name_key_length(setting->name));
        if (!m->setting) {
                *m = (IndexedMember) { .group = group, .setting = setting };
                x->n_members++;
        }
        return 0;
}

/* Indexes the members appended to g's group since its last lookup. */
static int index_catch_up(MemberIndex *x, IndexedGroup *g) {
        const config_list_t *list = g->group->value.list;
        int r;

        /* Groups only grow while libconfig parses; anything else is left to its own scan. */
        if (list->length < g->n_indexed)
                return -ESTALE;
        for (; g->n_indexed < list->length; g->n_indexed++) {
                config_setting_t *s = list->elements[g->n_indexed];

                if (!s->name)
                        continue;
                r = index_member(x, g->group, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The member of a large group called name, from the index; -ENOMEM or -ESTALE when the index can't
 * answer. */
static int index_lookup(MemberIndex *x, const config_setting_t *group, const char *name,
                        config_setting_t **ret) {
        size_t n = name_key_length(name);
        IndexedGroup *g;
        int r;

        g = index_group(x, group);
        if (!g)
                return -ENOMEM;
        r = index_catch_up(x, g);
        if (r < 0)
                return r;
        *ret = member_slot(x->members, x->size_members, group, name, n)->setting;
        return 0;
}

/* Replaces libconfig's own (see the top of this file). */
config_setting_t *config_setting_get_member(const config_setting_t *setting, const char *name) {
        MemberIndex *x = active_index;
        config_setting_t *found;

        if (x) {
                x->reached = true;
                if (INDEX_MATCHES_LIBCONFIG && name && setting->type == CONFIG_TYPE_GROUP &&
                    setting->value.list && setting->value.list->length >= INDEX_MIN &&
                    index_lookup(x, setting, name, &found) >= 0)
                        return found;
        }
        return libconfig_get_member()(setting, name);
}

int parser_config_read(struct config_t *config, FILE *f) {
        MemberIndex x = {};
        int r;

        active_index = &x;
        r = f ? config_read(config, f) : config_read_string(config, "");
        active_index = NULL;
        last_effective = INDEX_MATCHES_LIBCONFIG &&
                         (x.reached || config_setting_length(config_root_setting(config)) == 0);
        free(x.groups);
        free(x.members);
        return r;
}

bool parser_index_effective(void) {
        return last_effective;
}
