/* SPDX-License-Identifier: MIT */

/* The procfile search path, as systemd.unit(5) orders unit directories: the administrator's persistent
 * directory over the runtime one over the vendor's. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/path-util.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "generator/search-path.h"

static int split_override(const char *override, char ***dirs) {
        _cleanup_free_ char *copy = strdup(override);
        char *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
                r = strv_extend(dirs, t);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int user_dirs(char ***dirs, bool *ret_has_runtime) {
        const char *config_home = getenv("XDG_CONFIG_HOME"), *runtime = getenv("XDG_RUNTIME_DIR");
        const char *home = getenv("HOME");
        char *d = NULL;

        if (config_home && config_home[0] == '/')
                d = path_join_absolute(config_home, "pandora");
        else if (home && home[0] == '/')
                d = path_join_absolute(home, ".config/pandora");
        else
                return -ENXIO;
        if (strv_consume(dirs, d) < 0)
                return -ENOMEM;
        *ret_has_runtime = runtime && runtime[0] == '/';
        if (*ret_has_runtime && strv_consume(dirs, path_join_absolute(runtime, "pandora")) < 0)
                return -ENOMEM;
        return 0;
}

int search_path_init(SearchPath *ret, bool user) {
        const char *override = getenv("PANDORA_PROCFILE_DIRS");
        _cleanup_strv_free_ char **dirs = NULL;
        bool has_runtime = true;
        int r;

        if (override)
                r = split_override(override, &dirs);
        else if (user)
                r = user_dirs(&dirs, &has_runtime);
        else
                r = strv_extend(&dirs, "/etc/pandora") < 0 || strv_extend(&dirs, "/run/pandora") < 0 ||
                    strv_extend(&dirs, "/usr/lib/pandora") < 0 ? -ENOMEM : 0;
        if (r < 0)
                return r;
        if (strv_length(dirs) == 0)
                return -ENXIO;
        /* Not in one initializer: its order of evaluation is unspecified, and TAKE_PTR() clears dirs. */
        ret->dirs = TAKE_PTR(dirs);
        ret->persistent = ret->dirs[0];
        ret->runtime = has_runtime ? ret->dirs[1] : NULL;
        return 0;
}

void search_path_done(SearchPath *s) {
        strv_free(s->dirs);
        *s = (SearchPath) {};
}

char *search_path_procfile(const char *dir, const char *app) {
        return strprintf("%s/%s" PROCFILE_SUFFIX, dir, app);
}

int search_path_find(const SearchPath *s, const char *app, char **ret_path) {
        STRV_FOREACH(d, s->dirs) {
                _cleanup_free_ char *path = search_path_procfile(*d, app);

                if (!path)
                        return -ENOMEM;
                if (access(path, F_OK) == 0) {
                        *ret_path = TAKE_PTR(path);
                        return 1;
                }
                if (errno != ENOENT)
                        return negative_errno();
        }
        return 0;
}
