/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers the unit tests share: a scratch directory under the working directory (the build dir, never
 * /tmp), procfiles written into it at run time, and string comparisons that say which case failed. */

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/macro.h"

/* Creates ./PREFIX.XXXXXX under the working directory and returns its absolute path. */
static inline char *test_dir_new(const char *prefix) {
        char template[PATH_MAX];
        char *dir;

        snprintf(template, sizeof(template), "./%s.XXXXXX", prefix);
        assert_non_null(mkdtemp(template));
        dir = realpath(template, NULL);
        assert_non_null(dir);
        return dir;
}

static inline int test_remove_one(const char *path, const struct stat *st _unused_, int flag _unused_,
                                  struct FTW *ftw _unused_) {
        return remove(path);
}

/* Removes dir and everything under it, and frees the string. */
static inline void test_dir_free(char *dir) {
        if (!dir)
                return;
        assert_int_equal(nftw(dir, test_remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
        free(dir);
}

/* Returns dir/name, newly allocated. */
static inline char *test_path(const char *dir, const char *name) {
        char *path;

        assert_true(asprintf(&path, "%s/%s", dir, name) >= 0);
        return path;
}

/* Creates dir/name (and nothing above it) as a directory; returns its path. */
static inline char *test_mkdir(const char *dir, const char *name) {
        char *path = test_path(dir, name);

        assert_int_equal(mkdir(path, 0755), 0);
        return path;
}

/* Writes text to dir/name, replacing what was there; returns the file's path. */
static inline char *test_write(const char *dir, const char *name, const char *text) {
        char *path = test_path(dir, name);
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
        return path;
}

/* Returns s with every "@F@" replaced by file, newly allocated. */
static inline char *test_expand(const char *s, const char *file) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        assert_non_null(f);
        for (const char *p = s; *p;) {
                if (strncmp(p, "@F@", 3) == 0) {
                        fputs(file, f);
                        p += 3;
                } else
                        fputc(*p++, f);
        }
        assert_int_equal(fclose(f), 0);
        return out;
}

/* Fails with both vectors printed unless they hold the same strings; expected is NULL-terminated. */
static inline void test_strv_equal(char * const *got, const char * const *expected, const char *what) {
        size_t i = 0;

        for (; got && got[i] && expected[i]; i++)
                if (strcmp(got[i], expected[i]) != 0)
                        break;
        if ((got ? got[i] : NULL) == NULL && expected[i] == NULL)
                return;
        print_error("%s: vectors differ at word %zu\n  expected:", what, i);
        for (size_t j = 0; expected[j]; j++)
                print_error(" '%s'", expected[j]);
        print_error("\n  got:     ");
        for (size_t j = 0; got && got[j]; j++)
                print_error(" '%s'", got[j]);
        print_error("%s\n", got ? "" : " (NULL)");
        fail();
}

#define STRV(...) ((const char * const[]) { __VA_ARGS__, NULL })
