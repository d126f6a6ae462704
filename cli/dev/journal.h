/* SPDX-License-Identifier: MIT */
#pragma once

/* Dev mode's view of the journal: from the moment it is opened, every entry of the app (PANDORA_APP=, which
 * the agent writes and LogExtraFields= adds to what the processes print) and every entry the manager
 * writes about one of its units (UNIT=, USER_UNIT=), printed as dev/format.c formats them. */

#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#include "cli/dev/format.h"
#include "common/macro.h"

typedef struct DevJournal DevJournal;

typedef struct DevJournalOptions {
        const DevStyle *style;  /* borrowed until dev_journal_free() */
        char * const *units;    /* the units whose manager messages to show */
        int max_priority;       /* entries with a higher PRIORITY= are left out */
        FILE *out;
} DevJournalOptions;

/* Opens the local journal at its current end and prints new entries from the event loop e as they come.
 * Returns 0 or a negative errno (-EPERM, -EACCES: not allowed to read it). */
int dev_journal_open(sd_event *e, const DevJournalOptions *o, DevJournal **ret);

/* Waits up to wait_usec for entries journald may still be writing, then prints all there is.
 * Returns 0 or a negative errno. */
int dev_journal_flush(DevJournal *j, uint64_t wait_usec);

/* Closes the journal; accepts NULL and returns NULL. */
DevJournal *dev_journal_free(DevJournal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(DevJournal *, dev_journal_free);
