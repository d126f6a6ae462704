/* SPDX-License-Identifier: MIT */

/* A plain POSIX HTTP server, as a textbook writes one: socket(), SO_REUSEADDR, bind() to
 * INADDR_ANY:3002, listen(), then an accept() loop that answers every connection with one fixed
 * response. It knows nothing of systemd or pandora: test-listen.sh runs it unmodified under a process
 * group that declares listen = [ "3002" ]. */

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 3002

static const char response[] =
        "HTTP/1.0 200 OK\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Length: 12\r\n"
        "\r\n"
        "Hello World\n";

int main(void) {
        struct sockaddr_in addr;
        int server, one = 1;

        server = socket(AF_INET, SOCK_STREAM, 0);
        if (server < 0) {
                perror("socket");
                return EXIT_FAILURE;
        }
        if (setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
                perror("setsockopt");
                return EXIT_FAILURE;
        }
        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
        addr.sin_port = htons(PORT);
        if (bind(server, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
                perror("bind");
                return EXIT_FAILURE;
        }
        if (listen(server, 128) < 0) {
                perror("listen");
                return EXIT_FAILURE;
        }
        printf("listening on port %d\n", PORT);
        fflush(stdout);

        for (;;) {
                char request[4096];
                int client = accept(server, NULL, NULL);

                if (client < 0) {
                        perror("accept");
                        continue;
                }
                /* One read is enough for the requests of the test: a GET without a body. */
                (void) !read(client, request, sizeof(request));
                (void) !write(client, response, sizeof(response) - 1);
                close(client);
        }
}
