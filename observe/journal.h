/* SPDX-License-Identifier: MIT */
#pragma once

/* The last error an instance wrote to the journal, for `pandora-gen --status`. */

#include <stdbool.h>
#include <systemd/sd-journal.h>

/* The first line of the MESSAGE of the latest entry of this boot with priority err or more important
 * that unit's processes wrote (_SYSTEMD_UNIT, or _SYSTEMD_USER_UNIT for a user unit), control
 * characters replaced, in *ret; a line of the app's (SYSLOG_PID) or an agent's lifecycle event
 * (MESSAGE_ID) is preferred over the agent's other lines. NULL when there is none, or none the caller
 * may read (the system journal needs root or the systemd-journal group). Returns 0 or a negative
 * errno. */
int observe_last_error(sd_journal *j, const char *unit, bool user, char **ret);
