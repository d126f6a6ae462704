/* SPDX-License-Identifier: MIT */
#pragma once

/* Model → unit text. A pure function: no file system, no logging; installing is unit-install.c's job. */

#include <stdbool.h>
#include <stddef.h>

#include "common/macro.h"
#include "common/procfile/procfile.h"

typedef struct UnitFile {
        char *name;             /* "shop-web@.service" */
        char *text;
} UnitFile;

typedef struct UnitLink {
        char *path;             /* relative to the output directory: "shop.target.wants/shop-web@1.service" */
        char *target;           /* what it points to: "../shop-web@.service" */
} UnitLink;

typedef struct UnitSet {
        UnitFile *files;        /* sorted by name */
        size_t n_files;
        UnitLink *links;        /* sorted by path */
        size_t n_links;
} UnitSet;

typedef struct RenderOptions {
        const char *agent_path;         /* ExecStart's program */
        const char *procfile_path;      /* what the agent reads: the installed copy; NULL: p->path */
        const char *source_path;        /* SourcePath=, where the user edits; NULL: p->path */
        const char *autostart_target;   /* what links <app>.target when the app sets `autostart`, such as
                                         * "multi-user.target"; NULL: never */
        bool user;                      /* units of a user manager: no mount namespaces or capabilities */
} RenderOptions;

/* Whether each instance of p gets a socket of its own (APP-PROCESS@N.socket, ReusePort=yes): every
 * `listen` address is an IP one. Otherwise (a UNIX path) the group shares APP-PROCESS.socket. */
bool unit_socket_per_instance(const Process *p);

/* The socket unit of instance n of listening process: its own (APP-PROCESS@n.socket), or the group's
 * shared APP-PROCESS.socket. NULL: out of memory. */
char *unit_socket_name(const Procfile *p, const Process *process, unsigned n);

/* Renders every unit and symlink of the app. Returns 0 or -ENOMEM. */
int unit_render(const Procfile *p, const RenderOptions *o, UnitSet **ret);

/* The names of the units the set makes loadable, sorted: every file that is not a template, and every
 * instance a link names. *ret is NULL for an empty set. Returns 0 or -ENOMEM. */
int unit_set_unit_names(const UnitSet *s, char ***ret);

/* Frees the set; accepts NULL and returns NULL. */
UnitSet *unit_set_free(UnitSet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitSet *, unit_set_free);
