/* SPDX-License-Identifier: MIT */

/* A child's environment. sd_listen_fds(3) and sd_watchdog_enabled(3) only believe variables whose
 * *_PID names the reading process, so those must name the child, whose pid is known only after
 * fork(): the entries are allocated with room for it here, and filled in by the child. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/lifecycle/child-env.h"
#include "common/strv.h"

/* Digits of the largest pid_t, plus the terminating NUL. */
#define PID_ROOM 21

static const char * const rewritten[] = {
        "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID",
        "PANDORA_SERVICE", "PANDORA_SERVICE_CONFIG", "PANDORA_METRICS_SOCKET",
        "PANDORA_LISTEN", "PANDORA_LISTEN_SOCKET", "PANDORA_LISTEN_REUSEPORT", "PANDORA_LISTEN_DRAIN_FD",
};

static bool is_rewritten(const char *entry) {
        size_t n = strcspn(entry, "=");

        for (size_t i = 0; i < ELEMENTSOF(rewritten); i++)
                if (strlen(rewritten[i]) == n && strncmp(entry, rewritten[i], n) == 0)
                        return true;
        return false;
}

static int add_pid_placeholder(char ***env, const char *name) {
        char *e = calloc(1, strlen(name) + 1 + PID_ROOM);

        if (!e)
                return -ENOMEM;
        sprintf(e, "%s=0", name);
        return strv_consume(env, e);
}

static int add_fmt(char ***env, const char *name, uint64_t value) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRIu64, value);
        return strv_env_set(env, name, buf);
}

static int add_rewritten(char ***env, const ChildEnvOptions *o) {
        int r = 0;

        if (o->notify_socket)
                r = strv_env_set(env, "NOTIFY_SOCKET", o->notify_socket);
        if (r >= 0 && o->n_listen_fds > 0) {
                r = add_fmt(env, "LISTEN_FDS", o->n_listen_fds);
                if (r >= 0)
                        r = add_pid_placeholder(env, "LISTEN_PID");
                if (r >= 0 && o->listen_fd_names)
                        r = strv_env_set(env, "LISTEN_FDNAMES", o->listen_fd_names);
        }
        if (r >= 0 && o->watchdog_usec > 0) {
                r = add_fmt(env, "WATCHDOG_USEC", o->watchdog_usec);
                if (r >= 0)
                        r = add_pid_placeholder(env, "WATCHDOG_PID");
        }
        if (r >= 0 && o->service)
                r = strv_env_set(env, "PANDORA_SERVICE", o->service);
        if (r >= 0 && o->config_json)
                r = strv_env_set(env, "PANDORA_SERVICE_CONFIG", o->config_json);
        if (r >= 0 && o->metrics_socket)
                r = strv_env_set(env, "PANDORA_METRICS_SOCKET", o->metrics_socket);
        return r;
}

/* LD_PRELOAD with the interposer first, the unit's own preloads after it; ld.so takes spaces or
 * colons between them. A preload already there (an agent started by an agent) is not added twice. */
static int add_listen(char ***env, const ChildEnvOptions *o) {
        const char *preloads = strv_env_get(*env, "LD_PRELOAD");
        _cleanup_free_ char *joined = NULL;
        int r = 0;

        if (!o->listen_preload || !o->listen_socket)
                return 0;
        if (!preloads || !strstr(preloads, o->listen_preload)) {
                if (asprintf(&joined, "%s%s%s", o->listen_preload, preloads ? " " : "", preloads ?: "") < 0)
                        return -ENOMEM;
                r = strv_env_set(env, "LD_PRELOAD", joined);
        }
        if (r >= 0)
                r = strv_env_set(env, "PANDORA_LISTEN_SOCKET", o->listen_socket);
        if (r >= 0 && o->listen_description)
                r = strv_env_set(env, "PANDORA_LISTEN", o->listen_description);
        if (r >= 0 && o->listen_reuseport)
                r = strv_env_set(env, "PANDORA_LISTEN_REUSEPORT", "1");
        if (r >= 0 && o->listen_drain_fd > 0)
                r = add_fmt(env, "PANDORA_LISTEN_DRAIN_FD", (uint64_t) o->listen_drain_fd);
        return r;
}

int child_env_build(char * const *base, const ChildEnvOptions *o, char ***ret) {
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char *));
        int r;

        if (!env)
                return -ENOMEM;
        STRV_FOREACH(e, base) {
                if (is_rewritten(*e))
                        continue;
                r = strv_extend(&env, *e);
                if (r < 0)
                        return r;
        }
        r = add_rewritten(&env, o);
        if (r >= 0)
                r = add_listen(&env, o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(env);
        return 0;
}

/* Formats pid without stdio, which is not async-signal-safe. */
static void write_pid(char *p, pid_t pid) {
        char digits[PID_ROOM];
        size_t n = 0;

        do {
                digits[n++] = '0' + pid % 10;
                pid /= 10;
        } while (pid > 0 && n < sizeof(digits) - 1);
        while (n > 0)
                *p++ = digits[--n];
        *p = '\0';
}

void child_env_set_pid(char **env, pid_t pid) {
        for (char **e = env; e && *e; e++) {
                if (strncmp(*e, "LISTEN_PID=", 11) == 0)
                        write_pid(*e + 11, pid);
                else if (strncmp(*e, "WATCHDOG_PID=", 13) == 0)
                        write_pid(*e + 13, pid);
        }
}
