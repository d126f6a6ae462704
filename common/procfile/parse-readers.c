/* SPDX-License-Identifier: MIT */

/* Typed readers for libconfig settings: each turns a wrong type or value into an error at the setting,
 * so the handlers in the other parser files stay one line long. */

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
#include "common/procfile/env-merge.h"
#include "common/procfile/parse.h"
#include "common/shell-split.h"
#include "common/string-util.h"
#include "common/strv.h"

char *parser_setting_path(const config_setting_t *s) {
        _cleanup_free_ char *parent = NULL;
        const char *name = config_setting_name(s);
        char *path;

        if (!s || config_setting_is_root(s))
                return strdup("");
        if (!name) /* an array element: name the array */
                return parser_setting_path(config_setting_parent(s));
        parent = parser_setting_path(config_setting_parent(s));
        if (!parent)
                return NULL;
        if (asprintf(&path, "%s%s%s", parent, parent[0] ? "." : "", name) < 0)
                return NULL;
        return path;
}

char *parser_setting_file(Parser *p, const config_setting_t *s) {
        /* libconfig names an @include file as written, relative to the include dir. */
        return path_join_absolute(p->dir, config_setting_source_file(s) ?: p->procfile->path);
}

int parser_error(Parser *p, const config_setting_t *s, const char *format, ...) {
        _cleanup_free_ char *path = parser_setting_path(s), *file = parser_setting_file(p, s);
        va_list ap;
        int r;

        if (!path || !file)
                return -ENOMEM;
        va_start(ap, format);
        r = procfile_error_setv(p->error, file, config_setting_source_line(s), path, format, ap);
        va_end(ap);
        return r;
}

static int unknown_key_error(Parser *p, const config_setting_t *s, const SettingTable *table, size_t n) {
        const char *candidates[PARSER_TABLE_MAX + 1] = {};
        const char *hint;

        for (size_t j = 0; j < n && j < PARSER_TABLE_MAX; j++)
                candidates[j] = table[j].key;
        hint = string_closest(config_setting_name(s), candidates);
        if (hint)
                return parser_error(p, s, "unknown key, did you mean '%s'?", hint);
        return parser_error(p, s, "unknown key");
}

int parser_dispatch(Parser *p, const config_setting_t *group, const SettingTable *table, size_t n,
                    void *userdata) {
        int r;

        if (config_setting_type(group) != CONFIG_TYPE_GROUP)
                return parser_error(p, group, "must be a group");

        for (int i = 0; i < config_setting_length(group); i++) {
                const config_setting_t *s = config_setting_get_elem(group, i);
                const SettingTable *match = NULL;

                for (size_t j = 0; j < n && !match; j++)
                        if (streq(table[j].key, config_setting_name(s)))
                                match = &table[j];
                if (!match)
                        return unknown_key_error(p, s, table, n);
                r = match->handler(p, s, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Scalar readers: each checks the type and returns the value or an error naming the setting. */

int parser_read_string(Parser *p, const config_setting_t *s, char **ret) {
        const char *v;
        char *copy;

        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return parser_error(p, s, "must be a string");
        v = config_setting_get_string(s);
        if (!v || !v[0])
                return parser_error(p, s, "must not be empty");
        copy = strdup(v);
        if (!copy)
                return -ENOMEM;
        free(*ret);
        *ret = copy;
        return 0;
}

int parser_read_line(Parser *p, const config_setting_t *s, char **ret) {
        _cleanup_free_ char *v = NULL;
        const char *problem;
        int r;

        r = parser_read_string(p, s, &v);
        if (r < 0)
                return r;
        /* Written into units as is: systemd unescapes nothing there, so a newline would start a directive
         * and a trailing backslash would swallow the next one. */
        problem = unit_verbatim_problem(v);
        if (problem)
                return parser_error(p, s, "%s", problem);
        free(*ret);
        *ret = TAKE_PTR(v);
        return 0;
}

int parser_read_bool(Parser *p, const config_setting_t *s, bool *ret) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
                return parser_error(p, s, "must be true or false");
        *ret = config_setting_get_bool(s);
        return 0;
}

bool parser_is_integer(const config_setting_t *s) {
        int type = config_setting_type(s);

        return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
}

int parser_read_int64(Parser *p, const config_setting_t *s, int64_t *ret) {
        if (!parser_is_integer(s))
                return parser_error(p, s, "must be an integer");
        *ret = config_setting_get_int64(s);
        return 0;
}

int parser_read_uint64(Parser *p, const config_setting_t *s, uint64_t minimum, uint64_t *ret) {
        /* Only 0 and 1 are used as minimums: ">= 0" and "> 0" read better than ">= 1". */
        if (!parser_is_integer(s) || config_setting_get_int64(s) < (int64_t) minimum)
                return parser_error(p, s, "must be an integer %s", minimum > 0 ? "> 0" : ">= 0");
        *ret = (uint64_t) config_setting_get_int64(s);
        return 0;
}

int parser_read_uint64_max(Parser *p, const config_setting_t *s, uint64_t minimum, uint64_t maximum,
                           uint64_t *ret) {
        uint64_t v = 0;
        int r;

        r = parser_read_uint64(p, s, minimum, &v);
        if (r < 0)
                return r;
        if (v > maximum)
                return parser_error(p, s, "must be at most %" PRIu64, maximum);
        *ret = v;
        return 0;
}

int parser_read_strv(Parser *p, const config_setting_t *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
                return parser_error(p, s, "must be an array of strings");
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *e = config_setting_get_elem(s, i);

                if (config_setting_type(e) != CONFIG_TYPE_STRING)
                        return parser_error(p, s, "must be an array of strings");
                r = strv_extend(&l, config_setting_get_string(e));
                if (r < 0)
                        return r;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

/* Pandora.js ran an entry whose first word is a JavaScript file under node; so do we. */
static int command_add_interpreter(char ***argv) {
        static const char * const suffixes[] = { ".js", ".mjs", ".cjs" };
        const char *first = (*argv)[0];
        size_t n = strlen(first);
        char **prefixed;

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t k = strlen(suffixes[i]);

                if (n > k && streq(first + n - k, suffixes[i])) {
                        prefixed = calloc(1, sizeof(char *));
                        if (!prefixed || strv_extend(&prefixed, "node") < 0 ||
                            strv_extend_strv(&prefixed, *argv) < 0) {
                                strv_free(prefixed);
                                return -ENOMEM;
                        }
                        strv_free(*argv);
                        *argv = prefixed;
                        return 0;
                }
        }
        return 0;
}

/* Reads a command line (`entry`, `exec`, a `fork` or `cluster` entry) into argv. */
/* `entry` and `exec` go to execve(), never through a shell: a leading VAR=value or an operator would
 * reach the program as an argument (or be run as a program), so they are refused with what to write. */
static int check_shell_syntax(Parser *p, const config_setting_t *s, const char *line, char * const *words) {
        _cleanup_free_ char *op = NULL;
        const char *eq = strchr(words[0], '=');
        int r;

        if (eq && eq > words[0]) {
                _cleanup_free_ char *name = strndup(words[0], eq - words[0]);

                if (!name)
                        return -ENOMEM;
                if (env_name_is_valid(name))
                        return parser_error(p, s, "'%s' sets a variable, but the command is not run through a "
                                            "shell: put it in env = { %s = \"%s\"; }", words[0], name, eq + 1);
        }
        r = shell_find_operator(line, &op);
        if (r < 0)
                return r;
        if (r > 0)
                return parser_error(p, s, "'%s' is shell syntax, but the command is not run through a shell "
                                    "(the journal keeps its output): to use a shell, write \"/bin/sh -c '...'\"",
                                    op);
        return 0;
}

int parser_read_command(Parser *p, const config_setting_t *s, const char *line, char ***ret) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = shell_split(line, &words);
        if (r == -EINVAL)
                return parser_error(p, s, "unterminated quote or trailing backslash");
        if (r == -ENODATA)
                return parser_error(p, s, "has no words");
        if (r < 0)
                return r;
        r = check_shell_syntax(p, s, line, words);
        if (r < 0)
                return r;
        r = command_add_interpreter(&words);
        if (r < 0)
                return r;
        strv_free(*ret);
        *ret = TAKE_PTR(words);
        return 0;
}

int parser_read_command_setting(Parser *p, const config_setting_t *s, char ***ret) {
        _cleanup_free_ char *line = NULL;
        int r;

        r = parser_read_string(p, s, &line);
        if (r < 0)
                return r;
        return parser_read_command(p, s, line, ret);
}

int parser_check_unit_part(Parser *p, const config_setting_t *s, const char *name) {
        if (!unit_prefix_is_valid(name))
                return parser_error(p, s, "'%s' can't be part of a unit name", name);
        return 0;
}

/* env groups: names checked for the environment block, values of any scalar type turned into text. */
int parser_read_env(Parser *p, const config_setting_t *group, char ***env) {
        _cleanup_strv_free_ char **entries = NULL;
        size_t n = 0;

        if (config_setting_type(group) != CONFIG_TYPE_GROUP)
                return parser_error(p, group, "must be a group");

        /* Collected, then merged in one pass: strv_env_set() per name made a group of N cost N². */
        entries = calloc(config_setting_length(group) + 1, sizeof(char *));
        if (!entries)
                return -ENOMEM;
        for (int i = 0; i < config_setting_length(group); i++) {
                const config_setting_t *s = config_setting_get_elem(group, i);
                const char *name = config_setting_name(s);
                char number[32], *entry;
                const char *value;

                if (!env_name_is_valid(name))
                        return parser_error(p, s, "'%s' is not a valid environment variable name", name);

                switch (config_setting_type(s)) {
                case CONFIG_TYPE_STRING:
                        value = config_setting_get_string(s);
                        break;
                case CONFIG_TYPE_INT:
                case CONFIG_TYPE_INT64:
                        snprintf(number, sizeof(number), "%lld", config_setting_get_int64(s));
                        value = number;
                        break;
                case CONFIG_TYPE_FLOAT:
                        format_double(number, config_setting_get_float(s));
                        value = number;
                        break;
                case CONFIG_TYPE_BOOL:
                        value = config_setting_get_bool(s) ? "true" : "false";
                        break;
                default:
                        return parser_error(p, s, "must be a string, integer, float or boolean");
                }
                if (!utf8_is_valid(value))
                        return parser_error(p, s, "must be valid UTF-8: systemd refuses other environment values");
                if (asprintf(&entry, "%s=%s", name, value) < 0)
                        return -ENOMEM;
                entries[n++] = entry;
        }
        return procfile_env_merge_consume(env, TAKE_PTR(entries));
}



int parser_read_hardening(Parser *p, const config_setting_t *s, Hardening *ret) {
        Hardening h = _HARDENING_INVALID;

        if (config_setting_type(s) == CONFIG_TYPE_STRING)
                h = hardening_from_string(config_setting_get_string(s));
        if (h < 0)
                return parser_error(p, s, "must be \"default\", \"strict\" or \"off\"");
        *ret = h;
        return 0;
}

/* `log_format`, of the app or of a process: "auto" (the agent reads the lines) or "text". */
int parser_read_log_format(Parser *p, const config_setting_t *s, bool *ret_text) {
        const char *v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;

        if (!v || (!streq(v, "auto") && !streq(v, "text")))
                return parser_error(p, s, "must be \"auto\" or \"text\"");
        *ret_text = streq(v, "text");
        return 0;
}

/* `secret_env`, of the app or of a process: NAME = "file". systemd reads the file as the unit starts
 * (LoadCredential=NAME:PATH, as root, so it may be 0600 root) and the agent puts its text in NAME:
 * the value is never in a unit file, `systemctl show` or the procfile. The path is written into the
 * unit as it is (joined with dir when relative), so it must be one systemd takes as it is. */
int parser_read_secret_env(Parser *p, const config_setting_t *group, char ***ret) {
        int r;

        if (config_setting_type(group) != CONFIG_TYPE_GROUP)
                return parser_error(p, group, "must be a group of NAME = \"file\"");
        for (int i = 0; i < config_setting_length(group); i++) {
                const config_setting_t *s = config_setting_get_elem(group, i);
                const char *name = config_setting_name(s), *path, *problem;
                _cleanup_free_ char *absolute = NULL;

                if (!env_name_is_valid(name))
                        return parser_error(p, s, "'%s' is not a valid environment variable name", name);
                if (streq(name, "procfile"))
                        return parser_error(p, s, "'procfile' is the name of the agent's own credential");
                if (config_setting_type(s) != CONFIG_TYPE_STRING || !*config_setting_get_string(s))
                        return parser_error(p, s, "must be the name of the file that holds the secret");
                path = config_setting_get_string(s);
                /* dir may be set later in the file: a relative path is checked as a part of one. */
                absolute = path[0] == '/' ? strdup(path) : strprintf("/%s", path);
                if (!absolute)
                        return -ENOMEM;
                problem = unit_path_problem(absolute);
                if (problem)
                        return parser_error(p, s, "'%s' %s", path, problem);
                if (strstr(path, "//"))
                        return parser_error(p, s, "'%s' must not have an empty component: systemd refuses a "
                                            "path that is not normalized", path);
                if (path[strlen(path) - 1] == '/')
                        return parser_error(p, s, "'%s' must name a file, not a directory", path);
                r = strv_env_set(ret, name, path);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* `env_file`, of the app or of a process: file names, "-" first for an optional one. */
int parser_read_env_files(Parser *p, const config_setting_t *s, char ***ret) {
        int r;

        r = parser_read_strv(p, s, ret);
        if (r < 0)
                return r;
        STRV_FOREACH(f, *ret)
                if (!**f || streq(*f, "-") || string_has_control(*f))
                        return parser_error(p, s, "'%s' must be a file name (\"-\" first: optional)", *f);
        return 0;
}
