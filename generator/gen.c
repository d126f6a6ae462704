/* SPDX-License-Identifier: MIT */

/* The pandora-gen program. Two faces over one path (procfile → model → units):
 * - generator mode, when invoked as "pandora-generator" by systemd with 1 or 3 output directories:
 *   every procfile in the search path becomes units in the first directory; one bad procfile is
 *   reported and skipped, the others are still generated, and the exit status says something failed;
 * - command line mode: PROCFILE is validated and installed and the manager reloaded (install.c),
 *   --remove undoes that, --dry-run prints the units, --output writes them to a directory, --dev runs the
 *   app in the foreground as transient units (dev.c).
 * This is the edge where errors are logged: the model and the renderer only return them. */

#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "dev-format.h"
#include "dev.h"
#include "gen.h"
#include "install.h"
#include "log.h"
#include "path-util.h"
#include "procfile.h"
#include "search-path.h"
#include "string-util.h"
#include "strv.h"
#include "unit-install.h"
#include "unit-render.h"

#define GENERATOR_NAME "pandora-generator"
/* Wrong options or operands; 1 means the work itself failed. */
#define EXIT_USAGE 2

static const char *arg_output;
static const char *arg_remove;
static bool arg_dry_run;
static bool arg_user;
static bool arg_persistent;
static bool arg_dev;
static const char *arg_priority;

static void help(void) {
        printf("usage: pandora-gen [--user] [--persistent] PROCFILE\n"
               "       pandora-gen [--user] --remove APP\n"
               "       pandora-gen --dev [--user] [-p LEVEL] PROCFILE\n"
               "       pandora-gen --dry-run PROCFILE\n"
               "       pandora-gen --output DIR PROCFILE\n"
               "       pandora-gen --help | --version\n"
               "       pandora-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
               "\n"
               "Turns a pandora procfile into systemd units.\n"
               "\n"
               "  --user         the calling user's manager and procfile directories\n"
               "  --persistent   install into /etc/pandora (default: /run/pandora, gone at reboot)\n"
               "  --remove APP   stop APP's units, remove its installed procfile, reload\n"
               "  --dry-run      print every unit and link; write nothing\n"
               "  --output DIR   write the units to DIR\n"
               "  --dev          run the app in the foreground as transient units, with its dev overlay\n"
               "  -p LEVEL       with --dev: show journal entries up to LEVEL (emerg..debug or 0..7)\n"
               "  --help         show this help\n"
               "  --version      show the version\n");
}

int gen_load_and_render(const char *path, const char *default_app, const RenderOptions *o,
                        Procfile **ret_procfile, UnitSet **ret) {
        ProcfileOptions options = { .default_app = default_app };
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        int r;

        r = procfile_load(path, &options, &p, &e);
        if (r < 0) {
                log_procfile_error(&e, r);
                return r;
        }
        /* SourcePath= and Description= take the path as is: a newline in it would start a directive. */
        if (string_has_control(p->path) || string_has_control(p->origin))
                return log_error_errno(-EINVAL, "%s: a path with control characters can't go into a unit",
                                       p->path);
        r = unit_render(p, o, ret);
        if (r < 0)
                return log_error_errno(r, "%s: can't render units: %m", p->path);
        if (ret_procfile)
                *ret_procfile = TAKE_PTR(p);
        return 0;
}

static int install_set(const UnitSet *set, const char *dir) {
        _cleanup_free_ char *failed = NULL;
        int r;

        r = unit_set_install(set, dir, &failed);
        if (r < 0)
                log_error_errno(r, "%s: %m", failed ?: dir);
        return r;
}

/* The agent every ExecStart= runs: the installed one, or $PANDORA_AGENT_PATH (tests and build trees). */
static const char *agent_path(void) {
        return getenv("PANDORA_AGENT_PATH") ?: PANDORA_AGENT_PATH;
}

static int run_dev(const char *path) {
        /* Without -p, everything: check_argv() has refused a LEVEL that does not parse. */
        DevOptions o = { .user = arg_user, .agent_path = agent_path(), .max_priority = LOG_DEBUG };

        if (arg_priority)
                o.max_priority = dev_priority_from_string(arg_priority);
        return dev_run(path, &o);
}

static int run_cli(const char *path) {
        _cleanup_(unit_set_freep) UnitSet *set = NULL;
        RenderOptions o = { .agent_path = agent_path() };
        InstallOptions io = { .user = arg_user, .persistent = arg_persistent, .agent_path = agent_path() };
        int r;

        if (arg_remove)
                return install_remove(arg_remove, &io);
        if (arg_dev)
                return run_dev(path);
        if (!arg_dry_run && !arg_output)
                return install_procfile(path, &io);
        r = gen_load_and_render(path, NULL, &o, NULL, &set);
        if (r < 0)
                return r;
        if (arg_dry_run) {
                unit_set_print(set, stdout);
                return 0;
        }
        return install_set(set, arg_output);
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

/* Renders one procfile of the search path into output_dir. An app with `autostart` starts with the
 * system only from the persistent directory, the administrator's. */
static int generate_one(const char *path, const SearchPath *sp, bool user, const char *output_dir) {
        _cleanup_(unit_set_freep) UnitSet *set = NULL;
        _cleanup_free_ char *base = path_basename(path), *dir = path_dirname(path);
        RenderOptions o = { .agent_path = agent_path() };
        int r;

        if (!base || !dir)
                return -ENOMEM;
        if (streq(dir, sp->persistent))
                o.autostart_target = user ? "default.target" : "multi-user.target";
        /* shop.procfile is app "shop" unless it says otherwise. */
        base[strlen(base) - strlen(PROCFILE_SUFFIX)] = '\0';
        r = gen_load_and_render(path, base, &o, NULL, &set);
        if (r < 0)
                return r;
        return install_set(set, output_dir);
}

static int run_generator(const char *output_dir) {
        bool user = getenv("SYSTEMD_SCOPE") && streq(getenv("SYSTEMD_SCOPE"), "user");
        _cleanup_(search_path_done) SearchPath sp = {};
        _cleanup_strv_free_ char **names = NULL, **paths = NULL;
        int r, ret = 0;

        r = search_path_init(&sp, user);
        if (r < 0)
                return log_error_errno(r, "no procfile directories: %m");
        STRV_FOREACH(d, sp.dirs) {
                r = collect_procfiles(*d, &names, &paths);
                if (r < 0)
                        log_error_errno(r, "%s: %m, ignoring", *d);
        }
        /* One bad procfile is skipped; the others are still generated (systemd.generator(7)). */
        STRV_FOREACH(path, paths) {
                r = generate_one(*path, &sp, user, output_dir);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/* One mode, and the operands it takes. */
static int check_argv(int argc) {
        int modes = !!arg_remove + arg_dry_run + !!arg_output + arg_dev, operands = argc - optind;

        if (modes > 1) {
                log_error("--remove, --dry-run, --output and --dev exclude each other (see --help)");
                return -EINVAL;
        }
        if (arg_dev && arg_persistent) {
                log_error("--persistent does not go with --dev, which installs nothing (see --help)");
                return -EINVAL;
        }
        if (arg_priority && (!arg_dev || dev_priority_from_string(arg_priority) < 0)) {
                log_error(arg_dev ? "-p takes emerg, alert, crit, err, warning, notice, info, debug or 0..7"
                                  : "-p only goes with --dev (see --help)");
                return -EINVAL;
        }
        if ((arg_user || arg_persistent) && (arg_dry_run || arg_output)) {
                log_error("--user and --persistent only go with installing or --remove (see --help)");
                return -EINVAL;
        }
        if (arg_remove && operands != 0) {
                log_error("--remove takes an app name and no PROCFILE (see --help)");
                return -EINVAL;
        }
        if (!arg_remove && operands != 1) {
                log_error("expected one PROCFILE (see --help)");
                return -EINVAL;
        }
        return 1;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "user", no_argument, NULL, 'u' },
                { "persistent", no_argument, NULL, 'P' },
                { "remove", required_argument, NULL, 'r' },
                { "dry-run", no_argument, NULL, 'n' },
                { "output", required_argument, NULL, 'o' },
                { "dev", no_argument, NULL, 'd' },
                { "priority", required_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "p:", options, NULL)) >= 0)
                switch (c) {
                case 'u':
                        arg_user = true;
                        break;
                case 'P':
                        arg_persistent = true;
                        break;
                case 'd':
                        arg_dev = true;
                        break;
                case 'p':
                        arg_priority = optarg;
                        break;
                case 'r':
                        arg_remove = optarg;
                        break;
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
        return check_argv(argc);
}

int gen_main(int argc, char *argv[]) {
        _cleanup_free_ char *invoked = path_basename(argv[0]);
        int r;

        if (invoked && streq(invoked, GENERATOR_NAME)) {
                log_setup_generator(GENERATOR_NAME);
                if (argc != 2 && argc != 4) {
                        log_error("expected 1 or 3 output directories, got %d", argc - 1);
                        return EXIT_FAILURE;
                }
                return run_generator(argv[1]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        return run_cli(argv[optind]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
