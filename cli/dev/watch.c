/* SPDX-License-Identifier: MIT */

/* The watcher behind dev mode's `watch`. Every watched directory is one sd-event inotify source with a
 * filter: a glob for the directory that holds a watched file, none for a directory watched with its whole
 * tree. Any change that counts (re)arms one timer; when it fires, the burst is over. */

#include <dirent.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "cli/dev/watch.h"
#include "common/path-util.h"

/* Not IN_MODIFY: one write is enough, IN_CLOSE_WRITE says it once. IN_ATTRIB: `touch` restarts. */
#define WATCH_MASK \
        (IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR)

typedef struct WatchedDir {
        DevWatch *watch;
        sd_event_source *source;
        char *path;
        char *filter;           /* NULL: the directory's whole tree */
} WatchedDir;

struct DevWatch {
        sd_event *event;
        sd_event_source *timer;
        WatchedDir **dirs;
        size_t n_dirs;
        char *changed;          /* the first path that changed in this burst */
        DevWatchCallback callback;
        void *userdata;
};

static int add_tree(DevWatch *w, const char *path);

bool dev_watch_name_counts(const char *filter, const char *name) {
        size_t n = strlen(name);

        if (filter)
                return fnmatch(filter, name, FNM_PERIOD) == 0;
        return n > 0 && name[0] != '.' && name[n - 1] != '~';
}

static int on_timer(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        DevWatch *w = userdata;
        _cleanup_free_ char *changed = TAKE_PTR(w->changed);

        w->callback(changed ?: "", w->userdata);
        return 0;
}

static int arm(DevWatch *w, const char *dir, const char *name) {
        uint64_t now;
        int r;

        if (!w->changed)
                w->changed = path_join_absolute(dir, name);
        r = sd_event_now(w->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_source_set_time(w->timer, now + DEV_WATCH_DEBOUNCE_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
        return r;
}

static int on_inotify(sd_event_source *s _unused_, const struct inotify_event *ev, void *userdata) {
        WatchedDir *d = userdata;
        const char *name = ev->len > 0 ? ev->name : "";
        _cleanup_free_ char *path = NULL;

        if (ev->mask & IN_Q_OVERFLOW)
                return arm(d->watch, d->path, "");
        if (ev->mask & IN_IGNORED || !dev_watch_name_counts(d->filter, name))
                return 0;
        /* A directory that appears in a watched tree is part of it from now on. */
        if (!d->filter && (ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
                path = path_join_absolute(d->path, name);
                if (!path)
                        return -ENOMEM;
                (void) add_tree(d->watch, path);
        }
        return arm(d->watch, d->path, name);
}

static int add_dir(DevWatch *w, const char *path, const char *filter) {
        _cleanup_free_ WatchedDir *d = calloc(1, sizeof(WatchedDir));
        WatchedDir **grown = realloc(w->dirs, sizeof(WatchedDir *) * (w->n_dirs + 1)), *added;

        if (grown)
                w->dirs = grown;
        if (!d || !grown)
                return -ENOMEM;
        *d = (WatchedDir) { .watch = w, .path = strdup(path), .filter = filter ? strdup(filter) : NULL };
        if (!d->path || (filter && !d->filter)) {
                free(d->path);
                free(d->filter);
                return -ENOMEM;
        }
        /* Owned by the list from here on, freed with the watch. */
        added = w->dirs[w->n_dirs++] = TAKE_PTR(d);
        return sd_event_add_inotify(w->event, &added->source, path, WATCH_MASK, on_inotify, added);
}

/* Watches path and every directory below it that counts. */
static int add_tree(DevWatch *w, const char *path) {
        DIR *dir;
        struct dirent *de;
        int r;

        r = add_dir(w, path, NULL);
        if (r < 0)
                return r;
        dir = opendir(path);
        if (!dir)
                return 0;
        while (r >= 0 && (de = readdir(dir))) {
                _cleanup_free_ char *child = NULL;
                struct stat st;

                if (!dev_watch_name_counts(NULL, de->d_name) ||
                    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
                        continue;
                child = path_join_absolute(path, de->d_name);
                if (!child)
                        r = -ENOMEM;
                /* Only DT_UNKNOWN (some file systems) needs the stat(). */
                else if (de->d_type == DT_DIR || (stat(child, &st) >= 0 && S_ISDIR(st.st_mode)))
                        r = add_tree(w, child);
        }
        closedir(dir);
        return r;
}

/* Watches what pattern (absolute) names: the directories it matches with their trees, and the directories
 * that hold its matches, filtered by its last component. */
static int add_pattern(DevWatch *w, const char *pattern) {
        _cleanup_free_ char *parent = path_dirname(pattern), *filter = path_basename(pattern);
        glob_t g = {};
        int r = 0;

        if (!parent || !filter)
                return -ENOMEM;
        if (glob(pattern, GLOB_NOSORT | GLOB_BRACE, NULL, &g) == 0)
                for (size_t i = 0; r >= 0 && i < g.gl_pathc; i++) {
                        struct stat st;

                        if (stat(g.gl_pathv[i], &st) >= 0 && S_ISDIR(st.st_mode))
                                r = add_tree(w, g.gl_pathv[i]);
                }
        globfree(&g);
        g = (glob_t) {};
        if (r >= 0 && glob(parent, GLOB_NOSORT | GLOB_BRACE | GLOB_ONLYDIR, NULL, &g) == 0)
                for (size_t i = 0; r >= 0 && i < g.gl_pathc; i++)
                        r = add_dir(w, g.gl_pathv[i], filter);
        globfree(&g);
        return r;
}

int dev_watch_new(sd_event *e, const char *dir, char * const *patterns, DevWatchCallback callback,
                  void *userdata, DevWatch **ret) {
        _cleanup_(dev_watch_freep) DevWatch *w = calloc(1, sizeof(DevWatch));
        int r;

        if (!w)
                return -ENOMEM;
        *w = (DevWatch) { .event = sd_event_ref(e), .callback = callback, .userdata = userdata };
        /* Armed by the first change of a burst. */
        r = sd_event_add_time(e, &w->timer, CLOCK_MONOTONIC, 0, 10 * 1000, on_timer, w);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
        if (r < 0)
                return r;
        for (char * const *p = patterns; p && *p; p++) {
                _cleanup_free_ char *pattern = path_join_absolute(dir, *p);

                r = pattern ? add_pattern(w, pattern) : -ENOMEM;
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(w);
        return 0;
}

DevWatch *dev_watch_free(DevWatch *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_dirs; i++) {
                sd_event_source_disable_unref(w->dirs[i]->source);
                free(w->dirs[i]->path);
                free(w->dirs[i]->filter);
                free(w->dirs[i]);
        }
        free(w->dirs);
        sd_event_source_disable_unref(w->timer);
        sd_event_unref(w->event);
        free(w->changed);
        free(w);
        return NULL;
}
