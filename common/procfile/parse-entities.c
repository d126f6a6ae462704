/* SPDX-License-Identifier: MIT */

/* The settings of one process group and one service group: their tables and handlers. */

#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/names.h"
#include "common/path-util.h"
#include "common/procfile/parse.h"
#include "common/shell-split.h"
#include "common/string-util.h"
#include "common/strv.h"

static bool port_is_valid(const char *s) {
        char *end;
        long port;

        if (!s[0] || strspn(s, "0123456789") != strlen(s))
                return false;
        port = strtol(s, &end, 10);
        return port >= 1 && port <= 65535;
}

/* The forms ListenStream= takes that make sense for an app: systemd takes IP addresses, not host names. */
static bool listen_address_is_valid(const char *a) {
        struct in6_addr buf;
        _cleanup_free_ char *host = NULL;
        const char *colon;

        if (a[0] == '/')
                return strlen(a) < sizeof(((struct sockaddr_un *) NULL)->sun_path);
        if (port_is_valid(a))
                return true;
        if (a[0] == '[') {
                const char *close = strchr(a, ']');

                if (!close || close[1] != ':' || !port_is_valid(close + 2))
                        return false;
                host = strndup(a + 1, close - a - 1);
                return host && inet_pton(AF_INET6, host, &buf) == 1;
        }
        colon = strrchr(a, ':');
        if (!colon || !port_is_valid(colon + 1))
                return false;
        host = strndup(a, colon - a);
        return host && inet_pton(AF_INET, host, &buf) == 1;
}

static int process_scale(Parser *p, const config_setting_t *s, void *userdata) {
        Process *process = userdata;

        if (config_setting_type(s) == CONFIG_TYPE_STRING && streq(config_setting_get_string(s), "auto")) {
                process->scale_auto = true;
                return 0;
        }
        if (!parser_is_integer(s) || config_setting_get_int64(s) < 0 || config_setting_get_int64(s) > UINT_MAX)
                return parser_error(p, s, "must be an integer >= 0 or \"auto\"");
        process->scale_auto = false;
        process->scale = (unsigned) config_setting_get_int64(s);
        return 0;
}

static int process_entry(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_command_setting(p, s, &((Process *) userdata)->entry);
}

static int process_args(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_strv(p, s, &((Process *) userdata)->args);
}

static int process_env(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_env(p, s, &((Process *) userdata)->env);
}

static int process_listen(Parser *p, const config_setting_t *s, void *userdata) {
        Process *process = userdata;
        int r;

        r = parser_read_strv(p, s, &process->listen);
        if (r < 0)
                return r;
        /* An empty list listens on nothing: no socket at all. */
        if (!process->listen[0])
                process->listen = strv_free(process->listen);
        STRV_FOREACH(a, process->listen)
                if (string_has_control(*a))
                        return parser_error(p, s, "must not contain control characters such as a newline");
                else if (!listen_address_is_valid(*a))
                        return parser_error(p, s, "'%s' is not \"PORT\", \"HOST:PORT\", \"[V6]:PORT\" or an "
                                             "absolute socket path", *a);
        return 0;
}

static int process_order(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_int64(p, s, &((Process *) userdata)->order);
}

static int process_restart(Parser *p, const config_setting_t *s, void *userdata) {
        Process *process = userdata;
        RestartPolicy policy = _RESTART_INVALID;

        if (config_setting_type(s) == CONFIG_TYPE_STRING)
                policy = restart_policy_from_string(config_setting_get_string(s));
        if (policy < 0)
                return parser_error(p, s, "must be \"on-failure\", \"always\" or \"no\"");
        process->restart = policy;
        return 0;
}

static int process_restart_delay(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64(p, s, 0, &((Process *) userdata)->restart_delay_ms);
}

static int process_restart_burst(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64(p, s, 0, &((Process *) userdata)->restart_burst);
}

static int process_restart_interval(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64(p, s, 0, &((Process *) userdata)->restart_interval_s);
}

static int process_stop_timeout(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64(p, s, 1, &((Process *) userdata)->stop_timeout_ms);
}

static int process_watchdog(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64(p, s, 0, &((Process *) userdata)->watchdog_ms);
}

static int process_start_timeout(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64(p, s, 1, &((Process *) userdata)->start_timeout_ms);
}

static int process_reload_timeout(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64(p, s, 1, &((Process *) userdata)->reload_timeout_ms);
}

static int process_share_listen(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_bool(p, s, &((Process *) userdata)->share_listen);
}

/* `ready` of a process is its entry's, and of a service its own: one of the ServiceReady names. */
static int read_ready(Parser *p, const config_setting_t *s, ServiceReady *ret) {
        ServiceReady ready = _SERVICE_READY_INVALID;

        if (config_setting_type(s) == CONFIG_TYPE_STRING)
                ready = service_ready_from_string(config_setting_get_string(s));
        if (ready < 0)
                return parser_error(p, s, "must be \"started\", \"notify\", \"listening\" or \"exited\"");
        *ret = ready;
        return 0;
}

static int process_ready(Parser *p, const config_setting_t *s, void *userdata) {
        Process *process = userdata;
        int r;

        r = read_ready(p, s, &process->ready);
        if (r < 0)
                return r;
        process->ready_set = true;
        return 0;
}

/* A syslog level, by name or number, as journalctl -p takes it. */
static int read_priority(Parser *p, const config_setting_t *s, int *ret) {
        static const char * const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

        if (config_setting_type(s) == CONFIG_TYPE_INT) {
                int v = config_setting_get_int(s);

                if (v >= 0 && v <= 7) {
                        *ret = v;
                        return 0;
                }
        } else if (config_setting_type(s) == CONFIG_TYPE_STRING)
                for (int i = 0; i < (int) ELEMENTSOF(names); i++)
                        if (streq(config_setting_get_string(s), names[i])) {
                                *ret = i;
                                return 0;
                        }
        return parser_error(p, s, "must be emerg, alert, crit, err, warning, notice, info, debug or 0..7");
}

static int process_stderr_priority(Parser *p, const config_setting_t *s, void *userdata) {
        return read_priority(p, s, &((Process *) userdata)->stderr_priority);
}

static int process_schedule(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_line(p, s, &((Process *) userdata)->schedule);
}

static int process_persistent(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_bool(p, s, &((Process *) userdata)->schedule_persistent);
}

static int process_hardening(Parser *p, const config_setting_t *s, void *userdata) {
        Process *process = userdata;
        int r;

        r = parser_read_hardening(p, s, &process->hardening);
        if (r < 0)
                return r;
        process->hardening_set = true;
        return 0;
}

/* A path systemd reads as one word of a space-separated list (ReadWritePaths=, EnvironmentFile= is not
 * used): absolute, and no character that would split or escape it. */
static bool path_is_list_safe(const char *path) {
        return path[0] == '/' && !strpbrk(path, " \t\\\"'") && !string_has_control(path);
}

static int process_writable(Parser *p, const config_setting_t *s, void *userdata) {
        Process *process = userdata;
        int r;

        r = parser_read_strv(p, s, &process->writable);
        if (r < 0)
                return r;
        STRV_FOREACH(w, process->writable)
                if (!path_is_list_safe(*w))
                        return parser_error(p, s, "'%s' must be an absolute path without spaces, quotes, "
                                            "backslashes or control characters", *w);
        return 0;
}

static int process_env_file(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_env_files(p, s, &((Process *) userdata)->env_files);
}

static int process_log_format(Parser *p, const config_setting_t *s, void *userdata) {
        Process *process = userdata;

        process->log_format_set = true;
        return parser_read_log_format(p, s, &process->log_text);
}

static int process_secret_env(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_secret_env(p, s, &((Process *) userdata)->secret_env);
}

/* "512M", "2G", "1073741824", "80%" or "infinity", as MemoryMax= takes them. */
static bool size_is_valid(const char *s) {
        size_t digits = strspn(s, "0123456789");

        if (streq(s, "infinity"))
                return true;
        if (digits == 0 || digits > 15)
                return false;
        return s[digits] == '\0' || (strchr("KMGT%", s[digits]) && s[digits + 1] == '\0');
}

static int read_size(Parser *p, const config_setting_t *s, char **ret) {
        int r;

        r = parser_read_string(p, s, ret);
        if (r < 0)
                return r;
        if (!size_is_valid(*ret))
                return parser_error(p, s, "must be bytes with an optional K, M, G or T (\"400M\"), a "
                                    "percentage of the host's memory (\"50%%\") or \"infinity\"");
        return 0;
}

static int process_memory_max(Parser *p, const config_setting_t *s, void *userdata) {
        return read_size(p, s, &((Process *) userdata)->memory_max);
}

static int process_memory_high(Parser *p, const config_setting_t *s, void *userdata) {
        return read_size(p, s, &((Process *) userdata)->memory_high);
}

/* memory_restart: bytes, with an optional K, M, G or T (powers of 1024, as systemd reads sizes). */
static int process_memory_restart(Parser *p, const config_setting_t *s, void *userdata) {
        _cleanup_free_ char *text = NULL;
        uint64_t value, unit = 1;
        size_t digits;
        int r;

        r = parser_read_string(p, s, &text);
        if (r < 0)
                return r;
        digits = strspn(text, "0123456789");
        if (digits > 0 && digits <= 15 && text[digits] && !text[digits + 1] && strchr("KMGT", text[digits]))
                unit = 1ULL << (10 * (strchr("KMGT", text[digits]) - "KMGT" + 1));
        else if (digits == 0 || digits > 15 || text[digits])
                return parser_error(p, s, "must be bytes with an optional K, M, G or T, such as \"400M\"");
        value = strtoull(text, NULL, 10) * unit;
        if (value == 0)
                return parser_error(p, s, "must be more than 0 bytes");
        ((Process *) userdata)->memory_restart = value;
        return 0;
}

static int process_cpu_quota(Parser *p, const config_setting_t *s, void *userdata) {
        Process *process = userdata;
        size_t digits;
        int r;

        r = parser_read_string(p, s, &process->cpu_quota);
        if (r < 0)
                return r;
        digits = strspn(process->cpu_quota, "0123456789");
        if (digits == 0 || digits > 6 || !streq(process->cpu_quota + digits, "%") ||
            strspn(process->cpu_quota, "0") == digits)
                return parser_error(p, s, "must be a percentage of one CPU, such as \"50%%\" or \"200%%\"");
        return 0;
}

static int process_cpu_weight(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64_max(p, s, 1, 10000, &((Process *) userdata)->cpu_weight);
}

static int process_tasks_max(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64_max(p, s, 1, 4194304, &((Process *) userdata)->tasks_max);
}

static int process_nofile(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64_max(p, s, 1, 1073741816, &((Process *) userdata)->nofile);
}

static int process_user(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_line(p, s, &((Process *) userdata)->user);
}

static int process_group(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_line(p, s, &((Process *) userdata)->group);
}

static int process_dynamic_user(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_bool(p, s, &((Process *) userdata)->dynamic_user);
}

static const SettingTable process_table[] = {
        { "scale", process_scale },
        { "entry", process_entry },
        { "args", process_args },
        { "env", process_env },
        { "listen", process_listen },
        { "order", process_order },
        { "restart", process_restart },
        { "restart_delay_ms", process_restart_delay },
        { "restart_burst", process_restart_burst },
        { "restart_interval_s", process_restart_interval },
        { "stop_timeout_ms", process_stop_timeout },
        { "watchdog_ms", process_watchdog },
        { "start_timeout_ms", process_start_timeout },
        { "reload_timeout_ms", process_reload_timeout },
        { "share_listen", process_share_listen },
        { "ready", process_ready },
        { "hardening", process_hardening },
        { "schedule", process_schedule },
        { "persistent", process_persistent },
        { "stderr_priority", process_stderr_priority },
        { "writable", process_writable },
        { "env_file", process_env_file },
        { "secret_env", process_secret_env },
        { "log_format", process_log_format },
        { "memory_max", process_memory_max },
        { "memory_high", process_memory_high },
        { "memory_restart", process_memory_restart },
        { "cpu_quota", process_cpu_quota },
        { "cpu_weight", process_cpu_weight },
        { "tasks_max", process_tasks_max },
        { "nofile", process_nofile },
        { "user", process_user },
        { "group", process_group },
        { "dynamic_user", process_dynamic_user },
};

/* Copies a libconfig setting into a ConfigValue tree that outlives the parser. */
static int config_value_from_setting(const config_setting_t *s, ConfigValue **ret) {
        static const struct {
                int libconfig;
                ConfigValueType type;
        } types[] = {
                { CONFIG_TYPE_GROUP, CONFIG_VALUE_GROUP },   { CONFIG_TYPE_ARRAY, CONFIG_VALUE_ARRAY },
                { CONFIG_TYPE_LIST, CONFIG_VALUE_ARRAY },    { CONFIG_TYPE_STRING, CONFIG_VALUE_STRING },
                { CONFIG_TYPE_INT, CONFIG_VALUE_INTEGER },   { CONFIG_TYPE_INT64, CONFIG_VALUE_INTEGER },
                { CONFIG_TYPE_FLOAT, CONFIG_VALUE_FLOAT },   { CONFIG_TYPE_BOOL, CONFIG_VALUE_BOOLEAN },
        };
        _cleanup_(config_value_freep) ConfigValue *v = NULL;
        const config_setting_t *parent = config_setting_parent(s);
        ConfigValueType type = _CONFIG_VALUE_TYPE_INVALID;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (types[i].libconfig == config_setting_type(s))
                        type = types[i].type;
        /* Array elements have no name; group members keep theirs. */
        v = config_value_new(type, parent && config_setting_type(parent) == CONFIG_TYPE_GROUP ?
                             config_setting_name(s) : NULL);
        if (!v)
                return -ENOMEM;

        switch (type) {
        case CONFIG_VALUE_STRING:
                v->string = strdup(config_setting_get_string(s));
                if (!v->string)
                        return -ENOMEM;
                break;
        case CONFIG_VALUE_INTEGER:
                v->integer = config_setting_get_int64(s);
                break;
        case CONFIG_VALUE_FLOAT:
                v->number = config_setting_get_float(s);
                break;
        case CONFIG_VALUE_BOOLEAN:
                v->boolean = config_setting_get_bool(s);
                break;
        default:
                for (int i = 0; i < config_setting_length(s); i++) {
                        ConfigValue *child;

                        r = config_value_from_setting(config_setting_get_elem(s, i), &child);
                        if (r < 0)
                                return r;
                        r = config_value_append(v, child);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(v);
        return 0;
}

/* What one `services.NAME` group set, to tell "exactly one of exec or module" within that group. */
typedef struct ServiceGroup {
        Service *service;
        bool has_exec;
        bool has_module;
} ServiceGroup;

static int service_exec(Parser *p, const config_setting_t *s, void *userdata) {
        ServiceGroup *g = userdata;
        int r;

        r = parser_read_command_setting(p, s, &g->service->argv);
        if (r < 0)
                return r;
        g->has_exec = true;
        g->service->kind = SERVICE_EXEC;
        g->service->module = mfree(g->service->module);
        return 0;
}

static int service_module(Parser *p, const config_setting_t *s, void *userdata) {
        ServiceGroup *g = userdata;
        _cleanup_free_ char *path = NULL;
        char *absolute;
        int r;

        r = parser_read_string(p, s, &path);
        if (r < 0)
                return r;
        absolute = path_join_absolute(p->dir, path);
        if (!absolute)
                return -ENOMEM;
        free(g->service->module);
        g->service->module = absolute;
        g->has_module = true;
        g->service->kind = SERVICE_MODULE;
        g->service->argv = strv_free(g->service->argv);
        return 0;
}

static int service_process(Parser *p, const config_setting_t *s, void *userdata) {
        Service *service = ((ServiceGroup *) userdata)->service;

        service->process_line = config_setting_source_line(s);
        return parser_read_string(p, s, &service->process);
}

static int service_dependencies(Parser *p, const config_setting_t *s, void *userdata) {
        Service *service = ((ServiceGroup *) userdata)->service;

        service->dependencies_line = config_setting_source_line(s);
        return parser_read_strv(p, s, &service->dependencies);
}

static int service_config(Parser *p, const config_setting_t *s, void *userdata) {
        Service *service = ((ServiceGroup *) userdata)->service;
        ConfigValue *v;
        int r;

        if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                return parser_error(p, s, "must be a group");
        r = config_value_from_setting(s, &v);
        if (r < 0)
                return r;
        return config_value_merge(&service->config, v);
}

static int service_stderr_priority(Parser *p, const config_setting_t *s, void *userdata) {
        return read_priority(p, s, &((ServiceGroup *) userdata)->service->stderr_priority);
}

static int service_ready(Parser *p, const config_setting_t *s, void *userdata) {
        return read_ready(p, s, &((ServiceGroup *) userdata)->service->ready);
}

static int service_stop_timeout(Parser *p, const config_setting_t *s, void *userdata) {
        return parser_read_uint64(p, s, 1, &((ServiceGroup *) userdata)->service->stop_timeout_ms);
}

static const SettingTable service_table[] = {
        { "exec", service_exec },
        { "module", service_module },
        { "process", service_process },
        { "dependencies", service_dependencies },
        { "config", service_config },
        { "ready", service_ready },
        { "stderr_priority", service_stderr_priority },
        { "stop_timeout_ms", service_stop_timeout },
};

int parser_read_process(Parser *p, const config_setting_t *group, Process *process) {
        return parser_dispatch(p, group, process_table, ELEMENTSOF(process_table), process);
}

int parser_read_service(Parser *p, const config_setting_t *group, Service *service) {
        ServiceGroup g = { .service = service };
        int r;

        r = parser_dispatch(p, group, service_table, ELEMENTSOF(service_table), &g);
        if (r < 0)
                return r;
        if (g.has_exec && g.has_module)
                return parser_error(p, group, "needs exactly one of 'exec' or 'module'");
        return 0;
}
