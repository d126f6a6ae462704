/* SPDX-License-Identifier: MIT */

/* `pandora-gen PROCFILE` and `pandora-gen --remove APP`. The generator is the only code that makes
 * units; installing means putting a validated copy of the procfile where the generator reads it and
 * asking the manager to reload. The copy is written next to its final name and renamed over it only after
 * it loaded as the generator will load it, so a bad procfile never replaces one that works. The copy
 * ends with an origin mark (PROCFILE_ORIGIN_MARK) so that its relative paths keep their meaning. */

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "generator/generator.h"
#include "cli/install.h"
#include "cli/manager.h"
#include "common/io-util.h"
#include "common/path-util.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "generator/log.h"
#include "generator/search-path.h"

static int read_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return read_full_fd(fd, SIZE_MAX, ret, ret_size);
}

/* Writes the procfile's text plus its origin mark to a new hidden file in dir; *ret_tmp names it. */
static int write_copy(const Procfile *p, const char *dir, char **ret_tmp) {
        _cleanup_free_ char *text = NULL, *tmp = NULL, *mark = NULL;
        size_t size;
        int fd, r;

        r = read_file(p->path, &text, &size);
        if (r < 0)
                return log_error_errno(r, "%s: %m", p->path);
        if (asprintf(&mark, "%s" PROCFILE_ORIGIN_MARK "%s\n", size > 0 && text[size - 1] != '\n' ? "\n" : "",
                     p->origin) < 0 || asprintf(&tmp, "%s/.%s.procfile.XXXXXX", dir, p->app) < 0)
                return -ENOMEM;
        r = path_mkdir_p(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "can't create %s: %m", dir);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(negative_errno(), "can't write to %s: %m", dir);
        r = loop_write(fd, text, size);
        if (r >= 0)
                r = loop_write(fd, mark, strlen(mark));
        if (r >= 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
                r = negative_errno();
        if (close(fd) < 0 && r >= 0)
                r = negative_errno();
        if (r < 0) {
                unlink(tmp);
                return log_error_errno(r, "%s: %m", tmp);
        }
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

/* Loads and renders the installed procfile of app, as the generator did; NULL when there is none or it
 * no longer loads (then its units are not known, and none are stopped). */
static UnitSet *installed_units(const SearchPath *sp, const char *app, const InstallOptions *o) {
        _cleanup_free_ char *path = NULL;
        RenderOptions ro = { .agent_path = o->agent_path };
        ProcfileOptions po = { .default_app = app };
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *p = NULL;
        UnitSet *set = NULL;

        if (search_path_find(sp, app, &path) <= 0 || procfile_load(path, &po, &p, &e) < 0)
                return NULL;
        (void) unit_render(p, &ro, &set);
        return set;
}

/* An installed copy in a directory that comes earlier in the search path would hide the new one. */
static int check_not_hidden(const SearchPath *sp, const char *dir, const char *app) {
        STRV_FOREACH(d, sp->dirs) {
                _cleanup_free_ char *path = NULL;

                if (streq(*d, dir))
                        return 0;
                path = search_path_procfile(*d, app);
                if (!path)
                        return -ENOMEM;
                if (access(path, F_OK) == 0) {
                        log_error("'%s' is installed as %s, which takes precedence; use --persistent, or "
                                  "pandora-gen --remove %s first", app, path, app);
                        return -EEXIST;
                }
        }
        return 0;
}

static const char *target_dir(const SearchPath *sp, const InstallOptions *o) {
        if (!o->persistent && !sp->runtime)
                log_error("no runtime directory to install into ($XDG_RUNTIME_DIR is not set); use --persistent");
        return o->persistent ? sp->persistent : sp->runtime;
}

/* Validates the copy as the generator will read it, then renames it into place. */
static int commit_copy(const SearchPath *sp, const char *tmp, const char *dir, const char *app,
                       const InstallOptions *o) {
        _cleanup_(procfile_error_done) ProcfileError e = {};
        _cleanup_(procfile_freep) Procfile *copy = NULL;
        _cleanup_free_ char *final = search_path_procfile(dir, app);
        _cleanup_free_ char *stale = o->persistent && sp->runtime ? search_path_procfile(sp->runtime, app) : NULL;
        int r;

        if (!final)
                return -ENOMEM;
        r = procfile_load(tmp, &(ProcfileOptions) { .default_app = app }, &copy, &e);
        if (r < 0) {
                log_procfile_error(&e, r);
                return r;
        }
        if (rename(tmp, final) < 0)
                return log_error_errno(negative_errno(), "can't install %s: %m", final);
        /* A persistent install makes a runtime copy pointless: the persistent one hides it. */
        if (stale && unlink(stale) < 0 && errno != ENOENT)
                log_error("can't remove %s: %m, ignoring", stale);
        printf("installed %s (from %s)\n", final, copy->origin);
        return 0;
}

static int installed_copy(const SearchPath *sp, const Procfile *p, const InstallOptions *o) {
        _cleanup_free_ char *tmp = NULL;
        const char *dir = target_dir(sp, o);
        int r;

        if (!dir)
                return -ENXIO;
        /* p->origin has no newline to break the origin mark: generator_load_and_render() refused control
         * characters in it. */
        r = check_not_hidden(sp, dir, p->app);
        if (r < 0)
                return r;
        r = write_copy(p, dir, &tmp);
        if (r < 0)
                return r;
        r = commit_copy(sp, tmp, dir, p->app, o);
        if (r < 0)
                unlink(tmp);
        return r;
}

/* Runs a job for each unit and logs what failed. */
static int run_jobs(Manager *m, const char *method, char * const *units) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **failed = NULL;
        int r;

        if (!units)
                return 0;
        r = manager_run_jobs(m, method, units, &failed, &error);
        if (r == -EIO)
                STRV_FOREACH(f, failed)
                        log_error("%s: %s failed", *f, method);
        else if (r < 0)
                log_error("%s: %s", method, error.message ?: strerror(-r));
        return r;
}

/* The units of names that the manager has running (or starting, or stopping). */
static int running_units(Manager *m, char * const *names, char ***ret) {
        _cleanup_strv_free_ char **running = NULL;
        int r;

        STRV_FOREACH(name, names) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *state = NULL;

                r = manager_active_state(m, *name, &state, &error);
                if (r < 0)
                        return log_error_errno(r, "%s: %s", *name, error.message ?: strerror(-r));
                if (!streq(state, "inactive") && !streq(state, "failed") && strv_extend(&running, *name) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(running);
        return 0;
}

static int connect_manager(bool user, Manager **ret) {
        int r;

        r = manager_open(user, ret);
        if (r < 0)
                log_error_errno(r, "can't connect to the %s manager: %m", user ? "user" : "system");
        return r;
}

static int reload(Manager *m) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = manager_reload(m, &error);
        if (r < 0)
                log_error_errno(r, "the manager did not reload: %s", error.message ?: strerror(-r));
        return r;
}

/* Names in old that new lacks. */
static int names_gone(char * const *old, char * const *new, char ***ret) {
        _cleanup_strv_free_ char **gone = NULL;

        STRV_FOREACH(name, old)
                if (!strv_find(new, *name) && strv_extend(&gone, *name) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(gone);
        return 0;
}

static void print_units(Manager *m, char * const *names) {
        STRV_FOREACH(name, names) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *state = NULL;

                (void) manager_active_state(m, *name, &state, &error);
                printf("  %-40s %s\n", *name, state ?: "?");
        }
}

static void print_gone(char * const *gone, char * const *stopped) {
        STRV_FOREACH(name, gone)
                printf("  %-40s removed%s\n", *name, strv_find(stopped, *name) ? " (stopped)" : "");
}

/* Stops whichever of names the manager has running. */
static int stop_running(Manager *m, char * const *names, char ***ret_stopped) {
        _cleanup_strv_free_ char **running = NULL;
        int r;

        r = running_units(m, names, &running);
        if (r >= 0)
                r = run_jobs(m, "StopUnit", running);
        if (r >= 0)
                *ret_stopped = TAKE_PTR(running);
        return r;
}

/* After the reload: the units that went away are stopped, a running app starts what it now wants. */
static int apply(const char *app, char * const *old_names, char * const *new_names, const InstallOptions *o) {
        _cleanup_strv_free_ char **gone = NULL, **stopped = NULL, **target = NULL, **running_target = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *user = o->user ? " --user" : "";
        int r;

        if (names_gone(old_names, new_names, &gone) < 0 ||
            strv_consume(&target, strprintf("%s.target", app)) < 0)
                return -ENOMEM;
        r = connect_manager(o->user, &m);
        if (r >= 0)
                r = reload(m);
        if (r < 0)
                return r;
        r = stop_running(m, gone, &stopped);
        if (r >= 0)
                r = running_units(m, target, &running_target);
        /* Starting a running target again starts what it wants and is not running: new instances. */
        if (r >= 0)
                r = run_jobs(m, "StartUnit", running_target);
        print_units(m, new_names);
        print_gone(gone, stopped);
        if (running_target)
                printf("%s.target is running; instances keep their old settings until: systemctl%s restart "
                       "%s.target\n", app, user, app);
        else
                printf("next: systemctl%s start %s.target\n", user, app);
        return r;
}

int install_procfile(const char *path, const InstallOptions *o) {
        _cleanup_(search_path_done) SearchPath sp = {};
        _cleanup_(unit_set_freep) UnitSet *set = NULL, *old = NULL;
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_strv_free_ char **old_names = NULL, **new_names = NULL;
        RenderOptions ro = { .agent_path = o->agent_path };
        int r;

        r = generator_load_and_render(path, NULL, &ro, &p, &set);
        if (r < 0)
                return r;
        r = search_path_init(&sp, o->user);
        if (r < 0)
                return log_error_errno(r, "no directory to install into: %m");
        old = installed_units(&sp, p->app, o);
        if ((old && unit_set_unit_names(old, &old_names) < 0) || unit_set_unit_names(set, &new_names) < 0)
                return -ENOMEM;
        r = installed_copy(&sp, p, o);
        if (r < 0)
                return r;
        return apply(p->app, old_names, new_names, o);
}

/* Removes APP.procfile from the persistent and the runtime directory. Returns 0 or a negative errno. */
static int remove_copies(const SearchPath *sp, const char *app) {
        const char *dirs[] = { sp->persistent, sp->runtime };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *path = NULL;

                if (!dirs[i])
                        continue;
                path = search_path_procfile(dirs[i], app);
                if (!path)
                        return -ENOMEM;
                if (unlink(path) >= 0)
                        printf("removed %s\n", path);
                else if (errno != ENOENT)
                        return log_error_errno(negative_errno(), "can't remove %s: %m", path);
        }
        return 0;
}

/* The installed copy of app must exist and be one pandora-gen manages (not the vendor's). */
static int check_removable(const SearchPath *sp, const char *app) {
        _cleanup_free_ char *path = NULL, *dir = NULL;
        int r;

        r = search_path_find(sp, app, &path);
        if (r < 0)
                return log_error_errno(r, "can't look for '%s': %m", app);
        if (r == 0)
                return log_error_errno(-ENOENT, "no installed procfile for app '%s'", app);
        dir = path_dirname(path);
        if (!dir)
                return -ENOMEM;
        if (!streq(dir, sp->persistent) && !(sp->runtime && streq(dir, sp->runtime)))
                return log_error_errno(-EPERM, "'%s' comes from %s, which pandora-gen does not manage", app,
                                       path);
        return 0;
}

int install_remove(const char *app, const InstallOptions *o) {
        _cleanup_(search_path_done) SearchPath sp = {};
        _cleanup_(unit_set_freep) UnitSet *old = NULL;
        _cleanup_strv_free_ char **names = NULL, **stopped = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        r = search_path_init(&sp, o->user);
        if (r < 0)
                return log_error_errno(r, "no procfile directory: %m");
        r = check_removable(&sp, app);
        if (r < 0)
                return r;
        old = installed_units(&sp, app, o);
        if (old && unit_set_unit_names(old, &names) < 0)
                return -ENOMEM;
        r = connect_manager(o->user, &m);
        if (r >= 0)
                r = stop_running(m, names, &stopped);
        if (r >= 0)
                r = remove_copies(&sp, app);
        if (r >= 0)
                r = reload(m);
        if (r < 0)
                return r;
        print_gone(names, stopped);
        return 0;
}
