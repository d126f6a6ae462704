/* SPDX-License-Identifier: MIT */

/* Exec tasks with real children on a real sd-event loop: a "started" child runs once exec'd, a
 * "notify" child once it sends READY=1 through the agent's socket, SIGTERM stops a child cleanly, one
 * that ignores it is killed at its stop deadline, one that dies on its own fails the instance, and a
 * program that can't be executed fails its start. */

#include <signal.h>
#include <time.h>

#include "test-util.h"

#include "agent/lifecycle/exec-service.h"
#include "common/strv.h"

typedef struct Harness {
        sd_event *event;
        NotifyServer notify;
        Lifecycle l;
} Harness;

static uint64_t now_usec(void *userdata _unused_) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_notify(pid_t sender, const NotifyMessage *m, void *userdata) {
        Harness *h = userdata;

        for (size_t i = 0; i < h->l.n_tasks; i++) {
                ExecService *s = exec_service_from_task(h->l.tasks[i]);

                if (s && exec_service_owns_sender(s, sender))
                        (void) exec_service_handle_notify(s, m, now_usec(NULL));
        }
}

static void harness_init(Harness *h) {
        assert_int_equal(sd_event_new(&h->event), 0);
        assert_int_equal(notify_server_open(&h->notify, h->event, on_notify, h), 0);
        lifecycle_init(&h->l, 5000000, now_usec, NULL, h);
}

static void harness_done(Harness *h) {
        lifecycle_done(&h->l);
        notify_server_done(&h->notify);
        sd_event_unref(h->event);
}

static ExecService *add(Harness *h, const char *name, const char *script, bool notify, uint64_t stop_timeout_usec) {
        char *argv[] = { "/bin/sh", "-c", (char *) script, NULL };
        ChildEnvOptions o = { .notify_socket = h->notify.address, .service = name };
        ExecService *s;

        assert_int_equal(exec_service_new(h->event, name, argv, (char **) STRV("PATH=/usr/bin:/bin"), &o, notify,
                                          &s), 0);
        assert_int_equal(lifecycle_add_task(&h->l, name, &exec_service_ops, s, stop_timeout_usec, &s->task), 0);
        return s;
}

/* Runs the loop until the lifecycle is in phase, handling stop deadlines as the agent's timer does;
 * for at most about 5 s. */
static void run_until(Harness *h, LifecyclePhase phase) {
        for (int i = 0; i < 200 && h->l.phase != phase; i++) {
                assert_true(sd_event_run(h->event, 25000) >= 0);
                if (lifecycle_next_deadline(&h->l) <= now_usec(NULL))
                        lifecycle_handle_deadline(&h->l);
        }
        assert_int_equal(h->l.phase, phase);
}

static void test_start_notify_stop(void **state _unused_) {
        Harness h = {};
        ExecService *plain, *notify;

        harness_init(&h);
        plain = add(&h, "plain", "exec sleep 100", false, 0);
        notify = add(&h, "notify", "sleep 0.2; systemd-notify --ready --status=warm; exec sleep 100", true, 0);
        lifecycle_start(&h.l);
        assert_int_equal(plain->task->state, TASK_RUNNING);
        assert_int_equal(notify->task->state, TASK_STARTING);
        run_until(&h, LIFECYCLE_PHASE_RUNNING);
        assert_string_equal(notify->status, "warm");
        lifecycle_stop(&h.l);
        run_until(&h, LIFECYCLE_PHASE_DONE);
        assert_false(lifecycle_failed(&h.l));
        assert_int_equal(plain->exit_code, CLD_KILLED);
        assert_int_equal(plain->exit_status, SIGTERM);
        harness_done(&h);
}

static void test_stubborn_child_is_killed(void **state _unused_) {
        Harness h = {};
        ExecService *s;
        _cleanup_free_ char *how = NULL;
        uint64_t begin;

        harness_init(&h);
        s = add(&h, "stubborn", "trap '' TERM; while :; do sleep 0.05; done", false, 300000);
        lifecycle_start(&h.l);
        run_until(&h, LIFECYCLE_PHASE_RUNNING);
        /* Running means exec'd: give the shell time to set its trap. */
        usleep(200000);
        begin = now_usec(NULL);
        lifecycle_stop(&h.l);
        run_until(&h, LIFECYCLE_PHASE_DONE);
        assert_true(now_usec(NULL) - begin >= 300000);
        assert_true(now_usec(NULL) - begin < 2000000);
        assert_true(lifecycle_failed(&h.l));
        assert_int_equal(s->task->error, -ETIME);
        how = exec_service_describe_exit(s);
        assert_string_equal(how, "killed by signal KILL");
        harness_done(&h);
}

static void test_child_dies(void **state _unused_) {
        Harness h = {};
        ExecService *a, *b;
        _cleanup_free_ char *how = NULL;

        harness_init(&h);
        a = add(&h, "a", "exec sleep 100", false, 0);
        b = add(&h, "b", "sleep 0.1; exit 3", false, 0);
        lifecycle_start(&h.l);
        run_until(&h, LIFECYCLE_PHASE_DONE);
        assert_true(lifecycle_failed(&h.l));
        how = exec_service_describe_exit(b);
        assert_string_equal(how, "exited with status 3");
        assert_int_equal(a->exit_status, SIGTERM);
        harness_done(&h);
}

static void test_exec_fails(void **state _unused_) {
        Harness h = {};
        char *argv[] = { "/nonexistent/program", NULL };
        ChildEnvOptions o = {};
        ExecService *s;

        harness_init(&h);
        assert_int_equal(exec_service_new(h.event, "x", argv, NULL, &o, false, &s), 0);
        assert_int_equal(lifecycle_add_task(&h.l, "x", &exec_service_ops, s, 0, &s->task), 0);
        lifecycle_start(&h.l);
        assert_int_equal(h.l.phase, LIFECYCLE_PHASE_DONE);
        assert_int_equal(s->task->error, -ENOENT);
        assert_string_equal(s->path, "/nonexistent/program");
        harness_done(&h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_start_notify_stop),
                cmocka_unit_test(test_stubborn_child_is_killed),
                cmocka_unit_test(test_child_dies),
                cmocka_unit_test(test_exec_fails),
        };
        sigset_t mask;

        /* sd-event watches children through signalfd or pidfds: SIGCHLD must be blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        return cmocka_run_group_tests_name("agent-exec", tests, NULL, NULL);
}
