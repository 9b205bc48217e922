/* HTTP/1.1 request framing: Content-Length and Transfer-Encoding rules,
 * connection persistence, and the chunked body decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/http_framing.h"

static void expect_framing(const char *cl, const char *te, http_body_framing want, uint64_t want_len)
{
    uint64_t len = 12345;
    http_body_framing f = http_request_framing(cl, te, &len);
    if (f != want)
        fail_msg("Content-Length %s, Transfer-Encoding %s: framing %d, want %d", cl ? cl : "(none)",
                 te ? te : "(none)", f, want);
    if (want == HTTP_BODY_LENGTH)
        assert_int_equal(len, want_len);
}

static void test_framing(void **state)
{
    (void)state;
    expect_framing(NULL, NULL, HTTP_BODY_NONE, 0);
    expect_framing("0", NULL, HTTP_BODY_LENGTH, 0);
    expect_framing("57", NULL, HTTP_BODY_LENGTH, 57);
    expect_framing(" 57 ", NULL, HTTP_BODY_LENGTH, 57);
    expect_framing("007", NULL, HTTP_BODY_LENGTH, 7);
    expect_framing("999999999999999999", NULL, HTTP_BODY_LENGTH, 999999999999999999ull);
    /* What Node's parser and nginx refuse. */
    expect_framing("", NULL, HTTP_BODY_INVALID, 0);
    expect_framing(" ", NULL, HTTP_BODY_INVALID, 0);
    expect_framing("0abc", NULL, HTTP_BODY_INVALID, 0);
    expect_framing("-5", NULL, HTTP_BODY_INVALID, 0);
    expect_framing("+5", NULL, HTTP_BODY_INVALID, 0);
    expect_framing("0x10", NULL, HTTP_BODY_INVALID, 0);
    expect_framing("1 2", NULL, HTTP_BODY_INVALID, 0);
    expect_framing("0,57", NULL, HTTP_BODY_INVALID, 0); /* two headers, joined */
    expect_framing("5,5", NULL, HTTP_BODY_INVALID, 0);
    expect_framing("1000000000000000000", NULL, HTTP_BODY_INVALID, 0);
    expect_framing("99999999999999999999999", NULL, HTTP_BODY_INVALID, 0);
    /* Transfer codings: chunked alone. */
    expect_framing(NULL, "chunked", HTTP_BODY_CHUNKED, 0);
    expect_framing(NULL, "Chunked ", HTTP_BODY_CHUNKED, 0);
    expect_framing(NULL, "gzip, chunked", HTTP_BODY_INVALID, 0);
    expect_framing(NULL, "chunked, chunked", HTTP_BODY_INVALID, 0);
    expect_framing(NULL, "identity", HTTP_BODY_INVALID, 0);
    expect_framing(NULL, "xchunked", HTTP_BODY_INVALID, 0);
    expect_framing(NULL, "", HTTP_BODY_INVALID, 0);
    /* Both framings: refused whichever is valid. */
    expect_framing("5", "chunked", HTTP_BODY_INVALID, 0);
    expect_framing("0", "chunked", HTTP_BODY_INVALID, 0);
}

static void test_keep_alive(void **state)
{
    (void)state;
    assert_true(http_keep_alive(1, NULL));
    assert_true(http_keep_alive(1, "keep-alive"));
    assert_true(http_keep_alive(1, "Upgrade"));
    assert_false(http_keep_alive(1, "close"));
    assert_false(http_keep_alive(1, "Close"));
    assert_false(http_keep_alive(1, "keep-alive, close"));
    assert_false(http_keep_alive(1, " te ,close "));
    assert_false(http_keep_alive(1, "close,"));
    assert_true(http_keep_alive(1, "closed"));
    assert_false(http_keep_alive(0, NULL));
    assert_true(http_keep_alive(0, "keep-alive"));
    assert_true(http_keep_alive(0, "Keep-Alive, foo"));
    assert_false(http_keep_alive(0, "foo"));
}

/* Decodes `in` fed in two pieces, split at every offset. Returns the code of
 * the last call; the body and the bytes of the last piece used go out. */
static int decode_split(const char *in, size_t split, size_t max, sio_buf *body, size_t *used_total)
{
    size_t n = strlen(in);
    http_chunked c;
    memset(&c, 0, sizeof(c));
    sio_buf_reset(body);
    size_t used = 0;
    /* Each piece exactly sized: an over-read shows under ASan. */
    unsigned char *a = malloc(split ? split : 1), *b = malloc(n - split ? n - split : 1);
    memcpy(a, in, split);
    memcpy(b, in + split, n - split);
    int rc = http_chunked_decode(&c, a, split, body, max, &used);
    *used_total = used;
    if (rc == HTTP_CHUNKED_MORE && n > split) {
        rc = http_chunked_decode(&c, b, n - split, body, max, &used);
        *used_total = split + used;
    }
    free(a);
    free(b);
    return rc;
}

typedef struct chunked_case {
    const char *in;
    int rc;
    const char *body; /* on DONE */
    size_t tail;      /* bytes after the body, on DONE */
} chunked_case;

static void test_chunked_table(void **state)
{
    (void)state;
    static const chunked_case cases[] = {
        {"0\r\n\r\n", HTTP_CHUNKED_DONE, "", 0},
        {"3\r\nabc\r\n0\r\n\r\n", HTTP_CHUNKED_DONE, "abc", 0},
        {"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nGET / HTTP/1.1\r\n", HTTP_CHUNKED_DONE, "abcde", 16},
        {"A\r\n0123456789\r\n0\r\n\r\n", HTTP_CHUNKED_DONE, "0123456789", 0},
        {"a;name=value\r\n0123456789\r\n0;x\r\n\r\n", HTTP_CHUNKED_DONE, "0123456789", 0},
        {"003\r\nabc\r\n0\r\nExpires: never\r\nX: y\r\n\r\n", HTTP_CHUNKED_DONE, "abc", 0},
        {"3\r\nabc\r\n", HTTP_CHUNKED_MORE, NULL, 0},
        {"3\r\nabc\r\n0\r\n", HTTP_CHUNKED_MORE, NULL, 0},
        /* Invalid framing. */
        {"\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"x\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"-1\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"3 \r\nabc\r\n0\r\n\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {" 3\r\nabc\r\n0\r\n\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"3\nabc\r\n0\r\n\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"3\r\nabcd\r\n0\r\n\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"3\r\nabc\n0\r\n\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"3\r\nabc\r\n0\r\n\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"3\r\nabc\r\n0\r\nX: y\n\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"3\r\nabc\r\n0\r\n folded\r\n\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"1000000000000000\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        {"0x3\r\nabc\r\n0\r\n\r\n", HTTP_CHUNKED_INVALID, NULL, 0},
        /* Over the 16-byte cap of these cases. */
        {"11\r\n", HTTP_CHUNKED_TOO_BIG, NULL, 0},
        {"a\r\n0123456789\r\n7\r\n", HTTP_CHUNKED_TOO_BIG, NULL, 0},
        {"fffffffffffffff\r\n", HTTP_CHUNKED_TOO_BIG, NULL, 0},
    };
    sio_buf body;
    sio_buf_init(&body, 0);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const chunked_case *cs = &cases[k];
        size_t n = strlen(cs->in);
        for (size_t split = 0; split <= n; split++) {
            size_t used = 0;
            int rc = decode_split(cs->in, split, 16, &body, &used);
            if (rc != cs->rc)
                fail_msg("case %zu (split %zu): rc %d, want %d", k, split, rc, cs->rc);
            if (rc != HTTP_CHUNKED_DONE)
                continue;
            assert_int_equal(body.len, strlen(cs->body));
            assert_memory_equal(body.data, cs->body, body.len);
            assert_int_equal(used, n - cs->tail);
        }
    }
    sio_buf_free(&body);
}

/* Long extension and trailer lines are bounded. */
static void test_chunked_line_limits(void **state)
{
    (void)state;
    sio_buf in, body;
    sio_buf_init(&in, 0);
    sio_buf_init(&body, 0);
    for (int trailer = 0; trailer < 2; trailer++) {
        for (int over = 0; over < 2; over++) {
            sio_buf_reset(&in);
            sio_buf_puts(&in, trailer ? "0\r\nX: " : "1;");
            size_t pad = 4096 - (trailer ? 3 : 0) + (size_t)over;
            for (size_t i = 0; i < pad; i++)
                sio_buf_putc(&in, 'x');
            sio_buf_puts(&in, trailer ? "\r\n\r\n" : "\r\na\r\n0\r\n\r\n");
            http_chunked c;
            memset(&c, 0, sizeof(c));
            size_t used = 0;
            sio_buf_reset(&body);
            int rc = http_chunked_decode(&c, in.data, in.len, &body, 1 << 20, &used);
            assert_int_equal(rc, over ? HTTP_CHUNKED_INVALID : HTTP_CHUNKED_DONE);
        }
    }
    sio_buf_free(&in);
    sio_buf_free(&body);
}

/* A body fed one byte at a time decodes the same. */
static void test_chunked_bytewise(void **state)
{
    (void)state;
    const char *in = "5\r\nhello\r\n1;e\r\n \r\n5\r\nworld\r\n0\r\nT: 1\r\n\r\n";
    http_chunked c;
    memset(&c, 0, sizeof(c));
    sio_buf body;
    sio_buf_init(&body, 0);
    int rc = HTTP_CHUNKED_MORE;
    size_t used = 0, i;
    for (i = 0; in[i] && rc == HTTP_CHUNKED_MORE; i++)
        rc = http_chunked_decode(&c, (const unsigned char *)in + i, 1, &body, 100, &used);
    assert_int_equal(rc, HTTP_CHUNKED_DONE);
    assert_int_equal(i, strlen(in));
    assert_int_equal(used, 1);
    assert_int_equal(body.len, 11);
    assert_memory_equal(body.data, "hello world", 11);
    sio_buf_free(&body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_chunked_table),
        cmocka_unit_test(test_chunked_line_limits),
        cmocka_unit_test(test_chunked_bytewise),
    };
    return cmocka_run_group_tests_name("http framing", tests, NULL, NULL);
}
