/* Origin checks: the allow-list, and which requests are same-origin (this
 * server itself, by its own name or address and port: not a DNS-rebinding
 * page whose Host matches its Origin). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

/* A pattern's wildcard is exactly one label at the front of the host; the
 * scheme, the rest of the host and the port must be the pattern's. */
static void test_patterns(void **state)
{
    (void)state;
    static const char *const list[] = {"https://*.example.com", "http://*.localhost:3000"};
    eio_cors c = {.origins = list, .n_origins = 2, .port = 3000, .own_addrs = own, .n_own_addrs = 2};
    expect(&c, "https://a.example.com", "api.example", EIO_CORS_ALLOWED);
    expect(&c, "https://app-1.example.com", "api.example", EIO_CORS_ALLOWED);
    expect(&c, "https://xn--bcher-kva.example.com", "api.example", EIO_CORS_ALLOWED);
    expect(&c, "HTTPS://A.Example.COM", "api.example", EIO_CORS_ALLOWED); /* names are case-blind */
    /* One label only, and not the bare domain. */
    expect(&c, "https://a.b.example.com", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://example.com", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://.example.com", "api.example", EIO_CORS_FORBIDDEN);
    /* Look-alikes. */
    expect(&c, "https://example.com.evil.net", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a.example.com.evil.net", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://evilexample.com", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a.evilexample.com", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a.example.comm", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a.example.com.", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a.example.com/", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://x@a.example.com", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a:1.example.com", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a%2e.example.com", "api.example", EIO_CORS_FORBIDDEN);
    /* Another scheme or port. */
    expect(&c, "http://a.example.com", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "wss://a.example.com", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a.example.com:8443", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "https://a.example.com:443", "api.example", EIO_CORS_FORBIDDEN); /* not as browsers send it */
    /* A port in the pattern must be the origin's. */
    expect(&c, "http://app.localhost:3000", "api.example", EIO_CORS_ALLOWED);
    expect(&c, "http://app.localhost:3001", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "http://app.localhost", "api.example", EIO_CORS_FORBIDDEN);
    expect(&c, "http://app.localhost:30000", "api.example", EIO_CORS_FORBIDDEN);
    /* The same-origin rule still holds next to patterns. */
    expect(&c, "http://localhost:3000", "localhost:3000", EIO_CORS_SAME_ORIGIN);
    /* The answer names the origin, never the pattern. */
    assert_string_equal(eio_cors_allow_origin(&c, "https://a.example.com"), "https://a.example.com");

    /* A '*' anywhere but the whole first label is no wildcard. */
    static const char *const odd[] = {"https://*example.com", "https://a.*.example.com", "*.example.com",
                                      "https://*.*.example.com", "://*.example.com", "https://*.",
                                      "ht*ps://*.example.com", "https://*", "https://*.example.*"};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        const char *probes[] = {"https://a.example.com", "https://aexample.com", "https://a.b.example.com",
                                "https://a.", "https://x", "https://a.example.x"};
        for (size_t j = 0; j < sizeof(probes) / sizeof(probes[0]); j++)
            if (eio_cors_pattern_match(odd[i], probes[j]))
                fail_msg("%s matched %s", odd[i], probes[j]);
    }
    /* An exact entry is no pattern either. */
    assert_false(eio_cors_pattern_match("https://a.example.com", "https://a.example.com"));
    assert_true(eio_cors_pattern_match("https://*.example.com", "https://a.example.com"));
}

/* The application's filter, asked about what nothing else allows. */
typedef struct filter_calls {
    int n;
    char last[128];
} filter_calls;

static bool allow_tenants(const char *origin, void *user)
{
    filter_calls *calls = user;
    calls->n++;
    snprintf(calls->last, sizeof(calls->last), "%s", origin);
    return strcmp(origin, "https://tenant.example") == 0;
}

static void test_filter(void **state)
{
    (void)state;
    static const char *const list[] = {"https://app.example", "https://*.example.com"};
    filter_calls calls = {0};
    eio_cors c = {.origins = list, .n_origins = 2, .port = 3000, .own_addrs = own, .n_own_addrs = 2,
                  .filter = allow_tenants, .filter_user = &calls};
    expect(&c, "https://tenant.example", "api.example", EIO_CORS_ALLOWED);
    assert_int_equal(calls.n, 1);
    assert_string_equal(calls.last, "https://tenant.example");
    expect(&c, "https://other.example", "api.example", EIO_CORS_FORBIDDEN);
    assert_int_equal(calls.n, 2);
    assert_string_equal(calls.last, "https://other.example");
    expect(&c, "null", "api.example", EIO_CORS_FORBIDDEN);
    assert_int_equal(calls.n, 3);
    assert_string_equal(calls.last, "null");
    /* Not asked when the list or the same-origin rule decides, nor without an
     * Origin, nor for an invalid one. */
    expect(&c, "https://app.example", "api.example", EIO_CORS_ALLOWED);
    expect(&c, "https://a.example.com", "api.example", EIO_CORS_ALLOWED);
    expect(&c, "http://localhost:3000", "localhost:3000", EIO_CORS_SAME_ORIGIN);
    expect(&c, NULL, "api.example", EIO_CORS_NO_ORIGIN);
    expect(&c, "https://tenant.example\r", "api.example", EIO_CORS_BAD_ORIGIN);
    assert_int_equal(calls.n, 3);
    /* What it allows is answered with the origin itself, and credentials
     * as configured. */
    assert_string_equal(eio_cors_allow_origin(&c, "https://tenant.example"), "https://tenant.example");
    /* With "*" listed, the filter is never needed. */
    static const char *const any[] = {"*"};
    eio_cors star = {.origins = any, .n_origins = 1, .filter = allow_tenants, .filter_user = &calls};
    expect(&star, "https://other.example", "api.example", EIO_CORS_ALLOWED);
    assert_int_equal(calls.n, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_same_origin),
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_filter),
    };
    return cmocka_run_group_tests_name("eio cors", tests, NULL, NULL);
}
