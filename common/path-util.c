/* SPDX-License-Identifier: MIT */

/* Path helpers: no normalisation beyond joining, because what a path names is the user's business. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/path-util.h"

char *path_join_absolute(const char *base, const char *path) {
        char *joined;
        size_t n = strlen(base);

        if (path[0] == '/')
                return strdup(path);
        if (asprintf(&joined, "%s%s%s", base, n > 0 && base[n - 1] == '/' ? "" : "/", path) < 0)
                return NULL;
        return joined;
}

int path_make_absolute_cwd(const char *path, char **ret) {
        _cleanup_free_ char *cwd = NULL;
        char *joined;

        if (path[0] != '/') {
                /* "./procfile" must not leave a "." as the last directory name: the app's default name. */
                while (path[0] == '.' && path[1] == '/')
                        path += 2 + strspn(path + 2, "/");
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return negative_errno();
        }
        joined = path_join_absolute(cwd ?: "/", path);
        if (!joined)
                return -ENOMEM;
        *ret = joined;
        return 0;
}

static size_t path_trimmed_length(const char *path) {
        size_t n = strlen(path);

        while (n > 1 && path[n - 1] == '/')
                n--;
        return n;
}

char *path_dirname(const char *path) {
        size_t n = path_trimmed_length(path);

        while (n > 0 && path[n - 1] != '/')
                n--;
        while (n > 1 && path[n - 1] == '/')
                n--;
        return n == 0 ? strdup(".") : strndup(path, n);
}

char *path_basename(const char *path) {
        size_t n = path_trimmed_length(path);
        size_t start = n;

        while (start > 0 && path[start - 1] != '/')
                start--;
        return strndup(path + start, n - start);
}

int path_mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *copy = strdup(path);

        if (!copy)
                return -ENOMEM;
        /* Each prefix that ends before a slash, then the whole path. */
        for (char *slash = strchr(copy + 1, '/');; slash = strchr(slash + 1, '/')) {
                if (slash)
                        *slash = '\0';
                if (copy[0] && mkdir(copy, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                if (!slash)
                        return 0;
                *slash = '/';
        }
}
