/* SPDX-License-Identifier: MIT */

/* The instance's well-known bus name and its services' object paths. */

#include <systemd/sd-bus.h>

#include "test-util.h"

#include "agent/bus/names.h"

static void test_instance_name_one(const char *app, const char *process, const char *instance,
                                   const char *expected) {
        _cleanup_free_ char *name = NULL;
        int r;

        r = bus_instance_name(app, process, instance, &name);
        if (r < 0)
                fail_msg("bus_instance_name('%s', '%s', '%s') = %d", app, process, instance, r);
        if (!streq(name, expected))
                fail_msg("bus_instance_name('%s', '%s', '%s') = '%s', expected '%s'", app, process, instance,
                         name, expected);
        assert_true(sd_bus_service_name_is_valid(name) > 0);
}

static void test_instance_name(void **state _unused_) {
        test_instance_name_one("shop", "web", "1", "io.pandora.shop.web.i1");
        test_instance_name_one("my-shop", "web.api", "12", "io.pandora.my_shop.web_api.i12");
        test_instance_name_one("3d", "9lives", "0", "io.pandora._3d._9lives.i0");
        test_instance_name_one("Shop_2", "Web", "a-b", "io.pandora.Shop_2.Web.ia_b");
        test_instance_name_one("", "", "", "io.pandora._._.i");
        test_instance_name_one("h\xc3\xa9", "w:x@y", "1\\2", "io.pandora.h__.w_x_y.i1_2");
        test_instance_name_one("_x", "-", " ", "io.pandora._x._.i_");
}

static void test_instance_name_too_long(void **state _unused_) {
        char app[300];
        char *name = NULL;

        memset(app, 'a', sizeof(app) - 1);
        app[sizeof(app) - 1] = '\0';
        assert_int_equal(bus_instance_name(app, "web", "1", &name), -ENAMETOOLONG);
        assert_null(name);
        /* 255 in all is still fine: io.pandora. (11) + 236 + .web (4) + .i1 (3) = 254, plus one. */
        app[237] = '\0';
        assert_int_equal(bus_instance_name(app, "web", "1", &name), 0);
        assert_int_equal(strlen(name), 255);
        free(name);
}

static void test_escape_element_one(const char *s, const char *expected) {
        _cleanup_free_ char *e = NULL;

        assert_int_equal(bus_name_escape_element(s, &e), 0);
        if (!streq(e, expected))
                fail_msg("bus_name_escape_element('%s') = '%s', expected '%s'", s, e, expected);
}

static void test_escape_element(void **state _unused_) {
        test_escape_element_one("web", "web");
        test_escape_element_one("web-1", "web_1");
        test_escape_element_one("1web", "_1web");
        test_escape_element_one("", "_");
        test_escape_element_one("a.b", "a_b");
        test_escape_element_one("ZZ_09", "ZZ_09");
}

static void test_service_path_one(const char *service, const char *expected) {
        _cleanup_free_ char *path = NULL, *back = NULL;

        assert_int_equal(bus_service_path(service, &path), 0);
        if (!streq(path, expected))
                fail_msg("bus_service_path('%s') = '%s', expected '%s'", service, path, expected);
        assert_true(sd_bus_object_path_is_valid(path) > 0);
        assert_int_equal(bus_service_from_path(path, &back), 0);
        assert_string_equal(back, service);
}

static void test_service_path(void **state _unused_) {
        test_service_path_one("web", "/io/pandora/service/web");
        test_service_path_one("my-db", "/io/pandora/service/my_2ddb");
        test_service_path_one("a.b", "/io/pandora/service/a_2eb");
        test_service_path_one("1st", "/io/pandora/service/_31st");
        test_service_path_one("under_score", "/io/pandora/service/under_5fscore");
        test_service_path_one("h\xc3\xa9", "/io/pandora/service/h_c3_a9");
}

static void test_service_from_path_bad(void **state _unused_) {
        char *name = NULL;

        assert_int_equal(bus_service_from_path("/io/pandora/Agent", &name), -ENXIO);
        assert_int_equal(bus_service_from_path("/io/pandora/service", &name), -ENXIO);
        assert_int_equal(bus_service_from_path("/io/pandora/service/a/b", &name), -ENXIO);
        assert_null(name);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_instance_name),
                cmocka_unit_test(test_instance_name_too_long),
                cmocka_unit_test(test_escape_element),
                cmocka_unit_test(test_service_path),
                cmocka_unit_test(test_service_from_path_bad),
        };

        return cmocka_run_group_tests_name("bus-names", tests, NULL, NULL);
}
