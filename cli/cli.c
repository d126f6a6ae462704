/* SPDX-License-Identifier: MIT */

/* The pandora-gen program: its options and the choice of mode. One binary, two faces:
 * - generator mode, when invoked as "pandora-generator" by systemd with 1 or 3 output directories,
 *   hands over to generator_run() (generator/), which does no IPC;
 * - command line mode: PROCFILE is validated and installed and the manager reloaded (install.c),
 *   --remove undoes that, --dry-run prints the units, --output writes them to a directory, --dev runs the
 *   app in the foreground as transient units (dev/), --status shows every instance (status.c), --import
 *   converts a Pandora.js procfile.js (import.c).
 * This folder is the only part of pandora-gen that talks to systemd (sd-bus, sd-journal, sd-event). */

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/dev/dev.h"
#include "cli/dev/format.h"
#include "cli/import.h"
#include "cli/install.h"
#include "cli/reload.h"
#include "cli/status.h"
#include "common/path-util.h"
#include "common/procfile/procfile.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "config.h"
#include "generator/log.h"
#include "generator/generator.h"
#include "generator/unit-install.h"
#include "generator/unit-render.h"

#define GENERATOR_NAME "pandora-generator"
/* Wrong options or operands; 1 means the work itself failed. */
#define EXIT_USAGE 2

static const char *arg_output;
static const char *arg_remove;
static bool arg_dry_run;
static bool arg_user;
static bool arg_persistent;
static bool arg_dev;
static bool arg_reload;
static bool arg_status;
static bool arg_json;
static bool arg_watch;
static bool arg_import;
static const char *arg_priority;

static void help(void) {
        printf("usage: pandora-gen [--user] [--persistent] PROCFILE\n"
               "       pandora-gen [--user] --remove APP\n"
               "       pandora-gen [--user] [--persistent] --reload APP|PROCFILE [PROCESS...]\n"
               "       pandora-gen [--user] --status [--json] [--watch] [APP]\n"
               "       pandora-gen --dev [--user] [-p LEVEL] PROCFILE\n"
               "       pandora-gen --dry-run PROCFILE\n"
               "       pandora-gen --output DIR PROCFILE\n"
               "       pandora-gen --import PROCFILE.JS > PROCFILE\n"
               "       pandora-gen --help | --version\n"
               "       pandora-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
               "\n"
               "Turns a pandora procfile into systemd units.\n"
               "\n"
               "  --user         the calling user's manager and procfile directories\n"
               "  --persistent   install into /etc/pandora (default: /run/pandora, gone at reboot)\n"
               "  --remove APP   stop APP's units, remove its installed procfile, reload\n"
               "  --reload       hand every running instance over to new code, one at a time, with no\n"
               "                 downtime (a PROCFILE is installed first)\n"
               "  --status       every instance's state, pid, uptime, restarts, CPU, memory, services and\n"
               "                 last error, per app; exit status 3 when one is not running\n"
               "  --json         with --status: print JSON\n"
               "  --watch        with --status: print again every 2 seconds\n"
               "  --dry-run      print every unit and link; write nothing\n"
               "  --output DIR   write the units to DIR\n"
               "  --dev          run the app in the foreground as transient units, with its dev overlay\n"
               "  --import       print a Pandora.js procfile.js as a procfile (runs it with Node.js)\n"
               "  -p LEVEL       with --dev: show journal entries up to LEVEL (emerg..debug or 0..7)\n"
               "  --help         show this help\n"
               "  --version      show the version\n");
}

static int run_dev(const char *path) {
        /* Without -p, everything: check_argv() has refused a LEVEL that does not parse. */
        DevOptions o = { .user = arg_user, .agent_path = generator_agent_path(), .max_priority = LOG_DEBUG };

        if (arg_priority)
                o.max_priority = dev_priority_from_string(arg_priority);
        return dev_run(path, &o);
}

/* The app a --reload operand names: an app's name, or a procfile (a path) to install first. */
static int reload_target(const char *operand, const InstallOptions *io, char **ret_app) {
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        int r;

        if (!strchr(operand, '/') && access(operand, F_OK) < 0) {
                *ret_app = strdup(operand);
                return *ret_app ? 0 : -ENOMEM;
        }
        r = install_procfile(operand, io);
        if (r < 0)
                return r;
        r = procfile_load(operand, NULL, &p, &e);
        if (r < 0) {
                log_procfile_error(&e, r);
                return r;
        }
        *ret_app = strdup(p->app);
        return *ret_app ? 0 : -ENOMEM;
}

static int run_reload(char **operands) {
        InstallOptions io = { .user = arg_user, .persistent = arg_persistent, .agent_path = generator_agent_path() };
        ReloadOptions o = { .user = arg_user, .processes = operands + 1 };
        _cleanup_free_ char *app = NULL;
        int r;

        r = reload_target(operands[0], &io, &app);
        if (r < 0)
                return r;
        return reload_app(app, &o);
}

static int run_cli(const char *path) {
        _cleanup_(unit_set_freep) UnitSet *set = NULL;
        RenderOptions o = { .agent_path = generator_agent_path() };
        InstallOptions io = { .user = arg_user, .persistent = arg_persistent, .agent_path = generator_agent_path() };
        int r;

        if (arg_remove)
                return install_remove(arg_remove, &io);
        if (arg_dev)
                return run_dev(path);
        if (arg_import)
                return import_run(path);
        if (!arg_dry_run && !arg_output)
                return install_procfile(path, &io);
        r = generator_load_and_render(path, NULL, &o, NULL, &set);
        if (r < 0)
                return r;
        if (arg_dry_run) {
                unit_set_print(set, stdout);
                return 0;
        }
        return generator_install(set, arg_output);
}

/* One mode, and the operands it takes. */
static int check_argv(int argc) {
        int modes = !!arg_remove + arg_dry_run + !!arg_output + arg_dev + arg_reload + arg_status + arg_import;
        int operands = argc - optind;

        if (modes > 1) {
                log_error("--remove, --reload, --status, --dry-run, --output, --dev and --import exclude each "
                          "other (see --help)");
                return -EINVAL;
        }
        if ((arg_json || arg_watch) && !arg_status) {
                log_error("--json and --watch only go with --status (see --help)");
                return -EINVAL;
        }
        if (arg_status && (operands > 1 || arg_persistent || arg_priority)) {
                log_error("--status takes at most one APP, and only --user, --json and --watch (see --help)");
                return -EINVAL;
        }
        if (arg_status)
                return 1;
        if (arg_reload) {
                if (operands < 1) {
                        log_error("--reload takes an APP or a PROCFILE, then process names (see --help)");
                        return -EINVAL;
                }
                return 1;
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
        if ((arg_user || arg_persistent) && (arg_dry_run || arg_output || arg_import)) {
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
                { "reload", no_argument, NULL, 'R' },
                { "status", no_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "watch", no_argument, NULL, 'w' },
                { "dry-run", no_argument, NULL, 'n' },
                { "output", required_argument, NULL, 'o' },
                { "dev", no_argument, NULL, 'd' },
                { "import", no_argument, NULL, 'I' },
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
                case 'I':
                        arg_import = true;
                        break;
                case 'p':
                        arg_priority = optarg;
                        break;
                case 'r':
                        arg_remove = optarg;
                        break;
                case 'R':
                        arg_reload = true;
                        break;
                case 's':
                        arg_status = true;
                        break;
                case 'j':
                        arg_json = true;
                        break;
                case 'w':
                        arg_watch = true;
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
                return generator_run(argv[1]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        if (arg_reload)
                return run_reload(argv + optind) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (arg_status)
                return status_run(&(StatusOptions) { .user = arg_user, .json = arg_json, .watch = arg_watch,
                                                     .app = argv[optind] });
        return run_cli(argv[optind]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
