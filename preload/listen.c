/* SPDX-License-Identifier: MIT */

/* libpandora-listen.so: the listen interposer. The agent puts it in LD_PRELOAD of its children (unless
 * the process says share_listen = false), so that an unmodified server that binds its own port runs
 * as often as its group's scale:
 *
 * - bind() of an address that one of the unit's sockets listens on ($PANDORA_LISTEN, matched as the
 *   kernel would see the conflict) asks the agent for that socket over $PANDORA_LISTEN_SOCKET and puts
 *   it on the app's own fd number (keeping the fd's close-on-exec and the app's O_NONBLOCK): the app
 *   serves the systemd-held socket, which outlives it and every restart, and no bind() fails;
 * - listen() on a shared socket tells the agent the app is listening (readiness) and leaves the
 *   socket's backlog as the socket unit set it; so does the first accept() on one, for programs that
 *   take the socket from fd 3 and never call listen() (it is listening already);
 * - with $PANDORA_LISTEN_REUSEPORT (no `listen`, scale > 1), a TCP bind() to a fixed port sets
 *   SO_REUSEPORT first, so that every instance binds it and the kernel spreads the connections;
 * - a bind() that fails with EADDRINUSE is reported to the agent, which says so in the journal;
 * - while the agent drains this generation (a reload hands over to the next), accept() on a shared
 *   socket takes nothing more, so that the stop that follows cuts no request.
 *
 * Every other call is untouched and costs one branch: accept() checks its socket only until each
 * shared socket was reported once, and read() and write() are not interposed at all, so requests
 * cost nothing extra. Nothing here allocates or uses stdio: it runs
 * inside arbitrary programs. It never decides on its own: the agent (agent/listen/) checks that the
 * asking process is one of its children and hands out the socket. A statically linked program does
 * not load it; it must take its socket from fd 3 (sd_listen_fds(3)). */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/listen-address.h"

#define EXPORT __attribute__((visibility("default")))

/* How long the agent may take to answer: it answers from its event loop at once, unless stuck. */
#define AGENT_TIMEOUT_SEC 5

static ListenAddress shared[LISTEN_ADDRESS_MAX];
static size_t n_shared;
static struct sockaddr_un agent = { .sun_family = AF_UNIX };
static socklen_t agent_len;
static int reuseport;

static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);

/* The drain flag of this process's generation (a byte of a memfd the agent raises before stopping
 * the generation); NULL: none. */
static const volatile char *drain;

/* Which shared sockets this process has told the agent it listens on; fork() copies it. */
static bool told[LISTEN_ADDRESS_MAX];
static size_t n_untold;

static void resolve_real(void) {
        if (!real_bind)
                real_bind = (int (*)(int, const struct sockaddr *, socklen_t)) dlsym(RTLD_NEXT, "bind");
        if (!real_listen)
                real_listen = (int (*)(int, int)) dlsym(RTLD_NEXT, "listen");
        if (!real_accept)
                real_accept = (int (*)(int, struct sockaddr *, socklen_t *)) dlsym(RTLD_NEXT, "accept");
        if (!real_accept4)
                real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int)) dlsym(RTLD_NEXT, "accept4");
}

/* Maps the drain flag. The fd stays open, at the same number, for the programs this one starts (npm
 * starting node): each maps it too. */
static void drain_init(void) {
        const char *e = getenv("PANDORA_LISTEN_DRAIN_FD");
        char *end;
        long fd;
        void *p;

        if (!e)
                return;
        fd = strtol(e, &end, 10);
        if (end == e || *end || fd < 3 || fd > 65535)
                return;
        p = mmap(NULL, 1, PROT_READ, MAP_SHARED, (int) fd, 0);
        if (p != MAP_FAILED)
                drain = p;
}

/* Reads the environment once, before main(): the app may change it later. */
__attribute__((constructor)) static void listen_init(void) {
        const char *list = getenv("PANDORA_LISTEN"), *socket = getenv("PANDORA_LISTEN_SOCKET");
        size_t n;
        int r;

        resolve_real();
        if (!socket || (socket[0] != '@' && socket[0] != '/'))
                return;
        n = strlen(socket);
        if (n >= sizeof(agent.sun_path))
                return;
        memcpy(agent.sun_path, socket, n);
        if (socket[0] == '@')
                agent.sun_path[0] = '\0';
        agent_len = offsetof(struct sockaddr_un, sun_path) + n + (socket[0] == '/');
        r = listen_address_parse_list(list, shared, LISTEN_ADDRESS_MAX);
        n_shared = r > 0 ? (size_t) r : 0;
        n_untold = n_shared;
        reuseport = getenv("PANDORA_LISTEN_REUSEPORT") != NULL;
        drain_init();
}

/* Sends request to the agent and waits for its answer; with ret_fd, the answer must carry an fd.
 * Returns 0 when the agent said "OK", -1 otherwise (errno untouched by the caller's measure). */
static int ask_agent(const char *request, int *ret_fd) {
        union {
                struct cmsghdr align;
                char data[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct timeval tv = { .tv_sec = AGENT_TIMEOUT_SEC };
        char answer[64];
        struct iovec iov = { .iov_base = answer, .iov_len = sizeof(answer) - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        struct cmsghdr *cmsg;
        ssize_t n;
        int fd = -1, s;

        s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (s < 0)
                return -1;
        (void) setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void) setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(s, (struct sockaddr *) &agent, agent_len) < 0 ||
            send(s, request, strlen(request), MSG_NOSIGNAL) < 0 ||
            (n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC)) <= 0) {
                close(s);
                return -1;
        }
        close(s);
        for (cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg))
                if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
                    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
        answer[n] = '\0';
        if (strcmp(answer, "OK") != 0 || (ret_fd && fd < 0)) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if (ret_fd)
                *ret_fd = fd;
        else if (fd >= 0)
                close(fd);
        return 0;
}

/* Tells the agent "VERB ADDRESS" or "VERB INDEX ADDRESS" (index < 0: none), keeping errno. */
static int tell_agent(const char *verb, long index, const ListenAddress *a, int *ret_fd) {
        char text[LISTEN_ADDRESS_TEXT_MAX], request[LISTEN_ADDRESS_TEXT_MAX + 64];
        int saved = errno, r;

        listen_address_to_string(a, text, sizeof(text));
        if (index >= 0)
                snprintf(request, sizeof(request), "%s %ld %s", verb, index, text);
        else
                snprintf(request, sizeof(request), "%s %s", verb, text);
        r = ask_agent(request, ret_fd);
        errno = saved;
        return r;
}

/* Puts shared socket i on fd in place of the app's unbound socket. */
static int take_shared(int fd, size_t i, const ListenAddress *app) {
        int flags = fcntl(fd, F_GETFL), fd_flags = fcntl(fd, F_GETFD), socket_fd, saved = errno;

        if (flags < 0 || fd_flags < 0 || tell_agent("BIND", (long) i, app, &socket_fd) < 0)
                return -1;
        if (dup3(socket_fd, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
                close(socket_fd);
                return -1;
        }
        close(socket_fd);
        /* O_NONBLOCK belongs to the socket, shared by every instance of the group: all run the same
         * program, so they agree; libuv and asyncio need it, a blocking accept() loop must not get it. */
        int shared_flags = fcntl(fd, F_GETFL);
        if (shared_flags >= 0 && (shared_flags & O_NONBLOCK) != (flags & O_NONBLOCK))
                (void) fcntl(fd, F_SETFL, (shared_flags & ~O_NONBLOCK) | (flags & O_NONBLOCK));
        errno = saved;
        return 0;
}

static int app_address(int fd, const struct sockaddr *sa, socklen_t len, ListenAddress *ret) {
        int type = 0, v6only = 0;
        socklen_t n = sizeof(type);

        if (!sa || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &n) < 0)
                return -1;
        n = sizeof(v6only);
        if (sa->sa_family == AF_INET6 && getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &n) < 0)
                return -1;
        return listen_address_from_sockaddr(sa, len, type, v6only, ret) < 0 ? -1 : 0;
}

EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len) {
        ListenAddress app;
        bool known, spread = false;
        int r;

        resolve_real();
        if (agent_len == 0)
                return real_bind(fd, sa, len);
        known = app_address(fd, sa, len, &app) == 0;
        for (size_t i = 0; known && i < n_shared; i++)
                if (listen_address_match(&shared[i], &app))
                        return take_shared(fd, i, &app) == 0 ? 0 : real_bind(fd, sa, len);
        if (known && reuseport && app.type == SOCK_STREAM && app.family != AF_UNIX && app.port != 0) {
                int one = 1, saved = errno;

                spread = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0;
                errno = saved;
        }
        r = real_bind(fd, sa, len);
        if (known && r < 0 && errno == EADDRINUSE)
                (void) tell_agent("INUSE", -1, &app, NULL);
        else if (spread && r == 0)
                (void) tell_agent("REUSEPORT", -1, &app, NULL);
        return r;
}

/* The index of the shared socket fd is, or -1. */
static long shared_index(int fd) {
        struct stat st;
        int saved = errno;

        if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
                errno = saved;
                return -1;
        }
        for (size_t i = 0; i < n_shared; i++)
                if (shared[i].inode == (uint64_t) st.st_ino)
                        return (long) i;
        return -1;
}

static void tell_listening(size_t i) {
        if (told[i])
                return;
        told[i] = true;
        n_untold--;
        (void) tell_agent("LISTEN", (long) i, &shared[i], NULL);
}

EXPORT int listen(int fd, int backlog) {
        long i;

        resolve_real();
        if (n_shared > 0 && (i = shared_index(fd)) >= 0) {
                /* Already listening, with the socket unit's Backlog=. */
                tell_listening(i);
                return 0;
        }
        return real_listen(fd, backlog);
}

/* A server that took its socket from fd 3 and accepts without listen(): that is its readiness. */
static void check_accept(int fd) {
        long i;

        if (n_untold > 0 && (i = shared_index(fd)) >= 0)
                tell_listening(i);
}

/* While this generation drains, it accepts nothing more on a shared socket: the new generation does.
 * An event loop (O_NONBLOCK) is told there is nothing to accept (EAGAIN); a blocking accept() waits for
 * a signal (the SIGTERM that ends the drain) and fails with EINTR, so that the app's handler runs.
 * Returns the errno accept() must fail with, or 0 to accept. */
static int drained(int fd) {
        int flags;

        if (!drain || !*drain || shared_index(fd) < 0)
                return 0;
        flags = fcntl(fd, F_GETFL);
        if (flags >= 0 && (flags & O_NONBLOCK))
                return EAGAIN;
        pause();
        return EINTR;
}

EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len) {
        int e;

        resolve_real();
        check_accept(fd);
        if ((e = drained(fd)) > 0) {
                errno = e;
                return -1;
        }
        return real_accept(fd, sa, len);
}

EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags) {
        int e;

        resolve_real();
        check_accept(fd);
        if ((e = drained(fd)) > 0) {
                errno = e;
                return -1;
        }
        return real_accept4(fd, sa, len, flags);
}
