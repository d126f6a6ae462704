/* SPDX-License-Identifier: MIT */

/* The manager's calls and replies. Units are found by name, never by probing: the installed apps give
 * the target names; a target's Wants= lists its instances and sockets (the generator writes them there),
 * and a pattern APP-*@*.service catches instances started beyond the scale. ListUnitsByNames() then
 * gives every state in one call. */

#include <stdlib.h>
#include <string.h>

#include "common/strv.h"
#include "observe/properties.h"
#include "observe/systemd.h"

#define UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"
#define PROPERTIES_INTERFACE "org.freedesktop.DBus.Properties"

int systemd_unit_path(const char *unit, char **ret) {
        return sd_bus_path_encode(UNIT_PATH_PREFIX, unit, ret);
}

int systemd_new_get(Calls *c, const char *unit, const char *interface, const char *property,
                    sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = systemd_unit_path(unit, &path);
        if (r >= 0)
                r = calls_new_method(c, &m, SYSTEMD_DEST, path, PROPERTIES_INTERFACE, "Get");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", interface, property);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int systemd_new_get_all(Calls *c, const char *unit, const char *interface, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = systemd_unit_path(unit, &path);
        if (r >= 0)
                r = calls_new_method(c, &m, SYSTEMD_DEST, path, PROPERTIES_INTERFACE, "GetAll");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", interface);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int systemd_new_list_by_patterns(Calls *c, char * const *patterns, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = calls_new_method(c, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, NULL);        /* every state */
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) patterns);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int systemd_new_list_by_names(Calls *c, char * const *names, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = calls_new_method(c, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "ListUnitsByNames");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) names);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static int unit_set(char **field, const char *value) {
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

int systemd_read_units(sd_bus_message *reply, SystemdUnitFound found, void *userdata) {
        const char *name, *load, *active, *sub;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, &load, &active, &sub, NULL, NULL,
                                        NULL, NULL, NULL)) > 0) {
                ObserveUnit u = {};

                if (unit_set(&u.name, name) < 0 || unit_set(&u.load_state, load) < 0 ||
                    unit_set(&u.active_state, active) < 0 || unit_set(&u.sub_state, sub) < 0)
                        r = -ENOMEM;
                else
                        r = found(&u, userdata);
                free(u.name);
                free(u.load_state);
                free(u.active_state);
                free(u.sub_state);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        return r < 0 ? r : 0;
}

static int append_name(ObserveUnit *u, void *userdata) {
        return strv_extend(userdata, u->name);
}

int systemd_read_unit_names(sd_bus_message *reply, char ***names) {
        return systemd_read_units(reply, append_name, names);
}

int systemd_read_strv_property(sd_bus_message *reply, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = sd_bus_message_enter_container(reply, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_read_strv(reply, &l);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        return strv_extend_strv(ret, l);
}

static int service_property(sd_bus_message *m, const char *name, void *userdata) {
        ObserveInstance *i = userdata;

        if (streq(name, "MainPID"))
                return observe_read_variant(m, 'u', &i->main_pid);
        if (streq(name, "NRestarts"))
                return observe_read_variant(m, 'u', &i->n_restarts);
        if (streq(name, "ExecMainStartTimestamp"))
                return observe_read_variant(m, 't', &i->start_usec);
        if (streq(name, "ExecMainCode"))
                return observe_read_variant(m, 'i', &i->exit_code);
        if (streq(name, "ExecMainStatus"))
                return observe_read_variant(m, 'i', &i->exit_status);
        if (streq(name, "Result"))
                return observe_read_variant_string(m, &i->result);
        if (streq(name, "StatusText"))
                return observe_read_variant_string(m, &i->status_text);
        return sd_bus_message_skip(m, "v");
}

int systemd_read_service(sd_bus_message *reply, ObserveInstance *i) {
        int r;

        r = observe_for_each_property(reply, service_property, i);
        if (r < 0)
                return r;
        i->have_service = true;
        return 0;
}

int systemd_read_u32_property(sd_bus_message *reply, uint32_t *ret) {
        return sd_bus_message_read(reply, "v", "u", ret) < 0 ? -EBADMSG : 0;
}

int systemd_read_listen(sd_bus_message *reply, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *type, *address;
        int r;

        r = sd_bus_message_enter_container(reply, 'v', "a(ss)");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ss)", &type, &address)) > 0)
                r = strv_extend(&l, address);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}
