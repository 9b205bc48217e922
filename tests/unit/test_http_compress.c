/* Compressed polling responses and the handshake cookie, without I/O
 * (transport/http_compress.h, transport/http_cookie.h): the encoding
 * negotiated from Accept-Encoding and the Set-Cookie value, each against
 * what Node's engine.io 6.6 answers (its `accepts` / `negotiator` and
 * `cookie` packages, run on the same inputs), and bodies that zlib reads
 * back intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "transport/http_compress.h"
#include "transport/http_cookie.h"

static void test_negotiation(void **state)
{
    (void)state;
    static const struct {
        const char *ae;
        http_encoding want;
    } cases[] = {
        {"gzip, deflate, br", HTTP_ENC_GZIP},
        {"deflate", HTTP_ENC_DEFLATE},
        {"br", HTTP_ENC_IDENTITY},
        {"gzip;q=0, deflate;q=0.5", HTTP_ENC_DEFLATE},
        {"*", HTTP_ENC_GZIP},
        {"*;q=0.2, gzip;q=0.1", HTTP_ENC_DEFLATE},
        {"identity", HTTP_ENC_IDENTITY},
        {"gzip;q=0.5, deflate;q=0.5", HTTP_ENC_GZIP},
        {"deflate, gzip", HTTP_ENC_DEFLATE},
        {" DEFLATE ;q=0.9 , Gzip;q=0.8", HTTP_ENC_DEFLATE},
        {"gzip;q=bad", HTTP_ENC_IDENTITY},
        {"", HTTP_ENC_IDENTITY},
        {NULL, HTTP_ENC_IDENTITY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_encoding got = http_pick_encoding(cases[i].ae);
        if (got != cases[i].want)
            fail_msg("Accept-Encoding \"%s\": %d, want %d", cases[i].ae ? cases[i].ae : "(none)", got,
                     cases[i].want);
    }
    assert_string_equal(http_encoding_name(HTTP_ENC_GZIP), "gzip");
    assert_string_equal(http_encoding_name(HTTP_ENC_DEFLATE), "deflate");
    assert_null(http_encoding_name(HTTP_ENC_IDENTITY));
}

/* zlib reads back what was written (gzip and zlib wrappers detected). */
static void inflate_back(const sio_buf *z, const unsigned char *want, size_t n)
{
    unsigned char *out = malloc(n + 16);
    z_stream s = {0};
    assert_int_equal(inflateInit2(&s, 15 + 32), Z_OK);
    s.next_in = z->data;
    s.avail_in = (uInt)z->len;
    s.next_out = out;
    s.avail_out = (uInt)(n + 16);
    assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
    assert_int_equal(s.total_out, n);
    assert_memory_equal(out, want, n);
    inflateEnd(&s);
    free(out);
}

static void test_compress_round_trip(void **state)
{
    (void)state;
    http_encoder enc = {0};
    sio_buf z;
    sio_buf_init(&z, 0);
    size_t n = 20000;
    unsigned char *body = malloc(n);
    for (size_t i = 0; i < n; i++)
        body[i] = (unsigned char)("42[\"message\",\"hello\"]\x1e"[i % 23]);
    /* Each encoding twice: the streams are reused. */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(http_compress(&enc, HTTP_ENC_GZIP, body, n, &z), 0);
        assert_true(z.len < n / 10);
        assert_int_equal(z.data[0], 0x1f); /* the gzip magic */
        assert_int_equal(z.data[1], 0x8b);
        inflate_back(&z, body, n);
        assert_int_equal(http_compress(&enc, HTTP_ENC_DEFLATE, body, n, &z), 0);
        assert_int_equal(z.data[0] & 0x0f, 8); /* a zlib header: method deflate */
        assert_int_equal(((z.data[0] << 8) | z.data[1]) % 31, 0);
        inflate_back(&z, body, n);
    }
    /* Incompressible bytes still come back. */
    for (size_t i = 0; i < n; i++)
        body[i] = (unsigned char)(i * 2654435761u >> 13);
    assert_int_equal(http_compress(&enc, HTTP_ENC_GZIP, body, n, &z), 0);
    inflate_back(&z, body, n);
    assert_int_equal(http_compress(&enc, HTTP_ENC_IDENTITY, body, n, &z), -1);
    free(body);
    sio_buf_free(&z);
    http_encoder_free(&enc);
    http_encoder_free(&enc); /* twice is fine */
}

static void expect_cookie(const http_cookie *c, const char *value, const char *want)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_true(http_cookie_valid(c, NULL));
    assert_int_equal(http_cookie_write(c, value, &b), 0);
    assert_int_equal(sio_buf_putc(&b, 0), 0);
    assert_string_equal((const char *)b.data, want);
    sio_buf_free(&b);
}

static void test_cookie(void **state)
{
    (void)state;
    /* engine.io's `cookie: true`. */
    http_cookie io = {.name = "io", .path = "/", .same_site = "lax", .http_only = true};
    expect_cookie(&io, "abc123", "io=abc123; Path=/; HttpOnly; SameSite=Lax");
    http_cookie all = {.name = "sid", .path = "/app", .domain = "example.com", .same_site = "strict",
                       .secure = true, .max_age = 3600};
    expect_cookie(&all, "X-y_z", "sid=X-y_z; Max-Age=3600; Domain=example.com; Path=/app; Secure; SameSite=Strict");
    http_cookie none = {.name = "io", .path = "/", .same_site = "None", .http_only = true, .max_age = 86400};
    expect_cookie(&none, "abc", "io=abc; Max-Age=86400; Path=/; HttpOnly; SameSite=None");
    http_cookie bare = {.name = "io"};
    expect_cookie(&bare, "s", "io=s");

    static const http_cookie bad[] = {
        {.name = "a b"}, {.name = "a;b"}, {.name = ""}, {.name = "io", .path = "/x;y"},
        {.name = "io", .domain = "a\nb"}, {.name = "io", .same_site = "sometimes"}, {.name = "io", .max_age = -1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *what = NULL;
        assert_false(http_cookie_valid(&bad[i], &what));
        assert_non_null(what);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiation),
        cmocka_unit_test(test_compress_round_trip),
        cmocka_unit_test(test_cookie),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
