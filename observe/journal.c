/* SPDX-License-Identifier: MIT */

/* Reading one line back from the journal: the matches select the unit's own entries (the agent sends
 * its children's lines and its own with the unit's cgroup, so _SYSTEMD_UNIT names the instance) of this
 * boot at priority 0 to 3; the newest that an app's process wrote or that is a lifecycle event of the
 * agent wins over the agent's summaries. */

#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "common/string-util.h"
#include "observe/journal.h"

/* How many of the newest error entries are searched for one that says why. */
#define LOOK_BACK 50

static int add_matches(sd_journal *j, const char *unit, bool user) {
        _cleanup_free_ char *unit_match = NULL, *boot_match = NULL;
        char boot[SD_ID128_STRING_MAX];
        sd_id128_t id;
        int r;

        r = sd_id128_get_boot(&id);
        if (r < 0)
                return r;
        unit_match = strprintf("%s=%s", user ? "_SYSTEMD_USER_UNIT" : "_SYSTEMD_UNIT", unit);
        boot_match = strprintf("_BOOT_ID=%s", sd_id128_to_string(id, boot));
        if (!unit_match || !boot_match)
                return -ENOMEM;
        sd_journal_flush_matches(j);
        r = sd_journal_add_match(j, unit_match, 0);
        if (r >= 0)
                r = sd_journal_add_match(j, boot_match, 0);
        /* Matches on one field are alternatives; fields are ANDed. */
        for (int p = 0; p <= 3 && r >= 0; p++) {
                char priority[] = "PRIORITY=0";

                priority[sizeof(priority) - 2] = (char) ('0' + p);
                r = sd_journal_add_match(j, priority, 0);
        }
        return r;
}

/* The first line of a MESSAGE=... field, control characters as '?'. */
static char *first_line(const char *data, size_t n) {
        const char *text = data + strlen("MESSAGE=");
        size_t len = n - strlen("MESSAGE=");
        const char *nl = memchr(text, '\n', len);
        char *s;

        if (nl)
                len = nl - text;
        s = strndup(text, len);
        for (char *p = s; p && *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        return s;
}

/* Whether the current entry is a line the app wrote (the agent adds SYSLOG_PID to its children's lines)
 * or one of the agent's lifecycle events (a MESSAGE_ID, and the reason in its message), rather than one
 * of the agent's summaries ("Instance stopped after a failure"), which say less. */
static bool entry_says_why(sd_journal *j) {
        const void *data;
        size_t n;

        return sd_journal_get_data(j, "SYSLOG_PID", &data, &n) >= 0 ||
               sd_journal_get_data(j, "MESSAGE_ID", &data, &n) >= 0;
}

/* Moves to the newest matching entry that says why, among the last LOOK_BACK; else to the newest one.
 * Returns 1 when there is an entry, 0 when none matches, or a negative errno. */
static int seek_last(sd_journal *j) {
        int r, k;

        r = sd_journal_seek_tail(j);
        for (k = 0; r >= 0 && k < LOOK_BACK; k++) {
                r = sd_journal_previous(j);
                if (r <= 0)
                        break;
                if (entry_says_why(j))
                        return 1;
        }
        if (r < 0 || k == 0)
                return r;
        r = sd_journal_seek_tail(j);
        return r < 0 ? r : sd_journal_previous(j);
}

int observe_last_error(sd_journal *j, const char *unit, bool user, char **ret) {
        const void *data;
        size_t n;
        char *line;
        int r;

        r = add_matches(j, unit, user);
        if (r >= 0)
                r = seek_last(j);
        if (r < 0)
                return r;
        if (r == 0) {
                *ret = NULL;
                return 0;
        }
        r = sd_journal_get_data(j, "MESSAGE", &data, &n);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        line = first_line(data, n);
        if (!line)
                return -ENOMEM;
        *ret = line;
        return 0;
}
