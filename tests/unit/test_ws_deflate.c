/* permessage-deflate without I/O (transport/ws_deflate.h): which offers are
 * taken, messages compressed the way a client inflates them, and messages
 * inflated the way clients compress them (a window kept across messages,
 * a block with BFINAL), with bad data and a message that inflates past the
 * limit refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "transport/ws_deflate.h"

static void test_offers(void **state)
{
    (void)state;
    static const struct {
        const char *ext;
        bool ok;
    } cases[] = {
        {"permessage-deflate", true},
        {"permessage-deflate; client_max_window_bits", true},
        {"permessage-deflate; client_max_window_bits=12", true},
        {"permessage-deflate; server_no_context_takeover; client_no_context_takeover", true},
        {"x-webkit-deflate-frame, permessage-deflate", true},
        {"permessage-deflate; server_max_window_bits=10", false},
        {"permessage-deflate; server_max_window_bits=10, permessage-deflate", false}, /* the first decides */
        {"permessage-deflate; client_no_context_takeover=1", false},
        {"permessage-deflate; unknown_param", false},
        {"x-webkit-deflate-frame", false},
        {"", false},
        {NULL, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (ws_deflate_acceptable(cases[i].ext) != cases[i].ok)
            fail_msg("\"%s\": %d, want %d", cases[i].ext ? cases[i].ext : "(none)", !cases[i].ok, cases[i].ok);
}

/* What a client does with a compressed message: the trailer put back, one
 * inflate stream for the connection. */
static void client_inflate(z_stream *z, const sio_buf *in, const void *want, size_t n)
{
    unsigned char *out = malloc(n + 64);
    unsigned char *buf = malloc(in->len + 4);
    memcpy(buf, in->data, in->len);
    memcpy(buf + in->len, "\x00\x00\xff\xff", 4);
    z->next_in = buf;
    z->avail_in = (uInt)(in->len + 4);
    z->next_out = out;
    z->avail_out = (uInt)(n + 64);
    assert_int_equal(inflate(z, Z_SYNC_FLUSH), Z_OK);
    assert_int_equal((size_t)((n + 64) - z->avail_out), n);
    assert_memory_equal(out, want, n);
    free(out);
    free(buf);
}

static void test_deflate_read_by_a_client(void **state)
{
    (void)state;
    ws_deflater d = {0};
    sio_buf b;
    sio_buf_init(&b, 0);
    z_stream client = {0};
    assert_int_equal(inflateInit2(&client, -15), Z_OK);
    char text[6000];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = "42[\"message\",\"hello\"]"[i % 22];
    /* Several messages on one client stream, each compressed on its own. */
    for (int round = 0; round < 3; round++) {
        sio_buf_reset(&b);
        assert_int_equal(ws_deflate_message(&d, NULL, 0, text, sizeof(text), &b), 0);
        assert_true(b.len < 200);
        client_inflate(&client, &b, text, sizeof(text));
    }
    /* A prefix byte (Engine.IO v3's binary type) and the data, as one message. */
    unsigned char type = 4;
    sio_buf_reset(&b);
    assert_int_equal(ws_deflate_message(&d, &type, 1, "abc", 3, &b), 0);
    client_inflate(&client, &b, "\x04" "abc", 4);
    inflateEnd(&client);
    sio_buf_free(&b);
    ws_deflater_free(&d);
    ws_deflater_free(&d);
}

/* A client's compressor: sync-flushed messages, the trailer cut off, the
 * window kept from one to the next. */
static void client_deflate(z_stream *z, const void *p, size_t n, sio_buf *out, int flush)
{
    sio_buf_reset(out);
    sio_buf_reserve(out, n + 256);
    z->next_in = (Bytef *)(uintptr_t)p;
    z->avail_in = (uInt)n;
    z->next_out = out->data;
    z->avail_out = (uInt)(n + 256);
    int rc = deflate(z, flush);
    assert_true(rc == Z_OK || rc == Z_STREAM_END);
    out->len = n + 256 - z->avail_out;
    if (flush == Z_SYNC_FLUSH)
        out->len -= 4; /* 00 00 ff ff */
}

static void test_inflate_client_messages(void **state)
{
    (void)state;
    z_stream c = {0};
    assert_int_equal(deflateInit2(&c, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    ws_inflater f = {0};
    sio_buf in, out;
    sio_buf_init(&in, 0);
    sio_buf_init(&out, 0);
    const char *msgs[] = {"42[\"message\",\"the same words again\"]", "42[\"message\",\"the same words again\"]",
                          "42[\"other\",1]"};
    for (int i = 0; i < 3; i++) {
        client_deflate(&c, msgs[i], strlen(msgs[i]), &in, Z_SYNC_FLUSH);
        assert_int_equal(ws_inflate_message(&f, in.data, in.len, 1000, &out), WS_INFLATE_OK);
        assert_int_equal(out.len, strlen(msgs[i]));
        assert_memory_equal(out.data, msgs[i], out.len);
    }
    /* The second message referred to the first: it was much smaller. */
    deflateEnd(&c);

    /* A block with BFINAL set: allowed, and the next message starts afresh. */
    z_stream fin = {0};
    assert_int_equal(deflateInit2(&fin, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    client_deflate(&fin, "final block", 11, &in, Z_FINISH);
    assert_int_equal(ws_inflate_message(&f, in.data, in.len, 1000, &out), WS_INFLATE_OK);
    assert_int_equal(out.len, 11);
    assert_memory_equal(out.data, "final block", 11);
    deflateEnd(&fin);

    /* A message that inflates past the limit: refused without inflating it
     * all (1 MB of zeros from about 1 KB). */
    z_stream bomb = {0};
    assert_int_equal(deflateInit2(&bomb, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    unsigned char *zeros = calloc(1, 1 << 20);
    client_deflate(&bomb, zeros, 1 << 20, &in, Z_SYNC_FLUSH);
    assert_true(in.len < 4096);
    ws_inflater g = {0};
    assert_int_equal(ws_inflate_message(&g, in.data, in.len, 100000, &out), WS_INFLATE_TOO_BIG);
    assert_true(out.len < 200000);
    free(zeros);
    deflateEnd(&bomb);

    /* Data that is not deflate. */
    ws_inflater h = {0};
    assert_int_equal(ws_inflate_message(&h, "\xff\xff\xff\xff\xff\xff", 6, 1000, &out), WS_INFLATE_BAD);

    ws_inflater_free(&f);
    ws_inflater_free(&g);
    ws_inflater_free(&h);
    sio_buf_free(&in);
    sio_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offers),
        cmocka_unit_test(test_deflate_read_by_a_client),
        cmocka_unit_test(test_inflate_client_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
