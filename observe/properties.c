/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "observe/properties.h"

int observe_read_variant(sd_bus_message *m, char type, void *ret) {
        const char *contents;
        char t[2] = { type, '\0' };
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        if (!streq(contents, t)) {
                r = sd_bus_message_skip(m, "v");
                return r < 0 ? r : -EBADMSG;
        }
        return sd_bus_message_read(m, "v", t, ret);
}

int observe_read_variant_string(sd_bus_message *m, char **ret) {
        const char *s;
        char *copy;
        int r;

        r = observe_read_variant(m, 's', &s);
        if (r < 0)
                return r;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(*ret);
        *ret = copy;
        return 0;
}

int observe_for_each_property(sd_bus_message *m, ObservePropertyHandler handle, void *userdata) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *property;

                r = sd_bus_message_read(m, "s", &property);
                if (r < 0)
                        return r;
                r = handle(m, property, userdata);
                if (r == -EBADMSG)
                        r = 0;  /* a property of another type than ours: skipped */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}
