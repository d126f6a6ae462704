/* SPDX-License-Identifier: MIT */

/* Large procfiles load to the same model, and fail with the same errors, as small ones (issue 19
 * finding 8). Loading them takes hashed paths that small files don't: libconfig's duplicate-name check
 * answered from an index (parse-index.c), env blocks merged through a hash (env-merge.c), services and
 * dependencies found by name, stable sorts. Each case builds a procfile of thousands of settings and
 * checks the result against what the simple, quadratic code computes (strv_env_set() and friends), or
 * against libconfig's own error at its line. Nothing here is timed: bench/ row 8 measures. */

#include "procfile-test.h"

#include <libconfig.h>

#include "common/procfile/parse-index.h"

/* The file's text, built with fprintf(). */
typedef struct Text {
        char *text;
        size_t size;
        FILE *f;
        unsigned line;          /* the line the next fprintf() starts on */
} Text;

static void text_begin(Text *t) {
        *t = (Text) { .line = 1 };
        t->f = open_memstream(&t->text, &t->size);
        assert_non_null(t->f);
}

/* Appends format's text and a newline; t->line counts the lines it held. */
static void text_line(Text *t, const char *format, ...) _printf_(2, 3);
static void text_line(Text *t, const char *format, ...) {
        _cleanup_free_ char *line = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&line, format, ap);
        va_end(ap);
        assert_true(r >= 0);
        fprintf(t->f, "%s\n", line);
        for (const char *c = line; *c; c++)
                t->line += *c == '\n';
        t->line++;
}

static char *text_end(Text *t) {
        assert_int_equal(fclose(t->f), 0);
        return t->text;
}

/* Loads text and checks it fails at line with exactly "FILE:LINE: message". */
static void error_at(const char *text, const ProcfileOptions *options, unsigned line, const char *message) {
        _cleanup_free_ char *path = test_write(scratch, "procfile", text), *want = NULL, *got = NULL;
        ProcfileError e = {};
        Procfile *p = NULL;
        int r;

        assert_true(asprintf(&want, "%s:%u: %s", path, line, message) >= 0);
        r = procfile_load(path, options, &p, &e);
        got = procfile_error_to_string(&e);
        assert_non_null(got);
        if (r != -EINVAL || strcmp(got, want) != 0 || e.line != line) {
                print_error("expected -EINVAL, line %u: %s\n", line, want);
                print_error("got      %d, line %u: %s\n", r, e.line, got);
                fail();
        }
        assert_null(p);
        procfile_error_done(&e);
}

/* A group of n members in the place `where` names (an app env, a process env, the processes group, a
 * service's config), with member `again` written a second time right after member `after`: refused by
 * libconfig at the second one, as in a small group. */
static void duplicate_one(const char *where, unsigned n, unsigned after, unsigned again) {
        _cleanup_free_ char *text = NULL;
        bool processes = streq(where, "processes");
        unsigned line = 0;
        Text t;

        text_begin(&t);
        if (streq(where, "app env"))
                text_line(&t, "processes = { web = { entry = \"w\"; }; };\nenv = {");
        else if (streq(where, "process env"))
                text_line(&t, "processes = { web = {\n    entry = \"w\";\n    env = {");
        else if (processes)
                text_line(&t, "processes = {");
        else
                text_line(&t, "processes = { web = { entry = \"w\"; }; };\n"
                          "services = { s = {\n    exec = \"s\";\n    config = {");
        for (unsigned i = 0; i < n; i++) {
                if (processes)
                        text_line(&t, "        p%05u = { entry = \"w\"; };", i);
                else
                        text_line(&t, "        K%05u = %u;", i, i);
                if (i != after)
                        continue;
                line = t.line;
                if (processes)
                        text_line(&t, "        p%05u = { entry = \"again\"; };", again);
                else
                        text_line(&t, "        K%05u = \"again\";", again);
        }
        text_line(&t, "%s", processes || streq(where, "app env") ? "};" : "}; }; };");
        text = text_end(&t);
        error_at(text, &(ProcfileOptions) { .auto_scale = 2 }, line, "duplicate setting name");
        /* The check that refused it was the index's (where pandora's build can have one). */
        if (LIBCONFIG_VER_MAJOR == 1 && LIBCONFIG_VER_MINOR == 5)
                assert_true(parser_index_effective());
}

static void test_duplicates_in_large_groups(void **state _unused_) {
        static const char * const places[] = { "app env", "process env", "processes", "config" };

        for (size_t i = 0; i < ELEMENTSOF(places); i++) {
                duplicate_one(places[i], 3000, 2999, 0);        /* the first again, at the end */
                duplicate_one(places[i], 3000, 2999, 2999);     /* the last, at once */
                duplicate_one(places[i], 3000, 1500, 700);      /* in the middle */
                /* Around the size where the index takes over from libconfig's scan (32 members). */
                for (unsigned n = 30; n < 36; n++)
                        duplicate_one(places[i], n, n - 1, 0);
        }
}

/* Outside a parse, config_setting_get_member() is libconfig's own, for pandora's code and the agent's
 * service modules alike: names compared up to a path separator, as libconfig 1.5 does. */
static void test_get_member_outside_parse(void **state _unused_) {
        _cleanup_(config_destroy) config_t config;
        _cleanup_free_ char *text = NULL;
        const config_setting_t *group;
        Text t;

        text_begin(&t);
        text_line(&t, "g = {");
        for (unsigned i = 0; i < 1000; i++)
                text_line(&t, "    K%04u = %u;", i, i);
        text_line(&t, "};\ns = 1;");
        text = text_end(&t);

        config_init(&config);
        assert_int_equal(config_read_string(&config, text), CONFIG_TRUE);
        group = config_setting_get_member(config_root_setting(&config), "g");
        assert_non_null(group);
        assert_int_equal(config_setting_get_int(config_setting_get_member(group, "K0999")), 999);
        assert_int_equal(config_setting_get_int(config_setting_get_member(group, "K0000")), 0);
        assert_int_equal(config_setting_get_int(config_setting_get_member(group, "K0500.x")), 500);
        assert_null(config_setting_get_member(group, "K1000"));
        assert_null(config_setting_get_member(group, "K099"));
        assert_null(config_setting_get_member(config_setting_get_member(config_root_setting(&config), "s"),
                                              "K0001"));
        assert_int_equal(config_setting_get_int(config_lookup(&config, "g.K0123")), 123);
}

/* What the simple code did: strv_env_set() per variable, the app's block copied, the process's own
 * (the built-in's "worker=true" first) merged over it. */
static void test_large_env_precedence(void **state _unused_) {
        _cleanup_strv_free_ char **expected = NULL, **own = NULL, **dev_own = NULL;
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_free_ char *text = NULL;
        char value[64];
        Text t;

        assert_int_equal(strv_env_set(&own, "worker", "true"), 0);
        text_begin(&t);
        text_line(&t, "processes = { worker = { entry = \"w\"; env = {");
        /* Every third app variable overridden, and some of the process's own (V04000 and up). */
        for (unsigned i = 0; i < 6000; i += 3) {
                char name[16];

                snprintf(name, sizeof(name), "V%05u", i);
                snprintf(value, sizeof(value), "own %u", i);
                text_line(&t, "    %s = \"%s\";", name, value);
                assert_int_equal(strv_env_set(&own, name, value), 0);
        }
        text_line(&t, "}; }; };\nenv = {");
        for (unsigned i = 0; i < 4000; i++) {
                char name[16];

                snprintf(name, sizeof(name), "V%05u", i);
                snprintf(value, sizeof(value), "app %u", i);
                text_line(&t, "    %s = \"%s\";", name, value);
                assert_int_equal(strv_env_set(&expected, name, value), 0);
        }
        text_line(&t, "    worker = \"app\";\n};");
        assert_int_equal(strv_env_set(&expected, "worker", "app"), 0);
        text_line(&t, "dev = { processes = { worker = {\n"
                  "    env = { V00001 = \"dev\"; V09999 = \"dev\"; };\n}; }; };");
        text = text_end(&t);

        dev_own = strv_copy(own);
        assert_non_null(dev_own);
        assert_int_equal(strv_env_set(&dev_own, "V00001", "dev"), 0);
        assert_int_equal(strv_env_set(&dev_own, "V09999", "dev"), 0);

        p = load(text);
        {
                _cleanup_strv_free_ char **want = strv_copy(expected);

                assert_non_null(want);
                assert_int_equal(strv_env_merge(&want, own), 0);
                test_strv_equal(process(p, "worker")->env, (const char * const *) want, "worker env");
                test_strv_equal(p->env, (const char * const *) expected, "app env");
        }
        p = procfile_free(p);

        p = load_in(scratch, text, &(ProcfileOptions) { .dev = true, .auto_scale = 4 });
        {
                _cleanup_strv_free_ char **want = strv_copy(expected);

                assert_non_null(want);
                assert_int_equal(strv_env_merge(&want, dev_own), 0);
                test_strv_equal(process(p, "worker")->env, (const char * const *) want, "worker env, dev");
        }
}

/* Chains of 20 services, each depending on the next one in the file (so weights fall along the file),
 * one service after everything ("all"), one on every process ("weak-all"), and a second process:
 * start order by weight, file order among equals, as the insertion sort had it. */
static void test_large_service_order(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_strv_free_ char **web = NULL, **api = NULL;
        _cleanup_free_ char *text = NULL;
        const unsigned n = 400, chain = 20;
        Text t;

        text_begin(&t);
        text_line(&t, "processes = { web = { entry = \"w\"; }; api = { entry = \"a\"; }; };\nservices = {");
        text_line(&t, "    last = { exec = \"l\"; process = \"web\"; dependencies = [ \"all\" ]; };");
        for (unsigned i = 0; i < n; i++)
                if (i % chain == chain - 1)
                        text_line(&t, "    s%03u = { exec = \"s\"; process = \"web\"; };", i);
                else
                        text_line(&t, "    s%03u = { exec = \"s\"; process = \"web\"; "
                                  "dependencies = [ \"s%03u\" ]; };", i, i + 1);
        text_line(&t, "    everywhere = { exec = \"e\"; process = \"weak-all\"; };");
        text_line(&t, "    own = { exec = \"o\"; process = \"api\"; dependencies = [ \"everywhere\" ]; };");
        text_line(&t, "};");
        text = text_end(&t);

        /* Weight w: the member chain - w of each chain, chains in file order; weak-all (weight 1)
         * comes after the s services of weight 1 in the file. */
        for (unsigned w = 1; w <= chain; w++) {
                for (unsigned c = 0; c < n / chain; c++) {
                        char *s;

                        assert_true(asprintf(&s, "s%03u:%u", c * chain + chain - w, w) >= 0);
                        assert_int_equal(strv_consume(&web, s), 0);
                }
                if (w == 1)
                        assert_int_equal(strv_extend(&web, "everywhere:1"), 0);
        }
        assert_int_equal(strv_extend(&web, "last:21"), 0);
        assert_int_equal(strv_extend(&api, "everywhere:1"), 0);
        assert_int_equal(strv_extend(&api, "own:2"), 0);

        p = load(text);
        assert_services(process(p, "web"), (const char * const *) web);
        assert_services(process(p, "api"), (const char * const *) api);
        assert_null(process(p, "worker")->services);
}

/* Many processes with few distinct `order`s, defined out of order: sorted stably. */
static void test_large_process_order(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_strv_free_ char **expected = NULL;
        _cleanup_free_ char *text = NULL;
        const unsigned n = 600;
        Text t;

        text_begin(&t);
        text_line(&t, "processes = {");
        for (unsigned i = 0; i < n; i++)
                text_line(&t, "    p%03u = { entry = \"w\"; scale = 1; order = %d; };", i,
                          2 - (int) (i * 7 % 5));
        text_line(&t, "};");
        text = text_end(&t);

        for (int order = -2; order <= 2; order++) {
                if (order == 0) {
                        assert_int_equal(strv_extend(&expected, "worker"), 0);
                        assert_int_equal(strv_extend(&expected, "background"), 0);
                }
                for (unsigned i = 0; i < n; i++) {
                        char *name;

                        if (2 - (int) (i * 7 % 5) != order)
                                continue;
                        assert_true(asprintf(&name, "p%03u", i) >= 0);
                        assert_int_equal(strv_consume(&expected, name), 0);
                }
        }
        p = load(text);
        assert_process_order(p, (const char * const *) expected);
}

/* A service's config of thousands of keys, and a dev overlay over some of them: merged key by key. */
static void test_large_config_merge(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_free_ char *text = NULL, *json = NULL;
        size_t size = 0;
        FILE *f;
        Text t;

        text_begin(&t);
        text_line(&t, "processes = { web = { entry = \"w\"; }; };");
        text_line(&t, "services = { s = { exec = \"s\"; config = {");
        for (unsigned i = 0; i < 2000; i++)
                text_line(&t, "    k%04u = %u;", i, i);
        text_line(&t, "    nested = { a = 1; b = 2; };\n}; }; };");
        text_line(&t, "dev = { services = { s = { config = { k1999 = \"dev\"; nested = { b = 3; c = 4; }; "
                  "k0000 = [ 1 ]; added = true; }; }; }; };");
        text = text_end(&t);

        f = open_memstream(&json, &size);
        assert_non_null(f);
        fputc('{', f);
        for (unsigned i = 0; i < 2000; i++)
                if (i == 0)
                        fputs("\"k0000\":[1]", f);
                else if (i == 1999)
                        fputs(",\"k1999\":\"dev\"", f);
                else
                        fprintf(f, ",\"k%04u\":%u", i, i);
        fputs(",\"nested\":{\"a\":1,\"b\":3,\"c\":4},\"added\":true}", f);
        assert_int_equal(fclose(f), 0);

        p = load_in(scratch, text, &(ProcfileOptions) { .dev = true, .auto_scale = 4 });
        assert_string_equal(service(p, "s")->config_json, json);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_duplicates_in_large_groups),
                cmocka_unit_test(test_get_member_outside_parse),
                cmocka_unit_test(test_large_env_precedence),
                cmocka_unit_test(test_large_service_order),
                cmocka_unit_test(test_large_process_order),
                cmocka_unit_test(test_large_config_merge),
        };
        return cmocka_run_group_tests_name("procfile-scale", tests, procfile_test_setup,
                                           procfile_test_teardown);
}
