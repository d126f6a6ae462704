/* SPDX-License-Identifier: MIT */

/* The instance lifecycle with fake tasks and a fake clock: start order, READY, stop in reverse,
 * Pandora's rollback (start 3 of 6, the 4th fails: exactly 3 stopped, in reverse), tasks that report
 * later or from inside their own calls, tasks that die, and stop deadlines. */

#include "test-util.h"

#include "agent/lifecycle/lifecycle.h"

#define N_MAX 8

/* What a fake task does when called: 0, 1 (reports later) or a negative errno. */
typedef struct Fake {
        int start, stop, kill;
        bool report_inside;             /* report started/stopped from inside start/stop */
} Fake;

typedef struct World {
        Lifecycle l;
        Fake fakes[N_MAX];
        Task *tasks[N_MAX];
        uint64_t now;
        char calls[512];                /* "start:a stop:a ..." */
        char events[1024];
} World;

static World *world_of(Task *t) {
        return t->lifecycle->userdata;
}

static void record(char *buf, size_t size, const char *what, const char *name) {
        size_t n = strlen(buf);

        snprintf(buf + n, size - n, "%s%s%s%s", n > 0 ? " " : "", what, name ? ":" : "", name ?: "");
}

static int fake_start(Task *t) {
        World *w = world_of(t);
        Fake *f = &w->fakes[t->index];

        record(w->calls, sizeof(w->calls), "start", t->name);
        if (f->report_inside) {
                lifecycle_task_started(t, 0);
                return 1;
        }
        return f->start;
}

static int fake_stop(Task *t) {
        World *w = world_of(t);
        Fake *f = &w->fakes[t->index];

        record(w->calls, sizeof(w->calls), "stop", t->name);
        if (f->report_inside) {
                lifecycle_task_stopped(t, 0);
                return 1;
        }
        return f->stop;
}

static int fake_kill(Task *t) {
        World *w = world_of(t);

        record(w->calls, sizeof(w->calls), "kill", t->name);
        return w->fakes[t->index].kill;
}

static const TaskOps fake_ops = { .start = fake_start, .stop = fake_stop, .kill = fake_kill };

static uint64_t fake_clock(void *userdata) {
        return ((World *) userdata)->now;
}

static void on_event(Lifecycle *l _unused_, LifecycleEvent e, Task *t, void *userdata) {
        World *w = userdata;

        record(w->events, sizeof(w->events), lifecycle_event_to_string(e), t ? t->name : NULL);
}

/* A world of n tasks named a, b, c, ..., with a stop window of 5 s and the given own stop timeouts. */
static World *world_new(size_t n, const Fake *fakes, const uint64_t *stop_timeouts) {
        World *w = calloc(1, sizeof(World));

        assert_non_null(w);
        lifecycle_init(&w->l, 5000000, fake_clock, on_event, w);
        for (size_t i = 0; i < n; i++) {
                char name[2] = { 'a' + i, 0 };

                w->fakes[i] = fakes ? fakes[i] : (Fake) {};
                assert_int_equal(lifecycle_add_task(&w->l, name, &fake_ops, NULL,
                                                    stop_timeouts ? stop_timeouts[i] : 0, &w->tasks[i]), 0);
        }
        return w;
}

static void world_free(World *w) {
        lifecycle_done(&w->l);
        free(w);
}

static void test_start_and_stop_in_order(void **state _unused_) {
        World *w = world_new(3, NULL, NULL);

        lifecycle_start(&w->l);
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_RUNNING);
        assert_int_equal(lifecycle_count(&w->l, TASK_RUNNING), 3);
        lifecycle_stop(&w->l);
        assert_string_equal(w->calls, "start:a start:b start:c stop:c stop:b stop:a");
        assert_string_equal(w->events, "task-starting:a task-started:a task-starting:b task-started:b "
                            "task-starting:c task-started:c ready stopping task-stopping:c task-stopped:c "
                            "task-stopping:b task-stopped:b task-stopping:a task-stopped:a done");
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_DONE);
        assert_false(lifecycle_failed(&w->l));
        world_free(w);
}

/* Pandora's rollback test: 6 services, the 4th fails to start; exactly the 3 started are stopped,
 * in reverse, and the 5th and 6th never start. */
static void test_rollback(void **state _unused_) {
        Fake fakes[6] = { [3] = { .start = -EADDRINUSE } };
        World *w = world_new(6, fakes, NULL);

        lifecycle_start(&w->l);
        assert_string_equal(w->calls, "start:a start:b start:c start:d stop:c stop:b stop:a");
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_DONE);
        assert_true(lifecycle_failed(&w->l));
        assert_int_equal(w->tasks[3]->error, -EADDRINUSE);
        assert_int_equal(w->tasks[4]->state, TASK_INACTIVE);
        assert_int_equal(w->tasks[5]->state, TASK_INACTIVE);
        assert_non_null(strstr(w->events, "task-start-failed:d stopping:d task-stopping:c"));
        assert_null(strstr(w->events, "ready"));
        world_free(w);
}

static void test_async_start(void **state _unused_) {
        Fake fakes[3] = { [1] = { .start = 1 } };
        World *w = world_new(3, fakes, NULL);

        lifecycle_start(&w->l);
        assert_string_equal(w->calls, "start:a start:b");
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_STARTING);
        assert_int_equal(w->tasks[1]->state, TASK_STARTING);
        lifecycle_task_started(w->tasks[1], 0);
        assert_string_equal(w->calls, "start:a start:b start:c");
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_RUNNING);
        /* A second report changes nothing. */
        lifecycle_task_started(w->tasks[1], -EIO);
        assert_false(lifecycle_failed(&w->l));
        world_free(w);
}

static void test_async_start_fails(void **state _unused_) {
        Fake fakes[3] = { [1] = { .start = 1 } };
        World *w = world_new(3, fakes, NULL);

        lifecycle_start(&w->l);
        lifecycle_task_started(w->tasks[1], -ETIMEDOUT);
        assert_string_equal(w->calls, "start:a start:b stop:a");
        assert_true(lifecycle_failed(&w->l));
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_DONE);
        world_free(w);
}

static void test_report_inside(void **state _unused_) {
        Fake fakes[2] = { { .report_inside = true }, { .report_inside = true } };
        World *w = world_new(2, fakes, NULL);

        lifecycle_start(&w->l);
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_RUNNING);
        lifecycle_stop(&w->l);
        assert_string_equal(w->calls, "start:a start:b stop:b stop:a");
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_DONE);
        assert_false(lifecycle_failed(&w->l));
        world_free(w);
}

/* A task that stops on its own fails the instance: the others stop in reverse. */
static void test_task_dies(void **state _unused_) {
        World *w = world_new(4, NULL, NULL);

        lifecycle_start(&w->l);
        lifecycle_task_stopped(w->tasks[1], 0);
        assert_string_equal(w->calls, "start:a start:b start:c start:d stop:d stop:c stop:a");
        assert_int_equal(w->tasks[1]->error, -ECHILD);
        assert_non_null(strstr(w->events, "task-died:b stopping:b"));
        assert_true(lifecycle_failed(&w->l));
        world_free(w);
}

/* SIGTERM while a task is still starting (a "notify" child that never sent READY=1): it is stopped
 * too, the ones after it never start. */
static void test_stop_while_starting(void **state _unused_) {
        Fake fakes[3] = { [1] = { .start = 1 } };
        World *w = world_new(3, fakes, NULL);

        lifecycle_start(&w->l);
        lifecycle_stop(&w->l);
        assert_string_equal(w->calls, "start:a start:b stop:b stop:a");
        assert_false(lifecycle_failed(&w->l));
        assert_int_equal(w->tasks[2]->state, TASK_INACTIVE);
        world_free(w);
}

static void test_stop_before_start(void **state _unused_) {
        World *w = world_new(2, NULL, NULL);

        lifecycle_stop(&w->l);
        assert_string_equal(w->calls, "");
        assert_string_equal(w->events, "done");
        lifecycle_start(&w->l);
        assert_string_equal(w->calls, "");
        world_free(w);
}

static void test_no_tasks(void **state _unused_) {
        World *w = world_new(0, NULL, NULL);

        lifecycle_start(&w->l);
        assert_string_equal(w->events, "ready");
        lifecycle_stop(&w->l);
        assert_string_equal(w->events, "ready stopping done");
        world_free(w);
}

/* Stop deadlines: c has its own 1 s; b and a share what remains of the 5 s window. c is killed at
 * 1 s and dies at 1.1 s; b is killed at 5 s and can't be waited for (kill returns 0); a stops fine. */
static void test_stop_deadlines(void **state _unused_) {
        Fake fakes[3] = { { .stop = 1 }, { .stop = 1, .kill = 0 }, { .stop = 1, .kill = 1 } };
        uint64_t timeouts[3] = { 0, 0, 1000000 };
        World *w = world_new(3, fakes, timeouts);

        w->now = 100;
        lifecycle_start(&w->l);
        w->now = 1000;
        lifecycle_stop(&w->l);
        assert_int_equal(lifecycle_next_deadline(&w->l), 1000 + 1000000);

        w->now = 1000 + 999999;
        lifecycle_handle_deadline(&w->l);
        assert_string_equal(w->calls, "start:a start:b start:c stop:c");
        w->now = 1000 + 1000000;
        lifecycle_handle_deadline(&w->l);
        assert_string_equal(w->calls, "start:a start:b start:c stop:c kill:c");
        /* Killed: no deadline until it reports. */
        assert_int_equal(lifecycle_next_deadline(&w->l), UINT64_MAX);

        w->now = 1100000;
        lifecycle_task_stopped(w->tasks[2], -ECHILD);
        assert_int_equal(w->tasks[2]->error, -ETIME);
        assert_int_equal(lifecycle_next_deadline(&w->l), 1000 + 5000000);

        w->now = 1000 + 5000000;
        lifecycle_handle_deadline(&w->l);
        assert_string_equal(w->calls, "start:a start:b start:c stop:c kill:c stop:b kill:b stop:a");
        /* The window is used up: a gets a deadline in the past, kill at the next check. */
        assert_int_equal(lifecycle_next_deadline(&w->l), 1000 + 5000000);
        lifecycle_task_stopped(w->tasks[0], 0);
        assert_int_equal(w->l.phase, LIFECYCLE_PHASE_DONE);
        assert_true(lifecycle_failed(&w->l));
        assert_int_equal(w->tasks[0]->error, 0);
        assert_int_equal(w->tasks[1]->error, -ETIME);
        assert_non_null(strstr(w->events, "task-stop-timeout:c task-stopped:c"));
        world_free(w);
}

/* A task that fails to stop counts as stopped, uncleanly, and the rest go on. */
static void test_stop_error(void **state _unused_) {
        Fake fakes[2] = { { .stop = 0 }, { .stop = -EBUSY } };
        World *w = world_new(2, fakes, NULL);

        lifecycle_start(&w->l);
        lifecycle_stop(&w->l);
        assert_string_equal(w->calls, "start:a start:b stop:b stop:a");
        assert_true(lifecycle_failed(&w->l));
        assert_int_equal(w->tasks[1]->error, -EBUSY);
        world_free(w);
}

static void test_strings(void **state _unused_) {
        assert_string_equal(task_state_to_string(TASK_DEAD), "dead");
        assert_null(task_state_to_string(_TASK_STATE_MAX));
        assert_string_equal(lifecycle_event_to_string(LIFECYCLE_DONE), "done");
        assert_null(lifecycle_event_to_string(_LIFECYCLE_EVENT_INVALID));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_start_and_stop_in_order),
                cmocka_unit_test(test_rollback),
                cmocka_unit_test(test_async_start),
                cmocka_unit_test(test_async_start_fails),
                cmocka_unit_test(test_report_inside),
                cmocka_unit_test(test_task_dies),
                cmocka_unit_test(test_stop_while_starting),
                cmocka_unit_test(test_stop_before_start),
                cmocka_unit_test(test_no_tasks),
                cmocka_unit_test(test_stop_deadlines),
                cmocka_unit_test(test_stop_error),
                cmocka_unit_test(test_strings),
        };

        return cmocka_run_group_tests_name("agent-lifecycle", tests, NULL, NULL);
}
