/* SPDX-License-Identifier: MIT */

/* The generator proper: a procfile becomes unit files, with no IPC at all, as systemd.generator(7)
 * requires of code that runs while the manager is loading units. Generator mode (every procfile of the
 * search path into the first output directory) and the one load-and-render step that the command line
 * (cli/) reuses for installing, --dry-run and --output. May call common/ and this folder; must never
 * link libsystemd's bus, event loop or journal (meson builds this folder without libsystemd, and the
 * generator-no-ipc test checks the library's symbols). Logs through log.c: these are the edge. */

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/names.h"
#include "common/path-util.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "config.h"
#include "generator/generator.h"
#include "generator/log.h"
#include "generator/search-path.h"
#include "generator/unit-install.h"

/* SourcePath= and Description= take the paths as they are (a newline would start a directive, a trailing
 * backslash swallow the next one), and SourcePath= refuses one with "..". */
static int generator_check_paths(const Procfile *p, const RenderOptions *o) {
        const struct {
                const char *path;
                const char *problem;
        } checks[] = {
                { p->path, unit_path_problem(p->path) },
                { o->source_path, o->source_path ? unit_path_problem(o->source_path) : NULL },
                { p->origin, unit_verbatim_problem(p->origin) },
        };

        for (size_t i = 0; i < ELEMENTSOF(checks); i++)
                if (checks[i].problem)
                        return log_error_errno(-EINVAL, "%s: this path can't go into a unit: it %s", checks[i].path,
                                               checks[i].problem);
        return 0;
}

/* What only the system manager can do: a user's manager runs everything as that user. */
static int generator_check_manager(const Procfile *p, const RenderOptions *o) {
        for (size_t i = 0; o->user && i < p->n_processes; i++)
                if (p->processes[i]->dynamic_user)
                        return log_error_errno(-EINVAL, "%s:%u: processes.%s.dynamic_user: only the system manager "
                                               "can run a process as a dynamic user, not --user",
                                               p->processes[i]->file ?: p->path, p->processes[i]->line,
                                               p->processes[i]->name);
        return 0;
}

int generator_load_and_render(const char *path, const char *default_app, const RenderOptions *o,
                        Procfile **ret_procfile, UnitSet **ret) {
        ProcfileOptions options = { .default_app = default_app };
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        int r;

        r = procfile_load(path, &options, &p, &e);
        if (r < 0) {
                log_procfile_error(&e, r);
                return r;
        }
        r = generator_check_paths(p, o);
        if (r >= 0)
                r = generator_check_manager(p, o);
        if (r < 0)
                return r;
        r = unit_render(p, o, ret);
        if (r < 0)
                return log_error_errno(r, "%s: can't render units: %m", p->path);
        if (ret_procfile)
                *ret_procfile = TAKE_PTR(p);
        return 0;
}

int generator_install(const UnitSet *set, const char *dir) {
        _cleanup_free_ char *failed = NULL;
        int r;

        r = unit_set_install(set, dir, &failed);
        if (r < 0)
                log_error_errno(r, "%s: %m", failed ?: dir);
        return r;
}

/* The agent every ExecStart= runs: the installed one, or $PANDORA_AGENT_PATH (tests and build trees). */
const char *generator_agent_path(void) {
        return getenv("PANDORA_AGENT_PATH") ?: PANDORA_AGENT_PATH;
}

/* Adds the *.procfile names of dir that no earlier directory had to *names and their paths to *paths. A
 * name that is not a regular file (a FIFO would block the reader, a device never end) is skipped with a
 * message; it still hides the same name in later directories, as a unit file would. */
static int collect_procfiles(const char *dir, char ***names, char ***paths) {
        struct dirent **entries = NULL;
        int n, r = 0;

        n = scandir(dir, &entries, NULL, alphasort);
        if (n < 0)
                return errno == ENOENT ? 0 : negative_errno();
        for (int i = 0; i < n; i++) {
                const char *name = entries[i]->d_name;
                size_t len = strlen(name), k = strlen(PROCFILE_SUFFIX);
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (r < 0 || len <= k || !streq(name + len - k, PROCFILE_SUFFIX) || strv_find(*names, name)) {
                        free(entries[i]);
                        continue;
                }
                r = strv_extend(names, name);
                path = r >= 0 ? path_join_absolute(dir, name) : NULL;
                if (r >= 0 && !path)
                        r = -ENOMEM;
                /* stat() of a FIFO does not open it. One that can't be stat()ed is left to the loader. */
                if (r >= 0 && stat(path, &st) >= 0 && !S_ISREG(st.st_mode))
                        log_error("%s: not a regular file, ignoring", path);
                else if (r >= 0)
                        r = strv_consume(paths, TAKE_PTR(path));
                free(entries[i]);
        }
        free(entries);
        return r;
}

int generator_installed_procfiles(const SearchPath *sp, char ***ret) {
        _cleanup_strv_free_ char **names = NULL, **paths = NULL;
        int r;

        STRV_FOREACH(d, sp->dirs) {
                r = collect_procfiles(*d, &names, &paths);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        log_error_errno(r, "%s: %m, ignoring", *d);
        }
        *ret = TAKE_PTR(paths);
        return 0;
}

/* The options generator mode renders an installed procfile with. An app with `autostart` starts with the
 * system only from the persistent directory, the administrator's. */
static int installed_options(const char *path, const SearchPath *sp, bool user, RenderOptions *o,
                             char **ret_app) {
        _cleanup_free_ char *base = path_basename(path), *dir = path_dirname(path);

        if (!base || !dir)
                return -ENOMEM;
        *o = (RenderOptions) { .agent_path = generator_agent_path(), .user = user };
        if (streq(dir, sp->persistent))
                o->autostart_target = user ? "default.target" : "multi-user.target";
        /* shop.procfile is app "shop" unless it says otherwise. */
        base[strlen(base) - strlen(PROCFILE_SUFFIX)] = '\0';
        *ret_app = TAKE_PTR(base);
        return 0;
}

int generator_render_installed(const char *path, const SearchPath *sp, bool user, UnitSet **ret) {
        _cleanup_free_ char *app = NULL;
        RenderOptions o;
        int r;

        r = installed_options(path, sp, user, &o, &app);
        if (r < 0)
                return r;
        return generator_load_and_render(path, app, &o, NULL, ret);
}

int generator_render_installed_quiet(const char *path, const SearchPath *sp, bool user, UnitSet **ret) {
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_free_ char *app = NULL;
        RenderOptions o;
        int r;

        r = installed_options(path, sp, user, &o, &app);
        if (r < 0)
                return r;
        r = procfile_load(path, &(ProcfileOptions) { .default_app = app }, &p, &e);
        if (r < 0)
                return r;
        return unit_render(p, &o, ret);
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

int generator_unit_names(const UnitSet *set, char ***ret) {
        _cleanup_strv_free_ char **names = calloc(set->n_files + set->n_links + 1, sizeof(char *));
        size_t n = 0, kept = 0;

        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < set->n_files; i++)
                if (!(names[n++] = strdup(set->files[i].name)))
                        return -ENOMEM;
        for (size_t i = 0; i < set->n_links; i++) {
                const char *slash = strrchr(set->links[i].path, '/');

                if (!(names[n++] = strdup(slash ? slash + 1 : set->links[i].path)))
                        return -ENOMEM;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), compare_names);
        for (size_t i = 0; i < n; i++)
                if (kept > 0 && streq(names[kept - 1], names[i]))
                        free(names[i]);
                else
                        names[kept++] = names[i];
        names[kept] = NULL;
        *ret = TAKE_PTR(names);
        return 0;
}

const char *generator_shared_name(char * const *a, char * const *b) {
        /* Both sorted: one merge-like walk. */
        while (a && b && *a && *b) {
                int c = strcmp(*a, *b);

                if (c == 0)
                        return *a;
                if (c < 0)
                        a++;
                else
                        b++;
        }
        return NULL;
}

/* One rendered procfile of generator mode. */
typedef struct Generated {
        const char *path;
        UnitSet *set;
        char **names;           /* generator_unit_names() */
        bool colliding;
} Generated;

/* Apps whose unit names collide are generated neither: which one would win is an accident of the order
 * the files are written in, and the loser's units would run the winner's processes. Each colliding pair
 * is logged once, with the first name they share. Returns the number of pairs. */
static size_t mark_collisions(Generated *g, size_t n) {
        size_t pairs = 0;

        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                        const char *shared = generator_shared_name(g[i].names, g[j].names);

                        if (!shared)
                                continue;
                        log_error("%s and %s both make %s: generating neither, ignoring both", g[i].path,
                                  g[j].path, shared);
                        g[i].colliding = g[j].colliding = true;
                        pairs++;
                }
        return pairs;
}

typedef struct GeneratedList {
        Generated *items;
        size_t n;               /* rendered */
} GeneratedList;

static void generated_list_done(GeneratedList *l) {
        for (size_t i = 0; i < l->n; i++) {
                unit_set_free(l->items[i].set);
                strv_free(l->items[i].names);
        }
        free(l->items);
        *l = (GeneratedList) {};
}

/* Renders every path into l; one that fails is logged and skipped. Returns 0, the first error, or -ENOMEM
 * at once. */
static int render_all(char * const *paths, const SearchPath *sp, bool user, GeneratedList *l) {
        int r, ret = 0;

        l->items = calloc(strv_length(paths) + 1, sizeof(Generated));
        if (!l->items)
                return -ENOMEM;
        STRV_FOREACH(path, paths) {
                Generated *g = &l->items[l->n];

                g->path = *path;
                r = generator_render_installed(*path, sp, user, &g->set);
                if (r >= 0) {
                        l->n++;
                        r = generator_unit_names(g->set, &g->names);
                }
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int generator_run(const char *output_dir) {
        bool user = getenv("SYSTEMD_SCOPE") && streq(getenv("SYSTEMD_SCOPE"), "user");
        _cleanup_(search_path_done) SearchPath sp = {};
        _cleanup_(generated_list_done) GeneratedList l = {};
        _cleanup_strv_free_ char **paths = NULL;
        int r, ret;

        r = search_path_init(&sp, user);
        if (r < 0)
                return log_error_errno(r, "no procfile directories: %m");
        r = generator_installed_procfiles(&sp, &paths);
        if (r < 0)
                return log_error_errno(r, "%m");
        /* One bad procfile is skipped; the others are still generated (systemd.generator(7)). */
        ret = render_all(paths, &sp, user, &l);
        if (ret == -ENOMEM)
                return log_error_errno(ret, "%m");
        if (mark_collisions(l.items, l.n) > 0 && ret == 0)
                ret = -EEXIST;
        for (size_t i = 0; i < l.n; i++) {
                if (l.items[i].colliding)
                        continue;
                r = generator_install(l.items[i].set, output_dir);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
