/* SPDX-License-Identifier: MIT */

/* Writes a UnitSet into an output directory: files created exclusively, links relative to it. */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-util.h"
#include "path-util.h"
#include "unit-install.h"

static int write_file_exclusive(const char *path, const char *text) {
        int fd, r;

        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        r = loop_write(fd, text, strlen(text));
        if (close(fd) < 0 && r == 0)
                r = negative_errno();
        return r;
}

/* mkdir for the directory part of a link path such as "shop.target.wants/x.service". */
static int make_parent(const char *path) {
        _cleanup_free_ char *parent = path_dirname(path);

        if (!parent)
                return -ENOMEM;
        if (mkdir(parent, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

static int fail(char **ret_failed_path, const char *path, int r) {
        if (ret_failed_path)
                *ret_failed_path = strdup(path);
        return r;
}

int unit_set_install(const UnitSet *set, const char *dir, char **ret_failed_path) {
        int r;

        /* The output directory itself may be new (--output); its parent must exist. */
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return fail(ret_failed_path, dir, negative_errno());

        for (size_t i = 0; i < set->n_files; i++) {
                _cleanup_free_ char *path = path_join_absolute(dir, set->files[i].name);

                if (!path)
                        return -ENOMEM;
                r = write_file_exclusive(path, set->files[i].text);
                if (r < 0)
                        return fail(ret_failed_path, path, r);
        }
        for (size_t i = 0; i < set->n_links; i++) {
                _cleanup_free_ char *path = path_join_absolute(dir, set->links[i].path);

                if (!path)
                        return -ENOMEM;
                r = make_parent(path);
                if (r >= 0 && symlink(set->links[i].target, path) < 0)
                        r = negative_errno();
                if (r < 0)
                        return fail(ret_failed_path, path, r);
        }
        return 0;
}

void unit_set_print(const UnitSet *set, FILE *f) {
        for (size_t i = 0; i < set->n_files; i++)
                fprintf(f, "---%s---\n%s", set->files[i].name, set->files[i].text);
        for (size_t i = 0; i < set->n_links; i++)
                fprintf(f, "%s -> %s\n", set->links[i].path, set->links[i].target);
}
