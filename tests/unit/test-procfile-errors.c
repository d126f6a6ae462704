/* SPDX-License-Identifier: MIT */

/* Every error procfile_load() reports, as the user reads it: procfile_error_to_string()'s
 * "FILE:LINE: FIELD: MESSAGE" with the file absolute, plus the line on its own. Each case is one
 * procfile written at run time; "@F@" in an expectation stands for the procfile's absolute path. */

#include "procfile-test.h"

#include <sys/un.h>

#include "common/procfile/procfile.h"

/* An invalid procfile, loaded with "auto" fixed and without dev mode. */
static void error_one(const char *text, unsigned line, const char *expected) {
        error_in(scratch, text, &(ProcfileOptions) { .auto_scale = 2 }, -EINVAL, line, expected);
}

static void error_dev(const char *text, unsigned line, const char *expected) {
        error_in(scratch, text, &(ProcfileOptions) { .dev = true, .auto_scale = 2 }, -EINVAL, line,
                 expected);
}

static void test_syntax(void **state _unused_) {
        error_one("processes = {\n"
                  "        web = { scale = = 3; };\n"
                  "};\n",
                  2, "@F@:2: syntax error");
        error_one("fork = { web = \"w\"; };\n"
                  "processes = {\n",
                  3, "@F@:3: syntax error");
        error_one("app = \"a\";\n"
                  "app = \"b\";\n",
                  2, "@F@:2: duplicate setting name");
        error_one("processes = { web = { args = [ \"a\", 1 ]; }; };\n",
                  1, "@F@:1: mismatched element type in array");
}

static void test_unknown_keys(void **state _unused_) {
        error_one("procesess = {};\n", 1, "@F@:1: procesess: unknown key, did you mean 'processes'?");
        error_one("foo = 1;\n", 1, "@F@:1: foo: unknown key");
        error_one("processes = {\n"
                  "        web = {\n"
                  "                entry = \"w\";\n"
                  "                scal = 3;\n"
                  "        };\n"
                  "};\n",
                  4, "@F@:4: processes.web.scal: unknown key, did you mean 'scale'?");
        /* Two letters swapped are one edit (issue 16). */
        error_one("processes = {\n"
                  "        web = {\n"
                  "                entry = \"w\";\n"
                  "                scael = 3;\n"
                  "        };\n"
                  "};\n",
                  4, "@F@:4: processes.web.scael: unknown key, did you mean 'scale'?");
        error_one("processes = { web = { enrty = \"w\"; }; };\n",
                  1, "@F@:1: processes.web.enrty: unknown key, did you mean 'entry'?");
        error_one("processes = { web = {\n"
                  "        restart_delay = 3; }; };\n",
                  2, "@F@:2: processes.web.restart_delay: unknown key, did you mean 'restart_delay_ms'?");
        error_one("processes = { web = { cmd = \"x\"; }; };\n", 1, "@F@:1: processes.web.cmd: unknown key");
        error_one("services = {\n"
                  "        s = {\n"
                  "                exec = \"x\";\n"
                  "                dependency = [];\n"
                  "        };\n"
                  "};\n",
                  4, "@F@:4: services.s.dependency: unknown key, did you mean 'dependencies'?");
        error_one("services = { s = { exec = \"x\"; after = []; }; };\n",
                  1, "@F@:1: services.s.after: unknown key");
}

static void test_type_errors(void **state _unused_) {
        error_one("app = 1;\n", 1, "@F@:1: app: must be a string");
        error_one("autostart = \"yes\";\n", 1, "@F@:1: autostart: must be true or false");
        error_one("log_rate_limit = 5;\n", 1, "@F@:1: log_rate_limit: must be a group");
        error_one("watch = [ \"src\" ];\n", 1, "@F@:1: watch: only allowed in the dev group");
        error_one("dev = { watch = \"src\"; };\n", 1, "@F@:1: dev.watch: must be an array of strings");
        error_one("log_rate_limit = {\n        burst = 0; };\n", 2,
                  "@F@:2: log_rate_limit.burst: must be an integer > 0");
        error_one("log_rate_limit = { intervall_s = 5; };\n", 1,
                  "@F@:1: log_rate_limit.intervall_s: unknown key, did you mean 'interval_s'?");
        error_one("app = \"\";\n", 1, "@F@:1: app: must not be empty");
        error_one("dir = [ \"a\" ];\n", 1, "@F@:1: dir: must be a string");
        error_one("dir = \"\";\n", 1, "@F@:1: dir: must not be empty");
        error_one("default_process = 1;\n", 1, "@F@:1: default_process: must be a string");
        error_one("default_process = \"\";\n", 1, "@F@:1: default_process: must not be empty");
        error_one("processes = 1;\n", 1, "@F@:1: processes: must be a group");
        error_one("processes = {\n        web = 1;\n};\n", 2, "@F@:2: processes.web: must be a group");
        error_one("services = [];\n", 1, "@F@:1: services: must be a group");
        error_one("services = {\n        s = \"x\";\n};\n", 2, "@F@:2: services.s: must be a group");
        error_one("fork = [ \"a\" ];\n", 1, "@F@:1: fork: must be a group");
        error_one("fork = {\n        web = 1;\n};\n", 2, "@F@:2: fork.web: must be a string");
        error_one("fork = { web = \"\"; };\n", 1, "@F@:1: fork.web: must not be empty");
        error_one("cluster = \"a.js\";\n", 1, "@F@:1: cluster: must be an array of strings");
        error_one("cluster = [ 1 ];\n", 1, "@F@:1: cluster: must be an array of strings");
        error_one("dev = 1;\n", 1, "@F@:1: dev: must be a group");
        error_one("env = 1;\n", 1, "@F@:1: env: must be a group");

        error_one("processes = { web = {\n"
                  "        entry = 1; }; };\n", 2, "@F@:2: processes.web.entry: must be a string");
        error_one("processes = { web = { entry = \"\"; }; };\n",
                  1, "@F@:1: processes.web.entry: must not be empty");
        error_one("processes = { web = { entry = \"w\";\n"
                  "        args = ( \"a\", 1 ); }; };\n",
                  2, "@F@:2: processes.web.args: must be an array of strings");
        error_one("processes = { web = { args = \"a\"; }; };\n",
                  1, "@F@:1: processes.web.args: must be an array of strings");
        error_one("processes = { web = { listen = 8080; }; };\n",
                  1, "@F@:1: processes.web.listen: must be an array of strings");
        error_one("processes = { web = { order = \"1\"; }; };\n",
                  1, "@F@:1: processes.web.order: must be an integer");
        error_one("processes = { web = { order = 1.0; }; };\n",
                  1, "@F@:1: processes.web.order: must be an integer");
        error_one("processes = { web = { env = 1; }; };\n", 1, "@F@:1: processes.web.env: must be a group");
        error_one("processes = { web = { user = 0; }; };\n",
                  1, "@F@:1: processes.web.user: must be a string");
        error_one("processes = { web = { group = \"\"; }; };\n",
                  1, "@F@:1: processes.web.group: must not be empty");

        error_one("services = { s = { exec = 3; }; };\n", 1, "@F@:1: services.s.exec: must be a string");
        error_one("services = { s = { module = \"\"; }; };\n",
                  1, "@F@:1: services.s.module: must not be empty");
        error_one("services = { s = { exec = \"x\"; process = 1; }; };\n",
                  1, "@F@:1: services.s.process: must be a string");
        error_one("services = { s = { exec = \"x\";\n"
                  "        dependencies = \"b\"; }; };\n",
                  2, "@F@:2: services.s.dependencies: must be an array of strings");
        error_one("services = { s = { exec = \"x\"; config = 1; }; };\n",
                  1, "@F@:1: services.s.config: must be a group");
        error_one("services = { s = { exec = \"x\"; config = [ 1 ]; }; };\n",
                  1, "@F@:1: services.s.config: must be a group");
}

static void test_value_errors(void **state _unused_) {
        static const char * const scales[] = {
                "\"many\"", "\"\"", "-1", "1.5", "4294967296L", "true", "[ 1 ]",
        };

        for (size_t i = 0; i < ELEMENTSOF(scales); i++) {
                _cleanup_free_ char *text = NULL;

                assert_true(asprintf(&text, "processes = {\n        web = {\n                scale = %s;\n"
                                     "        };\n};\n", scales[i]) >= 0);
                error_one(text, 3, "@F@:3: processes.web.scale: must be an integer >= 0 or \"auto\"");
        }
        error_one("processes = { web = { restart = \"sometimes\"; }; };\n", 1,
                  "@F@:1: processes.web.restart: must be \"on-failure\", \"always\" or \"no\"");
        /* Shell syntax in a command that no shell will run (issue 16, item 4). */
        error_one("processes = { web = { entry = \"NODE_ENV=production node app.js\"; }; };\n", 1,
                  "@F@:1: processes.web.entry: 'NODE_ENV=production' sets a variable, but the command is not run "
                  "through a shell: put it in env = { NODE_ENV = \"production\"; }");
        error_one("processes = { web = { entry = \"node app.js > app.log 2>&1\"; }; };\n", 1,
                  "@F@:1: processes.web.entry: '>' is shell syntax, but the command is not run through a shell (the "
                  "journal keeps its output): to use a shell, write \"/bin/sh -c '...'\"");
        error_one("services = { s = { exec = \"ls | wc -l\"; }; };\n", 1,
                  "@F@:1: services.s.exec: '|' is shell syntax, but the command is not run through a shell (the "
                  "journal keeps its output): to use a shell, write \"/bin/sh -c '...'\"");
        error_one("processes = { web = { entry = \"node app.js 2>&1\"; }; };\n", 1,
                  "@F@:1: processes.web.entry: '2>&1' is shell syntax, but the command is not run through a shell "
                  "(the journal keeps its output): to use a shell, write \"/bin/sh -c '...'\"");
        error_one("processes = { web = { hardening = \"paranoid\"; }; };\n", 1,
                  "@F@:1: processes.web.hardening: must be \"default\", \"strict\" or \"off\"");
        error_one("hardening = 1;\n", 1, "@F@:1: hardening: must be \"default\", \"strict\" or \"off\"");
        error_one("processes = { web = { memory_max = \"lots\"; }; };\n", 1,
                  "@F@:1: processes.web.memory_max: must be bytes with an optional K, M, G or T (\"400M\"), a "
                  "percentage of the host's memory (\"50%\") or \"infinity\"");
        error_one("processes = { web = { memory_restart = \"50%\"; }; };\n", 1,
                  "@F@:1: processes.web.memory_restart: must be bytes with an optional K, M, G or T, such as \"400M\"");
        error_one("processes = { web = { cpu_quota = \"0%\"; }; };\n", 1,
                  "@F@:1: processes.web.cpu_quota: must be a percentage of one CPU, such as \"50%\" or \"200%\"");
        error_one("processes = { web = { writable = [ \"var/lib\" ]; }; };\n", 1,
                  "@F@:1: processes.web.writable: 'var/lib' must be an absolute path without spaces, quotes, "
                  "backslashes or control characters");
        error_one("processes = { web = { stderr_priority = \"loud\"; }; };\n", 1,
                  "@F@:1: processes.web.stderr_priority: must be emerg, alert, crit, err, warning, notice, info, "
                  "debug or 0..7");
        error_one("env_file = [ \"-\" ];\n", 1, "@F@:1: env_file: '-' must be a file name (\"-\" first: optional)");
        error_one("processes = { w = { entry = \"w\"; group = \"g\"; dynamic_user = true; }; };\n", 1,
                  "@F@:1: processes.w.dynamic_user: can't go with user or group: systemd allocates the user and "
                  "group of a dynamic_user process");
        error_one("log_format = \"json\";\n", 1, "@F@:1: log_format: must be \"auto\" or \"text\"");
        error_one("processes = { w = { entry = \"w\"; log_format = 1; }; };\n", 1,
                  "@F@:1: processes.w.log_format: must be \"auto\" or \"text\"");
        error_one("secret_env = [ \"/etc/k\" ];\n", 1, "@F@:1: secret_env: must be a group of NAME = \"file\"");
        error_one("secret_env = { A = 1; };\n", 1,
                  "@F@:1: secret_env.A: must be the name of the file that holds the secret");
        error_one("secret_env = { procfile = \"/etc/k\"; };\n", 1,
                  "@F@:1: secret_env.procfile: 'procfile' is the name of the agent's own credential");
        error_one("secret_env = { A = \"../k\"; };\n", 1, "@F@:1: secret_env.A: '../k' must not have a '.' or '..' "
                  "component: systemd refuses a path that is not normalized");
        error_one("secret_env = { A = \"/etc//k\"; };\n", 1, "@F@:1: secret_env.A: '/etc//k' must not have an "
                  "empty component: systemd refuses a path that is not normalized");
        error_one("secret_env = { A = \"k\\\\\"; };\n", 1, "@F@:1: secret_env.A: 'k\\' must not end with a "
                  "backslash: systemd would read the next line of the unit as part of it");
        error_one("secret_env = { A = \"/etc/\"; };\n", 1, "@F@:1: secret_env.A: '/etc/' must name a file, not a "
                  "directory");
        error_one("env = { K = 1; };\nsecret_env = { K = \"/k\"; };\nprocesses = { w = { entry = \"w\"; }; };\n", 3,
                  "@F@:3: processes.w.secret_env: 'K' is also in env: a variable is either a secret or a plain value");
        error_one("processes = { web = { restart = 1; }; };\n", 1,
                  "@F@:1: processes.web.restart: must be \"on-failure\", \"always\" or \"no\"");
        error_one("services = { s = { exec = \"x\"; ready = \"ready\"; }; };\n", 1,
                  "@F@:1: services.s.ready: must be \"started\", \"notify\", \"listening\" or \"exited\"");
        error_one("services = { s = { exec = \"x\"; ready = true; }; };\n", 1,
                  "@F@:1: services.s.ready: must be \"started\", \"notify\", \"listening\" or \"exited\"");

        error_one("processes = { web = { restart_delay_ms = -1; }; };\n", 1,
                  "@F@:1: processes.web.restart_delay_ms: must be an integer >= 0");
        error_one("processes = { web = { restart_burst = -1; }; };\n", 1,
                  "@F@:1: processes.web.restart_burst: must be an integer >= 0");
        error_one("processes = { web = { restart_interval_s = 1.5; }; };\n", 1,
                  "@F@:1: processes.web.restart_interval_s: must be an integer >= 0");
        error_one("processes = { web = { watchdog_ms = -5; }; };\n", 1,
                  "@F@:1: processes.web.watchdog_ms: must be an integer >= 0");
        error_one("processes = { web = { stop_timeout_ms = 0; }; };\n", 1,
                  "@F@:1: processes.web.stop_timeout_ms: must be an integer > 0");
        error_one("processes = { web = { stop_timeout_ms = -1; }; };\n", 1,
                  "@F@:1: processes.web.stop_timeout_ms: must be an integer > 0");
        error_one("processes = { web = { stop_timeout_ms = \"5s\"; }; };\n", 1,
                  "@F@:1: processes.web.stop_timeout_ms: must be an integer > 0");
        error_one("services = { s = { exec = \"x\"; stop_timeout_ms = 0; }; };\n", 1,
                  "@F@:1: services.s.stop_timeout_ms: must be an integer > 0");
}

static void test_command_errors(void **state _unused_) {
        error_one("processes = { web = {\n"
                  "        entry = \"node 'app.js\"; }; };\n",
                  2, "@F@:2: processes.web.entry: unterminated quote or trailing backslash");
        error_one("processes = { web = { entry = \"a \\\"b\"; }; };\n", 1,
                  "@F@:1: processes.web.entry: unterminated quote or trailing backslash");
        error_one("processes = { web = { entry = \"a b\\\\\"; }; };\n", 1,
                  "@F@:1: processes.web.entry: unterminated quote or trailing backslash");
        error_one("processes = { web = { entry = \" \\t \"; }; };\n",
                  1, "@F@:1: processes.web.entry: has no words");
        error_one("services = { s = { exec = \"'x\"; }; };\n", 1,
                  "@F@:1: services.s.exec: unterminated quote or trailing backslash");
        error_one("services = { s = { exec = \" \"; }; };\n", 1, "@F@:1: services.s.exec: has no words");
        error_one("fork = {\n        web = \"  \";\n};\n", 2, "@F@:2: fork.web: has no words");
        error_one("cluster = [ \"ok\",\n"
                  "        \"'bad\" ];\n",
                  1, "@F@:1: cluster: unterminated quote or trailing backslash");
        error_one("cluster = [ \" \" ];\n", 1, "@F@:1: cluster: has no words");
}

static void test_listen_errors(void **state _unused_) {
        char long_socket[sizeof(((struct sockaddr_un *) NULL)->sun_path) + 1];
        const char * const invalid[] = {
                "0", "65536", "80a", "-1", "", "x.sock", "localhost:80", "127.0.0.1", "127.0.0.1:",
                "127.0.0.1:0", "127.0.0.1:65536", "1.2.3:80", ":80", "::1:80", "[::1]80", "[::1]:",
                "[::1", "[1.2.3.4]:80", "[::1]:0", "[]:80", long_socket,
        };

        /* One byte too long for sun_path with its terminating NUL. */
        memset(long_socket, 'x', sizeof(long_socket) - 1);
        long_socket[0] = '/';
        long_socket[sizeof(long_socket) - 1] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                _cleanup_free_ char *text = NULL, *expected = NULL;

                assert_true(asprintf(&text, "processes = { web = {\n"
                                     "        listen = [ \"8080\", \"%s\" ]; }; };\n", invalid[i]) >= 0);
                assert_true(asprintf(&expected, "@F@:2: processes.web.listen: '%s' is not \"PORT\", "
                                     "\"HOST:PORT\", \"[V6]:PORT\" or an absolute socket path",
                                     invalid[i]) >= 0);
                error_one(text, 2, expected);
        }
}

static void test_env_errors(void **state _unused_) {
        error_one("env = {\n        A-B = \"x\";\n};\n",
                  2, "@F@:2: env.A-B: 'A-B' is not a valid environment variable name");
        error_one("env = { A = [ \"x\" ]; };\n",
                  1, "@F@:1: env.A: must be a string, integer, float or boolean");
        error_one("env = { A = { B = 1; }; };\n",
                  1, "@F@:1: env.A: must be a string, integer, float or boolean");
        error_one("processes = { web = { env = {\n"
                  "        OK = 1;\n"
                  "        L = ( 1 ); }; }; };\n",
                  3, "@F@:3: processes.web.env.L: must be a string, integer, float or boolean");
        error_one("processes = { web = { env = { my-var = 1; }; }; };\n", 1,
                  "@F@:1: processes.web.env.my-var: 'my-var' is not a valid environment variable name");
        error_one("env = {\n        A = \"caf\\xe9\";\n};\n", 2,
                  "@F@:2: env.A: must be valid UTF-8: systemd refuses other environment values");
}

static void test_control_characters(void **state _unused_) {
        static const char message[] = "must not contain control characters such as a newline";
        char expected[128];

        snprintf(expected, sizeof(expected), "@F@:1: dir: %s", message);
        error_one("dir = \"/srv\\nExecStartPre=/bin/true\";\n", 1, expected);
        snprintf(expected, sizeof(expected), "@F@:1: processes.web.user: %s", message);
        error_one("processes = { web = { entry = \"a\"; user = \"a\\tb\"; }; };\n", 1, expected);
        snprintf(expected, sizeof(expected), "@F@:1: processes.web.group: %s", message);
        error_one("processes = { web = { entry = \"a\"; group = \"a\\x7f\"; }; };\n", 1, expected);
        snprintf(expected, sizeof(expected), "@F@:1: processes.web.listen: %s", message);
        error_one("processes = { web = { entry = \"a\"; listen = [ \"/run/a\\n.sock\" ]; }; };\n", 1, expected);
}

static void test_app_errors(void **state _unused_) {
        _cleanup_free_ char *bad = test_mkdir(scratch, "bad name"), *long_app = NULL, *long_expected = NULL;
        char name[257];

        error_one("fork = { web = \"w\"; };\napp = \"my app\";\n",
                  2, "@F@:2: app: 'my app' is not a valid unit name prefix");
        error_one("app = \"a@b\";\n", 1, "@F@:1: app: 'a@b' is not a valid unit name prefix");
        error_one("app = \"a/b\";\n", 1, "@F@:1: app: 'a/b' is not a valid unit name prefix");
        memset(name, 'a', 256);
        name[256] = '\0';
        assert_true(asprintf(&long_app, "app = \"%s\";\n", name) >= 0);
        assert_true(asprintf(&long_expected, "@F@:1: app: '%s' is not a valid unit name prefix", name) >= 0);
        error_one(long_app, 1, long_expected);

        /* The directory's name stands in for a missing app; it has no line to point at. */
        error_in(bad, "fork = { web = \"w\"; };\n", &(ProcfileOptions) { .auto_scale = 1 }, -EINVAL, 0,
                 "@F@: app: directory name 'bad name' is not a valid unit name prefix; set 'app'");
        /* The generator's default from the file name is checked the same way. */
        error_in(scratch, "fork = { web = \"w\"; };\n",
                 &(ProcfileOptions) { .auto_scale = 1, .default_app = "a@b" }, -EINVAL, 0,
                 "@F@: app: file name 'a@b' is not a valid unit name prefix; set 'app'");
        /* ...and an explicit app makes that directory fine. */
        {
                _cleanup_free_ char *path = test_write(bad, "procfile",
                                                       "app = \"good\";\nfork = { web = \"w\"; };\n");
                _cleanup_(procfile_freep) Procfile *p = NULL;

                assert_int_equal(procfile_load(path, &(ProcfileOptions) { .auto_scale = 1 }, &p, NULL), 0);
                assert_string_equal(p->app, "good");
        }
}

static void test_name_errors(void **state _unused_) {
        char name[257], *text;

        error_one("processes = {\n        all = {};\n};\n",
                  2, "@F@:2: processes.all: 'all' is a reserved name");
        error_one("processes = {\n        weak-all = {};\n};\n",
                  2, "@F@:2: processes.weak-all: 'weak-all' is a reserved name");
        error_one("fork = {\n        all = \"x\";\n};\n", 2, "@F@:2: fork.all: 'all' is a reserved name");
        error_one("services = {\n        all = { exec = \"x\"; };\n};\n",
                  2, "@F@:2: services.all: 'all' is a reserved name");
        error_one("services = {\n        weak-all = { exec = \"x\"; };\n};\n", 2,
                  "@F@:2: services.weak-all: 'weak-all' is a reserved name");
        error_one("processes = {\n        w*b = {};\n};\n",
                  2, "@F@:2: processes.w*b: 'w*b' can't be part of a unit name");
        error_one("fork = { w* = \"x\"; };\n", 1, "@F@:1: fork.w*: 'w*' can't be part of a unit name");
        error_one("services = { s*t = { exec = \"x\"; }; };\n",
                  1, "@F@:1: services.s*t: 's*t' can't be part of a unit name");

        memset(name, 'p', 256);
        name[256] = '\0';
        assert_true(asprintf(&text, "processes = { %s = {}; };\n", name) >= 0);
        {
                _cleanup_free_ char *expected = NULL;

                assert_true(asprintf(&expected, "@F@:1: processes.%s: '%s' can't be part of a unit name",
                                     name, name) >= 0);
                error_one(text, 1, expected);
        }
        free(text);

        /* Each part fits, the unit name does not: app-process@scale.service is checked as a whole. */
        memset(name, 'a', 240);
        name[240] = '\0';
        assert_true(asprintf(&text, "app = \"%s\";\n"
                             "processes = {\n"
                             "        webserver = { entry = \"w\"; scale = 10; };\n"
                             "};\n", name) >= 0);
        {
                _cleanup_free_ char *expected = NULL;

                assert_true(asprintf(&expected, "@F@:3: processes.webserver: unit name '%s-webserver@10.service' "
                                     "is longer than 255 characters", name) >= 0);
                error_one(text, 3, expected);
        }
        free(text);
}

static void test_service_errors(void **state _unused_) {
        error_one("services = {\n"
                  "        s = {\n"
                  "                exec = \"x\";\n"
                  "                module = \"m.so\";\n"
                  "        };\n"
                  "};\n",
                  2, "@F@:2: services.s: needs exactly one of 'exec' or 'module'");
        error_one("services = {\n"
                  "        ok = { exec = \"x\"; };\n"
                  "        s = { process = \"worker\"; };\n"
                  "};\n",
                  3, "@F@:3: services.s: needs exactly one of 'exec' or 'module'");
        error_one("services = {\n"
                  "        s = {\n"
                  "                exec = \"x\";\n"
                  "                process = \"web\";\n"
                  "        };\n"
                  "};\n",
                  4, "@F@:4: services.s.process: service 's' names undefined process 'web'");
        error_one("default_process = \"web\";\n"
                  "services = {\n"
                  "        s = { exec = \"x\"; };\n"
                  "};\n",
                  3, "@F@:3: services.s: service 's' names undefined process 'web' (from default_process)");
        error_one("services = {\n"
                  "        s = {\n"
                  "                exec = \"x\";\n"
                  "                dependencies = [ \"all\", \"nope\" ];\n"
                  "        };\n"
                  "};\n",
                  4, "@F@:4: services.s.dependencies: unknown service 'nope'");
        error_one("cluster = [ \"a\" ];\n"
                  "services = {\n"
                  "        s = { exec = \"x\";\n"
                  "              dependencies = [ \"cluster1\" ]; };\n"
                  "};\n",
                  4, "@F@:4: services.s.dependencies: unknown service 'cluster1'");
}

static void test_cycles(void **state _unused_) {
        error_one("services = {\n"
                  "        a = { exec = \"a\";\n"
                  "              dependencies = [ \"b\" ]; };\n"
                  "        b = { exec = \"b\";\n"
                  "              dependencies = [ \"a\" ]; };\n"
                  "};\n",
                  3, "@F@:3: services.a.dependencies: dependency cycle: a -> b -> a");
        error_one("services = {\n"
                  "        a = { exec = \"a\";\n"
                  "              dependencies = [ \"a\" ]; };\n"
                  "};\n",
                  3, "@F@:3: services.a.dependencies: dependency cycle: a -> a");
        error_one("services = {\n"
                  "        a = { exec = \"a\"; dependencies = [ \"b\" ]; };\n"
                  "        b = { exec = \"b\"; dependencies = [ \"c\" ]; };\n"
                  "        c = { exec = \"c\"; dependencies = [ \"a\" ]; };\n"
                  "};\n",
                  2, "@F@:2: services.a.dependencies: dependency cycle: a -> b -> c -> a");
        /* The chain starts where the cycle does, not where the walk did. */
        error_one("services = {\n"
                  "        x = { exec = \"x\"; };\n"
                  "        p = { exec = \"p\"; dependencies = [ \"x\", \"q\" ]; };\n"
                  "        q = { exec = \"q\"; dependencies = [ \"r\" ]; };\n"
                  "        r = { exec = \"r\"; dependencies = [ \"x\", \"q\" ]; };\n"
                  "};\n",
                  4, "@F@:4: services.q.dependencies: dependency cycle: q -> r -> q");
        /* weak-all services are weighed in every process that starts. */
        error_one("fork = { web = \"w\"; };\n"
                  "services = {\n"
                  "        a = { exec = \"a\"; process = \"weak-all\";\n"
                  "              dependencies = [ \"b\" ]; };\n"
                  "        b = { exec = \"b\"; process = \"weak-all\"; dependencies = [ \"a\" ]; };\n"
                  "};\n",
                  4, "@F@:4: services.a.dependencies: dependency cycle: a -> b -> a");
}

static void test_dependency_errors(void **state _unused_) {
        error_one("services = {\n"
                  "        a = { exec = \"a\";\n"
                  "              dependencies = [ \"b\" ]; };\n"
                  "        b = { exec = \"b\"; dependencies = [ \"all\" ]; };\n"
                  "};\n",
                  3, "@F@:3: services.a.dependencies: 'all' is reached through 'b'; only a direct "
                  "dependency may be 'all'");
        error_one("cluster = [ \"c\" ];\n"
                  "services = {\n"
                  "        s = { exec = \"s\"; dependencies = [ \"cluster0\" ]; };\n"
                  "};\n",
                  3, "@F@:3: services.s.dependencies: 'all' is reached through 'cluster0'; only a direct "
                  "dependency may be 'all'");
        error_one("processes = { web = {}; };\n"
                  "services = {\n"
                  "        s1 = { exec = \"s1\"; process = \"web\";\n"
                  "               dependencies = [ \"s2\" ]; };\n"
                  "        s2 = { exec = \"s2\"; process = \"background\"; };\n"
                  "};\n",
                  4, "@F@:4: services.s1.dependencies: 's2' is not on process 'web'");
        /* weak-all runs in web, its dependency only in background. */
        error_one("processes = { web = { entry = \"w\"; }; };\n"
                  "services = {\n"
                  "        w = { exec = \"w\"; process = \"weak-all\";\n"
                  "              dependencies = [ \"b\" ]; };\n"
                  "        b = { exec = \"b\"; process = \"background\"; };\n"
                  "};\n",
                  4, "@F@:4: services.w.dependencies: 'b' is not on process 'web'");
}

static void test_duplicates(void **state _unused_) {
        error_one("processes = {\n"
                  "        web = { entry = \"w\"; };\n"
                  "};\n"
                  "fork = {\n"
                  "        web = \"w\";\n"
                  "};\n",
                  5, "@F@:5: fork.web: process 'web' is already defined at line 2");
        error_one("fork = {\n"
                  "        web = \"w\";\n"
                  "};\n"
                  "processes = {\n"
                  "        web = { scale = 2; };\n"
                  "};\n",
                  5, "@F@:5: processes.web: process 'web' is already defined at line 2");
        /* The built-ins may be configured once, but the file's own definitions may not clash. */
        error_one("processes = {\n"
                  "        worker = { scale = 2; };\n"
                  "};\n"
                  "fork = { worker = \"w\"; };\n",
                  4, "@F@:4: fork.worker: process 'worker' is already defined at line 2");
        error_one("cluster = [ \"a\" ];\n"
                  "services = {\n"
                  "        cluster0 = { exec = \"x\"; };\n"
                  "};\n",
                  3, "@F@:3: services.cluster0: service 'cluster0' is already defined at line 1");
        error_one("services = {\n"
                  "        x = { exec = \"x\"; };\n"
                  "        cluster1 = { exec = \"x\"; };\n"
                  "};\n"
                  "cluster = [ \"a\", \"b\" ];\n",
                  5, "@F@:5: cluster: service 'cluster1' is already defined at line 3");
}

static void test_nothing_to_start(void **state _unused_) {
        error_one("", 0, "@F@: nothing to start in '@F@'");
        error_one("# only a comment\n", 0, "@F@: nothing to start in '@F@'");
        error_one("processes = { web = {}; worker = { scale = 3; }; };\n",
                  0, "@F@: nothing to start in '@F@'");
        error_one("services = { w = { exec = \"w\"; process = \"weak-all\"; }; };\n", 0,
                  "@F@: nothing to start in '@F@'");
        error_one("cluster = [];\nfork = {};\nservices = {};\n", 0, "@F@: nothing to start in '@F@'");
}

static void test_unreadable(void **state _unused_) {
        _cleanup_free_ char *missing = test_path(scratch, "missing/procfile"), *want = NULL;
        _cleanup_free_ char *dir = test_mkdir(scratch, "procfile.d"), *got = NULL;
        ProcfileError e = {};
        Procfile *p = NULL;

        assert_int_equal(procfile_load(missing, NULL, &p, &e), -ENOENT);
        assert_null(p);
        got = procfile_error_to_string(&e);
        assert_true(asprintf(&want, "%s: No such file or directory", missing) >= 0);
        assert_string_equal(got, want);
        assert_int_equal(e.line, 0);
        assert_null(e.field);

        /* The error is replaced, not leaked, when the same one is filled again. */
        assert_int_equal(procfile_load(dir, NULL, &p, &e), -EISDIR);
        assert_null(p);
        free(got);
        free(want);
        got = procfile_error_to_string(&e);
        assert_true(asprintf(&want, "%s: Is a directory", dir) >= 0);
        assert_string_equal(got, want);
        procfile_error_done(&e);

        assert_int_equal(procfile_load(missing, NULL, &p, NULL), -ENOENT);
        assert_null(p);
}

static void test_auto_errors(void **state _unused_) {
        assert_int_equal(setenv("DEFAULT_WORKER_COUNT", "x", 1), 0);
        error_in(scratch, "services = { s = { exec = \"s\"; }; };\n", &(ProcfileOptions) {}, -EINVAL, 0,
                 "@F@: processes.worker.scale: \"auto\" needs DEFAULT_WORKER_COUNT to be a positive "
                 "integer, not 'x'");
        assert_int_equal(setenv("DEFAULT_WORKER_COUNT", "0", 1), 0);
        error_in(scratch, "processes = {\n"
                          "        web = {\n"
                          "                entry = \"w\";\n"
                          "                scale = \"auto\";\n"
                          "        };\n"
                          "};\n",
                 &(ProcfileOptions) {}, -EINVAL, 2,
                 "@F@:2: processes.web.scale: \"auto\" needs DEFAULT_WORKER_COUNT to be a positive "
                 "integer, not '0'");
        assert_int_equal(unsetenv("DEFAULT_WORKER_COUNT"), 0);
}

static void test_dev_errors(void **state _unused_) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(procfile_freep) Procfile *p = NULL;
        static const char nested[] =
                "fork = { web = \"w\"; };\n"
                "dev = {\n"
                "        dev = {};\n"
                "};\n";

        error_dev(nested, 3, "@F@:3: dev.dev: unknown key");
        error_dev("fork = { web = \"w\"; };\n"
                  "dev = {\n"
                  "        processes = { web = {\n"
                  "                scale = -1; }; };\n"
                  "};\n",
                  4, "@F@:4: dev.processes.web.scale: must be an integer >= 0 or \"auto\"");
        /* The overlay may redefine what the file defined; it merges. */
        error_dev("fork = { web = \"w\"; };\n"
                  "dev = {\n"
                  "        fork = { web = \"w2\"; };\n"
                  "        services = { s = { exec = \"x\"; process = \"nope\"; }; };\n"
                  "};\n",
                  4, "@F@:4: services.s.process: service 's' names undefined process 'nope'");
        error_dev("dev = { fork = { web = \"\"; }; };\n", 1, "@F@:1: dev.fork.web: must not be empty");

        /* Without dev mode the overlay is still checked, so a typo in it shows before --dev runs. */
        error_one(nested, 3, "@F@:3: dev.dev: unknown key");
        error_one("fork = { web = \"w\"; };\n"
                  "dev = { processes = { web = { scale = -1; }; }; };\n",
                  2, "@F@:2: dev.processes.web.scale: must be an integer >= 0 or \"auto\"");
        /* ...but only checked: it changes nothing. */
        path = test_write(scratch, "procfile", "fork = { web = \"w\"; };\n"
                                               "dev = { processes = { web = { scale = 3; }; }; };\n");
        assert_int_equal(procfile_load(path, &(ProcfileOptions) { .auto_scale = 1 }, &p, NULL), 0);
        assert_int_equal(procfile_find_process(p, "web")->scale, 1);
}

static void test_include_errors(void **state _unused_) {
        _cleanup_free_ char *dir = test_mkdir(scratch, "inc");
        _cleanup_free_ char *bad_value = test_write(dir, "value.cfg", "\nweb = { scale = -1; };\n");
        _cleanup_free_ char *bad_syntax = test_write(dir, "syntax.cfg",
                                                     "web = {\n        scale = = 1;\n};\n");
        _cleanup_free_ char *want_value = NULL, *want_syntax = NULL;
        const ProcfileOptions one = { .auto_scale = 1 };

        /* An error in an included file names that file, absolute, with its own line. */
        assert_true(asprintf(&want_value, "%s:2: processes.web.scale: must be an integer >= 0 or \"auto\"",
                             bad_value) >= 0);
        error_in(dir, "processes = {\n        @include \"value.cfg\"\n};\n", &one,
                 -EINVAL, 2, want_value);
        assert_true(asprintf(&want_syntax, "%s:2: syntax error", bad_syntax) >= 0);
        error_in(dir, "processes = {\n        @include \"syntax.cfg\"\n};\n", &one,
                 -EINVAL, 2, want_syntax);
        error_in(dir, "processes = {\n        @include \"missing.cfg\"\n};\n", &one,
                 -EINVAL, 2, "@F@:2: cannot open include file");
}

static void test_error_to_string_one(const char *file, unsigned line, const char *field, const char *message,
                                     const char *expected) {
        ProcfileError e = {
                .file = (char *) file, .line = line, .field = (char *) field, .message = (char *) message,
        };
        _cleanup_free_ char *s = procfile_error_to_string(&e);

        assert_non_null(s);
        assert_string_equal(s, expected);
}

static void test_error_to_string(void **state _unused_) {
        ProcfileError e = {};

        test_error_to_string_one("/a/procfile", 3, "processes.web", "m", "/a/procfile:3: processes.web: m");
        test_error_to_string_one("/a/procfile", 0, "processes.web", "m", "/a/procfile: processes.web: m");
        test_error_to_string_one("/a/procfile", 3, NULL, "m", "/a/procfile:3: m");
        test_error_to_string_one("/a/procfile", 0, NULL, "m", "/a/procfile: m");
        test_error_to_string_one(NULL, 0, "app", "m", "app: m");
        test_error_to_string_one(NULL, 0, NULL, "m", "m");
        test_error_to_string_one(NULL, 0, NULL, NULL, "unknown error");
        procfile_error_done(&e);
        procfile_error_done(&e);
        procfile_error_done(NULL);
}

static int setup(void **state _unused_) {
        scratch = test_dir_new("test-procfile-errors");
        return unsetenv("DEFAULT_WORKER_COUNT");
}

static int teardown(void **state _unused_) {
        test_dir_free(TAKE_PTR(scratch));
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_syntax),
                cmocka_unit_test(test_unknown_keys),
                cmocka_unit_test(test_type_errors),
                cmocka_unit_test(test_value_errors),
                cmocka_unit_test(test_command_errors),
                cmocka_unit_test(test_listen_errors),
                cmocka_unit_test(test_env_errors),
                cmocka_unit_test(test_control_characters),
                cmocka_unit_test(test_app_errors),
                cmocka_unit_test(test_name_errors),
                cmocka_unit_test(test_service_errors),
                cmocka_unit_test(test_cycles),
                cmocka_unit_test(test_dependency_errors),
                cmocka_unit_test(test_duplicates),
                cmocka_unit_test(test_nothing_to_start),
                cmocka_unit_test(test_unreadable),
                cmocka_unit_test(test_auto_errors),
                cmocka_unit_test(test_dev_errors),
                cmocka_unit_test(test_include_errors),
                cmocka_unit_test(test_error_to_string),
        };
        return cmocka_run_group_tests_name("procfile-errors", tests, setup, teardown);
}
