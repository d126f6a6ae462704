/* SPDX-License-Identifier: MIT */

/* The per-app D-Bus policy (issue 17, item 2). The shipped units/io.pandora.conf lets root own every
 * io.pandora name and nobody else; an app whose processes run as a user gets a file of its own,
 * pandora-app-<app>.conf, that lets exactly that user own its process's names, written when the app
 * is installed (before its instances start) and removed with it. D-Bus policies name users, so an
 * instance with a dynamic user (which does not exist when the bus reads its configuration) can't get
 * one: such apps keep their metrics off the bus, which pandora-agent says in the journal. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/policy.h"
#include "common/bus-name.h"
#include "common/io-util.h"
#include "common/macro.h"
#include "common/string-util.h"
#include "generator/log.h"

#define POLICY_DIR "/etc/dbus-1/system.d"

static char *policy_path(const char *app) {
        _cleanup_free_ char *escaped = NULL;

        if (bus_name_escape_element(app, &escaped) < 0)
                return NULL;
        return strprintf(POLICY_DIR "/pandora-app-%s.conf", escaped);
}

int policy_render(const Procfile *p, char **ret) {
        _cleanup_free_ char *text = NULL, *app = NULL;
        size_t size = 0;
        bool any = false;
        FILE *f;

        if (bus_name_escape_element(p->app, &app) < 0)
                return -ENOMEM;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fputs("<?xml version=\"1.0\"?> <!--*-nxml-*-->\n"
              "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
              "        \"https://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\n", f);
        fprintf(f, "<!-- Written by pandora-gen for app '%s': the user each process runs as may own its\n"
                   "     instances' names, and nobody else but root (units/io.pandora.conf). -->\n\n<busconfig>\n",
                app);
        for (size_t i = 0; i < p->n_processes; i++) {
                const Process *process = p->processes[i];
                _cleanup_free_ char *name = NULL;

                /* user is a name of systemd's rules or a number (the parser checked): nothing to escape. */
                if (!process->starts || !process->user || bus_name_escape_element(process->name, &name) < 0)
                        continue;
                fprintf(f, "        <policy user=\"%s\">\n                <allow own_prefix=\"" BUS_NAME_PREFIX
                           "%s.%s\"/>\n        </policy>\n", process->user, app, name);
                any = true;
        }
        fputs("</busconfig>\n", f);
        if (fclose(f) != 0 || !text)
                return -ENOMEM;
        *ret = any ? TAKE_PTR(text) : NULL;
        return 0;
}

static int reload_bus(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "ReloadConfig", &error, NULL, NULL);
        if (r < 0)
                log_error("the system bus did not reload its policies: %s; it will when it next reads them, "
                          "ignoring", error.message ?: strerror(-r));
        return 0;
}

/* Writes text to path through a temporary file renamed over it. */
static int write_atomic(const char *path, const char *text) {
        _cleanup_free_ char *tmp = strprintf("%s.tmp", path);
        _cleanup_close_ int fd = -1;
        int r;

        if (!tmp)
                return -ENOMEM;
        (void) mkdir(POLICY_DIR, 0755);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        r = loop_write(fd, text, strlen(text));
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

int policy_install(sd_bus *bus, const Procfile *p) {
        _cleanup_free_ char *path = policy_path(p->app), *text = NULL;
        int r;

        if (!path || policy_render(p, &text) < 0)
                return log_error_errno(-ENOMEM, "out of memory");
        if (!text) {
                if (unlink(path) >= 0)
                        return reload_bus(bus);
                return 0;
        }
        r = write_atomic(path, text);
        if (r < 0)
                return log_error_errno(r, "%s: can't write the app's D-Bus policy: %m", path);
        return reload_bus(bus);
}

int policy_remove(sd_bus *bus, const char *app) {
        _cleanup_free_ char *path = policy_path(app);

        if (!path)
                return log_error_errno(-ENOMEM, "out of memory");
        if (unlink(path) < 0)
                return errno == ENOENT ? 0 : log_error_errno(negative_errno(), "%s: %m", path);
        printf("removed %s\n", path);
        return reload_bus(bus);
}
