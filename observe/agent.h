/* SPDX-License-Identifier: MIT */
#pragma once

/* Reading an agent's replies (pandora-agent(8), BUS INTERFACE) into the model. Pure: no calls. */

#include <systemd/sd-bus.h>

#include "observe/observe.h"

/* Adds what a GetManagedObjects() reply of /io/pandora says to i: Agent1's State and StartedAt, every
 * Metrics1 indicator (absent ones marked), and each Service1 object with its own metrics, timings
 * folded back from their NAME.count/.sum/.min/.max entries. A property of an unexpected type is
 * skipped. Returns 0, -ENOMEM, or sd-bus's negative errno for a reply of another shape. */
int observe_agent_read_objects(sd_bus_message *reply, ObserveInstance *i);

/* Appends the rows of a Metrics1.List() reply to o->help. Returns 0 or a negative errno. */
int observe_agent_read_list(sd_bus_message *reply, Observation *o);
