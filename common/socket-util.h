/* SPDX-License-Identifier: MIT */
#pragma once

/* Binds the AF_UNIX socket fd to a unique abstract name the kernel picks (autobind) and returns the
 * name as NOTIFY_SOCKET and $PANDORA_LISTEN_SOCKET spell it: "@" and the name. Returns 0 or a negative
 * errno. */
int socket_bind_abstract(int fd, char **ret_address);
