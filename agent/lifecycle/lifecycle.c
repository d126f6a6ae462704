/* SPDX-License-Identifier: MIT */

/* The start/stop sequence of one instance, as Pandora.js's ServiceReconciler ran it: start the tasks
 * one at a time in their order, and on the first failure (or SIGTERM, or a task that stops on its own)
 * stop every task that was started, one at a time, in reverse.
 *
 * Everything moves through advance(): tasks may report from inside their own start() or stop() (a
 * module that finishes at once, an exec that fails at once), so reports only record what happened and
 * the loop in advance() takes the next step.
 *
 * agent/lifecycle/ owns the tasks: this state machine, exec services and the entry (spawn.c,
 * child-env.c, notify.c), module services (module-service.c, service-api.c). It may call log/ (a
 * child's output is captured there) and metrics/counters.h (a module's counters); it never includes
 * the core's Context, never logs on its own (events go to the core's handler; service-api.c only forwards a module's own
 * log calls to log/) and this file does no I/O at all. */

#include <stdlib.h>
#include <string.h>

#include "agent/lifecycle/lifecycle.h"

static void emit(Lifecycle *l, LifecycleEvent event, Task *t) {
        if (l->handler)
                l->handler(l, event, t, l->userdata);
}

static uint64_t now(const Lifecycle *l) {
        return l->clock(l->userdata);
}

void lifecycle_init(Lifecycle *l, uint64_t stop_window_usec, LifecycleClock clock, LifecycleHandler handler,
                    void *userdata) {
        *l = (Lifecycle) {
                .stop_window_usec = stop_window_usec,
                .clock = clock,
                .handler = handler,
                .userdata = userdata,
        };
}

void lifecycle_done(Lifecycle *l) {
        for (size_t i = 0; i < l->n_tasks; i++) {
                Task *t = l->tasks[i];

                if (t->ops->destroy)
                        t->ops->destroy(t->userdata);
                free(t->name);
                free(t);
        }
        l->tasks = mfree(l->tasks);
        l->n_tasks = 0;
}

int lifecycle_add_task(Lifecycle *l, const char *name, const TaskOps *ops, void *userdata,
                       uint64_t stop_timeout_usec, Task **ret) {
        _cleanup_free_ Task *t = calloc(1, sizeof(Task));
        Task **grown;

        if (!t)
                return -ENOMEM;
        *t = (Task) {
                .ops = ops,
                .userdata = userdata,
                .name = strdup(name),
                .stop_timeout_usec = stop_timeout_usec,
                .lifecycle = l,
                .index = l->n_tasks,
                .stop_deadline = UINT64_MAX,
        };
        if (!t->name)
                return -ENOMEM;
        grown = realloc(l->tasks, sizeof(Task *) * (l->n_tasks + 1));
        if (!grown) {
                free(t->name);
                return -ENOMEM;
        }
        l->tasks = grown;
        l->tasks[l->n_tasks++] = t;
        if (ret)
                *ret = t;
        TAKE_PTR(t);
        return 0;
}

/* First failure wins: a task killed after its stop timeout stays "timed out", not "killed". */
static void task_fail(Task *t, int error) {
        if (error < 0 && t->error == 0)
                t->error = error;
        if (error < 0)
                t->lifecycle->failed = true;
}

static void begin_stopping(Lifecycle *l, Task *cause) {
        if (l->phase == LIFECYCLE_PHASE_STOPPING || l->phase == LIFECYCLE_PHASE_DONE)
                return;
        if (cause)
                l->failed = true;
        l->phase = LIFECYCLE_PHASE_STOPPING;
        l->stop_begin = now(l);
        emit(l, LIFECYCLE_STOPPING, cause);
        l->again = true;
}

static void mark_running(Task *t) {
        t->state = TASK_RUNNING;
        emit(t->lifecycle, LIFECYCLE_TASK_STARTED, t);
}

static void mark_start_failed(Task *t, int error) {
        t->state = TASK_DEAD;
        task_fail(t, error);
        emit(t->lifecycle, LIFECYCLE_TASK_START_FAILED, t);
        begin_stopping(t->lifecycle, t);
}

static void mark_stopped(Task *t, int error) {
        t->state = TASK_DEAD;
        t->stop_deadline = UINT64_MAX;
        task_fail(t, error);
        emit(t->lifecycle, LIFECYCLE_TASK_STOPPED, t);
}

/* Returns true when it made progress and should be called again. */
static bool step_start(Lifecycle *l) {
        Task *t;
        int r;

        if (l->next >= l->n_tasks) {
                l->phase = LIFECYCLE_PHASE_RUNNING;
                emit(l, LIFECYCLE_READY, NULL);
                return false;
        }
        t = l->tasks[l->next];
        if (t->state == TASK_RUNNING || (t->state == TASK_DEAD && t->completes && t->error == 0)) {
                l->next++;
                return true;
        }
        if (t->state != TASK_INACTIVE)
                return false;   /* starting: wait for its report */
        t->state = TASK_STARTING;
        t->since = now(l);
        emit(l, LIFECYCLE_TASK_STARTING, t);
        r = t->ops->start(t);
        if (t->state != TASK_STARTING)
                return true;    /* it reported from inside start() */
        if (r < 0)
                mark_start_failed(t, r);
        else if (r == 0)
                mark_running(t);
        return r <= 0;
}

static Task *last_started(const Lifecycle *l) {
        for (size_t i = l->n_tasks; i > 0; i--) {
                Task *t = l->tasks[i - 1];

                if (t->state == TASK_STARTING || t->state == TASK_RUNNING || t->state == TASK_STOPPING)
                        return t;
        }
        return NULL;
}

static bool step_stop(Lifecycle *l) {
        Task *t = last_started(l);
        int r;

        if (!t) {
                l->phase = LIFECYCLE_PHASE_DONE;
                emit(l, LIFECYCLE_DONE, NULL);
                return false;
        }
        if (t->state == TASK_STOPPING)
                return false;   /* one at a time: wait for it */
        t->state = TASK_STOPPING;
        t->since = now(l);
        t->stop_deadline = t->stop_timeout_usec > 0 ? now(l) + t->stop_timeout_usec
                                                    : l->stop_begin + l->stop_window_usec;
        emit(l, LIFECYCLE_TASK_STOPPING, t);
        r = t->ops->stop(t);
        if (t->state != TASK_STOPPING)
                return true;
        if (r <= 0)
                mark_stopped(t, r);
        return r <= 0;
}

static void advance(Lifecycle *l) {
        if (l->advancing) {
                l->again = true;
                return;
        }
        l->advancing = true;
        do {
                l->again = false;
                if (l->phase == LIFECYCLE_PHASE_STARTING && step_start(l))
                        l->again = true;
                else if (l->phase == LIFECYCLE_PHASE_STOPPING && step_stop(l))
                        l->again = true;
        } while (l->again);
        l->advancing = false;
}

void lifecycle_start(Lifecycle *l) {
        if (l->phase != LIFECYCLE_PHASE_INIT)
                return;
        l->phase = LIFECYCLE_PHASE_STARTING;
        l->start_begin = now(l);
        l->next = 0;
        advance(l);
}

void lifecycle_stop(Lifecycle *l) {
        if (l->phase == LIFECYCLE_PHASE_INIT) {
                l->phase = LIFECYCLE_PHASE_DONE;
                emit(l, LIFECYCLE_DONE, NULL);
                return;
        }
        begin_stopping(l, NULL);
        advance(l);
}

void lifecycle_task_started(Task *t, int error) {
        /* Late news, such as READY=1 from a child that is already being stopped, changes nothing. */
        if (t->state != TASK_STARTING)
                return;
        if (error < 0)
                mark_start_failed(t, error);
        else
                mark_running(t);
        advance(t->lifecycle);
}

void lifecycle_task_stopped(Task *t, int error) {
        Lifecycle *l = t->lifecycle;

        if (t->state == TASK_STOPPING)
                mark_stopped(t, error);
        else if (error == 0 && ((t->state == TASK_STARTING && t->completes) ||
                                (t->state == TASK_RUNNING && t->may_finish))) {
                bool finishes_instance = t->state == TASK_RUNNING;

                t->state = TASK_DEAD;
                emit(l, LIFECYCLE_TASK_FINISHED, t);
                if (finishes_instance)
                        begin_stopping(l, NULL);
        } else if (t->state == TASK_STARTING && t->completes) {
                /* A task that runs to completion and fails: its start failed. */
                mark_start_failed(t, error < 0 ? error : -ECHILD);
        } else if (t->state == TASK_STARTING || t->state == TASK_RUNNING) {
                /* On its own: the instance has failed, whatever the exit status. */
                t->state = TASK_DEAD;
                task_fail(t, error < 0 ? error : -ECHILD);
                emit(l, LIFECYCLE_TASK_DIED, t);
                begin_stopping(l, t);
        } else
                return;
        advance(l);
}

uint64_t lifecycle_next_deadline(const Lifecycle *l) {
        uint64_t deadline = UINT64_MAX;

        for (size_t i = 0; i < l->n_tasks; i++)
                if (l->tasks[i]->state == TASK_STOPPING && l->tasks[i]->stop_deadline < deadline)
                        deadline = l->tasks[i]->stop_deadline;
        return deadline;
}

void lifecycle_handle_deadline(Lifecycle *l) {
        uint64_t n = now(l);

        for (size_t i = 0; i < l->n_tasks; i++) {
                Task *t = l->tasks[i];
                int r;

                if (t->state != TASK_STOPPING || t->stop_deadline > n)
                        continue;
                t->stop_deadline = UINT64_MAX;
                task_fail(t, -ETIME);
                emit(l, LIFECYCLE_TASK_STOP_TIMEOUT, t);
                r = t->ops->kill(t);
                if (t->state == TASK_STOPPING && r <= 0)
                        mark_stopped(t, -ETIME);
        }
        advance(l);
}

size_t lifecycle_count(const Lifecycle *l, TaskState state) {
        size_t n = 0;

        for (size_t i = 0; i < l->n_tasks; i++)
                if (l->tasks[i]->state == state)
                        n++;
        return n;
}

static const char * const task_state_table[_TASK_STATE_MAX] = {
        [TASK_INACTIVE] = "inactive",
        [TASK_STARTING] = "starting",
        [TASK_RUNNING] = "running",
        [TASK_STOPPING] = "stopping",
        [TASK_DEAD] = "dead",
};

const char *task_state_to_string(TaskState s) {
        return s >= 0 && s < _TASK_STATE_MAX ? task_state_table[s] : NULL;
}

static const char * const lifecycle_event_table[_LIFECYCLE_EVENT_MAX] = {
        [LIFECYCLE_TASK_STARTING] = "task-starting",
        [LIFECYCLE_TASK_STARTED] = "task-started",
        [LIFECYCLE_TASK_START_FAILED] = "task-start-failed",
        [LIFECYCLE_TASK_DIED] = "task-died",
        [LIFECYCLE_TASK_STOPPING] = "task-stopping",
        [LIFECYCLE_TASK_STOP_TIMEOUT] = "task-stop-timeout",
        [LIFECYCLE_TASK_STOPPED] = "task-stopped",
        [LIFECYCLE_TASK_FINISHED] = "task-finished",
        [LIFECYCLE_READY] = "ready",
        [LIFECYCLE_STOPPING] = "stopping",
        [LIFECYCLE_DONE] = "done",
};

const char *lifecycle_event_to_string(LifecycleEvent e) {
        return e >= 0 && e < _LIFECYCLE_EVENT_MAX ? lifecycle_event_table[e] : NULL;
}
