/* SPDX-License-Identifier: MIT */

/* procfile_load(): the one way a procfile becomes a model. It runs the three steps in order, each in
 * a file of its own: the built-in processes (procfile.c), the parser with the dev overlay (parse.c),
 * and Pandora.js resolution (resolve.c). Also what only loading needs: reading a file safely (never
 * blocking on a FIFO or a device, never more than PROCFILE_SIZE_MAX), the path normalised, the installed
 * copy's origin mark and `auto` scale. Never logs: errors come back located in a ProcfileError. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io-util.h"
#include "common/path-util.h"
#include "common/procfile/foreign.h"
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

static int read_text_error(ProcfileError *e, const char *path, int r, const char *message) {
        int k;

        k = procfile_error_set(e, path, 0, NULL, "%s", message ?: strerror(-r));
        return k == -ENOMEM ? k : r;
}

int procfile_read_text(const char *path, char **ret, size_t *ret_size, ProcfileError *e) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t size;
        int r;

        /* O_NONBLOCK: opening a FIFO with no writer would wait for one. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return read_text_error(e, path, negative_errno(), NULL);
        if (fstat(fd, &st) < 0)
                return read_text_error(e, path, negative_errno(), NULL);
        if (S_ISDIR(st.st_mode))
                return read_text_error(e, path, -EISDIR, NULL);
        if (!S_ISREG(st.st_mode))
                return read_text_error(e, path, -EBADFD, "not a regular file");
        if ((uintmax_t) st.st_size > PROCFILE_SIZE_MAX)
                return read_text_error(e, path, -EFBIG, "larger than 16 MiB, the most a procfile may be");
        /* A file that grows while it is read stops at twice the limit, and is refused below. */
        r = read_full_fd(fd, 2 * PROCFILE_SIZE_MAX, &text, &size);
        if (r == -EBADMSG || (r >= 0 && size > PROCFILE_SIZE_MAX))
                return read_text_error(e, path, -EFBIG, "larger than 16 MiB, the most a procfile may be");
        if (r < 0)
                return read_text_error(e, path, r, NULL);
        *ret = TAKE_PTR(text);
        *ret_size = size;
        return 0;
}

char *procfile_path_normalize(const char *absolute) {
        size_t n = strlen(absolute), out = 0;
        char *result = malloc(n + 2);

        if (!result)
                return NULL;
        for (const char *p = absolute; *p; ) {
                size_t k;

                p += strspn(p, "/");
                k = strcspn(p, "/");
                if (k == 0 || (k == 1 && p[0] == '.')) {
                        p += k;
                        continue;
                }
                if (k == 2 && p[0] == '.' && p[1] == '.') {
                        /* Back to the previous slash; "/.." is "/". */
                        while (out > 0 && result[out - 1] != '/')
                                out--;
                        if (out > 0)
                                out--;
                        p += k;
                        continue;
                }
                result[out++] = '/';
                memcpy(result + out, p, k);
                out += k;
                p += k;
        }
        if (out == 0)
                result[out++] = '/';
        result[out] = '\0';
        return result;
}

/* The origin an installed copy names: the last PROCFILE_ORIGIN_MARK line that holds an absolute path.
 * Returns 1 and sets *ret, 0 when there is none, or -ENOMEM. */
static int origin_from_text(const char *text, size_t size, char **ret) {
        size_t mark = strlen(PROCFILE_ORIGIN_MARK);
        const char *found = NULL;
        size_t found_length = 0;

        for (const char *line = text, *end = text + size; line < end; ) {
                const char *newline = memchr(line, '\n', end - line);
                size_t length = (newline ?: end) - line;

                if (length > mark && strncmp(line, PROCFILE_ORIGIN_MARK, mark) == 0 && line[mark] == '/') {
                        found = line + mark;
                        found_length = length - mark;
                }
                line += length + 1;
        }
        if (!found)
                return 0;
        *ret = strndup(found, found_length);
        return *ret ? 1 : -ENOMEM;
}

int procfile_read_origin(const char *path, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        r = procfile_read_text(path, &text, &size, NULL);
        if (r < 0)
                return r;
        return origin_from_text(text, size, ret);
}

/* The origin of the file at p->path: what its origin mark names, else the file itself; normalised, as
 * the path is, since relative paths in the procfile are taken from its directory. */
static int procfile_set_origin(Procfile *p, const char *text, size_t size) {
        _cleanup_free_ char *marked = NULL;
        int r;

        r = origin_from_text(text, size, &marked);
        if (r < 0)
                return r;
        p->origin = procfile_path_normalize(marked ?: p->path);
        return p->origin ? 0 : -ENOMEM;
}

int procfile_load(const char *path, const ProcfileOptions *options, Procfile **ret, ProcfileError *ret_error) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_free_ char *absolute = NULL, *normalized = NULL, *text = NULL;
        ProcfileOptions defaults = {};
        size_t size;
        int auto_scale;
        int r;

        if (!options)
                options = &defaults;
        r = path_make_absolute_cwd(path, &absolute);
        if (r < 0)
                return r;
        normalized = procfile_path_normalize(absolute);
        if (!normalized)
                return -ENOMEM;
        p = procfile_new(normalized);
        if (!p)
                return -ENOMEM;
        p->dev = options->dev;
        r = procfile_read_text(p->path, &text, &size, ret_error);
        if (r < 0)
                return r;
        r = procfile_set_origin(p, text, size);
        if (r < 0)
                return r;

        r = procfile_add_builtins(p, options->dev);
        if (r < 0)
                return r;
        r = procfile_parse(p, text, size, options->dev, ret_error);
        /* A procfile.js fails at line 1: say what it is and how to convert it instead. */
        if (r == -EINVAL && procfile_is_pandora_js(p->path, text, size))
                return procfile_error_pandora_js(ret_error, p->path, path);
        if (r < 0)
                return r;

        auto_scale = options->auto_scale > 0 ? (int) options->auto_scale : procfile_auto_scale();
        r = procfile_resolve(p, auto_scale, options->default_app, ret_error);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 0;
}
