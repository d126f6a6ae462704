/* SPDX-License-Identifier: MIT */
#pragma once

/* The procfile model: what an app declares, resolved the way Pandora.js 1.x resolves its procfile.js.
 *
 * procfile_load() is the one entry point: it parses the libconfig file (procfile/parse.c, the only code
 * that sees libconfig), applies the built-in processes and the dev overlay, and resolves which processes
 * start and which services each one runs in which order (procfile/resolve.c). The result is plain data
 * that the generator renders into units and the agent runs. Nothing here logs: every failure comes back
 * as a ProcfileError naming the file, line and setting path. */

#include <stdbool.h>
#include <stdint.h>

#include "common/macro.h"
#include "common/procfile/config-value.h"

typedef enum RestartPolicy {
        RESTART_ON_FAILURE,
        RESTART_ALWAYS,
        RESTART_NO,
        _RESTART_MAX,
        _RESTART_INVALID = -EINVAL,
} RestartPolicy;

typedef enum ServiceKind {
        SERVICE_EXEC,
        SERVICE_MODULE,
        _SERVICE_KIND_MAX,
        _SERVICE_KIND_INVALID = -EINVAL,
} ServiceKind;

typedef enum ServiceReady {
        SERVICE_READY_STARTED,
        SERVICE_READY_NOTIFY,
        SERVICE_READY_LISTENING,        /* once it listen()s on one of the unit's shared sockets */
        SERVICE_READY_EXITED,           /* once it exits 0: work that runs to completion (a migration) */
        _SERVICE_READY_MAX,
        _SERVICE_READY_INVALID = -EINVAL,
} ServiceReady;

/* How much of systemd's sandboxing a process's units get (generator/unit-hardening.c says what each
 * setting is for). The zero value is the default profile. */
typedef enum Hardening {
        HARDENING_DEFAULT,              /* safe for ordinary apps: exposure <= 4.0 */
        HARDENING_STRICT,               /* read-only system and home but for dir and writable: <= 2.0 */
        HARDENING_OFF,
        _HARDENING_MAX,
        _HARDENING_INVALID = -EINVAL,
} Hardening;

const char *hardening_to_string(Hardening h) _pure_;
Hardening hardening_from_string(const char *s) _pure_;

/* The reserved process names a service may be placed on besides a real process. */
#define PROCESS_ALL "all"
#define PROCESS_WEAK_ALL "weak-all"

typedef struct Service {
        char *name;
        char *file;             /* the file that defined it (differs from the procfile with @include) */
        unsigned line;          /* where it was defined; 0 for services made by sugar without a line */
        ServiceKind kind;
        char **argv;            /* SERVICE_EXEC: the split `exec`, `node` prepended for a .js script */
        char *module;           /* SERVICE_MODULE: the shared object's path, absolute */
        char *process;          /* as written; NULL: the procfile's default_process */
        unsigned process_line;
        char **dependencies;    /* service names, "all" allowed */
        unsigned dependencies_line;
        ConfigValue *config;    /* `config`; NULL when absent */
        char *config_json;      /* resolved: `config` as a JSON object, "{}" when absent */
        ServiceReady ready;
        int stderr_priority;    /* `stderr_priority`: 0..7; -1: the process's */
        uint64_t stop_timeout_ms; /* 0: what remains of the unit's stop window */
} Service;

/* A service as it runs inside one process: the same service can have a different weight in two
 * processes, because a dependency on "all" means "after everything in this process". */
typedef struct ProcessService {
        Service *service;
        unsigned weight;
} ProcessService;

typedef struct Process {
        char *name;
        char *file;
        unsigned line;          /* 0 for a built-in process the file never mentions */
        bool scale_auto;
        unsigned scale;         /* resolved: "auto" becomes the worker count */
        char **entry;           /* `entry` split into words, `node` first for a .js script; NULL: none */
        char **args;
        char **argv;            /* resolved: entry + args; NULL: no entry */
        char **env;             /* resolved: the app's env, then the built-in's, then the file's */
        char **listen;          /* "PORT", "HOST:PORT", "[V6]:PORT" or "/path.sock", as written */
        int64_t order;
        RestartPolicy restart;
        uint64_t restart_delay_ms;
        uint64_t restart_burst;
        uint64_t restart_interval_s;
        uint64_t stop_timeout_ms;
        uint64_t watchdog_ms;
        uint64_t start_timeout_ms;      /* TimeoutStartSec=; 0: systemd's default */
        uint64_t reload_timeout_ms;     /* how long a reload's new generation has to become ready */
        bool share_listen;              /* `share_listen`: children's bind() gets the shared sockets */
        ServiceReady ready;             /* the entry's; resolved: "listening" for a listening process */
        bool ready_set;                 /* `ready` was written */
        Hardening hardening;
        bool hardening_set;             /* `hardening` was written for the process */
        bool log_text;                  /* resolved `log_format`: "text" (children write to journal streams) */
        bool log_format_set;            /* `log_format` was written (for the process; resolved: anywhere) */
        char **writable;                /* `writable`: absolute paths the app may write besides dir and /tmp */
        char **env_files;               /* `env_file`: dotenv files read by the agent; "-path": optional */
        char **secret_env;              /* resolved: the app's `secret_env`, then the process's: "NAME=path",
                                         * the file systemd loads as credential NAME and the agent exports */
        /* Resource limits, as systemd.resource-control(5) spells them; NULL / 0: unset. */
        char *memory_max;
        char *memory_high;
        char *cpu_quota;                /* "50%" */
        uint64_t cpu_weight;            /* 1..10000 */
        uint64_t tasks_max;
        uint64_t nofile;                /* LimitNOFILE= */
        uint64_t memory_restart;        /* bytes: a graceful restart above it (the agent); 0: never */
        int stderr_priority;            /* `stderr_priority` of its children's stderr: 0..7; -1: info */
        char *schedule;                 /* `schedule`: an OnCalendar= expression; a job run by a timer */
        bool schedule_persistent;       /* `persistent`: a run missed while the host was off runs at boot */
        char *user;
        char *group;
        bool dynamic_user;              /* `dynamic_user`: DynamicUser=yes; its agent serves no bus name */

        /* Resolved. */
        bool starts;
        ProcessService *services; /* in start order; stop in reverse */
        size_t n_services;
} Process;

/* An installed copy of a procfile (pandora-gen copies it to /run/pandora or /etc/pandora) ends with this
 * comment followed by the absolute path of the file the user wrote, so that relative paths in the copy
 * (`dir`, `entry`, `module`, @include) keep meaning what they meant next to the original. */
#define PROCFILE_ORIGIN_MARK "# pandora-origin: "

typedef struct Procfile {
        char *path;             /* absolute */
        char *origin;           /* absolute: the file the user wrote; relative paths are taken from its
                                 * directory. Differs from path for an installed copy. */
        char *app;
        char *dir;              /* absolute */
        char **env;             /* the app's own env, "KEY=value" */
        char *default_process;
        bool autostart;         /* `autostart`: start with the system (only from the persistent directory) */
        Hardening hardening;    /* `hardening` of the app: its processes' unless they set their own */
        bool log_text;          /* `log_format` of the app, likewise */
        bool log_format_set;
        char **env_files;       /* `env_file` of the app: read before each process's own */
        char **secret_env;      /* `secret_env` of the app: "NAME=path", under each process's own */
        uint64_t log_rate_interval_s; /* `log_rate_limit`: journald's per-unit limit; 0: off (the default) */
        uint64_t log_rate_burst;
        Process **processes;    /* resolved: sorted by order, ties in definition order */
        size_t n_processes;
        void *process_index;    /* tsearch(3) tree of processes by name: an app of thousands of
                                 * groups is looked up once per definition while parsing */
        Service **services;     /* definition order */
        size_t n_services;
        void *service_index;    /* tsearch(3) tree of services by name, likewise */
        bool dev;               /* loaded with the dev overlay */
        char **watch;           /* dev.watch: paths and globs, relative to dir; NULL outside dev mode */
} Procfile;

typedef struct ProcfileError {
        char *file;             /* NULL: no file could be named */
        unsigned line;          /* 0: no line */
        char *field;            /* setting path such as "processes.web.scale"; NULL: none */
        char *message;
} ProcfileError;

typedef struct ProcfileOptions {
        bool dev;               /* apply the `dev` group and make the built-in worker scale 1 */
        unsigned auto_scale;    /* what "auto" resolves to; 0: procfile_auto_scale() */
        const char *default_app; /* the app when the file sets none; NULL: the procfile's directory name */
} ProcfileOptions;

/* Loads and resolves the procfile at path (relative paths are taken from the working directory).
 * On success *ret is the resolved model. On failure returns a negative errno and, when ret_error is
 * not NULL, fills it with a message that names the file, line and setting (free with
 * procfile_error_done()). -EINVAL: the procfile is invalid; -ENOENT/-EACCES/...: it can't be read;
 * -ENOMEM. */
int procfile_load(const char *path, const ProcfileOptions *options, Procfile **ret, ProcfileError *ret_error);

/* Reads the origin an installed copy names (the last PROCFILE_ORIGIN_MARK line that holds an absolute
 * path). Returns 1 and sets *ret when there is one, 0 when there is none, or a negative errno when the
 * file can't be read. */
int procfile_read_origin(const char *path, char **ret);

/* Frees the model; accepts NULL and returns NULL. */
Procfile *procfile_free(Procfile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Procfile *, procfile_free);

/* What "auto" means here: $DEFAULT_WORKER_COUNT when set (Pandora's name), else the online CPUs.
 * Returns the count (>= 1), or -EINVAL when $DEFAULT_WORKER_COUNT is not a positive integer. */
int procfile_auto_scale(void);

/* Returns the process called name, or NULL. */
Process *procfile_find_process(const Procfile *p, const char *name);

/* Returns the service called name, or NULL. */
Service *procfile_find_service(const Procfile *p, const char *name);

/* Formats the error as "FILE:LINE: FIELD: MESSAGE", leaving out what the error does not have.
 * Returns a new string, or NULL when out of memory. */
char *procfile_error_to_string(const ProcfileError *e);

/* Frees the contents of e and zeroes it; accepts an empty error. */
void procfile_error_done(ProcfileError *e);

const char *restart_policy_to_string(RestartPolicy r) _pure_;
RestartPolicy restart_policy_from_string(const char *s) _pure_;
const char *service_kind_to_string(ServiceKind k) _pure_;
const char *service_ready_to_string(ServiceReady r) _pure_;
ServiceReady service_ready_from_string(const char *s) _pure_;
