/* SPDX-License-Identifier: MIT */

/* `pandora-gen PROCFILE` and `pandora-gen --remove APP`. The generator is the only code that makes
 * units; installing means putting a validated copy of the procfile where the generator reads it and
 * asking the manager to reload. The copy is written next to its final name and renamed over it only after
 * it loaded as the generator will load it, so a bad procfile never replaces one that works. The copy
 * ends with an origin mark (PROCFILE_ORIGIN_MARK) so that its relative paths keep their meaning, and is
 * never more readable than the original.
 *
 * Before anything is written, the app's unit names are checked against every other installed app's
 * (the generator would make neither) and against the units the manager has or can load: a unit that
 * pandora did not make for this app (its SourcePath= is not the app's installed procfile) is never
 * shadowed. After the reload every unit must have loaded. --remove stops only the units whose
 * SourcePath= is the app's installed procfile. */

#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/install.h"
#include "cli/listen-check.h"
#include "cli/manager.h"
#include "cli/policy.h"
#include "common/io-util.h"
#include "common/path-util.h"
#include "common/string-util.h"
#include "common/strv.h"
#include "generator/generator.h"
#include "generator/log.h"
#include "generator/search-path.h"

/* The procfile's text and mode, read without blocking on a FIFO (procfile_load() has read it as a
 * regular file, but it may have been replaced since). */
static int read_original(const char *path, char **ret, size_t *ret_size, struct stat *ret_st) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, ret_st) < 0)
                return negative_errno();
        if (!S_ISREG(ret_st->st_mode))
                return -EBADFD;
        return read_full_fd(fd, 32 * 1024 * 1024, ret, ret_size);
}

/* The copy is root's, so it never gets more than the original's read bits: who may read the original may
 * read the copy, nobody else (a 0600 procfile may hold secrets). Its group is the original's when the
 * original is group-readable and that group can be given, else nobody's but the owner's. */
static int copy_mode(int fd, const struct stat *original) {
        mode_t mode = original->st_mode & 0644;

        if ((mode & 0040) && fchown(fd, (uid_t) -1, original->st_gid) < 0)
                mode &= ~0070;
        return fchmod(fd, mode) < 0 ? negative_errno() : 0;
}

/* Writes the procfile's text plus its origin mark to a new hidden file in dir; *ret_tmp names it. The
 * name stays short (".APP.XXXXXX", never "*.procfile"): an app name of the longest allowed fits. */
static int write_copy(const Procfile *p, const char *dir, char **ret_tmp) {
        _cleanup_free_ char *text = NULL, *tmp = NULL, *mark = NULL;
        struct stat st;
        size_t size;
        int fd, r;

        r = read_original(p->path, &text, &size, &st);
        if (r == -EBADFD)
                return log_error_errno(r, "%s: not a regular file", p->path);
        if (r < 0)
                return log_error_errno(r, "%s: %m", p->path);
        if (asprintf(&mark, "%s" PROCFILE_ORIGIN_MARK "%s\n", size > 0 && text[size - 1] != '\n' ? "\n" : "",
                     p->origin) < 0 || asprintf(&tmp, "%s/.%s.XXXXXX", dir, p->app) < 0)
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
        if (r >= 0)
                r = copy_mode(fd, &st);
        if (r >= 0 && fsync(fd) < 0)
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
        RenderOptions ro = { .agent_path = o->agent_path, .user = o->user };
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

static int open_bus(bool user, sd_bus **ret) {
        int r;

        r = user ? sd_bus_open_user(ret) : sd_bus_open_system(ret);
        if (r < 0)
                log_error_errno(r, "can't connect to the %s manager: %m", user ? "user" : "system");
        return r;
}

/* Whether two paths are the same text, repeated slashes aside ("DIR/" in $PANDORA_PROCFILE_DIRS). */
static bool path_text_equal(const char *a, const char *b) {
        for (;;) {
                if (*a == '/' && *b == '/') {
                        a += strspn(a, "/");
                        b += strspn(b, "/");
                        continue;
                }
                if (*a != *b)
                        return false;
                if (*a == '\0')
                        return true;
                a++;
                b++;
        }
}

/* Whether pandora made the unit of this SourcePath= for app: from app's installed procfile, in any
 * directory of the search path (an app moved to --persistent keeps its units until the reload). */
static bool source_is_app(const SearchPath *sp, const char *source, const char *app) {
        STRV_FOREACH(d, sp->dirs) {
                _cleanup_free_ char *path = search_path_procfile(*d, app);

                if (path && source && path_text_equal(path, source))
                        return true;
        }
        return false;
}

/* Two installed apps must not make a unit of the same name: the generator would make neither (and before
 * it did, the second silently replaced the first's units, and --remove of one stopped the other's). The
 * copy of app itself, in whichever directory, is what is being replaced. */
static int check_other_apps(const SearchPath *sp, bool user, const char *app, char * const *names) {
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_free_ char *own = strprintf("%s" PROCFILE_SUFFIX, app);
        int r;

        if (!own)
                return -ENOMEM;
        r = generator_installed_procfiles(sp, &paths);
        if (r < 0)
                return r;
        STRV_FOREACH(path, paths) {
                _cleanup_(unit_set_freep) UnitSet *other = NULL;
                _cleanup_strv_free_ char **other_names = NULL;
                _cleanup_free_ char *base = path_basename(*path);
                const char *shared;

                if (!base)
                        return -ENOMEM;
                /* An installed procfile that no longer loads makes no units. */
                if (streq(base, own) || generator_render_installed_quiet(*path, sp, user, &other) < 0)
                        continue;
                if (generator_unit_names(other, &other_names) < 0)
                        return -ENOMEM;
                shared = generator_shared_name(names, other_names);
                if (shared) {
                        log_error("'%s' would make %s, which %s makes too: the generator would make neither; "
                                  "rename the app or the process", app, shared, *path);
                        return -EEXIST;
                }
        }
        return 0;
}

/* The units to ask the manager about: every file of the set, a template by its first instance. */
static int names_to_check(const UnitSet *set, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;

        for (size_t i = 0; i < set->n_files; i++) {
                const char *name = set->files[i].name, *at = strstr(name, "@.");
                char *instance = at ? strprintf("%.*s@1%s", (int) (at - name), name, at + 1) : strdup(name);

                if (strv_consume(&names, instance) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

/* No unit that the manager has, or would load from disk, is shadowed unless pandora made it for this app:
 * the host's own units, another generator's, an administrator's, a --dev session's transient ones. */
static int check_host_units(sd_bus *bus, const SearchPath *sp, const char *app, const UnitSet *set) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = names_to_check(set, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(name, names) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(unit_info_done) UnitInfo u = {};
                const char *where;

                r = manager_unit_info(bus, *name, true, &u, &error);
                if (r < 0)
                        return log_error_errno(r, "%s: %s", *name, error.message ?: strerror(-r));
                if (streq(u.load_state, "not-found") || source_is_app(sp, u.source_path, app))
                        continue;
                where = u.fragment_path[0] ? u.fragment_path : u.source_path[0] ? u.source_path : "no file";
                log_error("'%s' would replace %s, which exists already (%s, %s) and was not made by pandora for "
                          "'%s': rename the app or the process", app, *name, u.load_state, where, app);
                return -EEXIST;
        }
        return 0;
}

/* After the reload, every unit of the app must have loaded: systemd refuses some settings only as it
 * loads them, and a unit it refused would never start. Logs each with systemd's reason. */
static int check_loaded(sd_bus *bus, char * const *names) {
        int ret = 0;

        STRV_FOREACH(name, names) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(unit_info_done) UnitInfo u = {};
                int r;

                r = manager_unit_info(bus, *name, true, &u, &error);
                if (r < 0) {
                        log_error_errno(r, "%s: %s", *name, error.message ?: strerror(-r));
                        ret = ret ?: r;
                } else if (!streq(u.load_state, "loaded")) {
                        log_error("%s: %s: %s (journalctl -b -u %s says why)", *name, u.load_state,
                                  u.load_error[0] ? u.load_error : "not loaded", *name);
                        ret = ret ?: -EBADMSG;
                }
        }
        return ret;
}

/* Of names, those the manager has loaded from app's installed procfile: what --remove may stop. A unit of
 * the same name from elsewhere (another app's, before two apps could collide) is left alone. */
static int own_units(sd_bus *bus, const SearchPath *sp, const char *app, char * const *names, char ***ret) {
        _cleanup_strv_free_ char **own = NULL;

        STRV_FOREACH(name, names) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(unit_info_done) UnitInfo u = {};
                int r;

                r = manager_unit_info(bus, *name, false, &u, &error);
                if (r < 0)
                        return log_error_errno(r, "%s: %s", *name, error.message ?: strerror(-r));
                if (r == 0)
                        continue;
                if (!source_is_app(sp, u.source_path, app))
                        log_error("%s is not from '%s' (SourcePath=%s), not stopping it", *name, app,
                                  u.source_path[0] ? u.source_path : "none");
                else if (strv_extend(&own, *name) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(own);
        return 0;
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

/* After the reload: every unit must have loaded, the units that went away are stopped, a running app
 * starts what it now wants. */
static int apply(sd_bus *bus, const Procfile *p, char * const *old_names, char * const *new_names,
                 const InstallOptions *o) {
        const char *app = p->app;
        _cleanup_strv_free_ char **gone = NULL, **stopped = NULL, **target = NULL, **running_target = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *user = o->user ? " --user" : "";
        int r, loaded;

        if (names_gone(old_names, new_names, &gone) < 0 ||
            strv_consume(&target, strprintf("%s.target", app)) < 0)
                return -ENOMEM;
        r = connect_manager(o->user, &m);
        if (r < 0)
                return r;
        /* Before the reload, while a socket the old units ran is still the app's own. */
        listen_check_warn(m, p);
        r = reload(m);
        if (r < 0)
                return r;
        loaded = check_loaded(bus, new_names);
        r = stop_running(m, gone, &stopped);
        if (r >= 0)
                r = running_units(m, target, &running_target);
        /* Starting a running target again starts what it wants and is not running: new instances. */
        if (r >= 0)
                r = run_jobs(m, "StartUnit", running_target);
        print_units(m, new_names);
        print_gone(gone, stopped);
        if (running_target)
                printf("%s.target is running; its running instances keep their old settings until they restart: "
                       "apply it with no downtime: pandora-gen%s --reload %s\n", app, user, app);
        else
                printf("next: systemctl%s start %s.target\n", user, app);
        return r < 0 ? r : loaded;
}

/* A user's manager, and the app with it, ends when the user's last session does (an install over ssh
 * dies at logout) unless the user lingers (logind's /var/lib/systemd/linger/USER). */
static void hint_linger(const char *app) {
        struct passwd *pw = getpwuid(getuid());
        _cleanup_free_ char *path = NULL;

        if (!pw)
                return;
        path = strprintf("/var/lib/systemd/linger/%s", pw->pw_name);
        if (!path || access(path, F_OK) >= 0)
                return;
        printf("note: %s runs in %s's user manager, which stops when %s's last session ends; to keep it "
               "running and to start it at boot (autostart): loginctl enable-linger %s\n", app, pw->pw_name,
               pw->pw_name, pw->pw_name);
}

int install_procfile(const char *path, const InstallOptions *o) {
        _cleanup_(search_path_done) SearchPath sp = {};
        _cleanup_(unit_set_freep) UnitSet *set = NULL, *old = NULL;
        _cleanup_(procfile_freep) Procfile *p = NULL;
        _cleanup_strv_free_ char **old_names = NULL, **new_names = NULL, **all_names = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        RenderOptions ro = { .agent_path = o->agent_path, .user = o->user };
        int r;

        r = generator_load_and_render(path, NULL, &ro, &p, &set);
        if (r < 0)
                return r;
        r = search_path_init(&sp, o->user);
        if (r < 0)
                return log_error_errno(r, "no directory to install into: %m");
        old = installed_units(&sp, p->app, o);
        if ((old && unit_set_unit_names(old, &old_names) < 0) || unit_set_unit_names(set, &new_names) < 0 ||
            generator_unit_names(set, &all_names) < 0)
                return -ENOMEM;
        /* Nothing is written before the names are known to be the app's alone. */
        r = check_other_apps(&sp, o->user, p->app, all_names);
        if (r >= 0)
                r = open_bus(o->user, &bus);
        if (r >= 0)
                r = check_host_units(bus, &sp, p->app, set);
        if (r >= 0)
                r = installed_copy(&sp, p, o);
        /* Before any instance starts and asks for its bus name. */
        if (r >= 0 && !o->user)
                r = policy_install(bus, p);
        if (r < 0)
                return r;
        r = apply(bus, p, old_names, new_names, o);
        if (r >= 0 && o->user)
                hint_linger(p->app);
        return r;
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
        _cleanup_strv_free_ char **names = NULL, **own = NULL, **stopped = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
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
        r = open_bus(o->user, &bus);
        if (r >= 0)
                r = own_units(bus, &sp, app, names, &own);
        if (r >= 0)
                r = connect_manager(o->user, &m);
        if (r >= 0)
                r = stop_running(m, own, &stopped);
        if (r >= 0)
                r = remove_copies(&sp, app);
        if (r >= 0 && !o->user)
                r = policy_remove(bus, app);
        if (r >= 0)
                r = reload(m);
        if (r < 0)
                return r;
        print_gone(names, stopped);
        return 0;
}
