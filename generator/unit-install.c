/* SPDX-License-Identifier: MIT */

/* Writes a UnitSet into an output directory: files created exclusively, links relative to it. */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io-util.h"
#include "common/path-util.h"
#include "generator/unit-install.h"

static int write_file_exclusive(int dir_fd, const char *name, const char *text) {
        int fd, r;

        fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        r = loop_write(fd, text, strlen(text));
        if (close(fd) < 0 && r == 0)
                r = negative_errno();
        return r;
}

/* The link at path, relative to dir_fd, with its parent such as "shop.target.wants" made unless it is
 * the parent of the previous link (*made_parent): links of one target come in a row, and a thousand
 * failing mkdir() calls are a measurable part of a large app's cost. */
static int write_link(int dir_fd, const UnitLink *link, char **made_parent) {
        _cleanup_free_ char *parent = path_dirname(link->path);

        if (!parent)
                return -ENOMEM;
        if (!*made_parent || !streq(parent, *made_parent)) {
                if (mkdirat(dir_fd, parent, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                free(*made_parent);
                *made_parent = TAKE_PTR(parent);
        }
        if (symlinkat(link->target, dir_fd, link->path) < 0)
                return negative_errno();
        return 0;
}

static int fail(char **ret_failed_path, const char *dir, const char *name, int r) {
        if (ret_failed_path)
                *ret_failed_path = name ? path_join_absolute(dir, name) : strdup(dir);
        return r;
}

int unit_set_install(const UnitSet *set, const char *dir, char **ret_failed_path) {
        _cleanup_close_ int dir_fd = -EBADF;
        _cleanup_free_ char *made_parent = NULL;
        int r;

        /* The output directory itself may be new (--output); its parent must exist. */
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return fail(ret_failed_path, dir, NULL, negative_errno());
        /* Names relative to one directory fd: no path walk per file. */
        dir_fd = open(dir, O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return fail(ret_failed_path, dir, NULL, negative_errno());

        for (size_t i = 0; i < set->n_files; i++) {
                r = write_file_exclusive(dir_fd, set->files[i].name, set->files[i].text);
                if (r < 0)
                        return fail(ret_failed_path, dir, set->files[i].name, r);
        }
        for (size_t i = 0; i < set->n_links; i++) {
                r = write_link(dir_fd, &set->links[i], &made_parent);
                if (r < 0)
                        return fail(ret_failed_path, dir, set->links[i].path, r);
        }
        return 0;
}

void unit_set_print(const UnitSet *set, FILE *f) {
        for (size_t i = 0; i < set->n_files; i++)
                fprintf(f, "---%s---\n%s", set->files[i].name, set->files[i].text);
        for (size_t i = 0; i < set->n_links; i++)
                fprintf(f, "%s -> %s\n", set->links[i].path, set->links[i].target);
}
