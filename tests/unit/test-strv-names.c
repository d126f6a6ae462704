/* SPDX-License-Identifier: MIT */

/* String vectors (argv, environment blocks in definition order) and the name checks for unit names and
 * environment variables. */

#include "test-util.h"

#include "common/names.h"
#include "common/strv.h"

static void test_strv_basics(void **state _unused_) {
        _cleanup_strv_free_ char **l = NULL, **copy = NULL, **empty = NULL;

        assert_null(strv_free(NULL));
        assert_int_equal(strv_length(NULL), 0);
        assert_null(strv_copy(NULL));
        assert_null(strv_find(NULL, "a"));

        assert_int_equal(strv_extend(&l, "a"), 0);
        assert_int_equal(strv_consume(&l, strdup("b")), 0);
        assert_int_equal(strv_extend_strv(&l, (char **) STRV("c", "d")), 0);
        assert_int_equal(strv_extend_strv(&l, NULL), 0);
        test_strv_equal(l, STRV("a", "b", "c", "d"), "extended");
        assert_int_equal(strv_length(l), 4);
        assert_ptr_equal(strv_find(l, "c"), l[2]);
        assert_null(strv_find(l, "e"));

        /* A deep copy: equal strings, none shared. */
        copy = strv_copy(l);
        test_strv_equal(copy, STRV("a", "b", "c", "d"), "copy");
        for (size_t i = 0; l[i]; i++)
                assert_ptr_not_equal(copy[i], l[i]);

        /* An empty vector copies to an empty vector, not to NULL. */
        empty = calloc(1, sizeof(char *));
        assert_non_null(empty);
        strv_free(copy);
        copy = strv_copy(empty);
        assert_non_null(copy);
        assert_null(copy[0]);
}

static void test_strv_env_set(void **state _unused_) {
        _cleanup_strv_free_ char **l = NULL;

        assert_null(strv_env_get(NULL, "A"));
        assert_int_equal(strv_env_set(&l, "A", "1"), 0);
        assert_int_equal(strv_env_set(&l, "B", "2"), 0);
        assert_int_equal(strv_env_set(&l, "AB", "x"), 0);
        /* Replacing keeps the first definition's place. */
        assert_int_equal(strv_env_set(&l, "A", "3"), 0);
        assert_int_equal(strv_env_set(&l, "K", "a=b"), 0);
        assert_int_equal(strv_env_set(&l, "E", ""), 0);
        test_strv_equal(l, STRV("A=3", "B=2", "AB=x", "K=a=b", "E="), "env");

        assert_string_equal(strv_env_get(l, "A"), "3");
        assert_string_equal(strv_env_get(l, "AB"), "x");
        assert_string_equal(strv_env_get(l, "K"), "a=b");
        assert_string_equal(strv_env_get(l, "E"), "");
        assert_null(strv_env_get(l, "C"));
        assert_null(strv_env_get(l, "a"));
        /* A prefix of a name is not that name. */
        assert_int_equal(strv_env_set(&l, "ABC", "y"), 0);
        assert_string_equal(strv_env_get(l, "AB"), "x");
        assert_int_equal(strv_length(l), 6);
}

static void test_strv_env_merge(void **state _unused_) {
        _cleanup_strv_free_ char **l = NULL, **fresh = NULL;

        assert_int_equal(strv_env_set(&l, "A", "1"), 0);
        assert_int_equal(strv_env_set(&l, "B", "2"), 0);
        assert_int_equal(strv_env_merge(&l, (char **) STRV("C=3", "A=4", "junk", "B=", "D=x=y", "C=5")), 0);
        test_strv_equal(l, STRV("A=4", "B=", "C=5", "D=x=y"), "merged");

        assert_int_equal(strv_env_merge(&l, NULL), 0);
        assert_int_equal(strv_length(l), 4);

        assert_int_equal(strv_env_merge(&fresh, (char **) STRV("worker=true", "X=1")), 0);
        test_strv_equal(fresh, STRV("worker=true", "X=1"), "into NULL");
}

static void test_unit_prefix_one(const char *s, bool expected) {
        if (unit_prefix_is_valid(s) != expected)
                fail_msg("unit_prefix_is_valid(\"%s\") should be %s", s ?: "(null)",
                         expected ? "true" : "false");
}

static void test_unit_prefix_is_valid(void **state _unused_) {
        char longest[UNIT_NAME_LENGTH_MAX + 2];

        test_unit_prefix_one("a", true);
        test_unit_prefix_one("web", true);
        test_unit_prefix_one("A0", true);
        test_unit_prefix_one("0", true);
        test_unit_prefix_one("my-app_1.x:y", true);
        test_unit_prefix_one("a\\x2db", true);  /* systemd's escapes */
        test_unit_prefix_one(".", false);       /* what a directory walk yields */
        test_unit_prefix_one("..", false);
        test_unit_prefix_one("...", false);
        test_unit_prefix_one(".a", true);
        test_unit_prefix_one("weak-all", true); /* reserved elsewhere, not here */

        test_unit_prefix_one(NULL, false);
        test_unit_prefix_one("", false);
        test_unit_prefix_one("a b", false);
        test_unit_prefix_one("a@b", false);
        test_unit_prefix_one("a/b", false);
        test_unit_prefix_one("a*", false);
        test_unit_prefix_one("a\n", false);
        test_unit_prefix_one("\xc3\xa4", false);
        /* It would end SyslogIdentifier= with a line continuation. */
        test_unit_prefix_one("a\\", false);

        memset(longest, 'a', UNIT_NAME_LENGTH_MAX);
        longest[UNIT_NAME_LENGTH_MAX] = '\0';
        test_unit_prefix_one(longest, true);
        longest[UNIT_NAME_LENGTH_MAX] = 'a';
        longest[UNIT_NAME_LENGTH_MAX + 1] = '\0';
        test_unit_prefix_one(longest, false);
}

static void test_env_name_one(const char *s, bool expected) {
        if (env_name_is_valid(s) != expected)
                fail_msg("env_name_is_valid(\"%s\") should be %s", s ?: "(null)",
                         expected ? "true" : "false");
}

static void test_env_name_is_valid(void **state _unused_) {
        test_env_name_one("A", true);
        test_env_name_one("_", true);
        test_env_name_one("_A1", true);
        test_env_name_one("path", true);
        test_env_name_one("A_B_9", true);
        test_env_name_one("worker", true);

        test_env_name_one(NULL, false);
        test_env_name_one("", false);
        test_env_name_one("1A", false);
        test_env_name_one("A-B", false);
        test_env_name_one("A B", false);
        test_env_name_one("A=B", false);
        test_env_name_one("A.B", false);
        test_env_name_one("A*", false);
        test_env_name_one("\xc3\x84", false);
}

static void test_app_name_one(const char *s, AppNameProblem expected) {
        AppNameProblem got = app_name_check(s);

        if (got != expected)
                fail_msg("app_name_check(\"%s\") should be %d, is %d (%s)", s ?: "(null)", expected, got,
                         app_name_problem_to_string(got) ?: "valid");
}

static void test_app_name_check(void **state _unused_) {
        char name[APP_NAME_LENGTH_MAX + 2];

        test_app_name_one("shop", APP_NAME_VALID);
        test_app_name_one("a\\x2db", APP_NAME_VALID);
        test_app_name_one("multi-user2", APP_NAME_VALID);
        test_app_name_one("systemdx", APP_NAME_VALID);
        test_app_name_one("a-systemd", APP_NAME_VALID);
        test_app_name_one("dbus", APP_NAME_VALID);      /* dbus.target is no special unit */
        test_app_name_one("blockdev", APP_NAME_VALID);  /* blockdev@.target is a template */
        test_app_name_one("x-", APP_NAME_VALID);

        test_app_name_one(NULL, APP_NAME_NOT_UNIT_PREFIX);
        test_app_name_one("a b", APP_NAME_NOT_UNIT_PREFIX);
        test_app_name_one("a\\", APP_NAME_NOT_UNIT_PREFIX);
        test_app_name_one("-", APP_NAME_LEADING_DASH);
        test_app_name_one("-x", APP_NAME_LEADING_DASH);
        test_app_name_one(".x", APP_NAME_LEADING_DOT);
        test_app_name_one("systemd", APP_NAME_SYSTEMD);
        test_app_name_one("systemd-journald", APP_NAME_SYSTEMD);
        /* Every special target of systemd.special(7), of the system and the user manager. */
        for (const char * const *t = (const char * const[]) {
                     "basic", "default", "multi-user", "graphical", "rescue", "emergency", "sysinit",
                     "shutdown", "reboot", "poweroff", "halt", "kexec", "network", "network-online",
                     "network-pre", "local-fs", "remote-fs", "sockets", "timers", "paths", "slices", "swap",
                     "getty", "final", "umount", "sleep", "suspend", "hibernate", "time-sync", "nss-lookup",
                     "cryptsetup", "runlevel0", "runlevel5", "runlevel6", "exit", "graphical-session",
                     "xdg-desktop-autostart", "printer", "sound", "bluetooth", "smartcard", "usb-gadget",
                     "initrd", "initrd-root-fs", "system-update", "ctrl-alt-del", "kbrequest", "sigpwr",
                     "first-boot-complete", "boot-complete", "factory-reset", "machines", "rpcbind",
                     "soft-reboot", NULL }; *t; t++)
                test_app_name_one(*t, APP_NAME_SPECIAL);

        memset(name, 'a', APP_NAME_LENGTH_MAX);
        name[APP_NAME_LENGTH_MAX] = '\0';
        test_app_name_one(name, APP_NAME_VALID);
        name[APP_NAME_LENGTH_MAX] = 'a';
        name[APP_NAME_LENGTH_MAX + 1] = '\0';
        test_app_name_one(name, APP_NAME_TOO_LONG);

        assert_null(app_name_problem_to_string(APP_NAME_VALID));
        assert_null(app_name_problem_to_string(_APP_NAME_PROBLEM_MAX));
        for (AppNameProblem p = APP_NAME_VALID + 1; p < _APP_NAME_PROBLEM_MAX; p++)
                assert_non_null(app_name_problem_to_string(p));
}

static void test_unit_prefix_escaped_length(void **state _unused_) {
        assert_int_equal(unit_prefix_escaped_length(""), 0);
        assert_int_equal(unit_prefix_escaped_length("shop"), 4);
        assert_int_equal(unit_prefix_escaped_length("a:b_c.d"), 7);
        assert_int_equal(unit_prefix_escaped_length("shop-web"), 11);     /* shop\x2dweb */
        assert_int_equal(unit_prefix_escaped_length("a\\x2db"), 9);       /* a\x5cx2db */
        assert_int_equal(unit_prefix_escaped_length(".a"), 5);            /* \x2ea */
        assert_int_equal(unit_prefix_escaped_length("a.b"), 3);
}

static void test_user_group_one(const char *s, bool expected) {
        if (user_group_name_is_valid(s) != expected)
                fail_msg("user_group_name_is_valid(\"%s\") should be %s", s ?: "(null)", expected ? "true" : "false");
}

static void test_user_group_name_is_valid(void **state _unused_) {
        test_user_group_one("root", true);
        test_user_group_one("www-data", true);
        test_user_group_one("_apt", true);
        test_user_group_one("A_b-1", true);
        test_user_group_one("x-", true);
        test_user_group_one("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true);       /* 31 */
        test_user_group_one("0", true);
        test_user_group_one("1000", true);
        test_user_group_one("65534", true);
        test_user_group_one("4294967294", true);

        test_user_group_one(NULL, false);
        test_user_group_one("", false);
        test_user_group_one("root:root", false);
        test_user_group_one("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false);      /* 32 */
        test_user_group_one("-x", false);
        test_user_group_one("1a", false);
        test_user_group_one("a b", false);
        test_user_group_one("a.b", false);
        test_user_group_one("a@b", false);
        test_user_group_one("foo$", false);
        test_user_group_one("root\\", false);
        test_user_group_one("007", false);
        test_user_group_one("65535", false);
        test_user_group_one("4294967295", false);
        test_user_group_one("4294967296", false);
        test_user_group_one("99999999999", false);
        test_user_group_one("-1", false);
}

static void test_verbatim_problems(void **state _unused_) {
        static const char * const fine[] = {
                "/srv/shop", "/srv/50% off $HOME \"q\" \\ \xc3\xa9; x", "a b", "#x", ";x", "x\\y", "\\x",
        };

        for (size_t i = 0; i < ELEMENTSOF(fine); i++)
                if (unit_verbatim_problem(fine[i]))
                        fail_msg("'%s': %s", fine[i], unit_verbatim_problem(fine[i]));
        assert_non_null(unit_verbatim_problem("a\nb"));
        assert_non_null(unit_verbatim_problem("a\tb"));
        assert_non_null(unit_verbatim_problem("a\x7f"));
        assert_non_null(unit_verbatim_problem("caf\xe9"));
        assert_non_null(unit_verbatim_problem("x\\"));
        assert_non_null(unit_verbatim_problem("\\"));
        assert_non_null(unit_verbatim_problem(" x"));
        assert_non_null(unit_verbatim_problem("x "));
        assert_non_null(unit_verbatim_problem(" "));

        assert_null(unit_path_problem("/"));
        assert_null(unit_path_problem("/srv/shop"));
        assert_null(unit_path_problem("/srv/.hidden/..x/x.."));
        assert_non_null(unit_path_problem("srv"));
        assert_non_null(unit_path_problem("/srv/.."));
        assert_non_null(unit_path_problem("/srv/../x"));
        assert_non_null(unit_path_problem("/srv/./x"));
        assert_non_null(unit_path_problem("/srv/x\\"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strv_basics),
                cmocka_unit_test(test_strv_env_set),
                cmocka_unit_test(test_strv_env_merge),
                cmocka_unit_test(test_unit_prefix_is_valid),
                cmocka_unit_test(test_env_name_is_valid),
                cmocka_unit_test(test_app_name_check),
                cmocka_unit_test(test_unit_prefix_escaped_length),
                cmocka_unit_test(test_user_group_name_is_valid),
                cmocka_unit_test(test_verbatim_problems),
        };
        return cmocka_run_group_tests_name("strv-names", tests, NULL, NULL);
}
