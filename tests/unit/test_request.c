/* The handshake request (util/request.h, the public sio_request):
 * headers, cookies, address ranges and the trusted-proxy rule for
 * X-Forwarded-For. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/request.h"

static void test_headers_and_cookies(void **state)
{
    (void)state;
    sio_request *r = sio_request_new();
    assert_non_null(r);
    assert_int_equal(sio_request_add_header(r, "X-Api-Key", 9, "k1", 2), 0);
    assert_int_equal(sio_request_add_header(r, "Cookie", 6, " sid=abc; theme=\"dark blue\" ;e=;x=1=2; sid=second", 49), 0);
    assert_int_equal(sio_request_header_count(r), 2);
    const char *v = NULL;
    assert_string_equal(sio_request_header_at(r, 0, &v), "x-api-key");
    assert_string_equal(v, "k1");
    assert_null(sio_request_header_at(r, 2, &v));
    assert_string_equal(sio_request_header(r, "x-API-key"), "k1");
    assert_null(sio_request_header(r, "authorization"));
    assert_null(sio_request_header(r, NULL));

    struct {
        const char *name, *want;
    } cookies[] = {{"sid", "abc"}, {"theme", "dark blue"}, {"e", ""}, {"x", "1=2"}, {"none", NULL}, {"", NULL},
                   {"si", NULL},   {"d", NULL}};
    for (size_t i = 0; i < sizeof(cookies) / sizeof(cookies[0]); i++) {
        char *c = sio_request_cookie(r, cookies[i].name);
        if (!cookies[i].want && c)
            fail_msg("cookie %s: %s, want none", cookies[i].name, c);
        if (cookies[i].want && (!c || strcmp(c, cookies[i].want) != 0))
            fail_msg("cookie %s: %s, want %s", cookies[i].name, c ? c : "(none)", cookies[i].want);
        free(c);
    }
    /* Empty accessors for a missing request. */
    assert_string_equal(sio_request_address(NULL), "");
    assert_string_equal(sio_request_url(NULL), "");
    assert_null(sio_request_cookie(NULL, "sid"));
    assert_true(sio_request_ref(r) == r);
    sio_request_unref(r);
    sio_request_unref(r);
}

/* A request sealed into one allocation reads the same, refuses changes,
 * and frees with its last reference. */
static void test_sealed(void **state)
{
    (void)state;
    sio_request *r = sio_request_new();
    assert_non_null(r);
    assert_string_equal(sio_request_address(r), "");
    for (int i = 0; i < 20; i++) { /* past the first capacities */
        char name[16], value[64];
        snprintf(name, sizeof(name), "X-H%d", i);
        snprintf(value, sizeof(value), "value number %d of the header", i);
        assert_int_equal(sio_request_add_header(r, name, strlen(name), value, strlen(value)), 0);
    }
    assert_int_equal(sio_request_set(r, &r->address, "10.0.0.1"), 0);
    assert_int_equal(sio_request_set(r, &r->url, "/socket.io/?EIO=4&transport=polling"), 0);
    assert_int_equal(sio_request_set(r, &r->peer, ""), 0);
    r = sio_request_seal(r);
    assert_int_equal(sio_request_header_count(r), 20);
    const char *v = NULL;
    assert_string_equal(sio_request_header_at(r, 19, &v), "x-h19");
    assert_string_equal(v, "value number 19 of the header");
    assert_string_equal(sio_request_header(r, "X-H7"), "value number 7 of the header");
    assert_string_equal(sio_request_address(r), "10.0.0.1");
    assert_string_equal(sio_request_url(r), "/socket.io/?EIO=4&transport=polling");
    assert_int_equal(sio_request_add_header(r, "late", 4, "x", 1), -1);
    assert_int_equal(sio_request_set(r, &r->peer, "10.0.0.2"), -1);
    sio_request_ref(r);
    sio_request_unref(r);
    assert_string_equal(sio_request_header(r, "x-h0"), "value number 0 of the header");
    sio_request_unref(r);

    sio_request *empty = sio_request_seal(sio_request_new());
    assert_int_equal(sio_request_header_count(empty), 0);
    assert_null(sio_request_header(empty, "host"));
    sio_request_unref(empty);
}

static void test_ranges(void **state)
{
    (void)state;
    const char *ranges[] = {"10.0.0.0/8", "192.168.1.7", "::1", "fd00::/8", "172.16.0.0/12"};
    size_t n = sizeof(ranges) / sizeof(ranges[0]);
    const char *in[] = {"10.1.2.3", "192.168.1.7", "::1", "fd12::1", "::ffff:10.9.9.9", "172.31.255.255"};
    const char *out[] = {"11.0.0.1", "192.168.1.8", "::2", "fe80::1", "172.32.0.0", "not an address", "", "10.0.0.1/8"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        if (!sio_addr_in_ranges(in[i], ranges, n))
            fail_msg("%s should be in the ranges", in[i]);
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
        if (sio_addr_in_ranges(out[i], ranges, n))
            fail_msg("%s should not be in the ranges", out[i]);
    assert_false(sio_addr_in_ranges(NULL, ranges, n));

    const char *bad = NULL;
    assert_true(sio_ranges_valid(ranges, n, &bad));
    const char *wrong[] = {"10.0.0.0/33", "::/129", "1.2.3", "10.0.0.0/", "10.0.0.0/8x", "host.example"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        assert_false(sio_ranges_valid(&wrong[i], 1, &bad));
        assert_string_equal(bad, wrong[i]);
    }
    /* /0 takes everything of its family. */
    const char *all4[] = {"0.0.0.0/0"};
    assert_true(sio_addr_in_ranges("8.8.8.8", all4, 1));
}

static void test_forwarded_client(void **state)
{
    (void)state;
    const char *trusted[] = {"127.0.0.1", "10.0.0.0/8"};
    char out[64];
    struct {
        const char *peer, *xff, *want;
    } cases[] = {
        /* An untrusted peer: the header is ignored (anyone can send it). */
        {"203.0.113.9", "1.2.3.4", "203.0.113.9"},
        /* A trusted proxy: the hop before it. */
        {"127.0.0.1", "198.51.100.4", "198.51.100.4"},
        /* Through several trusted hops, the first untrusted from the right. */
        {"127.0.0.1", "6.6.6.6, 198.51.100.4, 10.1.1.1", "198.51.100.4"},
        /* A client lying in the header does not get past its own address. */
        {"127.0.0.1", "10.9.9.9,  198.51.100.4 ", "198.51.100.4"},
        /* Every hop trusted: the leftmost. */
        {"127.0.0.1", "10.0.0.2, 10.0.0.3", "10.0.0.2"},
        /* Garbage: stop at the last good hop. */
        {"127.0.0.1", "junk, 10.0.0.3", "10.0.0.3"},
        {"127.0.0.1", "", "127.0.0.1"},
        {"127.0.0.1", NULL, "127.0.0.1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sio_forwarded_client(cases[i].peer, cases[i].xff, trusted, 2, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("peer %s, X-Forwarded-For %s: %s, want %s", cases[i].peer, cases[i].xff ? cases[i].xff : "(none)",
                     out, cases[i].want);
    }
    /* No trusted proxies: always the peer. */
    sio_forwarded_client("127.0.0.1", "1.2.3.4", NULL, 0, out, sizeof(out));
    assert_string_equal(out, "127.0.0.1");
    /* Truncated to the buffer. */
    char small[4];
    sio_forwarded_client("127.0.0.1", NULL, NULL, 0, small, sizeof(small));
    assert_string_equal(small, "127");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_and_cookies),
        cmocka_unit_test(test_sealed),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_forwarded_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
