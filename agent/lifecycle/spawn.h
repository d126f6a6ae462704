/* SPDX-License-Identifier: MIT */
#pragma once

/* Starting one child: fork, then in the child set up its fds, signals and process group and exec. */

#include <stddef.h>
#include <sys/types.h>

#include "common/macro.h"

typedef struct SpawnOptions {
        size_t n_listen_fds;    /* fds 3 .. 3+n-1 stay open across exec (close-on-exec cleared) */
        int stdout_fd;          /* dup'ed to 1; -1: inherit the agent's */
        int stderr_fd;          /* dup'ed to 2; -1: inherit the agent's */
        int drain_fd;           /* put at fd 3 + n_listen_fds, kept across exec (the interposer's drain
                                 * flag); -1 (or 0..2): none */
} SpawnOptions;

/* Finds name in search_path (colon-separated, as $PATH) unless it holds a slash, when it is taken as
 * is. Returns 0 with the path in *ret (allocated), -ENOENT when no directory has an executable of
 * that name, -ENOMEM. */
int find_executable(const char *name, const char *search_path, char **ret);

/* Runs path with argv and env (which child_env_set_pid() completes in the child). The child is the
 * leader of a new process group, has default signal handling and an empty signal mask, and keeps
 * only fds 0-2 and the listening sockets. Returns 0 with the child's pid once it has exec'd, or
 * the negative errno of fork() or of its execve() (the failed child is reaped). */
int spawn(const char *path, char * const *argv, char **env, const SpawnOptions *o, pid_t *ret_pid);
