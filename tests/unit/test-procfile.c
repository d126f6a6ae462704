/* SPDX-License-Identifier: MIT */

/* The procfile model as Pandora.js 1.x resolves procfile.js: which processes start, the services each
 * runs and in which order, scale and "auto", the dev overlay, the fork and cluster sugar. Procfiles are
 * written at run time under the build directory. Settings are in test-procfile-settings.c, errors in
 * test-procfile-errors.c. */

#include "procfile-test.h"

static void test_processes_with_services_start(void **state _unused_) {
        static const char text[] =
                "processes = {\n"
                "        a = {};\n"
                "        b = {};\n"
                "};\n"
                "services = {\n"
                "        sa = { exec = \"sa\"; process = \"a\"; };\n"
                "        sb = { exec = \"sb\"; process = \"b\"; };\n"
                "};\n";
        _cleanup_(procfile_freep) Procfile *p = load(text);
        _cleanup_free_ char *with_fork = NULL;
        _cleanup_(procfile_freep) Procfile *q = NULL;

        /* The built-ins exist but only start when something needs them. */
        assert_int_equal(p->n_processes, 4);
        assert_process_order(p, STRV("worker", "background", "a", "b"));
        assert_starting(p, STRV("a", "b"));
        assert_services(process(p, "a"), STRV("sa:1"));
        assert_services(process(p, "b"), STRV("sb:1"));
        assert_int_equal(process(p, "worker")->n_services, 0);
        assert_null(process(p, "a")->argv);

        assert_true(asprintf(&with_fork, "%sfork = { c = \"./c.js\"; };\n", text) >= 0);
        q = load(with_fork);
        assert_starting(q, STRV("a", "b", "c"));
        assert_int_equal(process(q, "c")->scale, 1);
        assert_false(process(q, "c")->scale_auto);
        test_strv_equal(process(q, "c")->argv, STRV("node", "./c.js"), "c argv");
        assert_int_equal(process(q, "c")->n_services, 0);
}

static void test_dependency_weights(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "processes = { web = {}; };\n"
                "default_process = \"web\";\n"
                "services = {\n"
                "        A = { exec = \"a\"; dependencies = [ \"B\", \"C\" ]; };\n"
                "        B = { exec = \"b\"; dependencies = [ \"C\" ]; };\n"
                "        C = { exec = \"c\"; dependencies = [ \"D\" ]; };\n"
                "        D = { exec = \"d\"; };\n"
                "};\n");
        const Process *web = process(p, "web");
        const char *stop[4];

        assert_starting(p, STRV("web"));
        assert_services(web, STRV("D:1", "C:2", "B:3", "A:4"));
        /* Stopping walks the array backwards. */
        assert_int_equal(web->n_services, 4);
        for (size_t i = 0; i < web->n_services; i++)
                stop[i] = web->services[web->n_services - 1 - i].service->name;
        test_strv_equal((char **) (const char *[]) { stop[0], stop[1], stop[2], stop[3], NULL },
                        STRV("A", "B", "C", "D"), "stop order");
        /* Definition order is kept in the model itself. */
        assert_string_equal(p->services[0]->name, "A");
        assert_string_equal(p->services[3]->name, "D");
}

static void test_weights_ties_and_all(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "services = {\n"
                "        last = { exec = \"l\"; dependencies = [ \"all\" ]; };\n"
                "        y = { exec = \"y\"; };\n"
                "        z = { exec = \"z\"; dependencies = [ \"y\" ]; };\n"
                "        x = { exec = \"x\"; };\n"
                "        also_last = { exec = \"l2\"; dependencies = [ \"x\", \"all\" ]; };\n"
                "};\n");

        /* Equal weights keep file order; direct dependents of "all" go after everything else. */
        assert_services(process(p, "worker"), STRV("y:1", "x:1", "z:2", "last:3", "also_last:3"));
}

static void test_all_service(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "processes = { web = { entry = \"web\"; }; idle = {}; };\n"
                "services = {\n"
                "        log = { exec = \"log\"; process = \"all\"; };\n"
                "        api = { exec = \"api\"; process = \"web\"; dependencies = [ \"log\" ]; };\n"
                "};\n");

        /* A service on "all" starts every process, even one without an entry or services. */
        assert_starting(p, STRV("worker", "background", "web", "idle"));
        assert_services(process(p, "worker"), STRV("log:1"));
        assert_services(process(p, "background"), STRV("log:1"));
        assert_services(process(p, "idle"), STRV("log:1"));
        assert_services(process(p, "web"), STRV("log:1", "api:2"));
        assert_int_equal(process(p, "worker")->scale, 4);
        assert_true(process(p, "worker")->scale_auto);
        assert_int_equal(process(p, "background")->scale, 1);
        assert_false(process(p, "background")->scale_auto);
}

static void test_weak_all_service(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "processes = { a = { entry = \"a\"; }; b = {}; c = {}; };\n"
                "services = {\n"
                "        w = { exec = \"w\"; process = \"weak-all\"; };\n"
                "        s = { exec = \"s\"; process = \"a\"; };\n"
                "        t = { exec = \"t\"; process = \"c\"; dependencies = [ \"w\" ]; };\n"
                "};\n");

        /* weak-all joins what starts anyway and starts nothing by itself. */
        assert_starting(p, STRV("a", "c"));
        assert_services(process(p, "a"), STRV("w:1", "s:1"));
        assert_services(process(p, "c"), STRV("w:1", "t:2"));
        assert_int_equal(process(p, "b")->n_services, 0);
        assert_int_equal(process(p, "worker")->n_services, 0);
}

static void test_weak_all_with_all(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "services = {\n"
                "        strong = { exec = \"s\"; process = \"all\"; dependencies = [ \"weak\" ]; };\n"
                "        weak = { exec = \"w\"; process = \"weak-all\"; };\n"
                "};\n");

        assert_starting(p, STRV("worker", "background"));
        assert_services(process(p, "worker"), STRV("weak:1", "strong:2"));
        assert_services(process(p, "background"), STRV("weak:1", "strong:2"));
}

static void test_default_worker_count(void **state _unused_) {
        static const char text[] = "services = { s = { exec = \"s\"; }; };\n";
        _cleanup_(procfile_freep) Procfile *p = NULL, *q = NULL, *r = NULL;

        assert_int_equal(setenv("DEFAULT_WORKER_COUNT", "2", 1), 0);
        p = load_in(scratch, text, &(ProcfileOptions) {});
        assert_true(process(p, "worker")->scale_auto);
        assert_int_equal(process(p, "worker")->scale, 2);

        /* An invalid count only matters when an "auto" process starts... */
        assert_int_equal(setenv("DEFAULT_WORKER_COUNT", "x", 1), 0);
        q = load_in(scratch, "fork = { web = \"web\"; };\n", &(ProcfileOptions) {});
        assert_starting(q, STRV("web"));
        assert_false(process(q, "worker")->starts);

        /* ...and an explicit count does not read it at all. */
        r = load_in(scratch, text, &(ProcfileOptions) { .auto_scale = 3 });
        assert_int_equal(process(r, "worker")->scale, 3);
        assert_int_equal(unsetenv("DEFAULT_WORKER_COUNT"), 0);
}

static void test_auto_scale_one(const char *value, int expected) {
        if (value)
                assert_int_equal(setenv("DEFAULT_WORKER_COUNT", value, 1), 0);
        else
                assert_int_equal(unsetenv("DEFAULT_WORKER_COUNT"), 0);
        if (procfile_auto_scale() != expected)
                fail_msg("DEFAULT_WORKER_COUNT='%s': got %d, expected %d", value ?: "(unset)",
                         procfile_auto_scale(), expected);
        assert_int_equal(unsetenv("DEFAULT_WORKER_COUNT"), 0);
}

static void test_auto_scale(void **state _unused_) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        test_auto_scale_one(NULL, cpus > 0 ? (int) cpus : 1);
        test_auto_scale_one("1", 1);
        test_auto_scale_one("2", 2);
        test_auto_scale_one("65536", 65536);
        test_auto_scale_one("65537", -EINVAL);
        test_auto_scale_one("0", -EINVAL);
        test_auto_scale_one("-1", -EINVAL);
        test_auto_scale_one("x", -EINVAL);
        test_auto_scale_one("2x", -EINVAL);
        test_auto_scale_one("2 ", -EINVAL);
        test_auto_scale_one("", -EINVAL);
        test_auto_scale_one("99999999999999999999", -EINVAL);
}

static const char dev_text[] =
        "processes = {\n"
        "        web = { entry = \"web.js\"; scale = 3; };\n"
        "};\n"
        "services = {\n"
        "        s = { exec = \"s\"; process = \"web\"; config = { port = 1338; host = \"a\"; }; };\n"
        "        t = { exec = \"t\"; };\n"
        "};\n"
        "dev = {\n"
        "        env = { MODE = \"dev\"; };\n"
        "        processes = { web = { scale = 2; }; };\n"
        "        services = { s = { config = { port = 9; }; }; t = { module = \"t.so\"; }; };\n"
        "        watch = [ \"src\", \"lib/*.js\" ];\n"
        "};\n";

static void test_dev_overlay_ignored(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(dev_text);

        assert_false(p->dev);
        assert_null(p->env);
        assert_int_equal(process(p, "web")->scale, 3);
        assert_true(process(p, "worker")->scale_auto);
        assert_int_equal(process(p, "worker")->scale, 4);
        assert_string_equal(service(p, "s")->config_json, "{\"port\":1338,\"host\":\"a\"}");
        assert_int_equal(service(p, "t")->kind, SERVICE_EXEC);
        assert_null(p->watch);
}

static void test_dev_overlay_applied(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load_in(scratch, dev_text,
                                                        &(ProcfileOptions) { .dev = true, .auto_scale = 4 });
        _cleanup_free_ char *module = test_path(scratch, "t.so");

        assert_true(p->dev);
        test_strv_equal(p->env, STRV("MODE=dev"), "app env");
        assert_int_equal(process(p, "web")->scale, 2);
        /* Dev mode makes the built-in worker scale 1 rather than "auto". */
        assert_false(process(p, "worker")->scale_auto);
        assert_int_equal(process(p, "worker")->scale, 1);
        /* config merges key by key; the rest replaces. */
        assert_string_equal(service(p, "s")->config_json, "{\"port\":9,\"host\":\"a\"}");
        assert_int_equal(service(p, "t")->kind, SERVICE_MODULE);
        assert_null(service(p, "t")->argv);
        assert_string_equal(service(p, "t")->module, module);
        test_strv_equal(process(p, "web")->env, STRV("MODE=dev"), "web env");
        test_strv_equal(p->watch, STRV("src", "lib/*.js"), "watch");
}

static void test_dev_explicit_auto(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load_in(scratch,
                "processes = { worker = { scale = \"auto\"; }; };\n"
                "services = { s = { exec = \"s\"; }; };\n",
                &(ProcfileOptions) { .dev = true, .auto_scale = 5 });

        /* Only the built-in default changes in dev mode; what the file says holds. */
        assert_true(process(p, "worker")->scale_auto);
        assert_int_equal(process(p, "worker")->scale, 5);
}

static void test_cluster_sugar(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "cluster = [ \"./a.js\", \"b --x\" ];\n"
                "services = {\n"
                "        s = { exec = \"s\"; };\n"
                "        t = { exec = \"t\"; dependencies = [ \"s\" ]; };\n"
                "};\n");
        const Service *c0 = service(p, "cluster0"), *c1 = service(p, "cluster1");

        assert_int_equal(p->n_services, 4);
        assert_string_equal(p->services[0]->name, "cluster0");
        assert_string_equal(p->services[1]->name, "cluster1");
        test_strv_equal(c0->argv, STRV("node", "./a.js"), "cluster0");
        test_strv_equal(c1->argv, STRV("b", "--x"), "cluster1");
        test_strv_equal(c0->dependencies, STRV("all"), "cluster0 dependencies");
        assert_int_equal(c0->kind, SERVICE_EXEC);
        assert_null(c0->process);
        assert_int_equal(c0->line, 1);
        assert_int_equal(c1->line, 1);
        assert_string_equal(c0->file, p->path);
        /* On the default process, after everything else there. */
        assert_starting(p, STRV("worker"));
        assert_services(process(p, "worker"), STRV("s:1", "t:2", "cluster0:3", "cluster1:3"));
}

static void test_cluster_on_default_process(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "default_process = \"web\";\n"
                "processes = { web = {}; };\n"
                "cluster = [ \"c\" ];\n"
                "services = { s = { exec = \"s\"; }; };\n");

        assert_starting(p, STRV("web"));
        assert_string_equal(p->default_process, "web");
        assert_services(process(p, "web"), STRV("s:1", "cluster0:2"));
}

static void test_fork_sugar(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "fork = { web = \"./web.js\"; worker = \"w\"; };\n"
                "processes = {\n"
                "        zero = { entry = \"z\"; scale = 0; };\n"
                "        big = { entry = \"b\"; scale = 64; };\n"
                "};\n");

        assert_starting(p, STRV("worker", "web", "zero", "big"));
        assert_int_equal(process(p, "web")->scale, 1);
        assert_false(process(p, "web")->scale_auto);
        test_strv_equal(process(p, "web")->entry, STRV("node", "./web.js"), "web");
        /* fork over the built-in worker replaces "auto" with 1 */
        assert_false(process(p, "worker")->scale_auto);
        assert_int_equal(process(p, "worker")->scale, 1);
        test_strv_equal(process(p, "worker")->argv, STRV("w"), "worker");
        /* scale 0 is allowed and still "starts" (the units exist, no instance runs) */
        assert_int_equal(process(p, "zero")->scale, 0);
        assert_int_equal(process(p, "big")->scale, 64);
}

static void test_process_order(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "processes = {\n"
                "        late = { entry = \"l\"; order = 2; };\n"
                "        early = { entry = \"e\"; order = -1; };\n"
                "        plain = { entry = \"p\"; };\n"
                "        same = { entry = \"s\"; order = 0; };\n"
                "        later = { entry = \"l2\"; order = 2; };\n"
                "        background = { order = 1; };\n"
                "};\n");

        /* Stable: ties keep definition order, and the built-ins are defined first. */
        assert_process_order(p, STRV("early", "worker", "plain", "same", "background", "late", "later"));
        assert_starting(p, STRV("early", "plain", "same", "late", "later"));
        assert_int_equal(process(p, "early")->order, -1);
}

static void test_failed_load_leaves_outputs(void **state _unused_) {
        _cleanup_free_ char *path = test_write(scratch, "procfile", "scale = 1;\n");
        Procfile *p = NULL;

        /* Without an error to fill in, the result is still just the errno. */
        assert_int_equal(procfile_load(path, NULL, &p, NULL), -EINVAL);
        assert_null(p);
}

static void test_installed_copy_keeps_origin(void **state _unused_) {
        _cleanup_free_ char *site = test_mkdir(scratch, "site"), *copies = test_mkdir(scratch, "copies");
        _cleanup_free_ char *origin = test_path(site, "procfile"), *text = NULL;
        _cleanup_free_ char *lib = test_path(site, "lib/cache.so");
        _cleanup_(procfile_freep) Procfile *p = NULL;

        /* An older mark is overridden by the last one, as when a copy is copied again. */
        assert_true(asprintf(&text, "processes = { web = { entry = \"./web.js\"; }; };\n"
                             "services = { cache = { module = \"lib/cache.so\"; process = \"web\"; }; };\n"
                             PROCFILE_ORIGIN_MARK "/elsewhere/procfile\n"
                             PROCFILE_ORIGIN_MARK "relative/ignored\n"
                             PROCFILE_ORIGIN_MARK "%s\n", origin) >= 0);
        p = load_in(copies, text, &(ProcfileOptions) { .auto_scale = 4 });

        assert_string_equal(p->origin, origin);
        assert_string_equal(p->dir, site);
        assert_string_equal(p->app, "site");
        assert_string_equal(service(p, "cache")->module, lib);
        /* Entries stay as written: they run in the origin's directory (WorkingDirectory=). */
        test_strv_equal(process(p, "web")->argv, STRV("node", "./web.js"), "argv");
}

static void test_origin_of_plain_file(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load("processes = { web = { entry = \"/bin/true\"; }; };\n");
        _cleanup_free_ char *origin = NULL;

        assert_string_equal(p->origin, p->path);
        assert_int_equal(procfile_read_origin(p->path, &origin), 0);
        assert_null(origin);
        assert_int_equal(procfile_read_origin("/nonexistent/procfile", &origin), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_processes_with_services_start),
                cmocka_unit_test(test_dependency_weights),
                cmocka_unit_test(test_weights_ties_and_all),
                cmocka_unit_test(test_all_service),
                cmocka_unit_test(test_weak_all_service),
                cmocka_unit_test(test_weak_all_with_all),
                cmocka_unit_test(test_default_worker_count),
                cmocka_unit_test(test_auto_scale),
                cmocka_unit_test(test_dev_overlay_ignored),
                cmocka_unit_test(test_dev_overlay_applied),
                cmocka_unit_test(test_dev_explicit_auto),
                cmocka_unit_test(test_cluster_sugar),
                cmocka_unit_test(test_cluster_on_default_process),
                cmocka_unit_test(test_fork_sugar),
                cmocka_unit_test(test_process_order),
                cmocka_unit_test(test_failed_load_leaves_outputs),
                cmocka_unit_test(test_installed_copy_keeps_origin),
                cmocka_unit_test(test_origin_of_plain_file),
        };
        return cmocka_run_group_tests_name("procfile", tests, procfile_test_setup,
                                           procfile_test_teardown);
}
