/* SPDX-License-Identifier: MIT */
#pragma once

/* The parser's shared pieces: a Parser walks the libconfig tree with one SettingTable per group shape
 * and turns every problem into a ProcfileError at the offending setting. Only the procfile/parse*.c
 * files include this, so libconfig stays inside the parser. */

#include <libconfig.h>

#include "common/procfile/internal.h"

typedef struct Parser {
        Procfile *procfile;
        char *dir;              /* the procfile's directory, for relative paths */
        bool overlay;           /* reading the `dev` group: merging over what exists is the point */
        ProcfileError *error;
} Parser;

typedef int (*SettingHandler)(Parser *p, const config_setting_t *s, void *userdata);

/* The most keys one group shape has; the "did you mean" hint looks at this many. */
#define PARSER_TABLE_MAX 32

typedef struct SettingTable {
        const char *key;
        SettingHandler handler;
} SettingTable;

/* Returns the dotted path of s ("processes.web.scale"; an array element names its array), or NULL
 * when out of memory. */
char *parser_setting_path(const config_setting_t *s);

/* Returns the absolute path of the file s was read from (an @include file, or the procfile), or NULL
 * when out of memory. */
char *parser_setting_file(Parser *p, const config_setting_t *s);

/* Sets p->error to a message at s (file, line, setting path). Returns -EINVAL, or -ENOMEM. */
int parser_error(Parser *p, const config_setting_t *s, const char *format, ...) _printf_(3, 4);

/* Checks that group is a group and calls the table's handler for each of its settings, in file order.
 * An unknown key is an error with a "did you mean" hint when a known key is close. */
int parser_dispatch(Parser *p, const config_setting_t *group, const SettingTable *table, size_t n,
                    void *userdata);

/* Readers: each checks the type, replaces *ret on success (freeing what was there) and otherwise sets
 * an error at s. */
int parser_read_string(Parser *p, const config_setting_t *s, char **ret);       /* non-empty */
int parser_read_line(Parser *p, const config_setting_t *s, char **ret);        /* non-empty, fit to be written
                                                                                 * verbatim: unit_verbatim_problem() */
int parser_read_bool(Parser *p, const config_setting_t *s, bool *ret);
bool parser_is_integer(const config_setting_t *s);
int parser_read_int64(Parser *p, const config_setting_t *s, int64_t *ret);
int parser_read_uint64(Parser *p, const config_setting_t *s, uint64_t minimum, uint64_t *ret); /* 0 or 1 */
int parser_read_uint64_max(Parser *p, const config_setting_t *s, uint64_t minimum, uint64_t maximum,
                           uint64_t *ret);
int parser_read_strv(Parser *p, const config_setting_t *s, char ***ret);
int parser_read_hardening(Parser *p, const config_setting_t *s, Hardening *ret);     /* "default", ... */
int parser_read_env_files(Parser *p, const config_setting_t *s, char ***ret);       /* `env_file` names */
int parser_read_log_format(Parser *p, const config_setting_t *s, bool *ret_text);  /* "auto" or "text" */
int parser_read_secret_env(Parser *p, const config_setting_t *s, char ***ret);      /* `secret_env` */
int parser_read_env(Parser *p, const config_setting_t *group, char ***env);     /* merges into *env */

/* Splits a command line written at s into argv, with `node` first for a JavaScript file. */
int parser_read_command(Parser *p, const config_setting_t *s, const char *line, char ***ret);
int parser_read_command_setting(Parser *p, const config_setting_t *s, char ***ret);

/* Fails unless name can be part of a unit name. */
int parser_check_unit_part(Parser *p, const config_setting_t *s, const char *name);

/* Reads one `processes.NAME` / `services.NAME` group into an existing process / service. */
int parser_read_process(Parser *p, const config_setting_t *group, Process *process);
int parser_read_service(Parser *p, const config_setting_t *group, Service *service);
