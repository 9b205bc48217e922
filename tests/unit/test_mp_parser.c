/* Unit tests for msgpack/mp_parser: socket.io-msgpack-parser's packets,
 * read and written.
 *
 * The valid vectors of proto/msgpack/ are packets as socket.io-client 4.8
 * builds them, encoded by socket.io-msgpack-parser 3.0.2 itself
 * (tests/interop/msgpack_vectors.mjs writes them); each decodes to the
 * packet listed below, and every truncation of each is refused. The invalid
 * ones are refused, as that parser's checkPacket refuses them (and a
 * CONNECT_ERROR, which no client may send; and a negative ack id, which it
 * would take but the JSON parser cannot even express). Hostile inputs
 * (huge lengths, deep nesting, too many elements or binaries, text) are
 * refused without allocating what they announce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "msgpack/mp_parser.h"
#include "support/fixtures.h"
#include "util/buf.h"

typedef struct expect {
    const char *name;
    sio_packet_type type;
    const char *nsp;
    int64_t id;
    const char *data; /* JSON text, or NULL for none */
    const char *bins; /* the attachments in hex, separated by '|' ("" for one empty) */
    unsigned nbins;
} expect;

static const expect valid[] = {
    {"ack", SIO_PKT_BINARY_ACK, "/", 5, "[\"ok\",{\"_placeholder\":true,\"num\":0}]", "ff", 1},
    {"ack-empty", SIO_PKT_ACK, "/", 9007199254740991LL, "[]", NULL, 0},
    {"connect", SIO_PKT_CONNECT, "/", -1, NULL, NULL, 0},
    {"connect-auth", SIO_PKT_CONNECT, "/custom", -1, "{\"token\":\"abc\",\"n\":1.5}", NULL, 0},
    {"disconnect", SIO_PKT_DISCONNECT, "/custom", -1, NULL, NULL, 0},
    {"event", SIO_PKT_EVENT, "/", -1, "[\"message\",1,\"two\",{\"a\":null,\"b\":[true,false]}]", NULL, 0},
    {"event-ack", SIO_PKT_EVENT, "/custom", 7, "[\"message-with-ack\",\"x\"]", NULL, 0},
    {"event-binary", SIO_PKT_BINARY_EVENT, "/", -1,
     "[\"message\",{\"b\":{\"_placeholder\":true,\"num\":0},\"list\":[{\"_placeholder\":true,\"num\":1},"
     "{\"_placeholder\":true,\"num\":2}]}]",
     "010203|78|", 3},
    {"event-date-undefined", SIO_PKT_EVENT, "/", -1, "[\"message\",\"1970-01-02T00:00:00.000Z\",null]", NULL, 0},
    {"event-typed-array", SIO_PKT_BINARY_EVENT, "/", -1, "[\"message\",{\"_placeholder\":true,\"num\":0}]", "0405", 1},
    {"event-unicode", SIO_PKT_EVENT, "/", -1, "[\"h\xc3\xa9llo\",\"\xf0\x9f\x98\x80\",\"a\\\"b\\\\c\\n\"]", NULL, 0},
};

static const expect *expected(const char *name)
{
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
        if (strcmp(valid[i].name, name) == 0)
            return &valid[i];
    fail_msg("proto/msgpack/valid/%s.mp has no expectation here", name);
    return NULL;
}

static int decode(const void *p, size_t n, bool binary, sio_decoder *d, sio_packet *pkt)
{
    sio_codec_limits lim;
    sio_codec_limits_default(&lim);
    memset(d, 0, sizeof(*d));
    return sio_parser_msgpack.decode(d, p, n, binary, &lim, pkt);
}

static void hex(sio_buf *b, const sio_buf *bins, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (i)
            sio_buf_putc(b, '|');
        for (size_t k = 0; k < bins[i].len; k++) {
            char h[3];
            snprintf(h, sizeof(h), "%02x", bins[i].data[k]);
            sio_buf_puts(b, h);
        }
    }
    sio_buf_putc(b, 0);
}

static void check(const expect *e, const sio_decoder *d, const sio_packet *pkt)
{
    assert_int_equal(pkt->type, e->type);
    assert_int_equal(pkt->nsp_len, strlen(e->nsp));
    assert_memory_equal(pkt->nsp, e->nsp, pkt->nsp_len);
    assert_int_equal(pkt->id, e->id);
    if (!e->data) {
        assert_null(pkt->data);
    } else {
        assert_non_null(pkt->data);
        char *got = strndup(pkt->data, pkt->data_len);
        assert_string_equal(got, e->data);
        free(got);
    }
    assert_int_equal(d->n_bins, e->nbins);
    assert_int_equal(pkt->attachments, e->nbins);
    if (e->nbins) {
        sio_buf b;
        sio_buf_init(&b, 0);
        hex(&b, d->bins, d->n_bins);
        assert_string_equal((const char *)b.data, e->bins);
        sio_buf_free(&b);
    }
}

static void test_valid_vectors(void **state)
{
    fixture_set set = fixture_load("msgpack/valid", ".mp", true, true);
    assert_int_equal(set.n, sizeof(valid) / sizeof(valid[0]));
    for (size_t i = 0; i < set.n; i++) {
        const expect *e = expected(set.f[i].name);
        void *base;
        size_t maplen;
        const void *p = fixture_dup_guarded(set.f[i].data, set.f[i].len, &base, &maplen);
        sio_decoder d;
        sio_packet pkt;
        int rc = decode(p, set.f[i].len, true, &d, &pkt);
        if (rc != SIO_PARSE_PACKET)
            fail_msg("%s: %s", e->name, sio_decode_strerror(rc));
        check(e, &d, &pkt);
        sio_packet_free(&pkt);
        sio_decoder_reset(&d);
        /* Every truncation is refused, and reads nothing past its end. */
        for (size_t n = 0; n < set.f[i].len; n++) {
            void *b2;
            size_t l2;
            const void *q = fixture_dup_guarded(set.f[i].data, n, &b2, &l2);
            assert_true(decode(q, n, true, &d, &pkt) < 0);
            sio_decoder_reset(&d);
            munmap(b2, l2);
        }
        /* As text, it is not a packet of this parser. */
        assert_int_equal(decode(p, set.f[i].len, false, &d, &pkt), SIO_E_MESSAGE);
        sio_decoder_reset(&d);
        munmap(base, maplen);
    }
    fixture_free(&set);
}

static void test_invalid_vectors(void **state)
{
    fixture_set set = fixture_load("msgpack/invalid", ".mp", true, true);
    assert_true(set.n >= 20);
    for (size_t i = 0; i < set.n; i++) {
        sio_decoder d;
        sio_packet pkt;
        int rc = decode(set.f[i].data, set.f[i].len, true, &d, &pkt);
        if (rc >= 0)
            fail_msg("%s: taken", set.f[i].name);
        sio_decoder_reset(&d);
    }
    fixture_free(&set);
}

static int decode_bytes(const unsigned char *p, size_t n)
{
    sio_decoder d;
    sio_packet pkt;
    int rc = decode(p, n, true, &d, &pkt);
    if (rc == SIO_PARSE_PACKET)
        sio_packet_free(&pkt);
    sio_decoder_reset(&d);
    return rc;
}

/* {type: 2, data: <v>, nsp: "/"} around the value bytes v. */
static int decode_event_with(const unsigned char *v, size_t n)
{
    static const unsigned char head[] = {0x83, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa3, 'n', 's', 'p', 0xa1, '/',
                                         0xa4, 'd',  'a', 't', 'a'};
    unsigned char *p = malloc(sizeof(head) + n);
    assert_non_null(p);
    memcpy(p, head, sizeof(head));
    memcpy(p + sizeof(head), v, n);
    int rc = decode_bytes(p, sizeof(head) + n);
    free(p);
    return rc;
}

static void test_hostile(void **state)
{
    /* An array announcing 2^32 - 1 elements, a map 2^32 - 1 pairs, a bin and
     * a string 4 GB: refused before anything is allocated for them. */
    static const unsigned char arr[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xa7};
    static const unsigned char map[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char bin[] = {0x91, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00};
    static const unsigned char str[] = {0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x00};
    assert_true(decode_event_with(arr, sizeof(arr)) < 0);
    assert_true(decode_bytes(map, sizeof(map)) < 0);
    assert_true(decode_event_with(bin, sizeof(bin)) < 0);
    assert_true(decode_event_with(str, sizeof(str)) < 0);

    /* Nesting: 30 levels inside the map pass, 40 do not. */
    unsigned char deep[64];
    for (int depth = 30; depth <= 40; depth += 10) {
        size_t n = 0;
        deep[n++] = 0x92;
        deep[n++] = 0xa1;
        deep[n++] = 'e';
        for (int k = 0; k < depth; k++)
            deep[n++] = 0x91;
        deep[n++] = 0xc0;
        int rc = decode_event_with(deep, n);
        if (depth == 30)
            assert_int_equal(rc, SIO_PARSE_PACKET);
        else
            assert_true(rc < 0);
    }

    /* More elements than the JSON parser takes tokens, in a message of 200 KB. */
    size_t many = 200000;
    unsigned char *wide = malloc(many + 8);
    assert_non_null(wide);
    size_t n = 0;
    wide[n++] = 0xdd;
    wide[n++] = (unsigned char)(many >> 24);
    wide[n++] = (unsigned char)(many >> 16);
    wide[n++] = (unsigned char)(many >> 8);
    wide[n++] = (unsigned char)many;
    wide[n++] = 0xa1;
    wide[n++] = 'e';
    memset(wide + n, 0xc0, many - 1);
    assert_true(decode_event_with(wide, n + many - 1) < 0);
    free(wide);

    /* Eleven binaries: one more than max_attachments. */
    unsigned char bins[64];
    n = 0;
    bins[n++] = 0x9c; /* 12 elements */
    bins[n++] = 0xa1;
    bins[n++] = 'e';
    for (int k = 0; k < 11; k++) {
        bins[n++] = 0xc4;
        bins[n++] = 0x00;
    }
    assert_int_equal(decode_event_with(bins, n), SIO_E_ATTACHMENTS);
    bins[0] = 0x9b; /* ten binaries */
    assert_int_equal(decode_event_with(bins, n - 2), SIO_PARSE_PACKET);

    /* A string that is not UTF-8; a map key that is not a string; a
     * namespace with a control character, or not UTF-8. */
    static const unsigned char bad_utf8[] = {0x92, 0xa1, 'e', 0xa1, 0xff};
    static const unsigned char int_key[] = {0x92, 0xa1, 'e', 0x81, 0x01, 0x02};
    assert_int_equal(decode_event_with(bad_utf8, sizeof(bad_utf8)), SIO_E_PAYLOAD);
    assert_int_equal(decode_event_with(int_key, sizeof(int_key)), SIO_E_PAYLOAD);
    static const unsigned char nsp_ctl[] = {0x82, 0xa4, 't', 'y', 'p', 'e', 0x00, 0xa3, 'n', 's', 'p', 0xa2, '/', 0x01};
    static const unsigned char nsp_utf8[] = {0x82, 0xa4, 't', 'y', 'p', 'e', 0x00, 0xa3, 'n', 's', 'p', 0xa2, '/', 0xc3};
    assert_int_equal(decode_bytes(nsp_ctl, sizeof(nsp_ctl)), SIO_E_NSP);
    assert_int_equal(decode_bytes(nsp_utf8, sizeof(nsp_utf8)), SIO_E_NSP);

    /* An integral float 64 reads as integer text, which reads back the same
     * (as JavaScript writes it: -4.6e18 is -4611686018427387904). */
    static const unsigned char whole[] = {0x83, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa3, 'n', 's', 'p', 0xa1, '/',
                                          0xa4, 'd', 'a', 't', 'a', 0x93, 0xa1, 'e', 0xcb, 0xc3, 0xd0, 0, 0,
                                          0, 0, 0, 0, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0};
    sio_decoder d;
    sio_packet pkt;
    assert_int_equal(decode(whole, sizeof(whole), true, &d, &pkt), SIO_PARSE_PACKET);
    expect e = {"whole", SIO_PKT_EVENT, "/", -1, "[\"e\",-4611686018427387904,1.5]", NULL, 0};
    check(&e, &d, &pkt);
    sio_packet_free(&pkt);
    sio_decoder_reset(&d);

    /* notepack's Dates (fixext 8, type 0, milliseconds as a signed high and
     * an unsigned low word) before 1970 round down to the second below; the
     * lowest, -2^63 ms, is outside Date.toJSON's years and reads as null
     * (its negation overflowed int64 before). */
    static const unsigned char dates[] = {0x83, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa3, 'n', 's', 'p', 0xa1, '/',
                                          0xa4, 'd', 'a', 't', 'a', 0x94, 0xa1, 'e',
                                          0xd7, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xd7, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                          0xd7, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(decode(dates, sizeof(dates), true, &d, &pkt), SIO_PARSE_PACKET);
    expect e_dates = {"dates", SIO_PKT_EVENT, "/", -1, "[\"e\",\"1969-12-31T23:59:59.999Z\",null,null]", NULL, 0};
    check(&e_dates, &d, &pkt);
    sio_packet_free(&pkt);
    sio_decoder_reset(&d);

    /* Trailing bytes, an unused type byte, nothing at all. */
    static const unsigned char trailing[] = {0x82, 0xa4, 't', 'y', 'p', 'e', 0x00, 0xa3, 'n', 's', 'p', 0xa1, '/', 0xc0};
    static const unsigned char unused[] = {0xc1};
    assert_true(decode_bytes(trailing, sizeof(trailing)) < 0);
    assert_true(decode_bytes(unused, sizeof(unused)) < 0);
    assert_true(decode_bytes(unused, 0) < 0);
}

/* Encodes p and checks the bytes. */
static void encodes_to(const sio_out_packet *p, const char *hex_want)
{
    sio_msg *m, **atts;
    size_t natts;
    assert_int_equal(sio_parser_msgpack.encode(p, &m, &atts, &natts), SIO_OK);
    assert_true(m->binary);
    assert_int_equal(natts, 0);
    assert_null(atts);
    sio_buf b;
    sio_buf_init(&b, 0);
    sio_buf one = {m->data, m->data, m->len, m->len, 0};
    hex(&b, &one, 1);
    assert_string_equal((const char *)b.data, hex_want);
    sio_buf_free(&b);
    sio_msg_unref(m);
}

static void test_encode(void **state)
{
    /* {type: 0, data: {sid: "abc"}, nsp: "/"} */
    sio_out_packet connect = {.type = SIO_PKT_CONNECT, .id = -1, .data = "{\"sid\":\"abc\"}", .data_len = 13};
    encodes_to(&connect, "83a474797065" "00" "a464617461" "81a3736964a3616263" "a36e7370a12f");
    /* {type: 1, nsp: "/custom"} */
    sio_out_packet disconnect = {.type = SIO_PKT_DISCONNECT, .nsp = "/custom", .id = -1};
    encodes_to(&disconnect, "82a474797065" "01" "a36e7370a72f637573746f6d");
    /* {type: 4, data: {message: "no"}, nsp: "/x"} */
    const char *err = "{\"message\":\"no\"}";
    sio_out_packet refused = {.type = SIO_PKT_CONNECT_ERROR, .nsp = "/x", .id = -1, .data = err,
                              .data_len = strlen(err)};
    encodes_to(&refused, "83a474797065" "04" "a464617461" "81a76d657373616765a26e6f" "a36e7370a22f78");
    /* {type: 2, data: ["e", 1, <bin ff>], nsp: "/", id: 300}: binaries are
     * inline, the type stays EVENT. */
    const char *args = "[1,{\"_placeholder\":true,\"num\":0}]";
    sio_binary bin = {"\xff", 1};
    sio_out_packet event = {.type = SIO_PKT_EVENT, .id = 300, .event = "e", .data = args,
                            .data_len = strlen(args), .bins = &bin, .nbins = 1};
    encodes_to(&event, "84a474797065" "02" "a464617461" "93a16501c401ff" "a36e7370a12f" "a26964cd012c");
    /* {type: 3, data: [], nsp: "/", id: 0} */
    sio_out_packet ack = {.type = SIO_PKT_ACK, .id = 0};
    encodes_to(&ack, "84a474797065" "03" "a46461746190" "a36e7370a12f" "a2696400");

    /* What it writes, it reads back (a client's EVENT is the same map). */
    sio_msg *m, **atts;
    size_t natts;
    assert_int_equal(sio_parser_msgpack.encode(&event, &m, &atts, &natts), SIO_OK);
    sio_decoder d;
    sio_packet pkt;
    assert_int_equal(decode(m->data, m->len, true, &d, &pkt), SIO_PARSE_PACKET);
    expect e = {"event", SIO_PKT_BINARY_EVENT, "/", 300, "[\"e\",1,{\"_placeholder\":true,\"num\":0}]", "ff", 1};
    check(&e, &d, &pkt);
    sio_packet_free(&pkt);
    sio_decoder_reset(&d);
    sio_msg_unref(m);

    /* Data that is not JSON, or a placeholder naming no binary. */
    sio_out_packet bad = {.type = SIO_PKT_CONNECT, .id = -1, .data = "{", .data_len = 1};
    assert_int_equal(sio_parser_msgpack.encode(&bad, &m, &atts, &natts), SIO_EINVAL);
    const char *dangling = "[{\"_placeholder\":true,\"num\":3}]";
    sio_out_packet bad_bin = {.type = SIO_PKT_EVENT, .id = -1, .event = "e", .data = dangling,
                              .data_len = strlen(dangling), .bins = &bin, .nbins = 1};
    assert_int_equal(sio_parser_msgpack.encode(&bad_bin, &m, &atts, &natts), SIO_EINVAL);
    assert_int_equal(sio_msg_live_count(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_vectors),
        cmocka_unit_test(test_invalid_vectors),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
