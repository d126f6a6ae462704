/* SPDX-License-Identifier: MIT */

/* The client side of the agent's control socket, shared by pandora-agent --reload and pandora-gen
 * --reload, and the answer words both sides use. Never logs. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/control.h"
#include "common/macro.h"
#include "common/string-util.h"

int agent_runtime_path(bool user, const char *unit, const char *name, char **ret) {
        const char *base = user ? getenv("XDG_RUNTIME_DIR") : "/run";
        size_t n = strlen(unit);

        if (!base || base[0] != '/')
                return -ENXIO;
        /* %N: the unit's name without its type suffix. */
        if (string_has_suffix(unit, ".service"))
                n -= strlen(".service");
        if (asprintf(ret, "%s/pandora-agent/%.*s/%s", base, (int) n, unit, name) < 0)
                return -ENOMEM;
        return 0;
}

static const char * const answer_table[_CONTROL_ANSWER_MAX] = {
        [CONTROL_OK] = "OK",
        [CONTROL_FAILED] = "FAILED",
        [CONTROL_RESTART] = "RESTART",
        [CONTROL_BUSY] = "BUSY",
};

const char *control_answer_to_string(ControlAnswer a) {
        return a >= 0 && a < _CONTROL_ANSWER_MAX ? answer_table[a] : NULL;
}

char *control_answer_format(ControlAnswer a, const char *text) {
        char *s;

        if (asprintf(&s, "%s %s", control_answer_to_string(a), text ?: "") < 0)
                return NULL;
        return s;
}

int control_answer_parse(const char *reply, ControlAnswer *ret, const char **ret_text) {
        size_t n = strcspn(reply, " ");

        for (size_t i = 0; i < _CONTROL_ANSWER_MAX; i++)
                if (strlen(answer_table[i]) == n && strncmp(reply, answer_table[i], n) == 0) {
                        *ret = i;
                        *ret_text = reply[n] == ' ' ? reply + n + 1 : reply + n;
                        return 0;
                }
        return -EBADMSG;
}

int control_call(const char *path, const char *request, uint64_t timeout_usec, char **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = timeout_usec / 1000000, .tv_usec = timeout_usec % 1000000 };
        _cleanup_close_ int fd = -1;
        char buf[4096];
        ssize_t n;
        char *reply;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (timeout_usec > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno();
        if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0)
                return negative_errno();
        n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return errno == EAGAIN ? -ETIMEDOUT : negative_errno();
        if (n == 0)
                return -ECONNRESET;
        buf[n] = '\0';
        reply = strdup(buf);
        if (!reply)
                return -ENOMEM;
        *ret = reply;
        return 0;
}
