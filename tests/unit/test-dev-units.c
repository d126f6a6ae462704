/* SPDX-License-Identifier: MIT */

/* pandora-gen --dev's transient units: one service per instance named as in production, with the same
 * settings as unit-render.c writes plus PANDORA_DEV and --dev; a socket per instance of a listening
 * process, with SO_REUSEPORT; order as After= on the lower-order instances. */

#include "procfile-test.h"

#include "cli/dev/units.h"

static const char *dev_procfile =
        "app = \"shop\";\n"
        "env = { MODE = \"prod\"; };\n"
        "processes = {\n"
        "        web = { entry = \"./web.js\"; scale = 4; listen = [ \"8080\", \"/run/shop.sock\" ];\n"
        "                order = 1; stop_timeout_ms = 5000; watchdog_ms = 2000; user = \"shop\"; };\n"
        "        jobs = { entry = \"/bin/jobs\"; restart = \"always\"; restart_delay_ms = 250; };\n"
        "};\n"
        "log_rate_limit = { interval_s = 30; burst = 500; };\n"
        "dev = { env = { MODE = \"dev\"; }; processes = { web = { scale = 2; }; };\n"
        "        watch = [ \"src\" ]; };\n";

static DevPlan *plan_of(Procfile **ret_procfile) {
        Procfile *p = load_in(scratch, dev_procfile, &(ProcfileOptions) { .dev = true, .auto_scale = 4 });
        DevPlan *plan = NULL;

        DevPlanOptions o = { .agent_path = "/usr/bin/pandora-agent" };

        assert_int_equal(dev_plan_build(p, &o, &plan), 0);
        *ret_procfile = p;
        return plan;
}

static const UnitProperty *property(const TransientUnit *u, const char *name, PropertyType type) {
        const UnitProperty *p = transient_unit_find(u, name);

        if (!p)
                fail_msg("%s has no %s", u->name, name);
        assert_int_equal(p->type, type);
        return p;
}

static void assert_string_property(const TransientUnit *u, const char *name, const char *expected) {
        assert_string_equal(property(u, name, PROPERTY_STRING)->string, expected);
}

static void assert_number_property(const TransientUnit *u, const char *name, PropertyType type,
                                   uint64_t expected) {
        assert_int_equal(property(u, name, type)->number, expected);
}

static void test_instances_and_names(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_(dev_plan_freep) DevPlan *plan = plan_of(&p);
        _cleanup_strv_free_ char **names = NULL;

        /* The dev overlay's scale; built-ins that don't start have no units; jobs (order 0) first. */
        assert_int_equal(plan->n_instances, 3);
        assert_int_equal(dev_plan_unit_names(plan, &names), 0);
        test_strv_equal(names, STRV("shop-jobs@1.service", "shop-web@1.service", "shop-web@2.service",
                                    "shop-web@1.socket", "shop-web@2.socket"), "unit names");
        assert_null(plan->instances[0].socket);
        assert_int_equal(plan->instances[2].instance, 2);
        assert_string_equal(plan->instances[2].process->name, "web");
}

static void test_service_properties(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_(dev_plan_freep) DevPlan *plan = plan_of(&p);
        const TransientUnit *web2 = plan->instances[2].service;
        _cleanup_free_ char *dir = NULL;

        assert_string_property(web2, "Description", "pandora shop web instance 2 (dev)");
        assert_string_property(web2, "Type", "notify");
        assert_string_property(web2, "NotifyAccess", "main");
        test_strv_equal(property(web2, "ExecStart", PROPERTY_EXEC)->strv,
                        STRV("/usr/bin/pandora-agent", "--procfile", p->path, "--process", "web",
                             "--instance", "2", "--dev"), "ExecStart");
        assert_string_property(web2, "WorkingDirectory", p->dir);
        test_strv_equal(property(web2, "Environment", PROPERTY_STRV)->strv,
                        STRV("PANDORA_APP=shop", "PANDORA_PROCESS=web", "PANDORA_INSTANCE=2",
                             "PANDORA_SCALE=2", "PANDORA_DEV=true"), "Environment (MODE is the agent's to give)");
        assert_string_property(web2, "Restart", "on-failure");
        assert_number_property(web2, "TimeoutStopUSec", PROPERTY_U64, 5000000);
        assert_string_property(web2, "KillMode", "mixed");
        assert_number_property(web2, "WatchdogUSec", PROPERTY_U64, 2000000);
        assert_string_property(web2, "SyslogIdentifier", "shop-web");
        test_strv_equal(property(web2, "LogExtraFields", PROPERTY_BYTE_ARRAYS)->strv,
                        STRV("PANDORA_APP=shop", "PANDORA_PROCESS=web", "PANDORA_INSTANCE=2"), "LogExtraFields");
        assert_number_property(web2, "LogRateLimitIntervalUSec", PROPERTY_U64, 30000000);
        assert_number_property(web2, "LogRateLimitBurst", PROPERTY_U32, 500);
        test_strv_equal(property(web2, "RuntimeDirectory", PROPERTY_STRV)->strv, STRV("pandora-agent/shop-web@2"),
                        "RuntimeDirectory");
        assert_string_property(web2, "User", "shop");
        assert_null(transient_unit_find(web2, "Group"));
        assert_number_property(web2, "AddRef", PROPERTY_BOOL, 1);
}

static void test_order_and_defaults(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_(dev_plan_freep) DevPlan *plan = plan_of(&p);
        const TransientUnit *jobs = plan->instances[0].service, *web1 = plan->instances[1].service;

        /* After the lower order's instances and its own socket; the first group after nothing. */
        test_strv_equal(property(web1, "After", PROPERTY_STRV)->strv,
                        STRV("shop-jobs@1.service", "shop-web@1.socket"), "After");
        assert_null(transient_unit_find(jobs, "After"));
        assert_string_property(jobs, "Restart", "always");
        assert_number_property(jobs, "RestartUSec", PROPERTY_U64, 250000);
        assert_null(transient_unit_find(jobs, "WatchdogUSec"));
        assert_null(transient_unit_find(jobs, "User"));
}

static void test_socket_per_instance(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_(dev_plan_freep) DevPlan *plan = plan_of(&p);
        const TransientUnit *socket = plan->instances[2].socket;

        assert_non_null(socket);
        assert_string_equal(socket->name, "shop-web@2.socket");
        assert_string_property(socket, "Description", "pandora shop web socket, instance 2 (dev)");
        test_strv_equal(property(socket, "Listen", PROPERTY_LISTEN)->strv,
                        STRV("Stream", "8080", "Stream", "/run/shop.sock"), "Listen");
        assert_number_property(socket, "ReusePort", PROPERTY_BOOL, 1);
        assert_string_property(socket, "FileDescriptorName", "web");
        assert_number_property(socket, "AddRef", PROPERTY_BOOL, 1);
        /* systemd 252 takes no Service= for a transient socket: the names pair them. */
        assert_null(transient_unit_find(socket, "Service"));
}

static void test_log_rate_off(void **state _unused_) {
        ProcfileOptions options = { .dev = true, .auto_scale = 4 };
        _cleanup_(procfile_freep) Procfile *p = load_in(
                scratch, "processes = { a = { entry = \"a\"; }; };\n", &options);
        _cleanup_(dev_plan_freep) DevPlan *plan = NULL;

        assert_int_equal(dev_plan_build(p, &(DevPlanOptions) { .agent_path = "/a" }, &plan), 0);
        assert_int_equal(plan->n_instances, 1);
        assert_number_property(plan->instances[0].service, "LogRateLimitIntervalUSec", PROPERTY_U64, 1);
        assert_null(transient_unit_find(plan->instances[0].service, "LogRateLimitBurst"));
}

static void test_transient_unit_model(void **state _unused_) {
        _cleanup_(transient_unit_freep) TransientUnit *u = transient_unit_new("a.service");

        assert_non_null(u);
        assert_int_equal(transient_unit_add_string(u, "Type", "simple"), 0);
        assert_int_equal(transient_unit_add_string(u, "Type", "notify"), 0);
        assert_int_equal(transient_unit_add_strv(u, "After", PROPERTY_STRV, NULL), 0);
        /* The last of two wins, as systemd applies them in order. */
        assert_string_equal(transient_unit_find(u, "Type")->string, "notify");
        assert_non_null(transient_unit_find(u, "After")->strv);
        assert_null(transient_unit_find(u, "After")->strv[0]);
        assert_string_equal(property_type_signature(PROPERTY_EXEC), "a(sasb)");
        assert_string_equal(property_type_signature(PROPERTY_BYTE_ARRAYS), "aay");
        assert_null(property_type_signature(_PROPERTY_TYPE_MAX));
}

static int setup(void **state _unused_) {
        scratch = test_dir_new("test-dev-units");
        return 0;
}

static int teardown(void **state _unused_) {
        test_dir_free(scratch);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_instances_and_names),
                cmocka_unit_test(test_service_properties),
                cmocka_unit_test(test_order_and_defaults),
                cmocka_unit_test(test_socket_per_instance),
                cmocka_unit_test(test_log_rate_off),
                cmocka_unit_test(test_transient_unit_model),
        };

        return cmocka_run_group_tests_name("dev-units", tests, setup, teardown);
}
