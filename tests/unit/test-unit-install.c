/* SPDX-License-Identifier: MIT */

/* unit_set_install(): every file created exclusively with its text, every link with its .wants/ directory
 * and its target, and on failure the errno and the path that failed, absolute. unit_set_unit_names() of
 * the same set: each unit it makes loadable once, sorted. generator_unit_names() and
 * generator_shared_name(): the names two apps would both make. unit_render() of an app without links. */

#include <errno.h>

#include "test-util.h"

#include "common/strv.h"
#include "generator/generator.h"
#include "generator/unit-install.h"

static char *scratch;

static UnitFile files[] = {
        { .name = "shop-web@.service", .text = "[Service]\nExecStart=/bin/web\n" },
        { .name = "shop.target", .text = "[Unit]\nDescription=shop\n" },
};

/* Two parents, the second one twice and then the first again: each link still lands in its own. */
static UnitLink links[] = {
        { .path = "multi-user.target.wants/shop.target", .target = "../shop.target" },
        { .path = "shop.target.wants/shop-web@1.service", .target = "../shop-web@.service" },
        { .path = "shop.target.wants/shop-web@2.service", .target = "../shop-web@.service" },
        { .path = "multi-user.target.wants/other.target", .target = "../other.target" },
};

static const UnitSet set = { .files = files, .n_files = 2, .links = links, .n_links = 4 };

static char *read_text(const char *dir, const char *name) {
        _cleanup_free_ char *path = test_path(dir, name);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *text = calloc(1, 4096);

        assert_non_null(f);
        assert_non_null(text);
        assert_true(fread(text, 1, 4095, f) > 0);
        return text;
}

static char *read_link(const char *dir, const char *name) {
        _cleanup_free_ char *path = test_path(dir, name);
        char *target = calloc(1, PATH_MAX);

        assert_non_null(target);
        assert_true(readlink(path, target, PATH_MAX - 1) > 0);
        return target;
}

static void test_files_and_links(void **state _unused_) {
        _cleanup_free_ char *out = test_path(scratch, "new-output"), *failed = NULL;

        /* The output directory itself is made (--output). */
        assert_int_equal(unit_set_install(&set, out, &failed), 0);
        assert_null(failed);
        for (size_t i = 0; i < set.n_files; i++) {
                _cleanup_free_ char *text = read_text(out, files[i].name);

                assert_string_equal(text, files[i].text);
        }
        for (size_t i = 0; i < set.n_links; i++) {
                _cleanup_free_ char *target = read_link(out, links[i].path);

                assert_string_equal(target, links[i].target);
        }
}

static void assert_fails_at(const char *out, int expected_errno, const char *expected_path) {
        _cleanup_free_ char *failed = NULL;

        assert_int_equal(unit_set_install(&set, out, &failed), -expected_errno);
        assert_non_null(failed);
        assert_string_equal(failed, expected_path);
}

static void test_existing_file_named(void **state _unused_) {
        _cleanup_free_ char *out = test_mkdir(scratch, "file-exists");
        _cleanup_free_ char *existing = test_write(out, "shop.target", "mine\n");
        _cleanup_free_ char *text = NULL;

        assert_fails_at(out, EEXIST, existing);
        /* Never written over. */
        text = read_text(out, "shop.target");
        assert_string_equal(text, "mine\n");
}

static void test_existing_link_named(void **state _unused_) {
        _cleanup_free_ char *out = test_mkdir(scratch, "link-exists");
        _cleanup_free_ char *wants = test_mkdir(out, "shop.target.wants");
        _cleanup_free_ char *existing = test_write(wants, "shop-web@2.service", "");

        assert_fails_at(out, EEXIST, existing);
}

static void test_missing_parent_named(void **state _unused_) {
        _cleanup_free_ char *out = test_path(scratch, "no/such/dir");

        assert_fails_at(out, ENOENT, out);
}

static void test_unit_names(void **state _unused_) {
        _cleanup_strv_free_ char **names = NULL;
        const char *expected[] = { "other.target", "shop-web@1.service", "shop-web@2.service", "shop.target" };

        /* shop.target is both a file and the autostart link's name: listed once. */
        assert_int_equal(unit_set_unit_names(&set, &names), 0);
        assert_int_equal(strv_length(names), ELEMENTSOF(expected));
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                assert_string_equal(names[i], expected[i]);
}

/* Loads and renders text as dir/NAME.procfile, as generator mode would (the app is NAME unless set). */
static UnitSet *render(const char *name, const char *text) {
        _cleanup_free_ char *file = NULL, *path = NULL;
        _cleanup_(procfile_freep) Procfile *p = NULL;
        ProcfileError e = {};
        UnitSet *rendered = NULL;

        assert_true(asprintf(&file, "%s.procfile", name) >= 0);
        path = test_write(scratch, file, text);
        if (procfile_load(path, &(ProcfileOptions) { .default_app = name, .auto_scale = 1 }, &p, &e) < 0) {
                _cleanup_free_ char *message = procfile_error_to_string(&e);

                procfile_error_done(&e);
                fail_msg("%s", message ?: "out of memory");
        }
        assert_int_equal(unit_render(p, &(RenderOptions) { .agent_path = "/usr/bin/pandora-agent" }, &rendered), 0);
        return rendered;
}

static bool has_file(const UnitSet *s, const char *name) {
        for (size_t i = 0; i < s->n_files; i++)
                if (streq(s->files[i].name, name))
                        return true;
        return false;
}

/* Only scale-0 groups: a target and a template (and whatever helpers the app gets), no link at all, and
 * qsort() is never handed NULL, which UBSan reports. */
static void test_render_without_links(void **state _unused_) {
        _cleanup_(unit_set_freep) UnitSet *idle = render("idle", "processes = { web = { entry = \"w\"; scale = 0; "
                                                        "listen = [ \"8080\" ]; }; };\n");
        _cleanup_strv_free_ char **loadable = NULL, **names = NULL;

        assert_int_equal(idle->n_links, 0);
        assert_null(idle->links);
        assert_true(has_file(idle, "idle-web@.socket"));      /* a socket per instance: a template */
        assert_true(has_file(idle, "idle-web@.service"));
        assert_true(has_file(idle, "idle.target"));
        for (size_t i = 1; i < idle->n_files; i++)
                assert_true(strcmp(idle->files[i - 1].name, idle->files[i].name) < 0);
        assert_int_equal(unit_set_unit_names(idle, &loadable), 0);
        assert_non_null(strv_find(loadable, "idle.target"));
        assert_null(strv_find(loadable, "idle-web@1.service"));
        assert_null(strv_find(loadable, "idle-web@1.socket"));
        /* Every file, the template too, each once, sorted. */
        assert_int_equal(generator_unit_names(idle, &names), 0);
        assert_int_equal(strv_length(names), idle->n_files);
        for (size_t i = 0; i < idle->n_files; i++)
                assert_string_equal(names[i], idle->files[i].name);
}

/* The audit's pair: app a with process b-c and app a-b with process c both make a-b-c@.service. */
static void test_shared_names(void **state _unused_) {
        _cleanup_(unit_set_freep) UnitSet *a = render("a", "processes = { b-c = { entry = \"w\"; scale = 2; }; };\n");
        _cleanup_(unit_set_freep) UnitSet *ab = render("a-b", "processes = { c = { entry = \"w\"; }; };\n");
        _cleanup_(unit_set_freep) UnitSet *other = render("a-bc", "processes = { d = { entry = \"w\"; }; };\n");
        _cleanup_strv_free_ char **na = NULL, **nab = NULL, **nother = NULL;

        assert_int_equal(generator_unit_names(a, &na), 0);
        assert_int_equal(generator_unit_names(ab, &nab), 0);
        assert_int_equal(generator_unit_names(other, &nother), 0);
        /* The instances, named by the target's links, are names too. */
        assert_non_null(strv_find(na, "a-b-c@1.service"));
        assert_non_null(strv_find(na, "a-b-c@2.service"));
        assert_non_null(strv_find(na, "a.target"));
        assert_string_equal(generator_shared_name(na, nab), "a-b-c@.service");
        assert_string_equal(generator_shared_name(nab, na), "a-b-c@.service");
        assert_null(generator_shared_name(na, nother));
        assert_null(generator_shared_name(nab, nother));
        assert_null(generator_shared_name(na, NULL));
}

static int setup(void **state _unused_) {
        scratch = test_dir_new("test-unit-install");
        return 0;
}

static int teardown(void **state _unused_) {
        test_dir_free(TAKE_PTR(scratch));
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_files_and_links),
                cmocka_unit_test(test_existing_file_named),
                cmocka_unit_test(test_existing_link_named),
                cmocka_unit_test(test_missing_parent_named),
                cmocka_unit_test(test_unit_names),
                cmocka_unit_test(test_render_without_links),
                cmocka_unit_test(test_shared_names),
        };
        return cmocka_run_group_tests_name("unit-install", tests, setup, teardown);
}
