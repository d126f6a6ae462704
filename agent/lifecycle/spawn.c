/* SPDX-License-Identifier: MIT */

/* fork() + execve() with an error pipe: the child writes execve()'s errno into a close-on-exec pipe,
 * so the parent knows right away whether the program runs (EOF) or why it could not start. That is
 * what ready = "started" means, and it turns "no such file" into a failed start, not a child that
 * dies. Between fork() and execve() the child only makes system calls. */

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/lifecycle/child-env.h"
#include "agent/lifecycle/spawn.h"

int find_executable(const char *name, const char *search_path, char **ret) {
        const char *p = search_path ?: "/usr/local/bin:/usr/bin:/bin";
        char *path;

        if (strchr(name, '/')) {
                path = strdup(name);
                if (!path)
                        return -ENOMEM;
                *ret = path;
                return 0;
        }
        while (*p) {
                size_t n = strcspn(p, ":");

                if (asprintf(&path, "%.*s/%s", (int) n, n > 0 ? p : ".", name) < 0)
                        return -ENOMEM;
                if (access(path, X_OK) == 0) {
                        *ret = path;
                        return 0;
                }
                free(path);
                p += n + (p[n] == ':');
        }
        return -ENOENT;
}

static void child_setup_signals(void) {
        sigset_t all;
        struct sigaction dfl = { .sa_handler = SIG_DFL };

        for (int sig = 1; sig < _NSIG; sig++)
                (void) sigaction(sig, &dfl, NULL);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
}

static int child_setup_fds(const SpawnOptions *o) {
        if (o->stdout_fd >= 0 && o->stdout_fd != STDOUT_FILENO && dup2(o->stdout_fd, STDOUT_FILENO) < 0)
                return -errno;
        if (o->stderr_fd >= 0 && o->stderr_fd != STDERR_FILENO && dup2(o->stderr_fd, STDERR_FILENO) < 0)
                return -errno;
        for (size_t i = 0; i < o->n_listen_fds; i++)
                if (fcntl(3 + (int) i, F_SETFD, 0) < 0)
                        return -errno;
        /* 0, 1 and 2 are no drain flag: a zeroed SpawnOptions means none. */
        if (o->drain_fd > STDERR_FILENO) {
                int target = 3 + (int) o->n_listen_fds;

                if (o->drain_fd != target && dup2(o->drain_fd, target) < 0)
                        return -errno;
                if (fcntl(target, F_SETFD, 0) < 0)
                        return -errno;
        }
        return 0;
}

__attribute__((noreturn))
static void child_exec(int error_fd, const char *path, char * const *argv, char **env, const SpawnOptions *o) {
        int r;

        child_setup_signals();
        child_env_set_pid(env, getpid());
        r = setpgid(0, 0) < 0 ? -errno : child_setup_fds(o);
        if (r >= 0) {
                execve(path, argv, env);
                r = -errno;
        }
        (void) !write(error_fd, &r, sizeof(r));
        _exit(127);
}

/* Returns 0 at EOF (the child exec'd) or the child's error. */
static int read_child_error(int fd) {
        int error = 0;
        ssize_t n;

        do
                n = read(fd, &error, sizeof(error));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        return n == sizeof(error) ? error : 0;
}

int spawn(const char *path, char * const *argv, char **env, const SpawnOptions *o, pid_t *ret_pid) {
        int pipefd[2], r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0) {
                r = negative_errno();
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0)
                child_exec(pipefd[1], path, argv, env, o);
        close(pipefd[1]);
        r = read_child_error(pipefd[0]);
        close(pipefd[0]);
        if (r < 0) {
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        *ret_pid = pid;
        return 0;
}
