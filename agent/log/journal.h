/* SPDX-License-Identifier: MIT */
#pragma once

/* The journal's native socket, written without ever waiting: a datagram the journal can't take now is
 * refused with -EAGAIN, and the caller (log.c) keeps it and waits for the socket to be writable on its
 * event loop. The datagrams are journald's native protocol, as sd_journal_sendv() writes them, built
 * field by field with journal_field_write(). No logging, no event loop, no policy. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* journald's socket for native clients. */
#define JOURNAL_SOCKET_PATH "/run/systemd/journal/socket"

/* journald's socket for stream clients (a unit's StandardOutput=journal, sd_journal_stream_fd(3)). */
#define JOURNAL_STREAM_PATH "/run/systemd/journal/stdout"

typedef struct JournalSocket {
        int fd;                 /* connected, non-blocking; -1: not connected */
        const char *path;       /* NULL: JOURNAL_SOCKET_PATH (a test's fake journal otherwise) */
} JournalSocket;

#define JOURNAL_SOCKET_INIT { .fd = -1 }

/* One field of an entry: its name, and its value as bytes (any bytes, NUL and newlines included). */
typedef struct JournalField {
        const char *name;
        size_t name_size;
        const void *value;
        size_t value_size;
} JournalField;

/* The bytes journal_field_write() writes for f. */
size_t journal_field_size(const JournalField *f);

/* Writes f at p as the native protocol has it: "NAME=value\n", or, for a value holding a newline,
 * "NAME\n", the value's size as 64-bit little endian, the value and "\n". Returns where the value was
 * written; *ret_end is set past the field. */
char *journal_field_write(char *p, const JournalField *f, char **ret_end);

/* Sends one datagram without waiting, connecting first when not connected; a datagram too large for a
 * socket buffer goes as a sealed memfd, as sd_journal_sendv() sends it. Returns 0; -EAGAIN when the
 * journal can't take it now (wait for j->fd to be writable, then try again); -ENOTCONN when the socket
 * we are connected to is gone (journald's was made anew: remove any watch on j->fd, close, send again);
 * another negative errno when there is no journal to send to. */
int journal_socket_send(JournalSocket *j, const void *data, size_t size);

/* Waits at most timeout_ms (-1: without limit) for the socket to take a datagram. Returns 1 when it
 * can, 0 on timeout, or a negative errno. */
int journal_socket_wait(JournalSocket *j, int timeout_ms);

/* Closes the socket; a watch on it must be gone first. */
void journal_socket_close(JournalSocket *j);

/* Opens a journal stream, as sd_journal_stream_fd(3) does (identifier, priority, level prefix on), for a
 * child to write to directly: journald then reads its lines as it reads a unit's stdout, about twice as
 * cheaply per line as native datagrams. unit: the unit the lines belong to, as systemd names it in the
 * streams it makes for units (journald takes it from root only, and uses it when the writer has exited
 * before its lines are read: without it they would have no _SYSTEMD_UNIT and none of the unit's
 * LogExtraFields=); NULL: none. path: NULL for journald's. Never waits: a journald whose listen queue is
 * full gives -EAGAIN. The descriptor is blocking (the child's writes wait for journald) and
 * close-on-exec. Returns 0 and the descriptor in *ret_fd, or a negative errno. */
int journal_stream_open(const char *path, const char *identifier, const char *unit, int priority, int *ret_fd);

/* Whether journald has read everything written to the stream fd so far (SIOCOUTQ is 0). Returns 1 when it
 * has, 0 when bytes are still unread, or a negative errno. */
int journal_stream_is_read(int fd);
