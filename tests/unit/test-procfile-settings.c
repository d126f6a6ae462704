/* SPDX-License-Identifier: MIT */

/* The procfile's settings as the model keeps them: env merging, entry and exec splitting, process and
 * service settings with their defaults, paths made absolute, the app's default name, @include. */

#include "procfile-test.h"

static void test_env_merge_order(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "env = { A = \"app\"; B = \"app\"; worker = \"app\"; background = \"app\"; };\n"
                "processes = {\n"
                "        worker = {\n"
                "                env = { B = \"own\"; C = 3; D = 0.1; E = true; F = false; G = -7;\n"
                "                        H = 12345678901L; worker = \"mine\"; I = \"\"; J = 2.5e-7; };\n"
                "        };\n"
                "        web = { entry = \"web\"; env = { B = \"web\"; }; };\n"
                "};\n"
                "services = { s = { exec = \"s\"; process = \"all\"; }; };\n");

        test_strv_equal(p->env, STRV("A=app", "B=app", "worker=app", "background=app"), "app env");
        /* app < built-in < own; a variable keeps the place of its first definition. */
        test_strv_equal(process(p, "worker")->env,
                        STRV("A=app", "B=own", "worker=mine", "background=app", "C=3", "D=0.1", "E=true",
                             "F=false", "G=-7", "H=12345678901", "I=", "J=2.5e-07"),
                        "worker env");
        test_strv_equal(process(p, "background")->env,
                        STRV("A=app", "B=app", "worker=app", "background=true"), "background env");
        test_strv_equal(process(p, "web")->env,
                        STRV("A=app", "B=web", "worker=app", "background=app"), "web env");
}

static void test_env_without_app_env(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "processes = {\n"
                "        web = { entry = \"web\"; };\n"
                "        api = { entry = \"api\"; env = { X = 1; }; };\n"
                "};\n"
                "services = { s = { exec = \"s\"; process = \"background\"; }; };\n");

        assert_null(p->env);
        assert_null(process(p, "web")->env);
        test_strv_equal(process(p, "api")->env, STRV("X=1"), "api env");
        test_strv_equal(process(p, "background")->env, STRV("background=true"), "background env");
}

static void test_entry_splitting(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "processes = {\n"
                "        js = { entry = \"./app.js --port 80\"; args = [ \"--b\", \"c d\" ]; };\n"
                "        mjs = { entry = \"server.mjs\"; };\n"
                "        cjs = { entry = \"/srv/x.cjs 'a b' \\\"c \\\\\\\"d\\\\\\\"\\\"\"; };\n"
                "        py = { entry = \"  python3\\t'my app.py'  \"; args = []; };\n"
                "        bare = { entry = \".js\"; };\n"
                "        upper = { entry = \"app.JS\"; };\n"
                "        notfirst = { entry = \"run app.js\"; };\n"
                "        empty = { entry = \"a '' b\"; };\n"
                "};\n"
                "fork = { f = \"f.js x\"; };\n"
                "services = {\n"
                "        e = { exec = \"x.cjs 'a b'\"; };\n"
                "        g = { exec = \"a\\\\ b c\\\\\\\\d\"; };\n"
                "};\n");
        const Process *js = process(p, "js");

        test_strv_equal(js->entry, STRV("node", "./app.js", "--port", "80"), "js entry");
        test_strv_equal(js->args, STRV("--b", "c d"), "js args");
        test_strv_equal(js->argv, STRV("node", "./app.js", "--port", "80", "--b", "c d"), "js argv");
        test_strv_equal(process(p, "mjs")->argv, STRV("node", "server.mjs"), "mjs");
        test_strv_equal(process(p, "cjs")->argv, STRV("node", "/srv/x.cjs", "a b", "c \"d\""), "cjs");
        test_strv_equal(process(p, "py")->argv, STRV("python3", "my app.py"), "py");
        test_strv_equal(process(p, "bare")->argv, STRV(".js"), "bare");
        test_strv_equal(process(p, "upper")->argv, STRV("app.JS"), "upper");
        test_strv_equal(process(p, "notfirst")->argv, STRV("run", "app.js"), "notfirst");
        test_strv_equal(process(p, "empty")->argv, STRV("a", "", "b"), "empty word");
        test_strv_equal(process(p, "f")->argv, STRV("node", "f.js", "x"), "fork");
        test_strv_equal(service(p, "e")->argv, STRV("node", "x.cjs", "a b"), "exec");
        test_strv_equal(service(p, "g")->argv, STRV("a b", "c\\d"), "exec backslashes");
        assert_int_equal(service(p, "e")->kind, SERVICE_EXEC);
        assert_null(service(p, "e")->module);
}

static void test_process_settings(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "processes = {\n"
                "        plain = { entry = \"p\"; };\n"
                "        full = {\n"
                "                entry = \"f\";\n"
                "                restart = \"always\";\n"
                "                restart_delay_ms = 0;\n"
                "                restart_burst = 7;\n"
                "                restart_interval_s = 8;\n"
                "                stop_timeout_ms = 1;\n"
                "                watchdog_ms = 3000;\n"
                "                user = \"u\";\n"
                "                group = \"g\";\n"
                "                listen = [ \"8080\", \"127.0.0.1:80\", \"[::1]:80\", \"/run/x.sock\",\n"
                "                           \"0.0.0.0:65535\", \"[fe80::1:2]:1\" ];\n"
                "        };\n"
                "        off = { entry = \"o\"; restart = \"no\"; listen = []; };\n"
                "};\n");
        const Process *plain = process(p, "plain"), *full = process(p, "full");

        assert_int_equal(plain->restart, RESTART_ON_FAILURE);
        assert_int_equal(plain->restart_delay_ms, 0);
        assert_int_equal(plain->restart_burst, 60);
        assert_int_equal(plain->restart_interval_s, 60);
        assert_int_equal(plain->stop_timeout_ms, 5000);
        assert_int_equal(plain->watchdog_ms, 0);
        assert_int_equal(plain->scale, 1);
        assert_int_equal(plain->order, 0);
        assert_null(plain->user);
        assert_null(plain->group);
        assert_null(plain->listen);
        assert_null(plain->args);

        assert_int_equal(full->restart, RESTART_ALWAYS);
        assert_int_equal(full->restart_delay_ms, 0);
        assert_int_equal(full->restart_burst, 7);
        assert_int_equal(full->restart_interval_s, 8);
        assert_int_equal(full->stop_timeout_ms, 1);
        assert_int_equal(full->watchdog_ms, 3000);
        assert_string_equal(full->user, "u");
        assert_string_equal(full->group, "g");
        test_strv_equal(full->listen, STRV("8080", "127.0.0.1:80", "[::1]:80", "/run/x.sock",
                                           "0.0.0.0:65535", "[fe80::1:2]:1"), "listen");
        assert_int_equal(process(p, "off")->restart, RESTART_NO);
        test_strv_equal(process(p, "off")->listen, STRV(NULL), "empty listen");
        assert_int_equal(full->line, 3);
        assert_string_equal(full->file, p->path);
        assert_int_equal(process(p, "worker")->line, 0);
        assert_null(process(p, "worker")->file);
}

static void test_service_settings(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "services = {\n"
                "        plain = { exec = \"p\"; };\n"
                "        full = {\n"
                "                module = \"lib/full.so\";\n"
                "                process = \"background\";\n"
                "                dependencies = [];\n"
                "                ready = \"notify\";\n"
                "                stop_timeout_ms = 250;\n"
                "                config = { list = ( 1, \"two\", [ 3.5 ], { four = true; } ); };\n"
                "        };\n"
                "        started = { exec = \"s\"; ready = \"started\"; };\n"
                "};\n");
        const Service *plain = service(p, "plain"), *full = service(p, "full");
        _cleanup_free_ char *module = test_path(scratch, "lib/full.so");

        assert_int_equal(plain->ready, SERVICE_READY_STARTED);
        assert_int_equal(plain->stop_timeout_ms, 0);
        assert_null(plain->config);
        assert_string_equal(plain->config_json, "{}");
        assert_null(plain->process);
        assert_null(plain->dependencies);
        assert_int_equal(plain->line, 2);
        assert_string_equal(plain->file, p->path);

        assert_int_equal(full->kind, SERVICE_MODULE);
        assert_string_equal(full->module, module);
        assert_null(full->argv);
        assert_string_equal(full->process, "background");
        assert_int_equal(full->process_line, 5);
        test_strv_equal(full->dependencies, STRV(NULL), "no dependencies");
        assert_int_equal(full->dependencies_line, 6);
        assert_int_equal(full->ready, SERVICE_READY_NOTIFY);
        assert_int_equal(full->stop_timeout_ms, 250);
        assert_string_equal(full->config_json, "{\"list\":[1,\"two\",[3.5],{\"four\":true}]}");
        assert_int_equal(service(p, "started")->ready, SERVICE_READY_STARTED);
        assert_starting(p, STRV("worker", "background"));
}

static void test_paths_and_app(void **state _unused_) {
        _cleanup_free_ char *shop = test_mkdir(scratch, "shop"), *srv = test_path(shop, "srv");
        _cleanup_free_ char *relative_module = test_path(shop, "lib/m.so");
        static const char services[] =
                "services = {\n"
                "        m = { module = \"lib/m.so\"; };\n"
                "        a = { module = \"/abs/x.so\"; };\n"
                "};\n";
        _cleanup_free_ char *with_dir = NULL, *with_abs_dir = NULL, *with_app = NULL;
        _cleanup_(procfile_freep) Procfile *p = NULL, *q = NULL, *r = NULL, *s = NULL;

        p = load_in(shop, services, &(ProcfileOptions) { .auto_scale = 1 });
        assert_string_equal(p->app, "shop");
        assert_string_equal(p->dir, shop);
        assert_string_equal(p->default_process, "worker");
        assert_false(p->autostart);
        assert_int_equal(p->log_rate_interval_s, 0);
        assert_string_equal(service(p, "m")->module, relative_module);
        assert_string_equal(service(p, "a")->module, "/abs/x.so");

        /* A relative `dir` is taken from the procfile's directory; `module` ignores `dir`. */
        assert_true(asprintf(&with_dir, "dir = \"srv\";\n%s", services) >= 0);
        q = load_in(shop, with_dir, &(ProcfileOptions) { .auto_scale = 1 });
        assert_string_equal(q->dir, srv);
        assert_string_equal(service(q, "m")->module, relative_module);

        assert_true(asprintf(&with_abs_dir, "dir = \"/srv/shop\";\n%s", services) >= 0);
        r = load_in(shop, with_abs_dir, &(ProcfileOptions) { .auto_scale = 1 });
        assert_string_equal(r->dir, "/srv/shop");

        assert_true(asprintf(&with_app, "app = \"my-app_1.x:y\";\nautostart = true;\n"
                             "log_rate_limit = { interval_s = 10; };\n%s", services) >= 0);
        s = load_in(shop, with_app, &(ProcfileOptions) { .auto_scale = 1 });
        assert_string_equal(s->app, "my-app_1.x:y");
        assert_true(s->autostart);
        assert_int_equal(s->log_rate_interval_s, 10);
        assert_int_equal(s->log_rate_burst, 10000);

        /* The generator names an app after its file (shop.procfile → "shop"); the file still wins. */
        {
                _cleanup_(procfile_freep) Procfile *t = NULL, *u = NULL;

                t = load_in(shop, services, &(ProcfileOptions) { .auto_scale = 1, .default_app = "blog" });
                assert_string_equal(t->app, "blog");
                u = load_in(shop, with_app, &(ProcfileOptions) { .auto_scale = 1, .default_app = "blog" });
                assert_string_equal(u->app, "my-app_1.x:y");
        }
}

static void test_relative_path(void **state _unused_) {
        _cleanup_free_ char *dir = test_mkdir(scratch, "rel"), *cwd = getcwd(NULL, 0);
        _cleanup_free_ char *written = test_write(dir, "procfile", "fork = { web = \"web\"; };\n");
        _cleanup_(procfile_freep) Procfile *p = NULL, *q = NULL;
        char relative[PATH_MAX];
        ProcfileError e = {};
        int r;

        /* The scratch directory is under the working directory, so it can be named relative to it. */
        assert_non_null(cwd);
        assert_int_equal(strncmp(dir, cwd, strlen(cwd)), 0);
        snprintf(relative, sizeof(relative), "%s/procfile", dir + strlen(cwd) + 1);
        assert_int_equal(procfile_load(relative, &(ProcfileOptions) { .auto_scale = 1 }, &p, &e), 0);
        assert_string_equal(p->path, written);
        assert_string_equal(p->app, "rel");

        /* From inside the app's directory, "./procfile" names the same file: the app is still "rel". */
        assert_int_equal(chdir(dir), 0);
        r = procfile_load("./procfile", &(ProcfileOptions) { .auto_scale = 1 }, &q, &e);
        assert_int_equal(chdir(cwd), 0);
        assert_int_equal(r, 0);
        assert_string_equal(q->app, "rel");
        assert_string_equal(q->dir, dir);
        assert_null(e.message);
}

static void test_include(void **state _unused_) {
        _cleanup_free_ char *dir = test_mkdir(scratch, "inc");
        _cleanup_free_ char *extra = test_write(dir, "services.cfg",
                "\n"
                "s = { exec = \"s\"; process = \"web\"; };\n");
        _cleanup_(procfile_freep) Procfile *p = load_in(dir,
                "processes = { web = {}; };\n"
                "services = {\n"
                "        @include \"services.cfg\"\n"
                "};\n",
                &(ProcfileOptions) { .auto_scale = 1 });

        /* A service remembers the file that defined it. */
        assert_string_equal(service(p, "s")->file, extra);
        assert_int_equal(service(p, "s")->line, 2);
        assert_starting(p, STRV("web"));
}

static void test_enum_strings(void **state _unused_) {
        assert_string_equal(restart_policy_to_string(RESTART_ON_FAILURE), "on-failure");
        assert_string_equal(restart_policy_to_string(RESTART_ALWAYS), "always");
        assert_string_equal(restart_policy_to_string(RESTART_NO), "no");
        assert_null(restart_policy_to_string(_RESTART_MAX));
        assert_null(restart_policy_to_string(_RESTART_INVALID));
        assert_int_equal(restart_policy_from_string("on-failure"), RESTART_ON_FAILURE);
        assert_int_equal(restart_policy_from_string("always"), RESTART_ALWAYS);
        assert_int_equal(restart_policy_from_string("no"), RESTART_NO);
        assert_int_equal(restart_policy_from_string("On-failure"), _RESTART_INVALID);
        assert_int_equal(restart_policy_from_string(NULL), _RESTART_INVALID);
        assert_string_equal(service_kind_to_string(SERVICE_EXEC), "exec");
        assert_string_equal(service_kind_to_string(SERVICE_MODULE), "module");
        assert_null(service_kind_to_string(_SERVICE_KIND_INVALID));
        assert_string_equal(service_ready_to_string(SERVICE_READY_STARTED), "started");
        assert_string_equal(service_ready_to_string(SERVICE_READY_NOTIFY), "notify");
        assert_int_equal(service_ready_from_string("notify"), SERVICE_READY_NOTIFY);
        assert_int_equal(service_ready_from_string("ready"), _SERVICE_READY_INVALID);
}

static void test_production_settings(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "hardening = \"strict\";\n"
                "log_format = \"text\";\n"
                "env_file = [ \".env\", \"-.env.local\" ];\n"
                "secret_env = { API_KEY = \"keys/api\"; DB = \"/etc/app-db\"; };\n"
                "processes = {\n"
                "        web = { entry = \"web\"; env_file = [ \"web.env\" ]; memory_restart = \"400M\";\n"
                "                secret_env = { DB = \"/etc/web-db\"; TOKEN = \"/etc/token\"; };\n"
                "                writable = [ \"/var/lib/web\" ]; stderr_priority = \"err\"; };\n"
                "        job = { entry = \"job\"; hardening = \"off\"; schedule = \"daily\"; persistent = true;\n"
                "                log_format = \"auto\";\n"
                "                stderr_priority = 4; };\n"
                "};\n");
        const Process *web = process(p, "web"), *job = process(p, "job");

        /* The app's hardening unless the process says otherwise; the app's env files first. */
        assert_int_equal(web->hardening, HARDENING_STRICT);
        assert_int_equal(job->hardening, HARDENING_OFF);
        /* The app's log_format unless the process says otherwise. */
        assert_true(web->log_text && web->log_format_set);
        assert_true(!job->log_text && job->log_format_set);
        test_strv_equal(web->env_files, STRV(".env", "-.env.local", "web.env"), "web env_file");
        test_strv_equal(job->env_files, STRV(".env", "-.env.local"), "job env_file");
        /* The app's secrets under the process's own, as written (the renderer joins them with dir). */
        test_strv_equal(web->secret_env, STRV("API_KEY=keys/api", "DB=/etc/web-db", "TOKEN=/etc/token"),
                        "web secret_env");
        test_strv_equal(job->secret_env, STRV("API_KEY=keys/api", "DB=/etc/app-db"), "job secret_env");
        assert_int_equal(web->memory_restart, 400ULL << 20);
        test_strv_equal(web->writable, STRV("/var/lib/web"), "writable");
        assert_int_equal(web->stderr_priority, 3);
        assert_int_equal(job->stderr_priority, 4);
        assert_string_equal(job->schedule, "daily");
        assert_true(job->schedule_persistent);
        assert_null(web->schedule);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_env_merge_order),
                cmocka_unit_test(test_env_without_app_env),
                cmocka_unit_test(test_entry_splitting),
                cmocka_unit_test(test_process_settings),
                cmocka_unit_test(test_service_settings),
                cmocka_unit_test(test_paths_and_app),
                cmocka_unit_test(test_relative_path),
                cmocka_unit_test(test_include),
                cmocka_unit_test(test_enum_strings),
                cmocka_unit_test(test_production_settings),
        };
        return cmocka_run_group_tests_name("procfile-settings", tests, procfile_test_setup,
                                           procfile_test_teardown);
}
