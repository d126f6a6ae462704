/* SPDX-License-Identifier: MIT */

/* pandora-agent: what every pandora unit runs (ExecStart=, written by pandora-gen). The command line
 * is parsed here; everything else is agent_run(). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/core/agent.h"
#include "config.h"

static AgentOptions arg_options;

static void help(void) {
        printf("usage: pandora-agent --procfile PROCFILE --process NAME [--instance N] [--dev]\n"
               "       pandora-agent --help | --version\n"
               "\n"
               "Runs one instance of a pandora process: its services, then its entry.\n"
               "\n"
               "  --procfile PROCFILE  the procfile to read\n"
               "  --process NAME       the process to run\n"
               "  --instance N         the instance, for the journal (the unit's %%i)\n"
               "  --dev                apply the procfile's dev overlay\n"
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
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("pandora-agent %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind != argc || !arg_options.procfile || !arg_options.process) {
                fprintf(stderr, "pandora-agent: expected --procfile PROCFILE and --process NAME (see --help)\n");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        int r = parse_argv(argc, argv);

        if (r <= 0)
                return r < 0 ? AGENT_EXIT_USAGE : AGENT_EXIT_SUCCESS;
        return agent_run(&arg_options);
}
