/* SPDX-License-Identifier: MIT */

/* pandora-gen --status as printed from a reading made by hand: the table's exact columns, colours and
 * cut on a terminal, the JSON, the exit status; and the facts observe/ derives for both the table and
 * the exporter (states and their reasons, unit names). */

#include <sys/wait.h>

#include "test-util.h"

#include "cli/status.h"

static void set_unit(ObserveUnit *u, const char *name, const char *active, const char *sub) {
        *u = (ObserveUnit) { .name = strdup(name), .load_state = strdup("loaded"),
                             .active_state = strdup(active), .sub_state = strdup(sub) };
}

static ObserveIndicator indicator(const char *name, char type, double value) {
        ObserveIndicator x = { .name = strdup(name), .type = type, .present = true };

        if (type == 't')
                x.u = (uint64_t) value;
        else
                x.d = value;
        return x;
}

static void add_instance(ObserveApp *a, const char *process, const char *instance, const char *active,
                         const char *sub) {
        ObserveInstance *i;
        char unit[64];

        a->instances = realloc(a->instances, sizeof(ObserveInstance) * (a->n_instances + 1));
        assert_non_null(a->instances);
        i = &a->instances[a->n_instances++];
        *i = (ObserveInstance) { .process = strdup(process), .instance = strdup(instance),
                                 .have_service = true };
        snprintf(unit, sizeof(unit), "%s-%s@%s.service", a->name, process, instance);
        set_unit(&i->unit, unit, active, sub);
}

/* shop: web@1 running (agent answered), web@2 failed with exit status 1; a listening socket. */
static Observation *shop(void) {
        Observation *o = calloc(1, sizeof(Observation));
        ObserveApp *a;
        ObserveInstance *i;

        assert_non_null(o);
        o->apps = calloc(1, sizeof(ObserveApp));
        o->n_apps = 1;
        a = &o->apps[0];
        a->name = strdup("shop");
        set_unit(&a->target, "shop.target", "active", "active");
        add_instance(a, "web", "1", "active", "running");
        add_instance(a, "web", "2", "failed", "failed");
        i = &a->instances[0];
        i->main_pid = 42;
        i->n_restarts = 2;
        i->start_usec = UINT64_C(1700000000500000);
        i->agent = 1;
        i->indicators = calloc(3, sizeof(ObserveIndicator));
        i->indicators[0] = indicator("CgroupCPUUsagePercent", 'd', 12.34);
        i->indicators[1] = indicator("CgroupMemoryCurrentBytes", 't', 13107200);
        i->indicators[2] = indicator("MemoryRSSBytes", 't', 1);
        i->n_indicators = 3;
        i->services = calloc(2, sizeof(ObserveService));
        i->services[0] = (ObserveService) { .name = strdup("cache"), .kind = strdup("exec"),
                                            .state = strdup("running") };
        i->services[1] = (ObserveService) { .name = strdup("entry"), .kind = strdup("entry"),
                                            .state = strdup("running") };
        i->n_services = 2;
        i = &a->instances[1];
        i->n_restarts = 5;
        i->result = strdup("exit-code");
        i->exit_code = CLD_EXITED;
        i->exit_status = 1;
        i->start_usec = UINT64_C(1700000000000000);
        i->agent = -ETIMEDOUT;
        a->sockets = calloc(1, sizeof(ObserveSocket));
        a->n_sockets = 1;
        set_unit(&a->sockets[0].unit, "shop-web.socket", "active", "listening");
        a->sockets[0].process = strdup("web");
        a->sockets[0].listen = calloc(3, sizeof(char *));
        a->sockets[0].listen[0] = strdup("127.0.0.1:8080");
        a->sockets[0].listen[1] = strdup("/run/shop.sock");
        return o;
}

static char *print_table(const Observation *o, const StatusStyle *s) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_non_null(f);
        assert_int_equal(status_write_table(f, o, s), 0);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static char *errors[] = { (char *) "Error: boom", NULL };

static void test_table(void **state) {
        _cleanup_(observation_freep) Observation *o = shop();
        StatusStyle s = { .now_usec = UINT64_C(1700000065500000), .errors = errors, .n_errors = 2 };
        _cleanup_free_ char *text = print_table(o, &s);

        assert_string_equal(text,
                "shop.target: active\n"
                "INSTANCE  STATE                   PID  UPTIME  RESTARTS  CPU    MEMORY  SERVICES  LAST "
                "ERROR\n"
                "web@1     running                 42   1m05s   2         12.3%  12.5M   1/1       Error: "
                "boom\n"
                "web@2     failed (exit status 1)  -    -       5         -      -       -         -\n"
                "SOCKET           STATE      LISTEN\n"
                "shop-web.socket  listening  127.0.0.1:8080 /run/shop.sock\n");
}

/* On a terminal: the header bold, states coloured, the last column cut to the width. */
static void test_table_terminal(void **state) {
        _cleanup_(observation_freep) Observation *o = shop();
        StatusStyle s = { .colour = true, .width = 90, .now_usec = UINT64_C(1700000065500000),
                          .errors = errors, .n_errors = 2 };
        _cleanup_free_ char *text = print_table(o, &s);

        assert_non_null(strstr(text, "\033[1mINSTANCE"));
        assert_non_null(strstr(text, "\033[32mrunning\033[0m                 42"));
        assert_non_null(strstr(text, "\033[31mfailed (exit status 1)\033[0m  -"));
        assert_non_null(strstr(text, "shop.target: \033[32mactive\033[0m\n"));
        /* 82 columns before LAST ERROR, which gets at least 10: "Error: boom" is 11. */
        assert_non_null(strstr(text, "1/1       Error: ...\n"));
}

static void test_json(void **state) {
        _cleanup_(observation_freep) Observation *o = shop();
        StatusStyle s = { .now_usec = UINT64_C(1700000065500000), .errors = errors, .n_errors = 2 };
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        assert_int_equal(status_write_json(f, o, &s), 0);
        assert_int_equal(fclose(f), 0);
        assert_string_equal(buf,
                "{\"apps\":[{\"app\":\"shop\",\"target\":{\"unit\":\"shop.target\","
                "\"active_state\":\"active\","
                "\"sub_state\":\"active\"},\"instances\":["
                "{\"unit\":\"shop-web@1.service\",\"active_state\":\"active\",\"sub_state\":\"running\","
                "\"process\":\"web\",\"instance\":\"1\",\"state\":\"running\",\"reason\":null,\"pid\":42,"
                "\"restarts\":2,\"started_at\":1700000000.5,\"uptime_seconds\":65,\"agent\":true,"
                "\"cpu_percent\":12.34,\"memory_bytes\":13107200,\"services_ready\":1,\"services_total\":1,"
                "\"last_error\":\"Error: boom\"},"
                "{\"unit\":\"shop-web@2.service\",\"active_state\":\"failed\",\"sub_state\":\"failed\","
                "\"process\":\"web\",\"instance\":\"2\",\"state\":\"failed\",\"reason\":\"exit status 1\","
                "\"pid\":null,\"restarts\":5,\"started_at\":1700000000,\"uptime_seconds\":null,\"agent\":false,"
                "\"cpu_percent\":null,\"memory_bytes\":null,\"services_ready\":null,\"services_total\":null,"
                "\"last_error\":null}],"
                "\"sockets\":[{\"unit\":\"shop-web.socket\",\"active_state\":\"active\","
                "\"sub_state\":\"listening\","
                "\"process\":\"web\",\"listening\":true,\"listen\":[\"127.0.0.1:8080\","
                "\"/run/shop.sock\"]}]}],\"healthy\":false}\n");
        free(buf);
}

static void test_exit_code(void **state) {
        _cleanup_(observation_freep) Observation *o = shop();

        assert_int_equal(status_exit_code(o), STATUS_EXIT_NOT_RUNNING);
        free(o->apps[0].instances[1].unit.active_state);
        o->apps[0].instances[1].unit.active_state = strdup("reloading");
        assert_int_equal(status_exit_code(o), 0);
        free(o->apps[0].target.load_state);
        o->apps[0].target.load_state = strdup("not-found");
        assert_int_equal(status_exit_code(o), 0);      /* it has instances */
        o->apps[0].n_instances = 0;
        assert_int_equal(status_exit_code(o), STATUS_EXIT_NO_APP);
        o->apps[0].n_instances = 2;
}

static void test_state_one(const char *active, const char *sub, const char *result, int code, int status,
                           const char *status_text, const char *expected_state,
                           const char *expected_reason) {
        ObserveInstance i = {
                .unit = { .active_state = (char *) active, .sub_state = (char *) sub },
                .result = (char *) result, .exit_code = code, .exit_status = status,
                .status_text = (char *) status_text,
        };
        _cleanup_free_ char *reason = NULL;

        assert_string_equal(instance_state_to_string(observe_instance_state(&i)), expected_state);
        assert_int_equal(observe_instance_reason(&i, &reason), 0);
        if (!expected_reason)
                assert_null(reason);
        else
                assert_string_equal(reason, expected_reason);
}

static void test_states(void **state) {
        test_state_one("active", "running", "success", 0, 0, NULL, "running", NULL);
        test_state_one("reloading", "reload", "success", 0, 0, NULL, "reloading", NULL);
        test_state_one("activating", "start", "success", 0, 0, "starting cache (2/4)", "starting",
                       "starting cache (2/4)");
        test_state_one("activating", "auto-restart", "exit-code", CLD_EXITED, 3, NULL, "restarting",
                       "exit status 3");
        test_state_one("deactivating", "stop-sigterm", "success", 0, 0, "stopping", "stopping", "stopping");
        test_state_one("failed", "failed", "signal", CLD_KILLED, SIGKILL, NULL, "failed",
                       "killed by SIGKILL");
        test_state_one("failed", "failed", "core-dump", CLD_DUMPED, SIGSEGV, NULL, "failed",
                       "dumped core (SIGSEGV)");
        test_state_one("failed", "failed", "timeout", 0, 0, NULL, "failed", "timed out");
        test_state_one("failed", "failed", "start-limit-hit", 0, 0, NULL, "failed", "start limit hit");
        test_state_one("failed", "failed", "resources", 0, 0, NULL, "failed", "resources");
        test_state_one("inactive", "dead", "success", 0, 0, NULL, "stopped", NULL);
        test_state_one(NULL, NULL, NULL, 0, 0, NULL, "stopped", NULL);
}

static void test_unit_name_one(const char *app, const char *name, int expected, const char *process,
                               const char *instance, bool socket) {
        _cleanup_free_ char *p = NULL, *i = NULL;
        int r = observe_parse_unit_name(app, name, &p, socket ? NULL : &i);

        assert_int_equal(r, expected);
        if (r < 0)
                return;
        assert_string_equal(p, process);
        if (!socket)
                assert_string_equal(i, instance);
}

static void test_unit_names(void **state) {
        test_unit_name_one("shop", "shop-web@1.service", 0, "web", "1", false);
        test_unit_name_one("shop", "shop-my-db@12.service", 0, "my-db", "12", false);
        test_unit_name_one("my-shop", "my-shop-web@3.service", 0, "web", "3", false);
        test_unit_name_one("shop", "shop-web.socket", 0, "web", NULL, true);
        test_unit_name_one("shop", "shop.target", -EINVAL, NULL, NULL, false);
        test_unit_name_one("shop", "shopping-web@1.service", -EINVAL, NULL, NULL, false);
        test_unit_name_one("shop", "shop-web@.service", -EINVAL, NULL, NULL, false);
        test_unit_name_one("shop", "shop-@1.service", -EINVAL, NULL, NULL, false);
        test_unit_name_one("shop", "shop-web@1.socket", -EINVAL, NULL, NULL, false);
        /* An instance's own socket (a group that listens on IP addresses only) is the group's. */
        test_unit_name_one("shop", "shop-web@1.socket", 0, "web", NULL, true);
        test_unit_name_one("shop", "shop-web@.socket", -EINVAL, NULL, NULL, true);
        test_unit_name_one("shop", "shop-@1.socket", -EINVAL, NULL, NULL, true);
        test_unit_name_one("shop", "shop-web.service", -EINVAL, NULL, NULL, false);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_table_terminal),
                cmocka_unit_test(test_json),
                cmocka_unit_test(test_exit_code),
                cmocka_unit_test(test_states),
                cmocka_unit_test(test_unit_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
