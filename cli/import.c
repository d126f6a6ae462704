/* SPDX-License-Identifier: MIT */

/* pandora-gen --import: runs `node RECORDER PROCFILE.JS 3` with the result on fd 3 and the file's own
 * output on stderr, checks that the result loads as the procfile it will become (next to procfile.js,
 * through the installed copies' origin mark, so `app` and `dir` come out as they will), then prints
 * it. Node.js is looked up only here: nothing else in pandora-gen runs JavaScript. */

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/import.h"
#include "common/io-util.h"
#include "common/path-util.h"
#include "common/procfile/procfile.h"
#include "generator/log.h"

/* The fd the recorder writes its result to: its stdout is the procfile's console. */
#define IMPORT_RESULT_FD 3
/* What the recorder may print: a procfile is at most 16 MiB (pandora.procfile(5), LIMITS). */
#define IMPORT_RESULT_MAX (16U * 1024 * 1024)

extern char **environ;

const char *import_script_path(void) {
        return getenv("PANDORA_IMPORT_SCRIPT") ?: PANDORA_IMPORT_SCRIPT_PATH;
}

/* The first executable regular file called node in $PATH, as execvp() would pick it. */
static int find_node(char **ret) {
        const char *search = getenv("PATH");

        for (const char *p = search ?: ""; search && *p; ) {
                size_t n = strcspn(p, ":");
                _cleanup_free_ char *candidate = NULL;
                struct stat st;

                /* An empty entry is the working directory, as for the shell. */
                if (asprintf(&candidate, "%.*s/node", n ? (int) n : 1, n ? p : ".") < 0)
                        return -ENOMEM;
                if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && access(candidate, X_OK) == 0) {
                        *ret = TAKE_PTR(candidate);
                        return 0;
                }
                p += n + (p[n] == ':');
        }
        return -ENOENT;
}

static void spawn_file_actions_destroyp(posix_spawn_file_actions_t **a) {
        if (*a)
                posix_spawn_file_actions_destroy(*a);
}

/* Starts node with the result pipe as IMPORT_RESULT_FD, its stdout on our stderr, no stdin. */
static int spawn_recorder(const char *node, const char *script, const char *js, int result_fd, pid_t *ret_pid) {
        posix_spawn_file_actions_t actions;
        _cleanup_(spawn_file_actions_destroyp) posix_spawn_file_actions_t *a = NULL;
        char fd_arg[16];
        char *argv[] = { (char *) "node", (char *) script, (char *) js, fd_arg, NULL };
        int r;

        snprintf(fd_arg, sizeof(fd_arg), "%d", IMPORT_RESULT_FD);
        if (posix_spawn_file_actions_init(&actions) != 0)
                return -ENOMEM;
        a = &actions;
        r = posix_spawn_file_actions_addopen(a, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(a, STDERR_FILENO, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(a, result_fd, IMPORT_RESULT_FD);
        if (r == 0)
                r = posix_spawn(ret_pid, node, a, NULL, argv, environ);
        return -r;
}

/* Runs the recorder to its end. Returns its exit status (or 128 + a signal), with what it wrote on
 * IMPORT_RESULT_FD in *ret; or a negative errno. */
static int run_recorder(const char *node, const char *script, const char *js, char **ret, size_t *ret_size) {
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        _cleanup_free_ char *text = NULL;
        int fds[2], status;
        size_t size;
        pid_t pid;
        int r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        in = fds[0];
        out = fds[1];
        /* dup2() onto IMPORT_RESULT_FD must clear close-on-exec, which it does only for a different fd. */
        if (out <= IMPORT_RESULT_FD) {
                int moved = fcntl(out, F_DUPFD_CLOEXEC, IMPORT_RESULT_FD + 1);

                if (moved < 0)
                        return negative_errno();
                close(out);
                out = moved;
        }
        r = spawn_recorder(node, script, js, out, &pid);
        if (r < 0)
                return r;
        close(out);
        out = -EBADF;
        r = read_full_fd(in, IMPORT_RESULT_MAX, &text, &size);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (r < 0)
                return r;
        *ret = TAKE_PTR(text);
        *ret_size = size;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Loads text as the procfile it becomes next to procfile.js: from a memfd, whose origin mark names
 * DIR/procfile, so that relative paths, the default app and dir are taken from procfile.js's
 * directory. On failure logs the loader's message, located in "JS (converted)". */
static int check_loads(const char *js, const char *text, size_t size) {
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_free_ char *dir = path_dirname(js), *mark = NULL, *memfd_path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!dir || asprintf(&mark, "\n%s%s/procfile\n", PROCFILE_ORIGIN_MARK, dir) < 0)
                return log_error_errno(-ENOMEM, "out of memory");
        fd = memfd_create("pandora-import", MFD_CLOEXEC);
        if (fd < 0)
                return log_error_errno(negative_errno(), "can't check the conversion: memfd_create: %m");
        r = loop_write(fd, text, size);
        if (r >= 0)
                r = loop_write(fd, mark, strlen(mark));
        if (r < 0)
                return log_error_errno(r, "can't check the conversion: %m");
        if (asprintf(&memfd_path, "/proc/self/fd/%d", fd) < 0)
                return log_error_errno(-ENOMEM, "out of memory");

        r = procfile_load(memfd_path, NULL, &p, &e);
        if (r < 0 && e.message && (!e.file || streq(e.file, memfd_path))) {
                free(e.file);
                if (asprintf(&e.file, "%s (converted)", js) < 0)
                        e.file = NULL;
        }
        if (r < 0)
                log_procfile_error(&e, r);
        return r;
}

/* The recorder's verdict: exit 0 is the procfile, exit 1 one message naming the file. */
static int recorder_result(const char *js, int status, char *text, size_t size) {
        if (status == 0)
                return 0;
        if (status == 1 && size > 0) {
                text[strcspn(text, "\n")] = '\0';
                log_error("%s", text);
                return -EINVAL;
        }
        if (status > 128)
                log_error("%s: Node.js was killed by signal %d", js, status - 128);
        else
                log_error("%s: Node.js failed with exit status %d (its messages are above)", js, status);
        return -EINVAL;
}

int import_run(const char *path) {
        _cleanup_free_ char *node = NULL, *js = NULL, *text = NULL;
        const char *script = import_script_path();
        struct stat st;
        size_t size;
        int r;

        r = path_make_absolute_cwd(path, &js);
        if (r < 0)
                return log_error_errno(r, "%s: %m", path);
        if (stat(js, &st) < 0)
                return log_error_errno(negative_errno(), "%s: %m", js);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EBADFD, "%s: not a regular file", js);
        r = find_node(&node);
        if (r == -ENOENT)
                return log_error_errno(r, "%s: --import runs it with Node.js, and there is no 'node' in $PATH; "
                                       "install Node.js (only --import needs it)", js);
        if (r < 0)
                return log_error_errno(r, "out of memory");
        if (access(script, R_OK) < 0)
                return log_error_errno(negative_errno(), "can't read the --import recorder %s: %m "
                                       "(PANDORA_IMPORT_SCRIPT may name another)", script);

        r = run_recorder(node, script, js, &text, &size);
        if (r < 0)
                return log_error_errno(r, "%s: can't run %s: %m", js, node);
        r = recorder_result(js, r, text, size);
        if (r < 0)
                return r;
        r = check_loads(js, text, size);
        if (r < 0)
                return r;
        if (fwrite(text, 1, size, stdout) != size || fflush(stdout) != 0)
                return log_error_errno(-EIO, "can't write the procfile to stdout: %m");
        return 0;
}
