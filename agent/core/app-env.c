/* SPDX-License-Identifier: MIT */

/* What the procfile puts in its children's environment, read as they start: the env files, the env,
 * and the secrets systemd loaded as credentials. None of it is in the unit: a unit file is world-
 * readable and `systemctl show` prints its Environment= to anyone, while the procfile keeps its own
 * mode and credentials are readable by the unit's processes only. Reading them here, not at generate
 * time, also gives a reload's new generation the procfile as it is now. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/context.h"
#include "agent/log/log.h"
#include "common/dotenv.h"
#include "common/io-util.h"
#include "common/path-util.h"
#include "common/strv.h"

extern char **environ;

/* As large as an env file may be; an environment block holds little more. */
#define SECRET_SIZE_MAX DOTENV_SIZE_MAX

static int read_file(const char *path, bool optional, const char *what, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        int r;

        if (fd < 0 && errno == ENOENT && optional)
                return 0;
        if (fd < 0)
                return log_error("%s: can't read %s: %m", path, what), -errno;
        r = read_full_fd(fd, SECRET_SIZE_MAX, ret, ret_size);
        if (r < 0)
                return log_error("%s: can't read %s: %s", path, what,
                                 r == -EBADMSG ? "larger than 1 MiB" : strerror(-r)), r;
        return 1;
}

/* Reads one `env_file` into *env. name: as written ("-" first: the file may be missing), relative to
 * the app's dir. Logs "FILE:LINE: message" and returns a negative errno when it can't. */
static int read_env_file(const Procfile *pf, const char *name, char ***env) {
        bool optional = name[0] == '-';
        _cleanup_free_ char *path = path_join_absolute(pf->dir, name + optional), *text = NULL;
        const char *error = NULL;
        unsigned line = 0;
        size_t size;
        int r;

        if (!path)
                return log_error("Out of memory"), -ENOMEM;
        r = read_file(path, optional, "env_file", &text, &size);
        if (r <= 0)
                return r;
        r = dotenv_parse(text, size, env, &line, &error);
        if (r == -EINVAL)
                log_error("%s:%u: %s", path, line, error);
        else if (r < 0)
                log_error("Out of memory");
        return r;
}

/* The file of one `secret_env` entry ("NAME=path"): the credential NAME systemd loaded for the unit
 * (LoadCredential=NAME:path). Dev mode's transient units load none: there the agent, which runs as
 * the developer, reads the file itself. */
static int secret_path(const Procfile *pf, const char *entry, const char *name, bool dev, char **ret) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");

        if (!dir && !dev)
                return log_error("secret_env %s: the unit loads no credentials; regenerate its units "
                                 "(pandora-gen) and restart it", name), -ENOKEY;
        *ret = dir ? path_join_absolute(dir, name) : path_join_absolute(pf->dir, entry + strlen(name) + 1);
        if (!*ret)
                return log_error("Out of memory"), -ENOMEM;
        return 0;
}

/* Sets NAME to the secret's text, without the newlines at its end (as $(cat file) would). */
static int add_secret(const Procfile *pf, const char *entry, bool dev, char ***env) {
        _cleanup_free_ char *name = strndup(entry, strcspn(entry, "=")), *path = NULL, *text = NULL;
        size_t size;
        int r;

        if (!name)
                return log_error("Out of memory"), -ENOMEM;
        r = secret_path(pf, entry, name, dev, &path);
        if (r < 0)
                return r;
        r = read_file(path, false, "secret_env", &text, &size);
        if (r < 0)
                return r;
        if (memchr(text, '\0', size))
                return log_error("%s: secret_env %s holds a NUL byte, which no environment variable can",
                                 path, name), -EINVAL;
        while (size > 0 && text[size - 1] == '\n')
                text[--size] = '\0';
        if (strv_env_set(env, name, text) < 0)
                return log_error("Out of memory"), -ENOMEM;
        return 0;
}

int context_child_env(Context *c, const Procfile *pf, const Process *p, char ***ret) {
        _cleanup_strv_free_ char **env = strv_copy(environ);
        int r;

        if (!env)
                return log_error("Out of memory"), -ENOMEM;
        STRV_FOREACH(f, p->env_files) {
                r = read_env_file(pf, *f, &env);
                if (r < 0)
                        return r;
        }
        if (strv_env_merge(&env, p->env) < 0)
                return log_error("Out of memory"), -ENOMEM;
        STRV_FOREACH(s, p->secret_env) {
                r = add_secret(pf, *s, c->options->dev, &env);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(env);
        return 0;
}
