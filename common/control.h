/* SPDX-License-Identifier: MIT */
#pragma once

/* The agent's control socket: $RUNTIME_DIRECTORY/control.sock of an instance, a seqpacket socket that
 * takes one request per connection ("RELOAD") and answers once it is done: "OK text", "FAILED text",
 * "RESTART text" (the change needs the unit restarted) or "BUSY text". The agent serves it
 * (agent/control/); `pandora-agent --reload` (ExecReload=) and `pandora-gen --reload` ask it. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define CONTROL_SOCKET_NAME "control.sock"

/* The file name in the runtime directory of unit's agent, as RuntimeDirectory=pandora-agent/%N makes
 * it: under /run, or $XDG_RUNTIME_DIR for a unit of a user manager; unit with or without ".service".
 * Returns 0, -ENXIO (user, and no absolute $XDG_RUNTIME_DIR) or -ENOMEM. */
int agent_runtime_path(bool user, const char *unit, const char *name, char **ret);

typedef enum ControlAnswer {
        CONTROL_OK,
        CONTROL_FAILED,
        CONTROL_RESTART,
        CONTROL_BUSY,
        _CONTROL_ANSWER_MAX,
        _CONTROL_ANSWER_INVALID = -EINVAL,
} ControlAnswer;

const char *control_answer_to_string(ControlAnswer a);

/* Formats an answer: "WORD text". Returns a new string or NULL when out of memory. */
char *control_answer_format(ControlAnswer a, const char *text);

/* Splits "WORD text" into the answer and a pointer to its text (never NULL). Returns 0 or -EBADMSG. */
int control_answer_parse(const char *reply, ControlAnswer *ret, const char **ret_text);

/* Connects to the control socket at path, sends request and waits up to timeout_usec (0: forever) for
 * the answer, returned in *ret (allocated). Returns 0, or a negative errno (-ENOENT/-ECONNREFUSED: no
 * agent there; -ETIMEDOUT). */
int control_call(const char *path, const char *request, uint64_t timeout_usec, char **ret);
