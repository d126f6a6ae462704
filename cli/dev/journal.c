/* SPDX-License-Identifier: MIT */

/* Follows the journal from sd-event: the journal's inotify fd wakes the loop, sd_journal_process() takes
 * the change in, and every entry after the read position that matches is printed. */

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "cli/dev/journal.h"
#include "common/strv.h"

#define DEFAULT_PRIORITY 6      /* what journald gives an entry without PRIORITY= */

struct DevJournal {
        sd_journal *journal;
        sd_event_source *io;
        DevJournalOptions options;
};

/* The value of field in the current entry as a new string; NULL when absent (or out of memory). */
static char *field(sd_journal *j, const char *name) {
        const void *data;
        size_t length, n = strlen(name);

        if (sd_journal_get_data(j, name, &data, &length) < 0 || length <= n)
                return NULL;
        return strndup((const char *) data + n + 1, length - n - 1);
}

static int print_entry(DevJournal *dj) {
        static const char * const unit_fields[] = {
                "UNIT", "USER_UNIT", "_SYSTEMD_USER_UNIT", "_SYSTEMD_UNIT",
        };
        _cleanup_free_ char *priority = field(dj->journal, "PRIORITY"), *process = NULL, *instance = NULL;
        _cleanup_free_ char *service = NULL, *unit = NULL, *message = NULL;

        if ((priority ? atoi(priority) : DEFAULT_PRIORITY) > dj->options.max_priority)
                return 0;
        process = field(dj->journal, "PANDORA_PROCESS");
        instance = field(dj->journal, "PANDORA_INSTANCE");
        service = field(dj->journal, "PANDORA_SERVICE");
        message = field(dj->journal, "MESSAGE");
        for (size_t i = 0; !unit && i < ELEMENTSOF(unit_fields); i++)
                unit = field(dj->journal, unit_fields[i]);
        return dev_entry_write(dj->options.style, &(DevEntry) { .process = process, .instance = instance,
                               .service = service, .unit = unit, .message = message }, dj->options.out);
}

static int print_new_entries(DevJournal *dj) {
        int r;

        while ((r = sd_journal_next(dj->journal)) > 0) {
                r = print_entry(dj);
                if (r < 0)
                        return r;
        }
        fflush(dj->options.out);
        return r;
}

static int on_journal(sd_event_source *s _unused_, int fd _unused_, uint32_t revents _unused_,
                      void *userdata) {
        DevJournal *dj = userdata;
        int r;

        r = sd_journal_process(dj->journal);
        if (r < 0)
                return r;
        return print_new_entries(dj);
}

/* Adds, as one more alternative, field=UNIT for every unit (matches on one field are ORed). */
static int add_unit_matches(sd_journal *j, const char *name, char * const *units) {
        int r;

        r = sd_journal_add_disjunction(j);
        STRV_FOREACH(unit, units) {
                _cleanup_free_ char *match = NULL;

                if (r < 0)
                        return r;
                if (asprintf(&match, "%s=%s", name, *unit) < 0)
                        return -ENOMEM;
                r = sd_journal_add_match(j, match, 0);
        }
        return r;
}

/* PANDORA_APP=app, or the system or user manager talking about one of the units. */
static int add_matches(sd_journal *j, const char *app, char * const *units) {
        _cleanup_free_ char *match = NULL;
        int r;

        if (asprintf(&match, "PANDORA_APP=%s", app) < 0)
                return -ENOMEM;
        r = sd_journal_add_match(j, match, 0);
        if (r >= 0)
                r = add_unit_matches(j, "UNIT", units);
        if (r >= 0)
                r = add_unit_matches(j, "USER_UNIT", units);
        return r;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

int dev_journal_open(sd_event *e, const DevJournalOptions *o, DevJournal **ret) {
        _cleanup_(dev_journal_freep) DevJournal *dj = calloc(1, sizeof(DevJournal));
        int r, fd;

        if (!dj)
                return -ENOMEM;
        dj->options = *o;
        r = sd_journal_open(&dj->journal, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        r = add_matches(dj->journal, o->style->app, o->units);
        if (r < 0)
                return r;
        /* Before the first seek: the fd sets up the inotify watches that see new entries. */
        fd = sd_journal_get_fd(dj->journal);
        if (fd < 0)
                return fd;
        r = sd_journal_seek_realtime_usec(dj->journal, now_usec());
        if (r < 0)
                return r;
        r = sd_event_add_io(e, &dj->io, fd, (uint32_t) sd_journal_get_events(dj->journal), on_journal, dj);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(dj);
        return 0;
}

int dev_journal_flush(DevJournal *dj, uint64_t wait_usec) {
        int r;

        r = sd_journal_wait(dj->journal, wait_usec);
        if (r < 0)
                return r;
        return print_new_entries(dj);
}

DevJournal *dev_journal_free(DevJournal *dj) {
        if (!dj)
                return NULL;
        sd_event_source_disable_unref(dj->io);
        sd_journal_close(dj->journal);
        free(dj);
        return NULL;
}
