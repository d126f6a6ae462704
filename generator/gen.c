/* SPDX-License-Identifier: MIT */

/* The pandora-gen program. Two faces over one path (procfile → model → units):
 * - generator mode, when invoked as "pandora-generator" by systemd with 1 or 3 output directories:
 *   every procfile in the search path becomes units in the first directory; one bad procfile is
 *   reported and skipped, the others are still generated, and the exit status says something failed;
 * - command line mode: --dry-run prints the units, --output writes them to a directory.
 * This is the edge where errors are logged: the model and the renderer only return them. */

#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "gen.h"
#include "path-util.h"
#include "procfile.h"
#include "strv.h"
#include "unit-install.h"
#include "unit-render.h"

#define GENERATOR_NAME "pandora-generator"
#define PROCFILE_SUFFIX ".procfile"

static const char *arg_output;
static bool arg_dry_run;
static const char *program = "pandora-gen";
static FILE *log_stream;

static void log_error(const char *format, ...) _printf_(1, 2);
static void log_error(const char *format, ...) {
        FILE *f = log_stream ?: stderr;
        va_list ap;

        /* /dev/kmsg wants one record per write, with a priority prefix. */
        fprintf(f, "%s%s: ", f == stderr ? "" : "<3>", program);
        va_start(ap, format);
        vfprintf(f, format, ap);
        va_end(ap);
        fputc('\n', f);
        fflush(f);
}

static void log_procfile_error(const ProcfileError *e, int r) {
        _cleanup_free_ char *s = e->message ? procfile_error_to_string(e) : NULL;

        if (s)
                log_error("%s", s);
        else
                log_error("%s", strerror(-r));
}

static void help(void) {
        printf("usage: pandora-gen --dry-run PROCFILE\n"
               "       pandora-gen --output DIR PROCFILE\n"
               "       pandora-gen --help | --version\n"
               "       pandora-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
               "\n"
               "Turns a pandora procfile into systemd units.\n"
               "\n"
               "  --dry-run      print every unit and link; write nothing\n"
               "  --output DIR   write the units to DIR\n"
               "  --help         show this help\n"
               "  --version      show the version\n");
}

/* Loads path and renders its units; logs and returns a negative errno on failure. default_app: the app
 * when the file sets none (NULL: its directory's name). */
static int load_and_render(const char *path, const char *default_app, const RenderOptions *o, UnitSet **ret) {
        ProcfileOptions options = { .default_app = default_app };
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        int r;

        r = procfile_load(path, &options, &p, &e);
        if (r < 0) {
                log_procfile_error(&e, r);
                return r;
        }
        r = unit_render(p, o, ret);
        if (r < 0)
                log_error("%s: can't render units: %s", p->path, strerror(-r));
        return r;
}

static int install_set(const UnitSet *set, const char *dir) {
        _cleanup_free_ char *failed = NULL;
        int r;

        r = unit_set_install(set, dir, &failed);
        if (r < 0)
                log_error("%s: %s", failed ?: dir, strerror(-r));
        return r;
}

static int run_cli(const char *path) {
        _cleanup_(unit_set_freep) UnitSet *set = NULL;
        RenderOptions o = { .agent_path = PANDORA_AGENT_PATH };
        int r;

        r = load_and_render(path, NULL, &o, &set);
        if (r < 0)
                return r;
        if (arg_dry_run) {
                unit_set_print(set, stdout);
                return 0;
        }
        return install_set(set, arg_output);
}

/* The directories a generator reads, first name wins: $PANDORA_PROCFILE_DIRS (colon-separated, for
 * tests), else the system or the user search path. */
static char **procfile_dirs(bool user) {
        const char *override = getenv("PANDORA_PROCFILE_DIRS");
        _cleanup_strv_free_ char **dirs = NULL;
        const char *config_home = getenv("XDG_CONFIG_HOME"), *runtime = getenv("XDG_RUNTIME_DIR");
        const char *home = getenv("HOME");
        char *d;

        if (override) {
                _cleanup_free_ char *copy = strdup(override);
                char *save = NULL;

                for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t; t = strtok_r(NULL, ":", &save))
                        if (strv_extend(&dirs, t) < 0)
                                return NULL;
                return TAKE_PTR(dirs);
        }
        if (!user) {
                if (strv_extend(&dirs, "/etc/pandora") < 0 || strv_extend(&dirs, "/run/pandora") < 0 ||
                    strv_extend(&dirs, "/usr/lib/pandora") < 0)
                        return NULL;
                return TAKE_PTR(dirs);
        }
        if (config_home)
                d = path_join_absolute(config_home, "pandora");
        else if (home && asprintf(&d, "%s/.config/pandora", home) < 0)
                d = NULL;
        if ((config_home || home) && (!d || strv_consume(&dirs, d) < 0))
                return NULL;
        if (runtime && (!(d = path_join_absolute(runtime, "pandora")) || strv_consume(&dirs, d) < 0))
                return NULL;
        return dirs ? TAKE_PTR(dirs) : calloc(1, sizeof(char *));
}

/* Adds the *.procfile names of dir that no earlier directory had to *names and their paths to *paths. */
static int collect_procfiles(const char *dir, char ***names, char ***paths) {
        struct dirent **entries = NULL;
        int n, r = 0;

        n = scandir(dir, &entries, NULL, alphasort);
        if (n < 0)
                return errno == ENOENT ? 0 : negative_errno();
        for (int i = 0; i < n; i++) {
                const char *name = entries[i]->d_name;
                size_t len = strlen(name), k = strlen(PROCFILE_SUFFIX);

                if (r >= 0 && len > k && streq(name + len - k, PROCFILE_SUFFIX) && !strv_find(*names, name)) {
                        r = strv_extend(names, name);
                        if (r >= 0)
                                r = strv_consume(paths, path_join_absolute(dir, name));
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

static int run_generator(const char *output_dir) {
        bool user = getenv("SYSTEMD_SCOPE") && streq(getenv("SYSTEMD_SCOPE"), "user");
        _cleanup_strv_free_ char **dirs = procfile_dirs(user), **names = NULL, **paths = NULL;
        RenderOptions o = { .agent_path = PANDORA_AGENT_PATH };
        int r, ret = 0;

        if (!dirs)
                return -ENOMEM;
        STRV_FOREACH(d, dirs) {
                r = collect_procfiles(*d, &names, &paths);
                if (r < 0)
                        log_error("%s: %s, ignoring", *d, strerror(-r));
        }
        /* One bad procfile is skipped; the others are still generated (systemd.generator(7)). */
        STRV_FOREACH(path, paths) {
                _cleanup_(unit_set_freep) UnitSet *set = NULL;
                _cleanup_free_ char *base = path_basename(*path);

                if (!base)
                        return -ENOMEM;
                /* shop.procfile is app "shop" unless it says otherwise. */
                base[strlen(base) - strlen(PROCFILE_SUFFIX)] = '\0';
                r = load_and_render(*path, base, &o, &set);
                if (r >= 0)
                        r = install_set(set, output_dir);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/* Generators log to the kernel log when systemd runs them, as systemd's own do; not in a container,
 * where /dev/kmsg is the host's. */
static void log_setup_generator(void) {
        program = GENERATOR_NAME;
        if (getenv("SYSTEMD_SCOPE") && !getenv("container"))
                log_stream = fopen("/dev/kmsg", "we");
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "dry-run", no_argument, NULL, 'n' },
                { "output", required_argument, NULL, 'o' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        arg_dry_run = true;
                        break;
                case 'o':
                        arg_output = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("pandora-gen %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind != argc - 1 || arg_dry_run == !!arg_output) {
                log_error("expected --dry-run or --output DIR, and one PROCFILE (see --help)");
                return -EINVAL;
        }
        return 1;
}

int gen_main(int argc, char *argv[]) {
        _cleanup_free_ char *invoked = path_basename(argv[0]);
        int r;

        if (invoked && streq(invoked, GENERATOR_NAME)) {
                log_setup_generator();
                if (argc != 2 && argc != 4) {
                        log_error("expected 1 or 3 output directories, got %d", argc - 1);
                        return EXIT_FAILURE;
                }
                return run_generator(argv[1]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        return run_cli(argv[optind]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
