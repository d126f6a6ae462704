/* SPDX-License-Identifier: MIT */
#pragma once

/* The lifecycle of one instance: its tasks (the services in start order, then the entry) started one
 * at a time, READY once all run, stopped one at a time in reverse, each within its stop time.
 *
 * It knows nothing of processes or modules: a task is a TaskOps table, and the implementation reports
 * back with lifecycle_task_started() and lifecycle_task_stopped(). Nor does it own a timer: it reads
 * the time from a clock callback, and its owner arms a timer on lifecycle_next_deadline() and calls
 * lifecycle_handle_deadline() when it fires. So tests drive it with fake tasks and a fake clock. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

typedef struct Lifecycle Lifecycle;
typedef struct Task Task;

typedef enum TaskState {
        TASK_INACTIVE,          /* never started */
        TASK_STARTING,          /* start called, not yet running (ready = "notify", async module start) */
        TASK_RUNNING,
        TASK_STOPPING,
        TASK_DEAD,              /* stopped, died, or failed to start */
        _TASK_STATE_MAX,
        _TASK_STATE_INVALID = -EINVAL,
} TaskState;

typedef struct TaskOps {
        /* Starts the task. Returns 0: it runs; 1: it reports later with lifecycle_task_started();
         * a negative errno: it failed and runs nothing. */
        int (*start)(Task *t);
        /* Asks the task to stop. Returns 0: it stopped; 1: it reports later with
         * lifecycle_task_stopped(); a negative errno: it failed to stop (and counts as stopped). */
        int (*stop)(Task *t);
        /* The task's stop time is up. Returns 0: it is gone (or was abandoned); 1: it reports later
         * with lifecycle_task_stopped(). */
        int (*kill)(Task *t);
        /* Frees what userdata holds; called by lifecycle_done(). May be NULL. */
        void (*destroy)(void *userdata);
} TaskOps;

struct Task {
        const TaskOps *ops;
        void *userdata;                 /* the implementation's state */
        char *name;                     /* service name, or "entry" */
        uint64_t stop_timeout_usec;     /* 0: what remains of the stop window */
        /* How a task may end on its own without failing the instance, set by its owner: */
        bool completes;                 /* ready = "exited": a clean exit completes its start */
        bool may_finish;                /* the entry: a clean exit ends the instance successfully */

        /* Owned by the lifecycle. */
        Lifecycle *lifecycle;
        size_t index;
        TaskState state;
        int error;                      /* why it failed: negative errno, 0 if it did not */
        uint64_t stop_deadline;         /* TASK_STOPPING: when kill() is called; UINT64_MAX: never */
        uint64_t since;                 /* when it last began to start or to stop, for durations */
};

typedef enum LifecyclePhase {
        LIFECYCLE_PHASE_INIT,
        LIFECYCLE_PHASE_STARTING,
        LIFECYCLE_PHASE_RUNNING,
        LIFECYCLE_PHASE_STOPPING,
        LIFECYCLE_PHASE_DONE,
        _LIFECYCLE_PHASE_MAX,
        _LIFECYCLE_PHASE_INVALID = -EINVAL,
} LifecyclePhase;

typedef enum LifecycleEvent {
        LIFECYCLE_TASK_STARTING,
        LIFECYCLE_TASK_STARTED,
        LIFECYCLE_TASK_START_FAILED,    /* t->error says why */
        LIFECYCLE_TASK_DIED,            /* stopped on its own while starting or running */
        LIFECYCLE_TASK_STOPPING,
        LIFECYCLE_TASK_STOP_TIMEOUT,    /* kill() is being called */
        LIFECYCLE_TASK_STOPPED,         /* t->error != 0: not cleanly */
        LIFECYCLE_TASK_FINISHED,        /* it exited cleanly on its own, as it may (completes, may_finish) */
        LIFECYCLE_READY,                /* every task runs */
        LIFECYCLE_STOPPING,             /* stopping begins; t: the task that failed, or NULL */
        LIFECYCLE_DONE,                 /* every task is dead; lifecycle_failed() says how it went */
        _LIFECYCLE_EVENT_MAX,
        _LIFECYCLE_EVENT_INVALID = -EINVAL,
} LifecycleEvent;

typedef void (*LifecycleHandler)(Lifecycle *l, LifecycleEvent event, Task *t, void *userdata);
typedef uint64_t (*LifecycleClock)(void *userdata);

struct Lifecycle {
        Task **tasks;
        size_t n_tasks;
        LifecyclePhase phase;
        size_t next;                    /* LIFECYCLE_PHASE_STARTING: the task to start or being started */
        bool failed;
        uint64_t stop_window_usec;      /* how long stopping may take in all */
        uint64_t start_begin;
        uint64_t stop_begin;

        LifecycleClock clock;
        LifecycleHandler handler;
        void *userdata;                 /* for clock and handler */

        bool advancing;                 /* re-entrancy guard: tasks may report from inside their ops */
        bool again;
};

/* Sets up an empty lifecycle. clock is required; handler may be NULL. */
void lifecycle_init(Lifecycle *l, uint64_t stop_window_usec, LifecycleClock clock, LifecycleHandler handler,
                    void *userdata);

/* Destroys every task (calling ops->destroy) and empties l. */
void lifecycle_done(Lifecycle *l);

/* Appends a task; the name is copied. Only before lifecycle_start(). Returns the task (owned by l) in
 * *ret (may be NULL), 0, or -ENOMEM. */
int lifecycle_add_task(Lifecycle *l, const char *name, const TaskOps *ops, void *userdata,
                       uint64_t stop_timeout_usec, Task **ret);

/* Starts the tasks in order; with no tasks at all the lifecycle is READY at once. */
void lifecycle_start(Lifecycle *l);

/* Stops what runs, in reverse order (SIGTERM). Nothing happens when already stopping or done. */
void lifecycle_stop(Lifecycle *l);

/* A task that returned 1 from start reports here: error 0 when it runs, a negative errno otherwise. */
void lifecycle_task_started(Task *t, int error);

/* A task stopped: as asked (when stopping) or on its own, which fails the instance, unless it ended
 * cleanly and may: a `completes` task while starting (the next one starts), a `may_finish` one while
 * running (everything stops, and the lifecycle has not failed). error: 0 for a clean stop, a negative
 * errno otherwise. */
void lifecycle_task_stopped(Task *t, int error);

/* When the earliest stop deadline passes, in the clock's time; UINT64_MAX when none is pending. */
uint64_t lifecycle_next_deadline(const Lifecycle *l) _pure_;

/* Calls kill() on every task whose stop deadline has passed. */
void lifecycle_handle_deadline(Lifecycle *l);

/* How many tasks are in the given state. */
size_t lifecycle_count(const Lifecycle *l, TaskState state) _pure_;

/* Whether anything failed: a start, a task that died, an unclean or late stop. */
static inline bool lifecycle_failed(const Lifecycle *l) {
        return l->failed;
}

const char *task_state_to_string(TaskState s) _pure_;
const char *lifecycle_event_to_string(LifecycleEvent e) _pure_;
