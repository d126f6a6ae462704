/* SPDX-License-Identifier: MIT */
#pragma once

/* The pandora service API, version 1: what a module service (`module = "x.so";` in a procfile)
 * implements and what pandora-agent offers it. See pandora-service(3).
 *
 * A module is a shared object that defines its entry points with PANDORA_SERVICE_MODULE(start, stop).
 * The agent dlopen()s it, checks the ABI version it was built for, and calls start() when the service's
 * turn comes and stop() when the instance stops. Both run on the agent's sd-event loop, which is the
 * module's too: a module never blocks, it adds event sources and calls back.
 *
 * Build a module with: cc -shared -fPIC -o x.so x.c $(pkg-config --cflags --libs pandora-service) */

#include <stddef.h>
#include <stdint.h>
#include <libconfig.h>
#include <systemd/sd-event.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. A module built for another one is refused with a message naming both. */
#define PANDORA_SERVICE_ABI 1

/* Returned by start or stop: the module finishes later, with pandora_service_started() or
 * pandora_service_stopped(). */
#define PANDORA_SERVICE_PENDING 1

/* One running service, owned by the agent. Valid from start() until stop() completes. */
typedef struct PandoraService PandoraService;

typedef struct PandoraServiceModule {
        uint32_t abi;           /* PANDORA_SERVICE_ABI */
        uint32_t size;          /* sizeof(PandoraServiceModule), for additions within an ABI */
        /* Starts the service. Returns 0 once it runs, PANDORA_SERVICE_PENDING to report later with
         * pandora_service_started(), or a negative errno when it can't start (stop is then not called). */
        int (*start)(PandoraService *s);
        /* Stops the service and releases its event sources. Returns 0 once stopped,
         * PANDORA_SERVICE_PENDING to report later with pandora_service_stopped(), or a negative errno.
         * May be NULL: nothing to stop. */
        int (*stop)(PandoraService *s);
} PandoraServiceModule;

#define PANDORA_SERVICE_CONCAT_(a, b) a##b
#define PANDORA_SERVICE_CONCAT(a, b) PANDORA_SERVICE_CONCAT_(a, b)
/* The versioned symbol the agent looks up: pandora_service_module_v1 for ABI 1. */
#define PANDORA_SERVICE_MODULE_SYMBOL PANDORA_SERVICE_CONCAT(pandora_service_module_v, PANDORA_SERVICE_ABI)

/* Every module exports the ABI it was built for under this unversioned name, so that the agent can say
 * which one it got when the versioned symbol is missing. */
extern const uint32_t pandora_service_abi;
extern const PandoraServiceModule PANDORA_SERVICE_MODULE_SYMBOL;

/* Defines the module's entry points. Use it once, at file scope. */
#define PANDORA_SERVICE_MODULE(start_fn, stop_fn)                                               \
        __attribute__((visibility("default"))) const uint32_t pandora_service_abi =             \
                PANDORA_SERVICE_ABI;                                                            \
        __attribute__((visibility("default"))) const PandoraServiceModule                       \
                PANDORA_SERVICE_MODULE_SYMBOL = {                                               \
                        .abi = PANDORA_SERVICE_ABI,                                             \
                        .size = sizeof(PandoraServiceModule),                                   \
                        .start = (start_fn),                                                    \
                        .stop = (stop_fn),                                                      \
                }

/* The service's name in the procfile. */
const char *pandora_service_name(const PandoraService *s);

/* The service's `config` group, read-only, owned by the agent; an empty group when it has none. Read
 * it with libconfig: config_setting_lookup_int(pandora_service_config(s), "port", &port). */
const config_setting_t *pandora_service_config(const PandoraService *s);

/* The same `config` as a JSON object, as exec services get it in $PANDORA_SERVICE_CONFIG. */
const char *pandora_service_config_json(const PandoraService *s);

/* The agent's event loop. Add sources to it; do not run, exit or unref it. */
sd_event *pandora_service_event(const PandoraService *s);

/* The instance's listening sockets (the unit's Sockets=), in the order of LISTEN_FDNAMES. Returns
 * how many there are and, when ret_fds is not NULL, the array of fds (owned by the agent: do not close
 * them). */
size_t pandora_service_listen_fds(const PandoraService *s, const int **ret_fds);

/* The FileDescriptorName= of listening socket i, or NULL when i is out of range. */
const char *pandora_service_listen_fd_name(const PandoraService *s, size_t i);

/* A pointer for the module's own state, NULL until set. */
void *pandora_service_get_userdata(const PandoraService *s);
void pandora_service_set_userdata(PandoraService *s, void *userdata);

/* Completes a start that returned PANDORA_SERVICE_PENDING: error is 0 when the service runs, a
 * negative errno when it could not start. */
void pandora_service_started(PandoraService *s, int error);

/* Completes a stop that returned PANDORA_SERVICE_PENDING: error is 0 for a clean stop. */
void pandora_service_stopped(PandoraService *s, int error);

/* The service stopped working on its own (a lost connection it can't recover, say): the instance
 * fails, the other services are stopped and systemd restarts it per its Restart=. stop() is not
 * called for this service. error is a negative errno. */
void pandora_service_failed(PandoraService *s, int error);

/* Logs a message to the journal with the instance's fields, PANDORA_SERVICE and CODE_FILE,
 * CODE_LINE, CODE_FUNC. priority is a syslog level (LOG_INFO, ...). fields, when not NULL, is a
 * NULL-terminated array of more "FIELD=value" entries; one whose name is not 1-64 of [A-Z0-9_] starting
 * with a letter is left out. Returns 0 or a negative errno. Use the macros. */
int pandora_log_internal(PandoraService *s, int priority, const char *file, int line, const char *func,
                         const char * const *fields, const char *format, ...)
        __attribute__((format(printf, 7, 8)));

#define pandora_log(s, priority, ...) \
        pandora_log_internal((s), (priority), __FILE__, __LINE__, __func__, NULL, __VA_ARGS__)
#define pandora_log_fields(s, priority, fields, ...) \
        pandora_log_internal((s), (priority), __FILE__, __LINE__, __func__, (fields), __VA_ARGS__)

/* Adds delta (>= 0) to the service's counter name (1 to 64 of [A-Za-z0-9_.-]), made at 0 on first
 * use. Returns 0, -EINVAL for a bad name or delta, -EOVERFLOW, -ENOMEM. */
int pandora_counter_add(PandoraService *s, const char *name, int64_t delta);

/* Sets the service's gauge name to value. Returns 0, -EINVAL for a bad name, -ENOMEM. */
int pandora_gauge_set(PandoraService *s, const char *name, double value);

#ifdef __cplusplus
}
#endif
