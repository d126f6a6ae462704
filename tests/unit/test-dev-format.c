/* SPDX-License-Identifier: MIT */

/* What pandora-gen --dev prints: -p levels, "process.instance/service | message" lines with their
 * fallbacks and colours, prefix widths, summary lines, and which names in a watched directory count. */

#include <signal.h>
#include <sys/wait.h>

#include "procfile-test.h"

#include "cli/dev/format.h"
#include "cli/dev/watch.h"

static void test_priority_one(const char *s, int expected) {
        assert_int_equal(dev_priority_from_string(s), expected);
}

static void test_priority(void **state _unused_) {
        test_priority_one("emerg", 0);
        test_priority_one("err", 3);
        test_priority_one("warning", 4);
        test_priority_one("debug", 7);
        test_priority_one("0", 0);
        test_priority_one("7", 7);
        test_priority_one("8", -EINVAL);
        test_priority_one("07", -EINVAL);
        test_priority_one("error", -EINVAL);
        test_priority_one("", -EINVAL);
}

static void test_who_one(const DevEntry *e, const char *expected, const char *expected_process) {
        _cleanup_free_ char *who = NULL, *process = NULL;

        who = dev_entry_who("shop", e, &process);
        assert_string_equal(who, expected);
        if (expected_process)
                assert_string_equal(process, expected_process);
        else
                assert_null(process);
}

static void test_who(void **state _unused_) {
        /* The agent's own fields. */
        test_who_one(&(DevEntry) { .process = "web", .instance = "2", .service = "cache",
                                   .unit = "shop-web@2.service" }, "web.2/cache", "web");
        /* A process's output: PANDORA_PROCESS from LogExtraFields=, the instance from the unit. */
        test_who_one(&(DevEntry) { .process = "web", .unit = "shop-web@12.service" }, "web.12", "web");
        /* The manager about a unit: only UNIT=. */
        test_who_one(&(DevEntry) { .unit = "shop-web-api@3.socket" }, "web-api.3", "web-api");
        /* Another app's unit, or none at all. */
        test_who_one(&(DevEntry) { .unit = "other-web@1.service" }, "other-web@1.service", NULL);
        test_who_one(&(DevEntry) { .unit = "shop-web.service" }, "shop-web.service", NULL);
        test_who_one(&(DevEntry) { .message = "x" }, "shop", NULL);
        test_who_one(&(DevEntry) { .process = "web" }, "web.?", "web");
}

static char *write_entry(const DevStyle *style, const DevEntry *e) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        assert_non_null(f);
        assert_int_equal(dev_entry_write(style, e, f), 0);
        assert_int_equal(fclose(f), 0);
        return text;
}

static void test_lines(void **state _unused_) {
        char *processes[] = { (char *) "background", (char *) "web", NULL };
        DevStyle plain = { .app = "shop", .processes = processes, .width = 12 };
        DevStyle colour = { .app = "shop", .processes = processes, .width = 5, .colour = true };
        DevEntry e = { .process = "web", .instance = "1", .message = "GET /" };
        _cleanup_free_ char *a = write_entry(&plain, &e), *b = NULL, *c = NULL, *d = NULL, *n = NULL;

        assert_string_equal(a, "web.1        | GET /\n");
        /* Every line of a message gets the prefix; a final newline adds no empty line. */
        e.message = "one\ntwo\n";
        b = write_entry(&plain, &e);
        assert_string_equal(b, "web.1        | one\nweb.1        | two\n");
        /* The second process gets foreman's second colour; the manager's lines about others get none. */
        e.message = "x";
        c = write_entry(&colour, &e);
        assert_string_equal(c, "\033[33mweb.1 |\033[0m x\n");
        d = write_entry(&colour, &(DevEntry) { .unit = "init.scope", .message = "y" });
        assert_string_equal(d, "init.scope | y\n");
        n = write_entry(&plain, &(DevEntry) { .process = "web" });
        assert_string_equal(n, "");
}

static void test_prefix_width(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load_in(scratch,
                "processes = { web = { entry = \"w\"; scale = 12; }; api = { entry = \"a\"; }; };\n"
                "services = { cache = { exec = \"c\"; process = \"api\"; }; };\n",
                &(ProcfileOptions) { .dev = true, .auto_scale = 4 });

        /* "api.1/cache" is longer than "web.12". */
        assert_int_equal(dev_prefix_width(p), strlen("api.1/cache"));
}

static void test_summary_one(int code, int status, const char *result, unsigned restarts,
                             const char *expected) {
        _cleanup_free_ char *s = dev_summary("web.1", code, status, result, restarts);

        assert_string_equal(s, expected);
}

static void test_summary(void **state _unused_) {
        test_summary_one(CLD_EXITED, 0, "success", 0, "web.1: exited with status 0 (success), 0 restarts");
        test_summary_one(CLD_EXITED, 3, "exit-code", 1,
                         "web.1: exited with status 3 (exit-code), 1 restart");
        test_summary_one(CLD_KILLED, SIGKILL, "signal", 2, "web.1: killed by SIGKILL (signal), 2 restarts");
        test_summary_one(CLD_DUMPED, SIGSEGV, "core-dump", 0,
                         "web.1: dumped core on SIGSEGV (core-dump), 0 restarts");
        test_summary_one(0, 0, "resources", 0, "web.1: never ran (resources), 0 restarts");
}

static void test_watch_names(void **state _unused_) {
        assert_true(dev_watch_name_counts("web.js", "web.js"));
        assert_false(dev_watch_name_counts("web.js", ".web.js.swp"));
        assert_true(dev_watch_name_counts("*.js", "app.js"));
        assert_false(dev_watch_name_counts("*.js", ".hidden.js"));
        /* A watched tree: everything but editors' scratch files. */
        assert_true(dev_watch_name_counts(NULL, "lib.js"));
        assert_false(dev_watch_name_counts(NULL, ".git"));
        assert_false(dev_watch_name_counts(NULL, "lib.js~"));
        assert_false(dev_watch_name_counts(NULL, ""));
}

static int setup(void **state _unused_) {
        scratch = test_dir_new("test-dev-format");
        return 0;
}

static int teardown(void **state _unused_) {
        test_dir_free(scratch);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_priority),
                cmocka_unit_test(test_who),
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_prefix_width),
                cmocka_unit_test(test_summary),
                cmocka_unit_test(test_watch_names),
        };

        return cmocka_run_group_tests_name("dev-format", tests, setup, teardown);
}
