/* SPDX-License-Identifier: MIT */
#pragma once

/* Dev mode's `watch`: inotify on the procfile's watched paths and globs, debounced, from sd-event. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "common/macro.h"

/* How long the files must be quiet before a change counts: an editor's save or a `git checkout` is a
 * burst of events, and one restart should follow it, not one per event. */
#define DEV_WATCH_DEBOUNCE_USEC (300 * 1000ULL)

typedef struct DevWatch DevWatch;

/* Called once a burst of changes is over, with the first path that changed. */
typedef void (*DevWatchCallback)(const char *path, void *userdata);

/* Watches each of patterns, taken relative to dir: a path or a glob (glob(7), with braces). A directory it
 * names is watched with everything below it (new subdirectories included; names starting with '.' or
 * ending with '~', editors' scratch files, are ignored there); a file is watched through its directory, so
 * that a save that replaces the file (write a copy, rename it over) is seen too, and so is a file created
 * later that the glob matches. A pattern whose directory does not exist is skipped. Returns 0 or a negative
 * errno (-ENOSPC: out of inotify watches). */
int dev_watch_new(sd_event *e, const char *dir, char * const *patterns, DevWatchCallback callback,
                  void *userdata, DevWatch **ret);

/* Stops watching; accepts NULL and returns NULL. */
DevWatch *dev_watch_free(DevWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(DevWatch *, dev_watch_free);

/* Whether a change to the entry name, in a directory watched for the pattern filter (NULL: the whole
 * directory tree), counts. */
bool dev_watch_name_counts(const char *filter, const char *name) _pure_;
