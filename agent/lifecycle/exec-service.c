/* SPDX-License-Identifier: MIT */

/* Exec services and the entry as lifecycle tasks. Starting is spawn(); a "started" child runs once it
 * has exec'd, a "notify" child once it sends READY=1. Stopping is SIGTERM to the child alone, as
 * KillMode=mixed does for the agent; at the stop deadline SIGKILL goes to its whole process group, so
 * that nothing it started outlives it. sd-event watches the child (through a pidfd where the kernel
 * has them), reaps it, and signals it without the risk of a reused pid. The child's stdout and stderr
 * are pipes to the agent (log/capture.c), read to the end before its exit is reported, so that a
 * child's last words come before the agent's message about its exit. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agent/lifecycle/exec-service.h"
#include "agent/lifecycle/spawn.h"
#include "common/process-util.h"
#include "common/strv.h"

static bool exit_is_clean(const ExecService *s) {
        if (s->exit_code == CLD_EXITED)
                return s->exit_status == 0;
        /* The signals systemd counts as a clean end too, when they were what we asked for. */
        return s->stopping && s->exit_code == CLD_KILLED &&
                (s->exit_status == SIGTERM || s->exit_status == SIGINT || s->exit_status == SIGHUP ||
                 s->exit_status == SIGPIPE);
}

static int on_child_exit(sd_event_source *source _unused_, const siginfo_t *si, void *userdata) {
        ExecService *s = userdata;

        s->pid = 0;
        s->exit_code = si->si_code;
        s->exit_status = si->si_status;
        log_capture_drain(s->capture);
        lifecycle_task_stopped(s->task, exit_is_clean(s) ? 0 : -ECHILD);
        return 0;
}

/* Spawns the child with its output going to a new capture. */
static int exec_spawn(ExecService *s, pid_t *ret_pid) {
        SpawnOptions o = { .n_listen_fds = s->n_listen_fds, .stdout_fd = -1, .stderr_fd = -1,
                           .drain_fd = s->drain_fd };
        LogCapture *capture;
        pid_t pid;
        int r;

        r = log_capture_new(s->event, s->name, &capture);
        if (r < 0)
                return r;
        (void) log_capture_set_stderr_priority(capture, s->stderr_priority);
        o.stdout_fd = capture->child_fds[0];
        o.stderr_fd = capture->child_fds[1];
        r = spawn(s->path, s->argv, s->env, &o, &pid);
        if (r < 0) {
                log_capture_free(capture);
                return r;
        }
        log_capture_started(capture, pid);
        log_capture_free(s->capture);
        s->capture = capture;
        *ret_pid = pid;
        return 0;
}

static int on_listen_timeout(sd_event_source *source _unused_, uint64_t usec _unused_, void *userdata) {
        ExecService *s = userdata;

        s->listen_timed_out = true;
        if (s->pid > 0)
                (void) kill(-s->pid, SIGTERM);
        lifecycle_task_started(s->task, -ETIMEDOUT);
        return 0;
}

static int exec_start(Task *t) {
        ExecService *s = t->userdata;
        pid_t pid;
        int r;

        s->path = mfree(s->path);
        r = find_executable(s->argv[0], strv_env_get(s->env, "PATH"), &s->path);
        if (r < 0)
                return r;
        r = exec_spawn(s, &pid);
        if (r < 0)
                return r;
        r = sd_event_add_child(s->event, &s->child, pid, WEXITED, on_child_exit, s);
        if (r < 0) {
                (void) kill(-pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        s->pid = pid;
        if (s->listening) {
                s->listen_timer = sd_event_source_disable_unref(s->listen_timer);
                /* Accuracy 1 µs: sd-event's default of 250 ms would eat the margin left before systemd's
                 * own start timeout, which would then kill the instance without our explanation. */
                r = sd_event_add_time_relative(s->event, &s->listen_timer, CLOCK_MONOTONIC, s->listen_timeout_usec,
                                               1, on_listen_timeout, s);
                if (r < 0)
                        return r;
        }
        return s->notify || s->listening || s->exits ? 1 : 0;
}

static int exec_stop(Task *t) {
        ExecService *s = t->userdata;

        if (s->pid == 0)
                return 0;
        s->stopping = true;
        if (sd_event_source_send_child_signal(s->child, SIGTERM, NULL, 0) < 0)
                (void) kill(s->pid, SIGTERM);
        return 1;
}

static int exec_kill(Task *t) {
        ExecService *s = t->userdata;

        if (s->pid == 0)
                return 0;
        /* The child is not reaped before on_child_exit(), so its pid, and the group's, are still its. */
        (void) kill(-s->pid, SIGKILL);
        (void) kill(s->pid, SIGKILL);
        return 1;
}

static void exec_destroy(void *userdata) {
        ExecService *s = userdata;

        if (!s)
                return;
        if (s->pid > 0)
                (void) kill(-s->pid, SIGKILL);
        sd_event_source_disable_unref(s->child);
        sd_event_source_disable_unref(s->listen_timer);
        log_capture_free(s->capture);
        free(s->name);
        strv_free(s->argv);
        strv_free(s->env);
        free(s->path);
        free(s->status);
        free(s);
}

const TaskOps exec_service_ops = {
        .start = exec_start,
        .stop = exec_stop,
        .kill = exec_kill,
        .destroy = exec_destroy,
};

int exec_service_new(sd_event *e, const char *name, char * const *argv, char * const *base,
                     const ChildEnvOptions *o, bool notify, ExecService **ret) {
        ExecService *s = calloc(1, sizeof(ExecService));
        int r;

        if (!s)
                return -ENOMEM;
        *s = (ExecService) { .event = e, .notify = notify, .n_listen_fds = o->n_listen_fds,
                             .stderr_priority = LOG_INFO, .drain_fd = -1 };
        s->name = name ? strdup(name) : NULL;
        s->argv = strv_copy(argv);
        r = (name && !s->name) || !s->argv ? -ENOMEM : child_env_build(base, o, &s->env);
        if (r < 0) {
                exec_destroy(s);
                return r;
        }
        *ret = s;
        return 0;
}

void exec_service_wait_listening(ExecService *s, uint64_t timeout_usec) {
        s->listening = true;
        s->listen_timeout_usec = timeout_usec;
}

void exec_service_handle_listening(ExecService *s) {
        if (!s->listening)
                return;
        s->listen_timer = sd_event_source_disable_unref(s->listen_timer);
        lifecycle_task_started(s->task, 0);
}

ExecService *exec_service_from_task(const Task *t) {
        return t->ops == &exec_service_ops ? t->userdata : NULL;
}

bool exec_service_owns_sender(const ExecService *s, pid_t sender) {
        return s->pid > 0 && (sender == s->pid || pid_get_parent(sender) == s->pid);
}

bool exec_service_owns_descendant(const ExecService *s, pid_t pid) {
        /* Bounded: a chain of wrappers is short, and a pid that reaches 1 or 0 is no descendant. */
        for (unsigned depth = 0; s->pid > 0 && pid > 1 && depth < 64; depth++) {
                if (pid == s->pid)
                        return true;
                pid = pid_get_parent(pid);
        }
        return false;
}

bool exec_service_handle_notify(ExecService *s, const NotifyMessage *m, uint64_t now) {
        bool changed = false;

        if (m->watchdog)
                s->watchdog_last = now;
        if (m->status && (!s->status || !streq(s->status, m->status))) {
                free(s->status);
                s->status = strdup(m->status);
                changed = s->status != NULL;
        }
        if (m->ready && s->notify)
                lifecycle_task_started(s->task, 0);
        return changed;
}

const char *exec_service_exit_code_to_string(const ExecService *s) {
        switch (s->exit_code) {
        case CLD_EXITED:
                return "exited";
        case CLD_KILLED:
                return "killed";
        case CLD_DUMPED:
                return "dumped";
        default:
                return NULL;
        }
}

char *exec_service_describe_exit(const ExecService *s) {
        const char *sig = sigabbrev_np(s->exit_status);
        char *text = NULL;
        int k = -1;

        if (s->exit_code == CLD_EXITED)
                k = asprintf(&text, "exited with status %d", s->exit_status);
        else if (s->exit_code == CLD_KILLED || s->exit_code == CLD_DUMPED)
                k = asprintf(&text, "%s signal %s", s->exit_code == CLD_DUMPED ? "dumped core on" : "killed by",
                             sig ?: "unknown");
        else
                text = strdup("still running");
        return k < 0 && s->exit_code != 0 ? NULL : text;
}
