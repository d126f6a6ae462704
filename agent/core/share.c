/* SPDX-License-Identifier: MIT */

/* The core's side of listen sharing (agent/listen/): decides whether this instance's children get the
 * interposer, opens the request socket, and turns requests into readiness and journal entries. A
 * request counts only from a descendant of one of the instance's exec tasks; a LISTEN completes the
 * start of a task that waits for it (ready = "listening"). */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/core/context.h"
#include "agent/lifecycle/exec-service.h"
#include "agent/log/ids.h"
#include "agent/log/log.h"
#include "config.h"

/* The interposer: the installed one, or $PANDORA_LISTEN_PRELOAD (tests, build trees). */
static const char *preload_path(void) {
        return getenv("PANDORA_LISTEN_PRELOAD") ?: PANDORA_LISTEN_PRELOAD_PATH;
}

/* The exec task pid descends from, in the running generation or a reload's new one. */
static ExecService *task_of(const Context *c, pid_t pid, const char **ret_name) {
        for (const Lifecycle *l = &c->lifecycle; l; l = l == &c->lifecycle ? c->next : NULL)
                for (size_t i = 0; i < l->n_tasks; i++) {
                        ExecService *s = exec_service_from_task(l->tasks[i]);

                        if (s && exec_service_owns_descendant(s, pid)) {
                                if (ret_name)
                                        *ret_name = s->name;
                                return s;
                        }
                }
        return NULL;
}

static bool owns(pid_t pid, void *userdata) {
        return task_of(userdata, pid, NULL) != NULL;
}

/* "Service 'web'" or "The entry", as the lifecycle's messages name a task. */
static void describe_task(const char *service, char *buf, size_t size) {
        if (service)
                snprintf(buf, size, "Service '%s'", service);
        else
                snprintf(buf, size, "The entry");
}

static void on_bind(Context *c, const char *service, pid_t pid, size_t index, const ListenAddress *app) {
        const ListenAddress *shared = &c->listen_share.sockets[index];
        char what[128], app_text[LISTEN_ADDRESS_TEXT_MAX], shared_text[LISTEN_ADDRESS_TEXT_MAX];
        char field[LISTEN_ADDRESS_TEXT_MAX + 32];
        const char *fields[] = { field, NULL };

        describe_task(service, what, sizeof(what));
        listen_address_to_string(app, app_text, sizeof(app_text));
        listen_address_to_string(shared, shared_text, sizeof(shared_text));
        snprintf(field, sizeof(field), "PANDORA_LISTEN_ADDRESS=%s", shared_text);
        if (listen_address_wider(shared, app))
                log_event(LOG_NOTICE, service, fields, "%s (pid %d) bound %s and serves the shared socket %s, "
                          "which listens on more addresses; to keep it to %s, declare that address in listen",
                          what, (int) pid, app_text, shared_text, app_text);
        else
                log_event(LOG_INFO, service, fields, "%s (pid %d) bound %s and serves the shared socket %s",
                          what, (int) pid, app_text, shared_text);
}

static void on_in_use(Context *c, const char *service, pid_t pid, const ListenAddress *app) {
        char what[128], text[LISTEN_ADDRESS_TEXT_MAX], field[LISTEN_ADDRESS_TEXT_MAX + 32];
        const char *fields[] = { PANDORA_MESSAGE_ADDRESS_IN_USE, field, NULL };

        describe_task(service, what, sizeof(what));
        listen_address_to_string(app, text, sizeof(text));
        snprintf(field, sizeof(field), "PANDORA_LISTEN_ADDRESS=%s", text);
        log_event(LOG_ERR, service, fields, "%s (pid %d) can't bind %s: address already in use. Another program "
                  "holds it%s; declare it in processes.%s.listen so that every instance serves one socket",
                  what, (int) pid, text, c->process->listen ? ", or the procfile's listen names another address" : "",
                  c->process->name);
}

static void on_reuseport(Context *c, const char *service, const ListenAddress *app) {
        char text[LISTEN_ADDRESS_TEXT_MAX], field[LISTEN_ADDRESS_TEXT_MAX + 32];
        const char *fields[] = { field, NULL };

        if (c->reuseport_logged)
                return;
        c->reuseport_logged = true;
        listen_address_to_string(app, text, sizeof(text));
        snprintf(field, sizeof(field), "PANDORA_LISTEN_ADDRESS=%s", text);
        log_event(LOG_NOTICE, service, fields, "Port %u (%s) is shared by the %u instances with SO_REUSEPORT; "
                  "declare listen = [ \"%u\" ] in processes.%s to keep it open across restarts", app->port, text,
                  c->process->scale, app->port, c->process->name);
}

static void on_request(ListenRequest request, pid_t pid, size_t index, const ListenAddress *app, void *userdata) {
        Context *c = userdata;
        const char *service = NULL;
        ExecService *s = task_of(c, pid, &service);

        if (!s)
                return;
        switch (request) {
        case LISTEN_REQUEST_BIND:
                on_bind(c, service, pid, index, app);
                break;
        case LISTEN_REQUEST_LISTEN:
                exec_service_handle_listening(s);
                break;
        case LISTEN_REQUEST_IN_USE:
                on_in_use(c, service, pid, app);
                break;
        default:
                on_reuseport(c, service, app);
                break;
        }
}

static const ListenShareOps share_ops = {
        .owns = owns,
        .on_request = on_request,
};

int context_setup_listen(Context *c) {
        const Process *p = c->process;
        int r;

        c->listen_share.fd = -1;
        /* Every process shares unless it says not to: without sockets and at scale 1 the interposer
         * only reports EADDRINUSE, which is worth a clear journal entry on its own. */
        if (!p->share_listen)
                return 0;
        if (access(preload_path(), R_OK) < 0) {
                log_warning("%s: %m; children's bind() won't get the unit's sockets", preload_path());
                return 0;
        }
        r = listen_share_open(&c->listen_share, c->event, c->listen_fds, c->n_listen_fds, &share_ops, c);
        if (r < 0)
                return log_error("Can't open the listen share: %s", strerror(-r)), r;
        c->listen_preload = preload_path();
        c->listen_reuseport = c->n_listen_fds == 0 && p->scale > 1;
        return 0;
}

void context_listen_env(const Context *c, int drain_fd, ChildEnvOptions *o) {
        if (!c->listen_preload)
                return;
        /* spawn() puts the flag right after the listening sockets. */
        if (drain_fd >= 0)
                o->listen_drain_fd = 3 + (int) c->n_listen_fds;
        o->listen_preload = c->listen_preload;
        o->listen_socket = c->listen_share.address;
        o->listen_description = c->listen_share.description;
        o->listen_reuseport = c->listen_reuseport;
}

void context_listen_addresses(const Context *c, char *buf, size_t size) {
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < c->listen_share.n_sockets && used + 3 < size; i++) {
                if (i > 0)
                        used += snprintf(buf + used, size - used, ", ");
                listen_address_to_string(&c->listen_share.sockets[i], buf + used, size - used);
                used += strlen(buf + used);
        }
}

int context_new_drain(const Context *c) {
        int fd;

        if (!c->listen_preload || c->listen_share.n_sockets == 0)
                return -1;
        fd = memfd_create("pandora-drain", MFD_CLOEXEC);
        if (fd < 0)
                return -1;
        if (ftruncate(fd, 1) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

void context_drain(int drain_fd) {
        if (drain_fd >= 0)
                (void) pwrite(drain_fd, "1", 1, 0);
}
