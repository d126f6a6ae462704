/* SPDX-License-Identifier: MIT */

/* What an exec child gets: the LISTEN_* and WATCHDOG_* rewriting, NOTIFY_SOCKET, PANDORA_SERVICE* and
 * the pid filled in after fork; the PATH search; and spawn() for real: a child that sees its own
 * LISTEN_PID and the socket at fd 3, a program that can't be executed. */

#include <sys/socket.h>
#include <sys/wait.h>

#include "test-util.h"

#include "agent/lifecycle/child-env.h"
#include "agent/lifecycle/spawn.h"
#include "common/strv.h"

static void test_env_one(char * const *base, const ChildEnvOptions *o, const char * const *expected) {
        _cleanup_strv_free_ char **env = NULL;

        assert_int_equal(child_env_build(base, o, &env), 0);
        child_env_set_pid(env, 4242);
        test_strv_equal(env, expected, "child env");
}

static void test_env(void **state _unused_) {
        /* What a unit with Sockets= and WatchdogSec= gives the agent: LISTEN_PID names the agent. */
        char * const base[] = { "PATH=/bin", "LISTEN_FDS=2", "LISTEN_PID=1", "LISTEN_FDNAMES=web:web",
                                "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1", "WATCHDOG_PID=1",
                                "PANDORA_SERVICE=stale", "PANDORA_APP=shop", "PANDORA_METRICS_SOCKET=/stale",
                                NULL };
        ChildEnvOptions all = {
                .notify_socket = "@abc", .n_listen_fds = 2, .listen_fd_names = "web:web",
                .watchdog_usec = 3000000, .service = "cache", .config_json = "{\"a\":1}",
                .metrics_socket = "/run/pandora-agent/shop-web@1/metrics-cache.sock",
        };
        ChildEnvOptions entry = { .notify_socket = "@abc" };

        test_env_one(base, &all, STRV("PATH=/bin", "PANDORA_APP=shop", "NOTIFY_SOCKET=@abc", "LISTEN_FDS=2",
                                      "LISTEN_PID=4242", "LISTEN_FDNAMES=web:web", "WATCHDOG_USEC=3000000",
                                      "WATCHDOG_PID=4242", "PANDORA_SERVICE=cache",
                                      "PANDORA_SERVICE_CONFIG={\"a\":1}",
                                      "PANDORA_METRICS_SOCKET=/run/pandora-agent/shop-web@1/metrics-cache.sock"));
        /* The entry: no sockets, no watchdog, no service; nothing stale survives. */
        test_env_one(base, &entry, STRV("PATH=/bin", "PANDORA_APP=shop", "NOTIFY_SOCKET=@abc"));
        test_env_one(NULL, &(ChildEnvOptions) {}, (const char * const[]) { NULL });
}

static void test_env_listen(void **state _unused_) {
        char * const base[] = { "PATH=/bin", "LD_PRELOAD=/usr/lib/libjemalloc.so", "PANDORA_LISTEN=stale",
                                "PANDORA_LISTEN_REUSEPORT=1", NULL };
        ChildEnvOptions shared = {
                .listen_preload = "/usr/lib/pandora/libpandora-listen.so", .listen_socket = "@x1",
                .listen_description = "stream 7 0 [::]:3000", .listen_drain_fd = 4,
        };
        ChildEnvOptions reuseport = {
                .listen_preload = "/usr/lib/pandora/libpandora-listen.so", .listen_socket = "@x1",
                .listen_reuseport = true,
        };

        /* The interposer first, the unit's own preload kept after it; stale variables replaced. */
        test_env_one(base, &shared, STRV("PATH=/bin",
                                         "LD_PRELOAD=/usr/lib/pandora/libpandora-listen.so /usr/lib/libjemalloc.so",
                                         "PANDORA_LISTEN_SOCKET=@x1", "PANDORA_LISTEN=stream 7 0 [::]:3000",
                                         "PANDORA_LISTEN_DRAIN_FD=4"));
        test_env_one((char **) STRV("LD_PRELOAD=/usr/lib/pandora/libpandora-listen.so"), &reuseport,
                     STRV("LD_PRELOAD=/usr/lib/pandora/libpandora-listen.so", "PANDORA_LISTEN_SOCKET=@x1",
                          "PANDORA_LISTEN_REUSEPORT=1"));
        /* share_listen = false: no interposer, and nothing of an outer one's survives but LD_PRELOAD. */
        test_env_one(base, &(ChildEnvOptions) {}, STRV("PATH=/bin", "LD_PRELOAD=/usr/lib/libjemalloc.so"));
}

static void test_set_pid_widths(void **state _unused_) {
        _cleanup_strv_free_ char **env = NULL;
        ChildEnvOptions o = { .n_listen_fds = 1 };

        assert_int_equal(child_env_build(NULL, &o, &env), 0);
        child_env_set_pid(env, 1);
        assert_string_equal(env[1], "LISTEN_PID=1");
        child_env_set_pid(env, 2147483647);
        assert_string_equal(env[1], "LISTEN_PID=2147483647");
        child_env_set_pid(env, 7);
        assert_string_equal(env[1], "LISTEN_PID=7");
}

static void test_find_executable(void **state _unused_) {
        _cleanup_free_ char *sh = NULL, *as_is = NULL;

        assert_int_equal(find_executable("sh", "/nonexistent:/bin:/usr/bin", &sh), 0);
        assert_string_equal(sh, "/bin/sh");
        assert_int_equal(find_executable("./app.js", "/bin", &as_is), 0);
        assert_string_equal(as_is, "./app.js");
        assert_int_equal(find_executable("no-such-program-here", "/bin:/usr/bin", &as_is), -ENOENT);
}

static int wait_status(pid_t pid) {
        int status;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* The child sees LISTEN_PID equal to its own pid and fd 3 open; fd 4 (close-on-exec) is gone. */
static void test_spawn_listen_fds(void **state _unused_) {
        char *argv[] = { "sh", "-c", "[ \"$LISTEN_PID\" = \"$$\" ] && [ -e /proc/$$/fd/3 ] && [ ! -e /proc/$$/fd/4 ]",
                         NULL };
        _cleanup_strv_free_ char **env = NULL;
        SpawnOptions o = { .n_listen_fds = 1, .stdout_fd = -1, .stderr_fd = -1 };
        int sv[2], saved3 = fcntl(3, F_DUPFD_CLOEXEC, 100);
        pid_t pid;

        /* Move the pair above 3 and 4 first: dup3() refuses to duplicate an fd onto itself. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        for (int i = 0; i < 2; i++) {
                int high = fcntl(sv[i], F_DUPFD_CLOEXEC, 50);

                assert_true(high >= 50);
                close(sv[i]);
                sv[i] = high;
        }
        assert_int_equal(dup3(sv[0], 3, O_CLOEXEC), 3);
        assert_int_equal(dup3(sv[1], 4, O_CLOEXEC), 4);
        assert_int_equal(child_env_build((char **) STRV("PATH=/bin:/usr/bin"), &(ChildEnvOptions) { .n_listen_fds = 1 },
                                         &env), 0);
        assert_int_equal(spawn("/bin/sh", argv, env, &o, &pid), 0);
        assert_int_equal(wait_status(pid), 0);
        close(3);
        close(4);
        close(sv[0]);
        close(sv[1]);
        if (saved3 >= 0) {
                assert_int_equal(dup3(saved3, 3, O_CLOEXEC), 3);
                close(saved3);
        }
}

static void test_spawn_failure(void **state _unused_) {
        char *argv[] = { "nope", NULL };
        SpawnOptions o = { .stdout_fd = -1, .stderr_fd = -1 };
        char *env[] = { NULL };
        pid_t pid = 0;

        assert_int_equal(spawn("/nonexistent/nope", argv, env, &o, &pid), -ENOENT);
        assert_int_equal(pid, 0);
        assert_int_equal(spawn("/etc/passwd", argv, env, &o, &pid), -EACCES);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_env),
                cmocka_unit_test(test_env_listen),
                cmocka_unit_test(test_set_pid_widths),
                cmocka_unit_test(test_find_executable),
                cmocka_unit_test(test_spawn_listen_fds),
                cmocka_unit_test(test_spawn_failure),
        };

        return cmocka_run_group_tests_name("agent-child-env", tests, NULL, NULL);
}
