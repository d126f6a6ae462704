/* SPDX-License-Identifier: MIT */
#pragma once

/* What the procfile model's tests share: loading a procfile written at run time into the group's scratch
 * directory, and assertions that print what they found. */

#include "test-util.h"

#include "common/procfile/procfile.h"
#include "common/strv.h"

static char *scratch;   /* the group's scratch directory, absolute */

static inline void fail_with_error(int r, ProcfileError *e) {
        _cleanup_free_ char *s = procfile_error_to_string(e);

        procfile_error_done(e);
        fail_msg("procfile_load() = %d: %s", r, s ?: "(null)");
}

/* Writes text as dir/procfile and loads it; the test fails unless that succeeds. */
static inline Procfile *load_in(const char *dir, const char *text, const ProcfileOptions *options) {
        _cleanup_free_ char *path = test_write(dir, "procfile", text);
        ProcfileError e = {};
        Procfile *p = NULL;
        int r;

        r = procfile_load(path, options, &p, &e);
        if (r < 0)
                fail_with_error(r, &e);
        assert_non_null(p);
        assert_null(e.message);
        assert_string_equal(p->path, path);
        return p;
}

/* Loads text from dir/procfile and checks the result is expected_r with exactly the expected error. */
static inline void error_in(const char *dir, const char *text, const ProcfileOptions *options, int expected_r,
                                   unsigned line, const char *expected) {
        _cleanup_free_ char *path = test_write(dir, "procfile", text);
        _cleanup_free_ char *want = test_expand(expected, path), *got = NULL;
        ProcfileError e = {};
        Procfile *p = NULL;
        int r;

        r = procfile_load(path, options, &p, &e);
        got = procfile_error_to_string(&e);
        assert_non_null(got);
        if (r != expected_r || strcmp(got, want) != 0 || e.line != line) {
                print_error("procfile:\n%s\n", text);
                print_error("expected %d, line %u: %s\n", expected_r, line, want);
                print_error("got      %d, line %u: %s\n", r, e.line, got);
                procfile_error_done(&e);
                procfile_free(p);
                fail();
        }
        assert_null(p);
        procfile_error_done(&e);
        assert_null(e.message);
}

/* Loads text with "auto" fixed at 4 and without dev mode. */
static inline Procfile *load(const char *text) {
        return load_in(scratch, text, &(ProcfileOptions) { .auto_scale = 4 });
}

static inline Process *process(const Procfile *p, const char *name) {
        Process *process = procfile_find_process(p, name);

        if (!process)
                fail_msg("no process '%s'", name);
        return process;
}

static inline Service *service(const Procfile *p, const char *name) {
        Service *service = procfile_find_service(p, name);

        if (!service)
                fail_msg("no service '%s'", name);
        return service;
}

/* The processes that start, in the model's (sorted) order. */
static inline void assert_starting(const Procfile *p, const char * const *expected) {
        _cleanup_free_ char **names = calloc(p->n_processes + 1, sizeof(char *));
        size_t n = 0;

        assert_non_null(names);
        for (size_t i = 0; i < p->n_processes; i++)
                if (p->processes[i]->starts)
                        names[n++] = p->processes[i]->name;
        test_strv_equal(names, expected, "starting processes");
}

/* Every process of the model, started or not, in the model's order. */
static inline void assert_process_order(const Procfile *p, const char * const *expected) {
        _cleanup_free_ char **names = calloc(p->n_processes + 1, sizeof(char *));

        assert_non_null(names);
        for (size_t i = 0; i < p->n_processes; i++)
                names[i] = p->processes[i]->name;
        test_strv_equal(names, expected, "process order");
}

/* The services of a process in start order, each with its weight: "name:weight". */
static inline void assert_services(const Process *process, const char * const *expected) {
        _cleanup_strv_free_ char **got = calloc(process->n_services + 1, sizeof(char *));

        assert_non_null(got);
        for (size_t i = 0; i < process->n_services; i++)
                assert_true(asprintf(&got[i], "%s:%u", process->services[i].service->name,
                                     process->services[i].weight) >= 0);
        test_strv_equal(got, expected, process->name);
}

static inline int procfile_test_setup(void **state _unused_) {
        scratch = test_dir_new("test-procfile");
        return unsetenv("DEFAULT_WORKER_COUNT");
}

static inline int procfile_test_teardown(void **state _unused_) {
        test_dir_free(TAKE_PTR(scratch));
        return 0;
}
