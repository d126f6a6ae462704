/* SPDX-License-Identifier: MIT */

/* pandora-agent: what every pandora unit runs (ExecStart=, written by pandora-gen). The command line
 * is parsed here; everything else is agent_run(). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/core/agent.h"
#include "common/control.h"
#include "common/macro.h"
#include "common/path-util.h"
#include "config.h"

static AgentOptions arg_options;
static bool arg_reload;

/* ExecReload=: asks the instance's agent (the unit's $RUNTIME_DIRECTORY/control.sock) to reload and
 * waits for its answer, which says what happened; systemd's TimeoutStartSec= bounds the wait. */
static int reload(void) {
        const char *dir = getenv("RUNTIME_DIRECTORY");
        _cleanup_free_ char *path = NULL, *reply = NULL;
        ControlAnswer answer;
        const char *text;
        int r;

        if (!dir) {
                fprintf(stderr, "pandora-agent: --reload runs as the unit's ExecReload= ($RUNTIME_DIRECTORY unset)\n");
                return AGENT_EXIT_USAGE;
        }
        path = path_join_absolute(dir, CONTROL_SOCKET_NAME);
        if (!path)
                return AGENT_EXIT_FAILURE;
        r = control_call(path, "RELOAD", 0, &reply);
        if (r < 0) {
                fprintf(stderr, "pandora-agent: can't reach the instance's agent at %s: %s\n", path, strerror(-r));
                return AGENT_EXIT_FAILURE;
        }
        if (control_answer_parse(reply, &answer, &text) < 0) {
                fprintf(stderr, "pandora-agent: unexpected answer '%s'\n", reply);
                return AGENT_EXIT_FAILURE;
        }
        switch (answer) {
        case CONTROL_OK:
                printf("reloaded: %s\n", text);
                return AGENT_EXIT_SUCCESS;
        case CONTROL_RESTART:
                fprintf(stderr, "pandora-agent: not reloaded, this change needs a restart (%s): "
                        "systemctl restart the instance, or pandora-gen --reload APP restarts one at a time\n", text);
                return AGENT_EXIT_FAILURE;
        default:
                fprintf(stderr, "pandora-agent: reload failed: %s\n", text);
                return AGENT_EXIT_FAILURE;
        }
}

static void help(void) {
        printf("usage: pandora-agent --procfile PROCFILE --process NAME [--instance N] [--dev]\n"
               "       pandora-agent --reload\n"
               "       pandora-agent --help | --version\n"
               "\n"
               "Runs one instance of a pandora process: its services, then its entry.\n"
               "\n"
               "  --procfile PROCFILE  the procfile to read\n"
               "  --process NAME       the process to run\n"
               "  --instance N         the instance, for the journal (the unit's %%i)\n"
               "  --dev                apply the procfile's dev overlay\n"
               "  --reload             hand the running instance over to a new generation and wait\n"
               "                       (the unit's ExecReload=)\n"
               "  --help               show this help\n"
               "  --version            show the version\n");
}

/* Returns 1 to run, 0 to exit successfully (--help), or -EINVAL. */
static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "procfile", required_argument, NULL, 'p' },
                { "process", required_argument, NULL, 'P' },
                { "instance", required_argument, NULL, 'i' },
                { "dev", no_argument, NULL, 'd' },
                { "reload", no_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        arg_options.procfile = optarg;
                        break;
                case 'P':
                        arg_options.process = optarg;
                        break;
                case 'i':
                        arg_options.instance = optarg;
                        break;
                case 'd':
                        arg_options.dev = true;
                        break;
                case 'r':
                        arg_reload = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("pandora-agent %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (arg_reload && optind == argc && !arg_options.procfile && !arg_options.process)
                return 1;
        if (arg_reload || optind != argc || !arg_options.procfile || !arg_options.process) {
                fprintf(stderr, "pandora-agent: expected --procfile PROCFILE and --process NAME (see --help)\n");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        int r = parse_argv(argc, argv);

        if (r <= 0)
                return r < 0 ? AGENT_EXIT_USAGE : AGENT_EXIT_SUCCESS;
        if (arg_reload)
                return reload();
        return agent_run(&arg_options);
}
