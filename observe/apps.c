/* SPDX-License-Identifier: MIT */

/* Which apps there are: every APP.procfile of the procfile search path (generator/search-path.h), the
 * directories the generator reads. Only the names are read, not the files, which may be private to
 * root: the exporter runs as a dynamic user. */

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "common/strv.h"
#include "generator/search-path.h"
#include "observe/apps.h"

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Appends the app names of dir's *.procfile entries to *apps; a directory that is not there has none. */
static int read_dir(const char *dir, char ***apps) {
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : negative_errno();
        while (r >= 0 && (errno = 0, de = readdir(d))) {
                size_t n = strlen(de->d_name), s = strlen(PROCFILE_SUFFIX);

                if (de->d_name[0] == '.' || n <= s || !streq(de->d_name + n - s, PROCFILE_SUFFIX))
                        continue;
                r = strv_consume(apps, strndup(de->d_name, n - s));
        }
        if (r >= 0 && errno != 0)
                r = negative_errno();
        closedir(d);
        return r;
}

int observe_installed_apps(bool user, char ***ret) {
        _cleanup_strv_free_ char **apps = NULL;
        SearchPath s = {};
        size_t n = 0, k = 0;
        int r;

        r = search_path_init(&s, user);
        if (r < 0)
                return r;
        STRV_FOREACH(d, s.dirs) {
                r = read_dir(*d, &apps);
                if (r < 0)
                        break;
        }
        search_path_done(&s);
        if (r < 0)
                return r;
        /* Sorted, each name once: an app installed in two directories is one app (the first wins). */
        n = strv_length(apps);
        if (n > 0)
                qsort(apps, n, sizeof(char *), compare_strings);
        for (size_t i = 0; i < n; i++) {
                if (k > 0 && streq(apps[k - 1], apps[i])) {
                        free(apps[i]);
                        continue;
                }
                apps[k++] = apps[i];
        }
        if (apps)
                apps[k] = NULL;
        *ret = TAKE_PTR(apps);
        return 0;
}
