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

#include "common/path-util.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "config.h"
#include "generator/generator.h"
#include "generator/log.h"
#include "generator/search-path.h"
#include "generator/unit-install.h"

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
        /* SourcePath= and Description= take the path as is: a newline in it would start a directive. */
        if (string_has_control(p->path) || string_has_control(p->origin))
                return log_error_errno(-EINVAL, "%s: a path with control characters can't go into a unit",
                                       p->path);
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

/* Adds the *.procfile names of dir that no earlier directory had to *names and their paths to *paths. */
static int collect_procfiles(const char *dir, char ***names, char ***paths) {
        struct dirent **entries = NULL;
        int n, r = 0;

        n = scandir(dir, &entries, NULL, alphasort);
        if (n < 0)
                return errno == ENOENT ? 0 : negative_errno();
        for (int i = 0; i < n; i++) {
                const char *name = entries[i]->d_name;
                size_t len = strlen(name), k = strlen(PROCFILE_SUFFIX);

                if (r >= 0 && len > k && streq(name + len - k, PROCFILE_SUFFIX) && !strv_find(*names, name)) {
                        r = strv_extend(names, name);
                        if (r >= 0)
                                r = strv_consume(paths, path_join_absolute(dir, name));
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

/* Renders one procfile of the search path into output_dir. An app with `autostart` starts with the
 * system only from the persistent directory, the administrator's. */
static int generate_one(const char *path, const SearchPath *sp, bool user, const char *output_dir) {
        _cleanup_(unit_set_freep) UnitSet *set = NULL;
        _cleanup_free_ char *base = path_basename(path), *dir = path_dirname(path);
        RenderOptions o = { .agent_path = generator_agent_path() };
        int r;

        if (!base || !dir)
                return -ENOMEM;
        if (streq(dir, sp->persistent))
                o.autostart_target = user ? "default.target" : "multi-user.target";
        /* shop.procfile is app "shop" unless it says otherwise. */
        base[strlen(base) - strlen(PROCFILE_SUFFIX)] = '\0';
        r = generator_load_and_render(path, base, &o, NULL, &set);
        if (r < 0)
                return r;
        return generator_install(set, output_dir);
}

int generator_run(const char *output_dir) {
        bool user = getenv("SYSTEMD_SCOPE") && streq(getenv("SYSTEMD_SCOPE"), "user");
        _cleanup_(search_path_done) SearchPath sp = {};
        _cleanup_strv_free_ char **names = NULL, **paths = NULL;
        int r, ret = 0;

        r = search_path_init(&sp, user);
        if (r < 0)
                return log_error_errno(r, "no procfile directories: %m");
        STRV_FOREACH(d, sp.dirs) {
                r = collect_procfiles(*d, &names, &paths);
                if (r < 0)
                        log_error_errno(r, "%s: %m, ignoring", *d);
        }
        /* One bad procfile is skipped; the others are still generated (systemd.generator(7)). */
        STRV_FOREACH(path, paths) {
                r = generate_one(*path, &sp, user, output_dir);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
