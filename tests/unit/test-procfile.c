/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "procfile.h"

static void test_placeholder(void **state) {
        (void) state;
        assert_int_equal(1, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_placeholder),
        };
        return cmocka_run_group_tests_name("procfile", tests, NULL, NULL);
}
