/* SPDX-License-Identifier: MIT */

/* The listen interposer's address matching (common/listen-address.c) and the agent's request parser
 * (agent/listen/share.c): which app bind()s get a shared socket, table-driven. */

#include "test-util.h"

#include <arpa/inet.h>

#include "agent/listen/share.h"
#include "common/listen-address.h"

/* An address from its $PANDORA_LISTEN line ("TYPE INODE V6ONLY ADDRESS"). */
static ListenAddress address(const char *line) {
        ListenAddress a;

        if (listen_address_parse_list(line, &a, 1) != 1)
                fail_msg("can't parse '%s'", line);
        return a;
}

/* Whether a bind() described by app_line gets the socket of shared_line. */
static void test_match_one(const char *shared_line, const char *app_line, bool expected) {
        ListenAddress shared = address(shared_line), app = address(app_line);

        if (listen_address_match(&shared, &app) != expected)
                fail_msg("socket '%s', bind '%s': expected %s", shared_line, app_line,
                         expected ? "a match" : "no match");
}

static void test_match_ipv4(void **state _unused_) {
        test_match_one("stream 1 0 0.0.0.0:3000", "stream 0 0 0.0.0.0:3000", true);
        test_match_one("stream 1 0 0.0.0.0:3000", "stream 0 0 127.0.0.1:3000", true);
        test_match_one("stream 1 0 127.0.0.1:3000", "stream 0 0 0.0.0.0:3000", true);
        test_match_one("stream 1 0 127.0.0.1:3000", "stream 0 0 127.0.0.1:3000", true);
        test_match_one("stream 1 0 127.0.0.1:3000", "stream 0 0 127.0.0.2:3000", false);
        test_match_one("stream 1 0 0.0.0.0:3000", "stream 0 0 0.0.0.0:3001", false);
        /* Port 0 asks the kernel for any free port: never the shared one. */
        test_match_one("stream 1 0 0.0.0.0:3000", "stream 0 0 0.0.0.0:0", false);
}

static void test_match_ipv6_dual_stack(void **state _unused_) {
        /* systemd's ListenStream=3000: [::]:3000 without IPV6_V6ONLY takes IPv4 too. */
        test_match_one("stream 1 0 [::]:3000", "stream 0 0 [::]:3000", true);
        test_match_one("stream 1 0 [::]:3000", "stream 0 0 0.0.0.0:3000", true);
        test_match_one("stream 1 0 [::]:3000", "stream 0 0 127.0.0.1:3000", true);
        test_match_one("stream 1 0 [::]:3000", "stream 0 0 [::1]:3000", true);
        test_match_one("stream 1 0 [::]:3000", "stream 0 0 [::ffff:127.0.0.1]:3000", true);
        /* BindIPv6Only=ipv6-only: IPv4 binds are not in its way. */
        test_match_one("stream 1 1 [::]:3000", "stream 0 0 127.0.0.1:3000", false);
        test_match_one("stream 1 1 [::]:3000", "stream 0 0 [::1]:3000", true);
        /* A specific IPv6 address overlaps no IPv4 one; a v4-mapped one is its IPv4 address. */
        test_match_one("stream 1 0 [::1]:3000", "stream 0 0 0.0.0.0:3000", false);
        test_match_one("stream 1 0 [::1]:3000", "stream 0 0 [::]:3000", true);
        test_match_one("stream 1 0 [::ffff:127.0.0.1]:3000", "stream 0 0 127.0.0.1:3000", true);
        /* An app's dual-stack [::] overlaps an IPv4 socket; a v6-only one does not. */
        test_match_one("stream 1 0 0.0.0.0:3000", "stream 0 0 [::]:3000", true);
        test_match_one("stream 1 0 0.0.0.0:3000", "stream 0 1 [::]:3000", false);
}

static void test_match_type_and_unix(void **state _unused_) {
        test_match_one("stream 1 0 0.0.0.0:53", "dgram 0 0 0.0.0.0:53", false);
        test_match_one("dgram 1 0 0.0.0.0:53", "dgram 0 0 127.0.0.1:53", true);
        test_match_one("stream 1 0 /run/app.sock", "stream 0 0 /run/app.sock", true);
        test_match_one("stream 1 0 /run/app.sock", "stream 0 0 /run/other.sock", false);
        test_match_one("stream 1 0 /run/app.sock", "seqpacket 0 0 /run/app.sock", false);
        test_match_one("stream 1 0 @app", "stream 0 0 @app", true);
        test_match_one("stream 1 0 /run/app.sock", "stream 0 0 0.0.0.0:3000", false);
}

static void test_wider(void **state _unused_) {
        ListenAddress any = address("stream 1 0 [::]:3000"), local = address("stream 0 0 127.0.0.1:3000");
        ListenAddress v4any = address("stream 0 0 0.0.0.0:3000");

        assert_true(listen_address_wider(&any, &local));
        /* [::] also takes IPv6, which 0.0.0.0 did not ask for. */
        assert_true(listen_address_wider(&any, &v4any));
        assert_false(listen_address_wider(&any, &any));
        assert_false(listen_address_wider(&local, &local));
}

static void test_from_sockaddr(void **state _unused_) {
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(8080) };
        struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "\0abstract" };
        char text[LISTEN_ADDRESS_TEXT_MAX], line[LISTEN_ADDRESS_TEXT_MAX + 32];
        ListenAddress a, back;

        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(listen_address_from_sockaddr((struct sockaddr *) &in, sizeof(in), SOCK_STREAM, false, &a), 0);
        listen_address_to_string(&a, text, sizeof(text));
        assert_string_equal(text, "127.0.0.1:8080");
        a.inode = 4711;
        assert_true(listen_address_format(&a, line, sizeof(line)) > 0);
        assert_string_equal(line, "stream 4711 0 127.0.0.1:8080");
        assert_int_equal(listen_address_parse_list(line, &back, 1), 1);
        assert_int_equal(back.inode, 4711);
        assert_true(listen_address_match(&a, &back));

        assert_int_equal(listen_address_from_sockaddr((struct sockaddr *) &un,
                                                      offsetof(struct sockaddr_un, sun_path) + 9, SOCK_STREAM,
                                                      false, &a), 0);
        assert_string_equal(a.path, "@abstract");
        /* A short length, an unknown type. */
        assert_int_equal(listen_address_from_sockaddr((struct sockaddr *) &in, 4, SOCK_STREAM, false, &a), -EINVAL);
        assert_int_equal(listen_address_from_sockaddr((struct sockaddr *) &in, sizeof(in), SOCK_RAW, false, &a),
                         -EINVAL);
}

static void test_parse_list(void **state _unused_) {
        ListenAddress list[3];

        assert_int_equal(listen_address_parse_list("stream 1 0 [::]:80\nstream 2 0 /run/x.sock", list, 3), 2);
        assert_int_equal(list[0].port, 80);
        assert_string_equal(list[1].path, "/run/x.sock");
        assert_int_equal(listen_address_parse_list("", list, 3), 0);
        assert_int_equal(listen_address_parse_list("stream 1 0 [::]:80\nbogus", list, 3), -EINVAL);
        assert_int_equal(listen_address_parse_list("stream x 0 [::]:80", list, 3), -EINVAL);
        assert_int_equal(listen_address_parse_list("stream 1 0 [::]:70000", list, 3), -EINVAL);
        assert_int_equal(listen_address_parse_list("stream 1 0 999.0.0.1:80", list, 3), -EINVAL);
}

static void test_request_parse(void **state _unused_) {
        ListenRequest request;
        ListenAddress app;
        size_t index;

        assert_int_equal(listen_request_parse("BIND 1 127.0.0.1:3000", 2, &request, &index, &app), 0);
        assert_int_equal(request, LISTEN_REQUEST_BIND);
        assert_int_equal(index, 1);
        assert_int_equal(app.port, 3000);
        assert_int_equal(listen_request_parse("INUSE [::]:3010", 0, &request, &index, &app), 0);
        assert_int_equal(request, LISTEN_REQUEST_IN_USE);
        assert_int_equal(index, (size_t) -1);
        assert_int_equal(listen_request_parse("REUSEPORT 0.0.0.0:8000", 0, &request, &index, &app), 0);
        assert_int_equal(request, LISTEN_REQUEST_REUSEPORT);
        /* An index past the unit's sockets, an unknown verb, no address. */
        assert_int_equal(listen_request_parse("BIND 2 127.0.0.1:3000", 2, &request, &index, &app), -EINVAL);
        assert_int_equal(listen_request_parse("GIVE 0 127.0.0.1:3000", 2, &request, &index, &app), -EINVAL);
        assert_int_equal(listen_request_parse("LISTEN 0", 2, &request, &index, &app), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_match_ipv4),
                cmocka_unit_test(test_match_ipv6_dual_stack),
                cmocka_unit_test(test_match_type_and_unix),
                cmocka_unit_test(test_wider),
                cmocka_unit_test(test_from_sockaddr),
                cmocka_unit_test(test_parse_list),
                cmocka_unit_test(test_request_parse),
        };

        return cmocka_run_group_tests_name("listen-address", tests, NULL, NULL);
}
