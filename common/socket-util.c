/* SPDX-License-Identifier: MIT */

/* Small socket helpers of the agent's sockets for its children (notifications, the listen share). */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/macro.h"
#include "common/socket-util.h"

int socket_bind_abstract(int fd, char **ret_address) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len = sizeof(sa);
        char *address;

        /* Binding with only the family autobinds to a unique abstract name ("\0" + 5 hex digits). */
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa_family_t)) < 0)
                return negative_errno();
        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return negative_errno();
        if (len <= offsetof(struct sockaddr_un, sun_path) + 1 || sa.sun_path[0] != '\0')
                return -EADDRNOTAVAIL;
        /* The name starts with a NUL byte, which NOTIFY_SOCKET spells "@". */
        len -= offsetof(struct sockaddr_un, sun_path);
        address = malloc(len + 1);
        if (!address)
                return -ENOMEM;
        memcpy(address, sa.sun_path, len);
        address[0] = '@';
        address[len] = '\0';
        *ret_address = address;
        return 0;
}
