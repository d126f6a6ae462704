/* SPDX-License-Identifier: MIT */
#pragma once

/* Reading an a{sv} of D-Bus properties, as both the agents (observe/agent.c) and the manager
 * (observe/systemd.c) send them: one loop over the entries, and typed reads of a variant in which a
 * value of another type than expected is skipped rather than failing the whole reading. */

#include <systemd/sd-bus.h>

/* Reads the variant of the current {sv} into ret when it holds the basic type type; otherwise skips
 * it and returns -EBADMSG (which observe_for_each_property() turns into "skipped"). */
int observe_read_variant(sd_bus_message *m, char type, void *ret);

/* The same for a string, copied into *ret (the old value freed). */
int observe_read_variant_string(sd_bus_message *m, char **ret);

/* Calls handle(m, property, userdata) for each {sv} of an a{sv}, positioned before the variant; handle
 * reads or skips it. A handler's -EBADMSG (a property of another type) skips that property. */
typedef int (*ObservePropertyHandler)(sd_bus_message *m, const char *property, void *userdata);
int observe_for_each_property(sd_bus_message *m, ObservePropertyHandler handle, void *userdata);
