/* SPDX-License-Identifier: MIT */

/* Module services: loading and the ABI check (a module for another ABI, a file that is no module, no
 * file), `config` as libconfig settings, and real fixture modules run through the lifecycle on an
 * sd-event loop, starting and stopping at once, later, from inside their own calls, or failing. */

#include <time.h>

#include "test-util.h"

#include "agent/lifecycle/module-service.h"
#include "agent/log/log.h"

static char *fixture(const char *variant) {
        char *path;

        assert_true(asprintf(&path, "%s/test-agent-module-%s.so", FIXTURE_MODULE_DIR, variant) >= 0);
        return path;
}

/* Loads a fixture; returns the error and, in *ret_error, the message. */
static int load(const char *variant, const ConfigValue *config, sd_event *e, PandoraService **ret,
                char **ret_error) {
        static const int fds[] = { 3, 4 };
        static char *names[] = { "web", NULL };
        _cleanup_free_ char *path = fixture(variant);
        ModuleServiceSetup setup = {
                .name = "fix", .path = path, .config = config, .config_json = "{\"a\":1}", .event = e,
                .listen_fds = fds, .n_listen_fds = 2, .listen_fd_names = names,
        };

        return module_service_load(&setup, ret, ret_error);
}

static void test_load_errors(void **state _unused_) {
        PandoraService *s = NULL;
        char *error = NULL;

        assert_int_equal(load("abi99", NULL, NULL, &s, &error), -ENOEXEC);
        assert_non_null(strstr(error, "was built for service ABI 99, this agent implements ABI 1"));
        free(error);
        error = NULL;
        assert_int_equal(load("none", NULL, NULL, &s, &error), -ENOEXEC);
        assert_non_null(strstr(error, "is not a pandora service module: it has no pandora_service_abi symbol"));
        free(error);
        error = NULL;
        assert_true(load("missing", NULL, NULL, &s, &error) < 0);
        assert_non_null(strstr(error, "test-agent-module-missing.so"));
        free(error);
        assert_null(s);
}

static ConfigValue *value(ConfigValueType type, const char *name) {
        ConfigValue *v = config_value_new(type, name);

        assert_non_null(v);
        return v;
}

static ConfigValue *sample_config(void) {
        ConfigValue *root = value(CONFIG_VALUE_GROUP, NULL), *v, *ports, *mixed, *inner;

        v = value(CONFIG_VALUE_INTEGER, "port");
        v->integer = 1338;
        assert_int_equal(config_value_append(root, v), 0);
        v = value(CONFIG_VALUE_INTEGER, "big");
        v->integer = INT64_C(1) << 40;
        assert_int_equal(config_value_append(root, v), 0);
        v = value(CONFIG_VALUE_STRING, "name");
        v->string = strdup("shop");
        assert_int_equal(config_value_append(root, v), 0);
        ports = value(CONFIG_VALUE_ARRAY, "ports");
        for (int i = 0; i < 2; i++) {
                v = value(CONFIG_VALUE_INTEGER, NULL);
                v->integer = 80 + i;
                assert_int_equal(config_value_append(ports, v), 0);
        }
        assert_int_equal(config_value_append(root, ports), 0);
        mixed = value(CONFIG_VALUE_ARRAY, "mixed");
        inner = value(CONFIG_VALUE_GROUP, NULL);
        v = value(CONFIG_VALUE_BOOLEAN, "on");
        v->boolean = true;
        assert_int_equal(config_value_append(inner, v), 0);
        assert_int_equal(config_value_append(mixed, inner), 0);
        v = value(CONFIG_VALUE_FLOAT, NULL);
        v->number = 0.5;
        assert_int_equal(config_value_append(mixed, v), 0);
        assert_int_equal(config_value_append(root, mixed), 0);
        return root;
}

static void test_config(void **state _unused_) {
        _cleanup_(config_value_freep) ConfigValue *root = sample_config();
        config_t c;
        const config_setting_t *s;
        long long big;
        const char *name;
        int port, on;

        assert_int_equal(module_config_build(root, &c), 0);
        s = config_root_setting(&c);
        assert_int_equal(config_setting_lookup_int(s, "port", &port), CONFIG_TRUE);
        assert_int_equal(port, 1338);
        assert_int_equal(config_setting_lookup_int64(s, "big", &big), CONFIG_TRUE);
        assert_int_equal(big, INT64_C(1) << 40);
        assert_int_equal(config_setting_lookup_string(s, "name", &name), CONFIG_TRUE);
        assert_string_equal(name, "shop");
        assert_int_equal(config_setting_type(config_lookup(&c, "ports")), CONFIG_TYPE_ARRAY);
        assert_int_equal(config_setting_get_int_elem(config_lookup(&c, "ports"), 1), 81);
        assert_int_equal(config_setting_type(config_lookup(&c, "mixed")), CONFIG_TYPE_LIST);
        assert_int_equal(config_lookup_bool(&c, "mixed.[0].on", &on), CONFIG_TRUE);
        assert_true(on);
        assert_true(config_setting_get_float_elem(config_lookup(&c, "mixed"), 1) == 0.5);
        config_destroy(&c);

        /* No config: an empty root group. */
        assert_int_equal(module_config_build(NULL, &c), 0);
        assert_int_equal(config_setting_length(config_root_setting(&c)), 0);
        config_destroy(&c);
}

static uint64_t real_clock(void *userdata _unused_) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Runs a good fixture whose config says how to start and stop; returns whether the lifecycle failed. */
static bool run_fixture(const char *start, const char *stop, LifecyclePhase *ret_phase_after_start) {
        _cleanup_(config_value_freep) ConfigValue *root = value(CONFIG_VALUE_GROUP, NULL);
        sd_event *e = NULL;
        PandoraService *s;
        Lifecycle l;
        ConfigValue *v;
        char *error = NULL;
        bool failed;

        v = value(CONFIG_VALUE_STRING, "start");
        v->string = strdup(start);
        assert_int_equal(config_value_append(root, v), 0);
        v = value(CONFIG_VALUE_STRING, "stop");
        v->string = strdup(stop);
        assert_int_equal(config_value_append(root, v), 0);

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(load("good", root, e, &s, &error), 0);
        lifecycle_init(&l, 1000000, real_clock, NULL, NULL);
        assert_int_equal(lifecycle_add_task(&l, "fix", &module_service_ops, s, 0, &s->task), 0);
        lifecycle_start(&l);
        for (int i = 0; i < 10 && l.phase == LIFECYCLE_PHASE_STARTING; i++)
                assert_true(sd_event_run(e, 100000) >= 0);
        *ret_phase_after_start = l.phase;
        if (l.phase == LIFECYCLE_PHASE_RUNNING) {
                const Counter *c = counter_set_find(&s->counters, "starts");

                assert_non_null(c);
                assert_int_equal(c->count, 1);
        }
        lifecycle_stop(&l);
        for (int i = 0; i < 10 && l.phase != LIFECYCLE_PHASE_DONE; i++)
                assert_true(sd_event_run(e, 100000) >= 0);
        assert_int_equal(l.phase, LIFECYCLE_PHASE_DONE);
        failed = lifecycle_failed(&l);
        lifecycle_done(&l);
        sd_event_unref(e);
        return failed;
}

static void test_run_fixtures(void **state _unused_) {
        static const struct {
                const char *start, *stop;
                LifecyclePhase after_start;
                bool failed;
        } cases[] = {
                { "sync", "sync", LIFECYCLE_PHASE_RUNNING, false },
                { "async", "async", LIFECYCLE_PHASE_RUNNING, false },
                { "inside", "inside", LIFECYCLE_PHASE_RUNNING, false },
                { "sync", "fail", LIFECYCLE_PHASE_RUNNING, true },
                { "fail", "sync", LIFECYCLE_PHASE_DONE, true },
                { "fail-later", "sync", LIFECYCLE_PHASE_DONE, true },
        };

        log_set_journal(false);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                LifecyclePhase phase;
                bool failed = run_fixture(cases[i].start, cases[i].stop, &phase);

                print_message("# start %s, stop %s\n", cases[i].start, cases[i].stop);
                assert_int_equal(phase, cases[i].after_start);
                assert_int_equal(failed, cases[i].failed);
        }
}

static void test_api(void **state _unused_) {
        PandoraService *s = NULL;
        const int *fds = NULL;
        char *error = NULL;
        int marker;

        assert_int_equal(load("good", NULL, NULL, &s, &error), 0);
        assert_string_equal(pandora_service_name(s), "fix");
        assert_string_equal(pandora_service_config_json(s), "{\"a\":1}");
        assert_int_equal(config_setting_length(pandora_service_config(s)), 0);
        assert_int_equal(pandora_service_listen_fds(s, &fds), 2);
        assert_int_equal(fds[1], 4);
        assert_string_equal(pandora_service_listen_fd_name(s, 0), "web");
        /* Fewer names than fds, as a unit without FileDescriptorName= for each. */
        assert_null(pandora_service_listen_fd_name(s, 1));
        assert_null(pandora_service_listen_fd_name(s, 2));
        pandora_service_set_userdata(s, &marker);
        assert_ptr_equal(pandora_service_get_userdata(s), &marker);
        assert_int_equal(pandora_counter_add(s, "requests", 2), 0);
        assert_int_equal(pandora_gauge_set(s, "queue", 1.5), 0);
        assert_int_equal(pandora_counter_add(s, "queue", 1), -EINVAL);
        log_set_journal(false);
        assert_int_equal(pandora_log(s, LOG_INFO, "hello %d", 1), 0);
        assert_int_equal(pandora_log_fields(s, LOG_INFO, ((const char *[]) { "A=b", NULL }), "with fields"), 0);
        module_service_free(s);

        /* NULL is refused, not dereferenced. */
        assert_null(pandora_service_name(NULL));
        assert_null(pandora_service_config(NULL));
        assert_int_equal(pandora_service_listen_fds(NULL, NULL), 0);
        assert_int_equal(pandora_counter_add(NULL, "x", 1), -EINVAL);
        pandora_service_started(NULL, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_load_errors),
                cmocka_unit_test(test_config),
                cmocka_unit_test(test_run_fixtures),
                cmocka_unit_test(test_api),
        };
        int r = cmocka_run_group_tests_name("agent-module", tests, NULL, NULL);

        log_reset_identity();
        return r;
}
