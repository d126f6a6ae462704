/* SPDX-License-Identifier: MIT */
#pragma once

/* A task that is a child process: an `exec` service, or the process's `entry`. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "agent/lifecycle/child-env.h"
#include "agent/lifecycle/lifecycle.h"
#include "agent/lifecycle/notify.h"
#include "agent/log/capture.h"

typedef struct ExecService {
        sd_event *event;
        Task *task;                     /* set by the owner once the task exists */
        char *name;                     /* the service; NULL: the entry */
        char **argv;
        char **env;                     /* from child_env_build() */
        char *path;                     /* argv[0] found in PATH, at start */
        bool notify;                    /* ready = "notify": started at READY=1, not at exec */
        bool exits;                     /* ready = "exited": started when it exits 0 (runs to completion) */
        int stderr_priority;            /* of its stderr lines without <N> or a JSON level; LOG_INFO */
        int drain_fd;                   /* its generation's drain flag for the interposer, not owned; -1 */
        bool listening;                 /* ready = "listening": started at its first listen() on a shared
                                         * socket (exec_service_handle_listening()) */
        uint64_t listen_timeout_usec;   /* ready = "listening": a failed start after this long */
        sd_event_source *listen_timer;
        bool listen_timed_out;          /* its start failed because it never listened */
        size_t n_listen_fds;

        pid_t pid;                      /* 0: not running */
        sd_event_source *child;
        LogCapture *capture;            /* its stdout and stderr, from its start on */
        bool stopping;                  /* SIGTERM sent */
        int exit_code;                  /* siginfo's si_code once it exited (CLD_*); 0: it did not */
        int exit_status;                /* exit status or signal */
        uint64_t watchdog_last;         /* CLOCK_MONOTONIC of its last WATCHDOG=1; 0: never sent one */
        char *status;                   /* its last STATUS= */
} ExecService;

extern const TaskOps exec_service_ops;

/* Makes a child task for argv, whose environment is base with o applied (see child_env_build()).
 * name: the service, NULL for the entry. Returns 0 or -ENOMEM. */
int exec_service_new(sd_event *e, const char *name, char * const *argv, char * const *base,
                     const ChildEnvOptions *o, bool notify, ExecService **ret);

/* Makes s ready at its first listen() on a shared socket instead of at exec (ready = "listening"); a
 * start that sees none within timeout_usec fails with -ETIMEDOUT and the child is sent SIGTERM. */
void exec_service_wait_listening(ExecService *s, uint64_t timeout_usec);

/* A process of s listens on a shared socket: completes a "listening" start. */
void exec_service_handle_listening(ExecService *s);

/* Returns the ExecService behind t, or NULL when t is another kind of task. */
ExecService *exec_service_from_task(const Task *t) _pure_;

/* Whether a notification from sender comes from this child: its own pid, or a helper it runs, such
 * as systemd-notify(1), whose parent it is. */
bool exec_service_owns_sender(const ExecService *s, pid_t sender);

/* Whether pid is the child of s or any of its descendants (a server under `npm start`, `sh -c`). */
bool exec_service_owns_descendant(const ExecService *s, pid_t pid);

/* Applies a notification from the child: READY=1 completes a "notify" start; STATUS= and WATCHDOG=1
 * are recorded (now: CLOCK_MONOTONIC). Returns true when its STATUS changed. */
bool exec_service_handle_notify(ExecService *s, const NotifyMessage *m, uint64_t now);

/* How the child ended, as systemd's EXIT_CODE= says it: "exited", "killed", "dumped"; NULL while it did
 * not. */
const char *exec_service_exit_code_to_string(const ExecService *s) _pure_;

/* How the child ended, for a log line: "exited with status 3", "killed by signal KILL"; "still
 * running" if it did not. Returns a new string, or NULL when out of memory. */
char *exec_service_describe_exit(const ExecService *s);
