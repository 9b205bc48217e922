/* Origin checks: the allow-list, and which requests are same-origin (this
 * server itself, by its own name or address and port: not a DNS-rebinding
 * page whose Host matches its Origin). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "eio/eio_cors.h"

static const char *const own[] = {"192.0.2.7", "2001:db8::7"};

static void expect(const eio_cors *c, const char *origin, const char *host, eio_cors_verdict want)
{
    eio_cors_verdict v = eio_cors_check(c, origin, host);
    if (v != want)
        fail_msg("Origin %s, Host %s: verdict %d, want %d", origin ? origin : "(none)", host ? host : "(none)",
                 v, want);
}

static void test_allow_list(void **state)
{
    (void)state;
    static const char *const list[] = {"https://app.example"};
    eio_cors c = {.origins = list, .n_origins = 1, .port = 3000, .own_addrs = own, .n_own_addrs = 2};
    expect(&c, NULL, "localhost:3000", EIO_CORS_NO_ORIGIN);
    expect(&c, "https://app.example", "api.example", EIO_CORS_ALLOWED);
    expect(&c, "https://app.example:443", "api.example", EIO_CORS_FORBIDDEN); /* not as listed */
    expect(&c, "http://app.example", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://evil.example", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://app.example\n", "api.example", EIO_CORS_BAD_ORIGIN);
    static const char *const any[] = {"*"};
    eio_cors star = {.origins = any, .n_origins = 1};
    expect(&star, "https://whatever.example", "x", EIO_CORS_ALLOWED);
}

static void test_same_origin(void **state)
{
    (void)state;
    eio_cors c = {.port = 3000, .own_addrs = own, .n_own_addrs = 2};
    /* This server, by a loopback name or address, or one of its own. */
    expect(&c, "http://localhost:3000", "localhost:3000", EIO_CORS_SAME_ORIGIN);
    expect(&c, "http://LocalHost:3000", "localhost:3000", EIO_CORS_SAME_ORIGIN);
    expect(&c, "http://127.0.0.1:3000", "127.0.0.1:3000", EIO_CORS_SAME_ORIGIN);
    expect(&c, "http://127.1.2.3:3000", "127.1.2.3:3000", EIO_CORS_SAME_ORIGIN);
    expect(&c, "http://[::1]:3000", "[::1]:3000", EIO_CORS_SAME_ORIGIN);
    expect(&c, "http://192.0.2.7:3000", "192.0.2.7:3000", EIO_CORS_SAME_ORIGIN);
    expect(&c, "https://[2001:db8::7]:3000", "[2001:db8::7]:3000", EIO_CORS_SAME_ORIGIN);
    /* A DNS-rebinding page: its own name, resolved to this machine. */
    expect(&c, "http://evil.example:3000", "evil.example:3000", EIO_CORS_FORBIDDEN);
    /* Another machine's address, another port, another scheme. */
    expect(&c, "http://198.51.100.1:3000", "198.51.100.1:3000", EIO_CORS_FORBIDDEN);
    expect(&c, "http://localhost:4000", "localhost:4000", EIO_CORS_FORBIDDEN);
    expect(&c, "http://localhost", "localhost", EIO_CORS_FORBIDDEN); /* port 80 */
    expect(&c, "ws://localhost:3000", "localhost:3000", EIO_CORS_FORBIDDEN);
    expect(&c, "null", "localhost:3000", EIO_CORS_FORBIDDEN);
    /* Origin and Host must name the same authority. */
    expect(&c, "http://localhost:3000", "127.0.0.1:3000", EIO_CORS_FORBIDDEN);
    expect(&c, "http://localhost:3000/", "localhost:3000", EIO_CORS_FORBIDDEN);
    /* Malformed ports and brackets. */
    expect(&c, "http://localhost:3x", "localhost:3x", EIO_CORS_FORBIDDEN);
    expect(&c, "http://localhost:", "localhost:", EIO_CORS_FORBIDDEN);
    expect(&c, "http://[::1", "[::1", EIO_CORS_FORBIDDEN);
    expect(&c, "http://[::1]x", "[::1]x", EIO_CORS_FORBIDDEN);
    expect(&c, "http://:3000", ":3000", EIO_CORS_FORBIDDEN);
    /* The scheme's default port when none is written. */
    eio_cors web = {.port = 80};
    expect(&web, "http://localhost", "localhost", EIO_CORS_SAME_ORIGIN);
    expect(&web, "https://localhost", "localhost", EIO_CORS_FORBIDDEN); /* 443 */
    /* No port known: nothing is same-origin. */
    eio_cors none = {0};
    expect(&none, "http://localhost:3000", "localhost:3000", EIO_CORS_FORBIDDEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_same_origin),
    };
    return cmocka_run_group_tests_name("eio cors", tests, NULL, NULL);
}
