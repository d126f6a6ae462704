/* SPDX-License-Identifier: MIT */

/* procfile_load(): the one way a procfile becomes a model. It runs the three steps in order, each in
 * a file of its own: the built-in processes (procfile.c), the parser with the dev overlay (parse.c),
 * and Pandora.js resolution (resolve.c). Also the installed copy's origin mark and `auto` scale, which
 * only loading needs. Never logs: errors come back located in a ProcfileError. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/path-util.h"
#include "common/procfile/internal.h"

int procfile_auto_scale(void) {
        const char *e = getenv("DEFAULT_WORKER_COUNT");
        char *end;
        long n;

        if (!e) {
                n = sysconf(_SC_NPROCESSORS_ONLN);
                return n > 0 ? (int) n : 1;
        }
        errno = 0;
        n = strtol(e, &end, 10);
        if (errno != 0 || end == e || *end != '\0' || n < 1 || n > 65536)
                return -EINVAL;
        return (int) n;
}

int procfile_read_origin(const char *path, char **ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL, *origin = NULL;
        size_t size = 0, mark = strlen(PROCFILE_ORIGIN_MARK);
        ssize_t n;

        if (!f)
                return negative_errno();
        while ((n = getline(&line, &size, f)) >= 0) {
                if (n > 0 && line[n - 1] == '\n')
                        line[--n] = '\0';
                if (strncmp(line, PROCFILE_ORIGIN_MARK, mark) != 0 || line[mark] != '/')
                        continue;
                free(origin);
                origin = strdup(line + mark);
                if (!origin)
                        return -ENOMEM;
        }
        if (ferror(f))
                return -EIO;
        if (!origin)
                return 0;
        *ret = TAKE_PTR(origin);
        return 1;
}

/* The origin of the file at p->path: what its origin mark names, else the file itself. A file that
 * can't be read keeps its own path; the parser reports why it can't be read. */
static int procfile_set_origin(Procfile *p) {
        int r;

        r = procfile_read_origin(p->path, &p->origin);
        if (r == -ENOMEM)
                return r;
        if (r <= 0)
                p->origin = strdup(p->path);
        return p->origin ? 0 : -ENOMEM;
}

int procfile_load(const char *path, const ProcfileOptions *options, Procfile **ret, ProcfileError *ret_error) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_free_ char *absolute = NULL;
        ProcfileOptions defaults = {};
        int auto_scale;
        int r;

        if (!options)
                options = &defaults;
        r = path_make_absolute_cwd(path, &absolute);
        if (r < 0)
                return r;
        p = procfile_new(absolute);
        if (!p)
                return -ENOMEM;
        p->dev = options->dev;
        r = procfile_set_origin(p);
        if (r < 0)
                return r;

        r = procfile_add_builtins(p, options->dev);
        if (r < 0)
                return r;
        r = procfile_parse(p, options->dev, ret_error);
        if (r < 0)
                return r;

        auto_scale = options->auto_scale > 0 ? (int) options->auto_scale : procfile_auto_scale();
        r = procfile_resolve(p, auto_scale, options->default_app, ret_error);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 0;
}
