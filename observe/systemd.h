/* SPDX-License-Identifier: MIT */
#pragma once

/* The systemd manager's side of a reading (org.freedesktop.systemd1(5)): the calls read.c sends and
 * their replies read into the model. Everything here is readable without privileges. */

#include <systemd/sd-bus.h>

#include "observe/calls.h"
#include "observe/observe.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

/* A unit's object path, "/org/freedesktop/systemd1/unit/shop_2etarget". Reading a property there loads
 * the unit, so a stopped app's target and its instances are known too. Returns 0 or -ENOMEM. */
int systemd_unit_path(const char *unit, char **ret);

/* Properties.Get(UNIT, interface, property) for the unit's object. Returns 0 or a negative errno. */
int systemd_new_get(Calls *c, const char *unit, const char *interface, const char *property,
                    sd_bus_message **ret);

/* Properties.GetAll(interface) for the unit's object. Returns 0 or a negative errno. */
int systemd_new_get_all(Calls *c, const char *unit, const char *interface, sd_bus_message **ret);

/* Manager.ListUnitsByPatterns([], patterns) and Manager.ListUnitsByNames(names). */
int systemd_new_list_by_patterns(Calls *c, char * const *patterns, sd_bus_message **ret);
int systemd_new_list_by_names(Calls *c, char * const *names, sd_bus_message **ret);

/* The unit names of a ListUnits*() reply, appended to *names. Returns 0 or a negative errno. */
int systemd_read_unit_names(sd_bus_message *reply, char ***names);

/* Calls found(unit, userdata) for each unit of a ListUnits*() reply; found takes the unit's strings.
 * Returns 0 or a negative errno (found's included). */
typedef int (*SystemdUnitFound)(ObserveUnit *unit, void *userdata);
int systemd_read_units(sd_bus_message *reply, SystemdUnitFound found, void *userdata);

/* A Get reply of a string array (Unit.Wants), appended to *ret. Returns 0 or a negative errno. */
int systemd_read_strv_property(sd_bus_message *reply, char ***ret);

/* A GetAll(org.freedesktop.systemd1.Service) reply into i: MainPID, NRestarts, ExecMainStartTimestamp,
 * Result, ExecMainCode, ExecMainStatus, StatusText. Returns 0 or a negative errno. */
int systemd_read_service(sd_bus_message *reply, ObserveInstance *i);

/* A Get reply of a uint32 (Service.MainPID) into *ret. Returns 0 or -EBADMSG. */
int systemd_read_u32_property(sd_bus_message *reply, uint32_t *ret);

/* A Get(Socket.Listen) reply, a(ss), into the addresses. Returns 0 or a negative errno. */
int systemd_read_listen(sd_bus_message *reply, char ***ret);
