/* SPDX-License-Identifier: MIT */

/* What the audit of issue 19 found procfile_load() let through, each refused with its file, line and
 * setting: app names that shadow systemd's own units or can't be installed (findings 1 and 9), values
 * systemd reads verbatim that would change how it splits the unit (finding 3), files that are not
 * regular or too large (finding 6), and values outside the ranges systemd represents or the documented
 * bounds (findings 7 and 8). And what must still load: the largest values allowed, and paths normalised
 * so that systemd takes them. "@F@" in an expectation stands for the procfile's absolute path. */

#include "procfile-test.h"

#include <sys/stat.h>

#include "common/names.h"

static void error_one(const char *text, unsigned line, const char *expected) {
        error_in(scratch, text, &(ProcfileOptions) { .auto_scale = 2 }, -EINVAL, line, expected);
}

/* A procfile of one process web with the given settings (one line), and its error on line 2. */
static void error_web(const char *settings, const char *expected) {
        _cleanup_free_ char *text = NULL, *want = NULL;

        assert_true(asprintf(&text, "processes = { web = {\n        entry = \"w\"; %s }; };\n", settings) >= 0);
        assert_true(asprintf(&want, "@F@:2: processes.web.%s", expected) >= 0);
        error_one(text, 2, want);
}

static void test_reserved_app_names(void **state _unused_) {
        static const char * const special[] = {
                "multi-user", "default", "basic", "graphical", "rescue", "emergency", "sysinit", "shutdown",
                "network-online", "remote-fs", "sockets", "timers", "getty", "exit", "graphical-session",
                "runlevel3", "local-fs-pre",
        };
        static const char * const systemd[] = { "systemd", "systemd-journald", "systemd-x" };
        static const char special_why[] = "is reserved: '<app>.target' would replace systemd's special target "
                                          "of that name (systemd.special(7))";
        static const char systemd_why[] = "is reserved: 'systemd' and 'systemd-*' name systemd's own units";

        for (size_t i = 0; i < ELEMENTSOF(special); i++) {
                _cleanup_free_ char *text = NULL, *want = NULL;

                assert_true(asprintf(&text, "fork = { web = \"w\"; };\napp = \"%s\";\n", special[i]) >= 0);
                assert_true(asprintf(&want, "@F@:2: app: '%s' %s", special[i], special_why) >= 0);
                error_one(text, 2, want);
        }
        for (size_t i = 0; i < ELEMENTSOF(systemd); i++) {
                _cleanup_free_ char *text = NULL, *want = NULL;

                /* The audit's app: process journald with a socket became systemd-journald.socket. */
                assert_true(asprintf(&text, "app = \"%s\";\nprocesses = { journald = { entry = \"w\"; "
                                     "listen = [ \"/run/j.sock\" ]; }; };\n", systemd[i]) >= 0);
                assert_true(asprintf(&want, "@F@:1: app: '%s' %s", systemd[i], systemd_why) >= 0);
                error_one(text, 1, want);
        }
        /* Names that only look alike are the user's. */
        {
                static const char * const fine[] = {
                        "multi-user2", "my-default", "systemdx", "Systemd-x", "dbus", "user", "basic-app",
                };

                for (size_t i = 0; i < ELEMENTSOF(fine); i++) {
                        _cleanup_free_ char *text = NULL;
                        _cleanup_(procfile_freep) Procfile *p = NULL;

                        assert_true(asprintf(&text, "app = \"%s\";\nfork = { web = \"w\"; };\n", fine[i]) >= 0);
                        p = load(text);
                        assert_string_equal(p->app, fine[i]);
                }
        }
}

static void test_reserved_default_names(void **state _unused_) {
        _cleanup_free_ char *dir = test_mkdir(scratch, "multi-user");

        /* The app named after the procfile's directory, or the generator's file name, is checked too. */
        error_in(dir, "fork = { web = \"w\"; };\n", &(ProcfileOptions) { .auto_scale = 1 }, -EINVAL, 0,
                 "@F@: app: directory name 'multi-user' is reserved: '<app>.target' would replace systemd's "
                 "special target of that name (systemd.special(7)); set 'app'");
        error_in(scratch, "fork = { web = \"w\"; };\n",
                 &(ProcfileOptions) { .auto_scale = 1, .default_app = "systemd-journald" }, -EINVAL, 0,
                 "@F@: app: file name 'systemd-journald' is reserved: 'systemd' and 'systemd-*' name "
                 "systemd's own units; set 'app'");
        error_in(scratch, "fork = { web = \"w\"; };\n",
                 &(ProcfileOptions) { .auto_scale = 1, .default_app = "-x" }, -EINVAL, 0,
                 "@F@: app: file name '-x' can't start with '-': systemctl would take its units for options; "
                 "set 'app'");
}

static void test_uninstallable_app_names(void **state _unused_) {
        char name[APP_NAME_LENGTH_MAX + 2];
        _cleanup_free_ char *text = NULL, *want = NULL;

        error_one("fork = { web = \"w\"; };\napp = \"-x\";\n", 2,
                  "@F@:2: app: '-x' can't start with '-': systemctl would take its units for options");
        error_one("app = \".x\";\nfork = { web = \"w\"; };\n", 1,
                  "@F@:1: app: '.x' can't start with '.': systemd does not load hidden unit files");
        /* 243 characters: <app>.target.wants is 256. */
        memset(name, 'a', APP_NAME_LENGTH_MAX + 1);
        name[APP_NAME_LENGTH_MAX + 1] = '\0';
        assert_true(asprintf(&text, "app = \"%s\";\nfork = { w = \"w\"; };\n", name) >= 0);
        assert_true(asprintf(&want, "@F@:1: app: '%s' is too long: '<app>.target.wants' must fit in a file "
                             "name (at most 242 characters)", name) >= 0);
        error_one(text, 1, want);
        /* 242 passes as an app name (app_name_check()), but then no process fits: see below. */
        /* systemd loads the instances into system-<app>-<process escaped>.slice, and that name must fit:
         * 233 + 4 + 5 = 242 is the longest prefix, every '-' counting 4 ("\x2d"). */
        memset(name, 'a', 233);
        name[233] = '\0';
        free(text);
        assert_true(asprintf(&text, "app = \"%s\";\nprocesses = {\n        abcde = { entry = \"w\"; }; };\n",
                             name) >= 0);
        {
                _cleanup_(procfile_freep) Procfile *p = load(text);
        }
        free(text);
        free(want);
        assert_true(asprintf(&text, "app = \"%s\";\nprocesses = {\n        ab-de = { entry = \"w\"; }; };\n",
                             name) >= 0);
        assert_true(asprintf(&want, "@F@:3: processes.ab-de: unit name prefix '%s-ab-de' is too long: systemd "
                             "puts the instances into the slice 'system-<prefix>.slice', with every '-' written "
                             "as '\\x2d', and that name would be longer than 255 characters", name) >= 0);
        error_one(text, 3, want);
        /* A trailing backslash in a name would end SyslogIdentifier= and FileDescriptorName=. */
        error_one("app = \"a\\\\\";\nfork = { w = \"w\"; };\n", 1,
                  "@F@:1: app: 'a\\' is not a valid unit name prefix");
}

static void test_verbatim_values(void **state _unused_) {
        static const char backslash[] = "must not end with a backslash: systemd would read the next line of the "
                                        "unit as part of it";
        static const char space[] = "must not start or end with a space: systemd would strip it";
        _cleanup_free_ char *want = NULL;

        assert_true(asprintf(&want, "@F@:1: dir: %s", backslash) >= 0);
        error_one("dir = \"/srv/shop\\\\\";\nfork = { web = \"w\"; };\n", 1, want);
        free(want);
        assert_true(asprintf(&want, "@F@:1: dir: %s", space) >= 0);
        error_one("dir = \"/srv/shop \";\nfork = { web = \"w\"; };\n", 1, want);
        /* The value as written is checked before it is joined to the procfile's directory. */
        error_one("dir = \" current\";\nfork = { web = \"w\"; };\n", 1, want);
        error_one("dir = \"/srv/caf\\xe9\";\nfork = { web = \"w\"; };\n", 1,
                  "@F@:1: dir: must be valid UTF-8: systemd ignores a setting that is not");
        free(want);
        assert_true(asprintf(&want, "user = \"shop\\\\\";") >= 0);
        {
                _cleanup_free_ char *expected = NULL;

                assert_true(asprintf(&expected, "user: %s", backslash) >= 0);
                error_web(want, expected);
                free(want);
                want = strdup("group = \"shop\\\\\";");
                free(expected);
                assert_true(asprintf(&expected, "group: %s", backslash) >= 0);
                error_web(want, expected);
                free(want);
                want = strdup("listen = [ \"/run/a.sock\", \"/run/b\\\\\" ];");
                free(expected);
                assert_true(asprintf(&expected, "listen: '/run/b\\' %s", backslash) >= 0);
                error_web(want, expected);
                free(want);
                want = strdup("listen = [ \"/run/b.sock \" ];");
                free(expected);
                assert_true(asprintf(&expected, "listen: '/run/b.sock ' %s", space) >= 0);
                error_web(want, expected);
        }
        error_web("listen = [ \"/run/caf\\xe9.sock\" ];",
                  "listen: '/run/caf\xe9.sock' must be valid UTF-8: systemd ignores a setting that is not");
}

/* The procfile's own directory is the default `dir`: one ending in a backslash is refused, unless the
 * procfile sets `dir`. */
static void test_verbatim_default_dir(void **state _unused_) {
        _cleanup_free_ char *dir = test_mkdir(scratch, "shop\\"), *want = NULL;

        assert_true(asprintf(&want, "@F@: dir: the procfile's directory '%s' must not end with a backslash: "
                             "systemd would read the next line of the unit as part of it; set 'dir'", dir) >= 0);
        error_in(dir, "app = \"shop\";\nfork = { web = \"w\"; };\n", &(ProcfileOptions) { .auto_scale = 1 },
                 -EINVAL, 0, want);
        {
                _cleanup_(procfile_freep) Procfile *p = load_in(dir, "app = \"shop\";\ndir = \"/srv/shop\";\n"
                                                                "fork = { web = \"w\"; };\n", NULL);

                assert_string_equal(p->dir, "/srv/shop");
        }
}

static void test_user_group_names(void **state _unused_) {
        static const char * const bad[] = { "root:root", "007", "65535", "4294967295", "-1", "a b", "a@b",
                                            "1a", "foo$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *settings = NULL, *want = NULL;

                assert_true(asprintf(&settings, "user = \"%s\";", bad[i]) >= 0);
                assert_true(asprintf(&want, "user: '%s' is not a user name or ID that systemd takes: a letter or "
                                     "'_', then letters, digits, '_' or '-', at most 31 characters; or a number",
                                     bad[i]) >= 0);
                error_web(settings, want);
        }
        error_web("group = \"a:b\";", "group: 'a:b' is not a group name or ID that systemd takes: a letter or "
                  "'_', then letters, digits, '_' or '-', at most 31 characters; or a number");
        {
                _cleanup_(procfile_freep) Procfile *p = load(
                        "processes = { web = { entry = \"w\"; user = \"www-data\"; group = \"0\"; }; };\n");

                assert_string_equal(process(p, "web")->user, "www-data");
                assert_string_equal(process(p, "web")->group, "0");
        }
}

static void test_ranges(void **state _unused_) {
        static const struct {
                const char *setting;
                const char *expected;
        } cases[] = {
                { "scale = 1001;", "scale: must be at most 1000" },
                { "stop_timeout_ms = 9223372036854775807L;",
                  "stop_timeout_ms: must be at most 31536000000 (a year)" },
                { "watchdog_ms = 31536000001L;", "watchdog_ms: must be at most 31536000000 (a year)" },
                { "restart_delay_ms = 31536000001L;", "restart_delay_ms: must be at most 31536000000 (a year)" },
                { "start_timeout_ms = 31536000001L;", "start_timeout_ms: must be at most 31536000000 (a year)" },
                { "reload_timeout_ms = 31536000001L;", "reload_timeout_ms: must be at most 31536000000 (a year)" },
                { "restart_interval_s = 31536001;", "restart_interval_s: must be at most 31536000 (a year)" },
                { "restart_burst = 4294967296L;",
                  "restart_burst: must be at most 4294967295 (systemd's StartLimitBurst=)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                error_web(cases[i].setting, cases[i].expected);
        error_one("services = { s = {\n        exec = \"x\"; stop_timeout_ms = 31536000001L; }; };\n", 2,
                  "@F@:2: services.s.stop_timeout_ms: must be at most 31536000000 (a year)");
        error_one("log_rate_limit = {\n        interval_s = 31536001; };\nfork = { w = \"w\"; };\n", 2,
                  "@F@:2: log_rate_limit.interval_s: must be at most 31536000");
        error_one("log_rate_limit = {\n        burst = 4294967296L; };\nfork = { w = \"w\"; };\n", 2,
                  "@F@:2: log_rate_limit.burst: must be at most 4294967295");
        /* The dev overlay is held to the same bounds. */
        error_in(scratch, "fork = { web = \"w\"; };\ndev = { processes = { web = {\n        scale = 5000; }; }; };\n",
                 &(ProcfileOptions) { .dev = true }, -EINVAL, 3, "@F@:3: dev.processes.web.scale: must be at most 1000");
}

static void test_counts(void **state _unused_) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        /* 11 groups of 1000: the eleventh is one group too many. */
        assert_non_null(f);
        fputs("processes = {\n", f);
        for (int i = 0; i < 11; i++)
                fprintf(f, "        p%02d = { entry = \"w\"; scale = 1000; };\n", i);
        fputs("};\n", f);
        assert_int_equal(fclose(f), 0);
        error_one(text, 12, "@F@:12: processes.p10.scale: the app has more than 10000 instances, the most an "
                  "app may have");

        free(text);
        f = open_memstream(&text, &size);
        assert_non_null(f);
        fputs("processes = { web = { entry = \"w\";\n        listen = [ ", f);
        for (int i = 0; i < 65; i++)
                fprintf(f, "%s\"%d\"", i ? ", " : "", 1000 + i);
        fputs(" ]; }; };\n", f);
        assert_int_equal(fclose(f), 0);
        error_one(text, 2, "@F@:2: processes.web.listen: must have at most 64 addresses");
}

static void test_largest_values(void **state _unused_) {
        _cleanup_(procfile_freep) Procfile *p = load(
                "log_rate_limit = { interval_s = 31536000; burst = 4294967295L; };\n"
                "processes = { web = { entry = \"w\"; scale = 1000; stop_timeout_ms = 31536000000L;\n"
                "        watchdog_ms = 31536000000L; restart_burst = 4294967295L; restart_interval_s = 31536000; }; };\n"
                "services = { s = { exec = \"x\"; stop_timeout_ms = 31536000000L; }; };\n");
        _cleanup_(procfile_freep) Procfile *many = NULL;

        assert_int_equal(process(p, "web")->scale, 1000);
        assert_int_equal(process(p, "web")->stop_timeout_ms, 31536000000ULL);
        assert_int_equal(process(p, "web")->restart_burst, 4294967295ULL);
        assert_int_equal(p->log_rate_burst, 4294967295ULL);
        /* "auto" on a host of more CPUs than that is the most a group may have. */
        many = load_in(scratch, "processes = { web = { entry = \"w\"; scale = \"auto\"; }; };\n",
                       &(ProcfileOptions) { .auto_scale = 5000 });
        assert_int_equal(process(many, "web")->scale, 1000);
}

static void test_normalized_paths(void **state _unused_) {
        _cleanup_free_ char *sub = test_mkdir(scratch, "sub"), *current = test_mkdir(sub, "current");
        _cleanup_free_ char *path = test_write(current, "procfile", "app = \"shop\";\ndir = \"../shared/./x/\";\n"
                                               "fork = { web = \"w\"; };\n");
        _cleanup_free_ char *dotted = NULL, *want_dir = NULL;
        _cleanup_(procfile_freep) Procfile *p = NULL;

        /* systemd refuses WorkingDirectory= and SourcePath= with "..": the paths are normalised. */
        assert_true(asprintf(&dotted, "%s/../sub/./current//procfile", sub) >= 0);
        assert_int_equal(procfile_load(dotted, NULL, &p, NULL), 0);
        assert_string_equal(p->path, path);
        assert_string_equal(p->origin, path);
        assert_true(asprintf(&want_dir, "%s/shared/x", sub) >= 0);
        assert_string_equal(p->dir, want_dir);
}

static void test_file_kinds(void **state _unused_) {
        _cleanup_free_ char *fifo = test_path(scratch, "fifo.procfile"), *big = NULL, *want = NULL;
        _cleanup_free_ char *inc_dir = test_mkdir(scratch, "fifo-include"), *inc_fifo = NULL;
        ProcfileError e = {};
        Procfile *p = NULL;
        FILE *f;

        /* A FIFO without a writer is refused at once, not waited on. */
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(procfile_load(fifo, NULL, &p, &e), -EBADFD);
        assert_null(p);
        assert_true(asprintf(&want, "%s: not a regular file", fifo) >= 0);
        {
                _cleanup_free_ char *got = procfile_error_to_string(&e);

                assert_string_equal(got, want);
        }
        procfile_error_done(&e);
        /* A device that never ends. */
        assert_int_equal(procfile_load("/dev/zero", NULL, &p, &e), -EBADFD);
        procfile_error_done(&e);

        /* One byte over 16 MiB. */
        big = test_path(scratch, "big.procfile");
        f = fopen(big, "we");
        assert_non_null(f);
        assert_int_equal(ftruncate(fileno(f), 16 * 1024 * 1024 + 1), 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(procfile_load(big, NULL, &p, &e), -EFBIG);
        free(want);
        assert_true(asprintf(&want, "%s: larger than 16 MiB, the most a procfile may be", big) >= 0);
        {
                _cleanup_free_ char *got = procfile_error_to_string(&e);

                assert_string_equal(got, want);
        }
        procfile_error_done(&e);
        /* Exactly 16 MiB is read (and then fails as what it is: NUL bytes). */
        f = fopen(big, "we");
        assert_non_null(f);
        assert_int_equal(ftruncate(fileno(f), 16 * 1024 * 1024), 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(procfile_load(big, NULL, &p, &e), -EINVAL);
        procfile_error_done(&e);

        /* An @include of a FIFO is refused before libconfig would open it. */
        inc_fifo = test_path(inc_dir, "fifo.cfg");
        assert_int_equal(mkfifo(inc_fifo, 0600), 0);
        free(want);
        assert_true(asprintf(&want, "%s: not a regular file", inc_fifo) >= 0);
        error_in(inc_dir, "fork = { web = \"w\"; };\n  @include \"fifo.cfg\"\n",
                 &(ProcfileOptions) { .auto_scale = 1 }, -EBADFD, 0, want);
        /* One in a comment is checked too, but a missing one is libconfig's to report, and in a comment
         * it reports nothing: the load succeeds with no error left behind. */
        {
                _cleanup_(procfile_freep) Procfile *ok = load_in(inc_dir, "fork = { web = \"w\"; };\n/*\n"
                                                                 "@include \"missing.cfg\"\n*/\n", NULL);

                assert_string_equal(ok->app, "fifo-include");
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reserved_app_names),
                cmocka_unit_test(test_reserved_default_names),
                cmocka_unit_test(test_uninstallable_app_names),
                cmocka_unit_test(test_verbatim_values),
                cmocka_unit_test(test_verbatim_default_dir),
                cmocka_unit_test(test_user_group_names),
                cmocka_unit_test(test_ranges),
                cmocka_unit_test(test_counts),
                cmocka_unit_test(test_largest_values),
                cmocka_unit_test(test_normalized_paths),
                cmocka_unit_test(test_file_kinds),
        };
        return cmocka_run_group_tests_name("procfile-limits", tests, procfile_test_setup, procfile_test_teardown);
}
