/* SPDX-License-Identifier: MIT */
#pragma once

/* pandora-agent: runs the services of one process instance inside its systemd unit. */

#include <stdbool.h>

/* Exit statuses, as documented in pandora-agent(8). 2 and 6 are systemd's EXIT_INVALIDARGUMENT and
 * EXIT_NOTCONFIGURED, so that `systemctl status` names them. */
enum {
        AGENT_EXIT_SUCCESS = 0,         /* every service stopped cleanly */
        AGENT_EXIT_FAILURE = 1,         /* a service failed to start, died, or did not stop cleanly */
        AGENT_EXIT_USAGE = 2,           /* bad command line */
        AGENT_EXIT_CONFIG = 6,          /* the procfile can't be read, lacks the process, or a module is bad */
};

typedef struct AgentOptions {
        const char *procfile;
        const char *process;
        const char *instance;           /* NULL: none given */
        bool dev;                       /* load the procfile with its dev overlay */
} AgentOptions;

/* Runs the instance until it stops: loads the procfile, starts the process's services and entry,
 * tells systemd, and stops them on SIGTERM or when one fails. Logs everything it has to say. Returns
 * one of the exit statuses above. */
int agent_run(const AgentOptions *o);
