/* SPDX-License-Identifier: MIT */
#pragma once

/* What `pandora-gen --dev` asks the manager to run: the production units of unit-render.c as transient
 * units, one service per instance, named as in production (<app>-<process>@<i>.service), plus, for a
 * process that listens, one socket per instance (<app>-<process>@<i>.socket). A transient service can't
 * have Sockets= and a transient socket can't have Service= (systemd 252), so each instance gets a socket of
 * its own, which passes its fds to the service of the same name; the sockets bind the same addresses with
 * SO_REUSEPORT, so the kernel spreads connections over the instances, and while one restarts its socket
 * keeps listening: clients wait instead of being refused. Pure: no bus, no logging. */

#include <stdbool.h>
#include <stddef.h>

#include "cli/transient.h"
#include "common/procfile/procfile.h"

typedef struct DevInstance {
        const Process *process;         /* borrowed from the procfile the plan was built from */
        unsigned instance;              /* 1 .. scale */
        TransientUnit *service;
        TransientUnit *socket;          /* NULL: the process does not listen */
} DevInstance;

typedef struct DevPlan {
        DevInstance *instances;         /* in start order: the procfile's process order, then instance */
        size_t n_instances;
} DevPlan;

typedef struct DevPlanOptions {
        const char *agent_path;         /* what ExecStart= runs */
        const char *lifetime;           /* the scope pandora-gen --dev runs in: every unit BindsTo= it, so
                                         * that the units go when pandora-gen goes, however it ends */
} DevPlanOptions;

/* Builds the units of every instance of every process that starts in p, which must have been loaded in
 * dev mode; the plan borrows p's processes. Returns 0 or -ENOMEM. */
int dev_plan_build(const Procfile *p, const DevPlanOptions *o, DevPlan **ret);

/* Frees the plan and its units; accepts NULL and returns NULL. */
DevPlan *dev_plan_free(DevPlan *plan);
DEFINE_TRIVIAL_CLEANUP_FUNC(DevPlan *, dev_plan_free);

/* Every unit name of the plan, sockets after the services. Returns 0 or -ENOMEM. */
int dev_plan_unit_names(const DevPlan *plan, char ***ret);
