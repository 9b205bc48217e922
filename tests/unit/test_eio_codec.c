/* Unit tests for eio/eio_codec (packets, v4 polling payloads, the open
 * packet) and util/base64.
 *
 * The payload walker runs over the wire fixtures in proto/eio/: every file in
 * v4_payload_valid/ must decode completely (and, when listed in `expected`
 * below, to exactly the listed packets), every file in v4_payload_invalid/
 * must fail, and every truncation of every fixture must end in packets or an
 * error without reading past its end (each is copied into an exactly-sized
 * malloc'd buffer for ASan, and against a guard page for plain builds).
 *
 * proto/ is found from the current directory (the tests run from the
 * repository root), from its parents, or at $SIO_PROTO_DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support/fixtures.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eio/eio_codec.h"
#include "util/base64.h"
#include "util/buf.h"
#include "util/msg.h"

#define dup_guarded fixture_dup_guarded
#define dup_exact fixture_dup_exact

/* --- helpers ------------------------------------------------------------- */


static void put_hex(sio_buf *t, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sio_buf_putc(t, (unsigned char)hex[p[i] >> 4]), 0);
        assert_int_equal(sio_buf_putc(t, (unsigned char)hex[p[i] & 15]), 0);
    }
}

/* Appends one packet to a transcript: "<type><t|b>:<hex of data>;". */
static void put_packet(sio_buf *t, int type, bool binary, const unsigned char *p, size_t n)
{
    assert_int_equal(sio_buf_putc(t, (unsigned char)('0' + type)), 0);
    assert_int_equal(sio_buf_puts(t, binary ? "b:" : "t:"), 0);
    put_hex(t, p, n);
    assert_int_equal(sio_buf_putc(t, ';'), 0);
}

/* Walks p[0..n) to its end or first error, checking on every step that the
 * walker stays inside the input, and writes a transcript of the packets to
 * `t`. Returns the final code (0 at the end, or the negative error). */
static int walk(const unsigned char *p, size_t n, sio_buf *t, size_t *npackets)
{
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    size_t pos = 0, count = 0;
    int rc;
    for (size_t steps = 0;; steps++) {
        /* Each record consumes at least one byte, plus the end call. */
        if (steps > n + 1)
            fail_msg("walker does not terminate on %zu bytes", n);
        size_t before = pos;
        eio_packet pkt;
        memset(&pkt, 0xa5, sizeof(pkt));
        rc = eio_payload_next(p, n, &pos, &scratch, &pkt);
        if (rc != 1)
            break;
        assert_true(pos > before);
        assert_true(pos <= n + 1);
        assert_true(pkt.type >= EIO_OPEN && pkt.type <= EIO_NOOP);
        if (pkt.binary) {
            assert_int_equal(pkt.type, EIO_MESSAGE);
            assert_true(pkt.len <= scratch.len);
            if (pkt.len)
                assert_ptr_equal(pkt.data, scratch.data);
        } else {
            assert_true(pkt.data >= p + before && pkt.data <= p + n);
            assert_true(pkt.len <= (size_t)(p + n - pkt.data));
        }
        count++;
        if (t)
            put_packet(t, (int)pkt.type, pkt.binary, pkt.data, pkt.len);
    }
    assert_true(rc <= 0);
    if (rc < 0)
        assert_true(rc == EIO_CODEC_EMPTY || rc == EIO_CODEC_BAD_TYPE ||
                    rc == EIO_CODEC_BAD_BASE64 || rc == EIO_CODEC_NOMEM);
    sio_buf_free(&scratch);
    if (npackets)
        *npackets = count;
    return rc;
}

/* --- fixtures ------------------------------------------------------------ */

/* Every *.txt file of proto/eio/<sub>, sorted by name. */
static fixture_set load_fixtures(const char *sub)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "eio/%s", sub);
    return fixture_load(dir, ".txt", false, false);
}
#define free_fixtures fixture_free

/* What some valid fixtures must decode to. */
typedef struct xpkt {
    int type;
    bool binary;
    const char *data;
    size_t len;
} xpkt;

#define T(type, lit) {type, false, lit, sizeof(lit) - 1}
#define BIN(lit) {EIO_MESSAGE, true, lit, sizeof(lit) - 1}
#define MAX_XPKT 24

typedef struct expectation {
    const char *name;
    xpkt p[MAX_XPKT];
    size_t n; /* filled at run time */
} expectation;

static expectation expected[] = {
    {"single_message.txt", {T(4, "hello")}, 0},
    {"three_messages.txt", {T(4, "hello"), T(4, "world"), T(4, "!")}, 0},
    {"every_type_empty.txt", {T(0, ""), T(1, ""), T(2, ""), T(3, ""), T(4, ""), T(5, ""), T(6, "")}, 0},
    {"every_type_with_data.txt",
     {T(0, "{\"sid\":\"x\"}"), T(1, "close"), T(2, "probe"), T(3, "probe"), T(4, "data"),
      T(5, "up"), T(6, "noop")},
     0},
    {"ping_probe.txt", {T(2, "probe")}, 0},
    {"empty_message.txt", {T(4, "")}, 0},
    {"binary.txt", {BIN("\x01\x02\x03\x04")}, 0},
    {"binary_empty.txt", {BIN("")}, 0},
    {"binary_one_pad.txt", {BIN("\x01\x02")}, 0},
    {"binary_two_pad.txt", {BIN("\xff")}, 0},
    {"mixed_text_binary.txt", {T(4, "text"), BIN("\x00\x01\x02\xff"), T(3, "")}, 0},
    {"utf8_message.txt", {T(4, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80")}, 0},
    {"socketio_events.txt", {T(4, "2[\"event\",{\"a\":1}]"), T(4, "2[\"b\",[1,2,3]]")}, 0},
    {"control_bytes.txt", {T(4, "line\nbreak\r\x00nul"), T(4, "\x7f")}, 0},
    {"twenty_messages.txt",
     {T(4, "m1"), T(4, "m2"), T(4, "m3"), T(4, "m4"), T(4, "m5"), T(4, "m6"), T(4, "m7"),
      T(4, "m8"), T(4, "m9"), T(4, "m10"), T(4, "m11"), T(4, "m12"), T(4, "m13"), T(4, "m14"),
      T(4, "m15"), T(4, "m16"), T(4, "m17"), T(4, "m18"), T(4, "m19"), T(4, "m20")},
     0},
};

static size_t xpkt_count(const expectation *x)
{
    size_t n = 0;
    while (n < MAX_XPKT && x->p[n].data)
        n++;
    return n;
}

/* The error each invalid fixture must produce. */
static const struct {
    const char *name;
    int rc;
} expected_errors[] = {
    {"empty.txt", EIO_CODEC_EMPTY},
    {"trailing_separator.txt", EIO_CODEC_EMPTY},
    {"leading_separator.txt", EIO_CODEC_EMPTY},
    {"only_separator.txt", EIO_CODEC_EMPTY},
    {"double_separator.txt", EIO_CODEC_EMPTY},
    {"bad_type_7.txt", EIO_CODEC_BAD_TYPE},
    {"bad_type_letter.txt", EIO_CODEC_BAD_TYPE},
    {"bad_type_nul.txt", EIO_CODEC_BAD_TYPE},
    {"bad_type_second_record.txt", EIO_CODEC_BAD_TYPE},
    {"base64_bad_char.txt", EIO_CODEC_BAD_BASE64},
    {"base64_url_alphabet.txt", EIO_CODEC_BAD_BASE64},
    {"base64_bad_length.txt", EIO_CODEC_BAD_BASE64},
    {"base64_three_pad.txt", EIO_CODEC_BAD_BASE64},
    {"base64_data_after_pad.txt", EIO_CODEC_BAD_BASE64},
    {"base64_pad_mid.txt", EIO_CODEC_BAD_BASE64},
    {"base64_noncanonical_one_byte.txt", EIO_CODEC_BAD_BASE64},
    {"base64_noncanonical_two_bytes.txt", EIO_CODEC_BAD_BASE64},
    {"base64_newline.txt", EIO_CODEC_BAD_BASE64},
    {"base64_bad_second_record.txt", EIO_CODEC_BAD_BASE64},
};

/* --- eio_decode_text ----------------------------------------------------- */

static void test_decode_every_type(void **state)
{
    (void)state;
    for (int type = 0; type <= 6; type++) {
        unsigned char in[8] = {(unsigned char)('0' + type), 'd', 'a', 't', 'a'};
        eio_packet p;
        assert_int_equal(eio_decode_text(in, 5, &p), EIO_CODEC_OK);
        assert_int_equal(p.type, type);
        assert_false(p.binary);
        assert_ptr_equal(p.data, in + 1);
        assert_int_equal(p.len, 4);

        /* The type alone: empty data, pointing just past the digit. */
        unsigned char *one = dup_exact(in, 1);
        assert_int_equal(eio_decode_text(one, 1, &p), EIO_CODEC_OK);
        assert_int_equal(p.type, type);
        assert_int_equal(p.len, 0);
        assert_ptr_equal(p.data, one + 1);
        free(one);
    }
}

static void test_decode_named_packets(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        eio_packet_type type;
        const char *data;
    } cases[] = {
        {"0{\"sid\":\"abc\"}", EIO_OPEN, "{\"sid\":\"abc\"}"},
        {"1", EIO_CLOSE, ""},
        {"2", EIO_PING, ""},
        {"2probe", EIO_PING, "probe"},
        {"3", EIO_PONG, ""},
        {"3probe", EIO_PONG, "probe"},
        {"4hello", EIO_MESSAGE, "hello"},
        {"42[\"ev\",1]", EIO_MESSAGE, "2[\"ev\",1]"},
        {"5", EIO_UPGRADE, ""},
        {"6", EIO_NOOP, ""},
        {"4\x1e", EIO_MESSAGE, "\x1e"}, /* a text frame may carry the separator */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].in);
        unsigned char *in = dup_exact(cases[i].in, n);
        eio_packet p;
        assert_int_equal(eio_decode_text(in, n, &p), EIO_CODEC_OK);
        assert_int_equal(p.type, cases[i].type);
        assert_false(p.binary);
        assert_int_equal(p.len, strlen(cases[i].data));
        assert_memory_equal(p.data, cases[i].data, p.len);
        free(in);
    }
}

static void test_decode_invalid(void **state)
{
    (void)state;
    eio_packet p;
    unsigned char one[1] = {0};
    assert_int_equal(eio_decode_text(one, 0, &p), EIO_CODEC_EMPTY);
    /* Every first byte but '0'..'6' is a bad type, 'b' included: a binary
     * record only exists inside a polling payload. */
    for (int c = 0; c < 256; c++) {
        if (c >= '0' && c <= '6')
            continue;
        unsigned char in[4] = {(unsigned char)c, 'A', 'A', '='};
        assert_int_equal(eio_decode_text(in, 1, &p), EIO_CODEC_BAD_TYPE);
        assert_int_equal(eio_decode_text(in, 4, &p), EIO_CODEC_BAD_TYPE);
    }
}

/* --- eio_payload_next on literals ---------------------------------------- */

static void test_payload_basic(void **state)
{
    (void)state;
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    static const unsigned char pl[] = "4a\x1e"
                                      "2\x1e"
                                      "bAQID";
    size_t n = sizeof(pl) - 1, pos = 0;
    eio_packet p;
    assert_int_equal(eio_payload_next(pl, n, &pos, &scratch, &p), 1);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_false(p.binary);
    assert_int_equal(p.len, 1);
    assert_ptr_equal(p.data, pl + 1);
    assert_int_equal(pos, 3);
    assert_int_equal(eio_payload_next(pl, n, &pos, &scratch, &p), 1);
    assert_int_equal(p.type, EIO_PING);
    assert_int_equal(p.len, 0);
    assert_int_equal(eio_payload_next(pl, n, &pos, &scratch, &p), 1);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_true(p.binary);
    assert_int_equal(p.len, 3);
    assert_memory_equal(p.data, "\x01\x02\x03", 3);
    /* The end, and it stays the end. */
    assert_int_equal(eio_payload_next(pl, n, &pos, &scratch, &p), 0);
    assert_int_equal(eio_payload_next(pl, n, &pos, &scratch, &p), 0);
    sio_buf_free(&scratch);
}

static void test_payload_empty_is_error(void **state)
{
    (void)state;
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    unsigned char one[1] = {'4'};
    size_t pos = 0;
    eio_packet p;
    assert_int_equal(eio_payload_next(one, 0, &pos, &scratch, &p), EIO_CODEC_EMPTY);
    sio_buf_free(&scratch);
}

/* The scratch buffer is reset by each call: it does not accumulate. */
static void test_payload_scratch_reused(void **state)
{
    (void)state;
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    static const unsigned char pl[] = "bAQID\x1e"
                                      "bBAU=";
    size_t pos = 0;
    eio_packet p;
    assert_int_equal(eio_payload_next(pl, sizeof(pl) - 1, &pos, &scratch, &p), 1);
    assert_int_equal(p.len, 3);
    assert_int_equal(eio_payload_next(pl, sizeof(pl) - 1, &pos, &scratch, &p), 1);
    assert_int_equal(p.len, 2);
    assert_memory_equal(p.data, "\x04\x05", 2);
    assert_int_equal(scratch.len, 2);
    assert_int_equal(eio_payload_next(pl, sizeof(pl) - 1, &pos, &scratch, &p), 0);
    sio_buf_free(&scratch);
}

/* --- eio_payload_next on the fixtures ------------------------------------ */

static void test_fixtures_valid(void **state)
{
    (void)state;
    fixture_set set = load_fixtures("v4_payload_valid");
    assert_true(set.n >= 10);
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        expected[i].n = xpkt_count(&expected[i]);
    size_t matched = 0;
    for (size_t i = 0; i < set.n; i++) {
        fixture *fx = &set.f[i];
        sio_buf got;
        sio_buf_init(&got, 0);
        size_t npk = 0;
        int rc = walk(fx->data, fx->len, &got, &npk);
        if (rc != 0)
            fail_msg("%s: valid fixture failed with %d after %zu packets", fx->name, rc, npk);
        assert_true(npk >= 1);
        for (size_t k = 0; k < sizeof(expected) / sizeof(expected[0]); k++) {
            if (strcmp(expected[k].name, fx->name) != 0)
                continue;
            sio_buf want;
            sio_buf_init(&want, 0);
            for (size_t j = 0; j < expected[k].n; j++)
                put_packet(&want, expected[k].p[j].type, expected[k].p[j].binary,
                           (const unsigned char *)expected[k].p[j].data, expected[k].p[j].len);
            assert_int_equal(sio_buf_putc(&want, 0), 0);
            assert_int_equal(sio_buf_putc(&got, 0), 0);
            if (strcmp((const char *)want.data, (const char *)got.data) != 0)
                fail_msg("%s:\n want %s\n got  %s", fx->name, want.data, got.data);
            sio_buf_free(&want);
            matched++;
        }
        sio_buf_free(&got);
    }
    /* Every expectation names a fixture that exists. */
    if (matched != sizeof(expected) / sizeof(expected[0]))
        fail_msg("%zu of %zu expected fixtures found", matched, sizeof(expected) / sizeof(expected[0]));
    free_fixtures(&set);
}

static void test_fixtures_invalid(void **state)
{
    (void)state;
    fixture_set set = load_fixtures("v4_payload_invalid");
    assert_true(set.n >= 10);
    size_t matched = 0;
    for (size_t i = 0; i < set.n; i++) {
        fixture *fx = &set.f[i];
        int rc = walk(fx->data, fx->len, NULL, NULL);
        if (rc >= 0)
            fail_msg("%s: invalid fixture accepted", fx->name);
        for (size_t k = 0; k < sizeof(expected_errors) / sizeof(expected_errors[0]); k++) {
            if (strcmp(expected_errors[k].name, fx->name) != 0)
                continue;
            if (rc != expected_errors[k].rc)
                fail_msg("%s: want %d, got %d", fx->name, expected_errors[k].rc, rc);
            matched++;
        }
    }
    if (matched != sizeof(expected_errors) / sizeof(expected_errors[0]))
        fail_msg("%zu of %zu invalid fixtures found", matched,
                 sizeof(expected_errors) / sizeof(expected_errors[0]));
    free_fixtures(&set);
}

/* Every prefix of every fixture, in an exactly-sized heap copy and against a
 * guard page: the walker yields packets then 0 or an error, and never reads
 * past the end. A prefix that ends on a record boundary decodes to the
 * fixture's first records. */
static void truncations_of(const char *sub)
{
    fixture_set set = load_fixtures(sub);
    for (size_t i = 0; i < set.n; i++) {
        const fixture *fx = &set.f[i];
        sio_buf full;
        sio_buf_init(&full, 0);
        (void)walk(fx->data, fx->len, &full, NULL);
        for (size_t k = 0; k <= fx->len; k++) {
            unsigned char *m = dup_exact(fx->data, k);
            sio_buf t1;
            sio_buf_init(&t1, 0);
            int rc1 = walk(m, k, &t1, NULL);
            if (k == 0)
                assert_int_equal(rc1, EIO_CODEC_EMPTY);
            free(m);

            void *base;
            size_t maplen;
            unsigned char *g = dup_guarded(fx->data, k, &base, &maplen);
            sio_buf t2;
            sio_buf_init(&t2, 0);
            int rc2 = walk(g, k, &t2, NULL);
            munmap(base, maplen);
            /* Same bytes, same answer, wherever they sit. */
            assert_int_equal(rc1, rc2);
            assert_int_equal(t1.len, t2.len);
            if (t1.len)
                assert_memory_equal(t1.data, t2.data, t1.len);
            /* A prefix cut just before a separator of a valid payload is
             * itself valid and a prefix of the whole transcript. */
            if (strcmp(sub, "v4_payload_valid") == 0 && k > 0 && k < fx->len &&
                fx->data[k] == EIO_RECORD_SEPARATOR) {
                if (rc1 != 0)
                    fail_msg("%s cut at %zu: %d", fx->name, k, rc1);
                assert_true(t1.len <= full.len);
                assert_memory_equal(t1.data, full.data, t1.len);
            }
            sio_buf_free(&t1);
            sio_buf_free(&t2);
        }
        sio_buf_free(&full);
    }
    free_fixtures(&set);
}

static void test_fixture_truncations(void **state)
{
    (void)state;
    truncations_of("v4_payload_valid");
    truncations_of("v4_payload_invalid");
}

/* Every byte of every valid fixture replaced by a few troublesome values: no
 * crash, no over-read, a definite answer. */
static void test_fixture_mutations(void **state)
{
    (void)state;
    static const unsigned char subst[] = {0x00, EIO_RECORD_SEPARATOR, 'b', '=', '4', '7', 0xff};
    fixture_set set = load_fixtures("v4_payload_valid");
    for (size_t i = 0; i < set.n; i++) {
        const fixture *fx = &set.f[i];
        for (size_t k = 0; k < fx->len; k++) {
            for (size_t v = 0; v < sizeof(subst); v++) {
                unsigned char *m = dup_exact(fx->data, fx->len);
                m[k] = subst[v];
                (void)walk(m, fx->len, NULL, NULL);
                free(m);
            }
        }
    }
    free_fixtures(&set);
}

/* --- eio_payload_append -------------------------------------------------- */

static void test_payload_append(void **state)
{
    (void)state;
    long base = sio_msg_live_count();
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    sio_msg *hello = sio_msg_new('4', "hello", 5, false);
    sio_msg *ping = sio_msg_new('2', NULL, 0, false);
    sio_msg *bin = sio_msg_new(0, "\x01\x02\x03", 3, true);
    sio_msg *bin1 = sio_msg_new(0, "\xff", 1, true);
    sio_msg *empty_bin = sio_msg_new(0, NULL, 0, true);
    assert_non_null(hello);
    assert_non_null(ping);
    assert_non_null(bin);
    assert_non_null(bin1);
    assert_non_null(empty_bin);

    /* No separator before the first packet. */
    assert_int_equal(eio_payload_append(&b, hello), 0);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "4hello", 6);
    assert_int_equal(eio_payload_append(&b, ping), 0);
    assert_int_equal(eio_payload_append(&b, bin), 0);
    assert_int_equal(eio_payload_append(&b, bin1), 0);
    assert_int_equal(eio_payload_append(&b, empty_bin), 0);
    static const char want[] = "4hello\x1e"
                               "2\x1e"
                               "bAQID\x1e"
                               "b/w==\x1e"
                               "b";
    assert_int_equal(b.len, sizeof(want) - 1);
    assert_memory_equal(b.data, want, sizeof(want) - 1);
    /* The messages are not consumed or changed. */
    assert_int_equal(hello->refs, 1);
    assert_memory_equal(hello->data, "4hello", 6);

    /* A binary message alone. */
    sio_buf b2;
    sio_buf_init(&b2, 0);
    assert_int_equal(eio_payload_append(&b2, bin), 0);
    assert_int_equal(b2.len, 5);
    assert_memory_equal(b2.data, "bAQID", 5);
    sio_buf_free(&b2);

    sio_buf_free(&b);
    sio_msg_unref(hello);
    sio_msg_unref(ping);
    sio_msg_unref(bin);
    sio_msg_unref(bin1);
    sio_msg_unref(empty_bin);
    assert_int_equal(sio_msg_live_count(), base);
}

/* What append builds, the walker reads back: every length of binary data
 * from 0 to 40 and text messages in between. */
static void test_payload_round_trip(void **state)
{
    (void)state;
    long base = sio_msg_live_count();
    sio_buf b, want;
    sio_buf_init(&b, SIO_HEADROOM);
    sio_buf_init(&want, 0);
    unsigned char bytes[40];
    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (unsigned char)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof(bytes); n++) {
        sio_msg *m = sio_msg_new(0, bytes, n, true);
        assert_non_null(m);
        assert_int_equal(eio_payload_append(&b, m), 0);
        put_packet(&want, EIO_MESSAGE, true, bytes, n);
        sio_msg_unref(m);
        char text[32];
        int tn = snprintf(text, sizeof(text), "msg %zu \xc3\xa9", n);
        m = sio_msg_new('4', text, (size_t)tn, false);
        assert_non_null(m);
        assert_int_equal(eio_payload_append(&b, m), 0);
        put_packet(&want, EIO_MESSAGE, false, (const unsigned char *)text, (size_t)tn);
        sio_msg_unref(m);
    }
    unsigned char *exact = dup_exact(b.data, b.len);
    sio_buf got;
    sio_buf_init(&got, 0);
    size_t npk;
    assert_int_equal(walk(exact, b.len, &got, &npk), 0);
    assert_int_equal(npk, 2 * (sizeof(bytes) + 1));
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    free(exact);
    sio_buf_free(&got);
    sio_buf_free(&want);
    sio_buf_free(&b);
    assert_int_equal(sio_msg_live_count(), base);
}

/* --- eio_encode_open ----------------------------------------------------- */

static void expect_buf(const sio_buf *b, const char *want)
{
    size_t n = strlen(want);
    if (b->len != n || memcmp(b->data, want, n) != 0)
        fail_msg("want %s\n got %.*s", want, (int)b->len, (const char *)b->data);
}

static void test_encode_open(void **state)
{
    (void)state;
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_encode_open(&b, "AbC-_012345678901234", true, 25000, 20000, 1000000), 0);
    expect_buf(&b, "0{\"sid\":\"AbC-_012345678901234\",\"upgrades\":[\"websocket\"],"
                   "\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}");
    sio_buf_free(&b);

    assert_int_equal(eio_encode_open(&b, "s1", false, 300, 200, 100), 0);
    expect_buf(&b, "0{\"sid\":\"s1\",\"upgrades\":[],\"pingInterval\":300,\"pingTimeout\":200,"
                   "\"maxPayload\":100}");
    sio_buf_free(&b);

    /* Extremes of the integer fields. */
    assert_int_equal(eio_encode_open(&b, "x", false, 0, 4294967295u, (size_t)1 << 40), 0);
    expect_buf(&b, "0{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":0,\"pingTimeout\":4294967295,"
                   "\"maxPayload\":1099511627776}");
    sio_buf_free(&b);

    /* It decodes as an open packet. */
    assert_int_equal(eio_encode_open(&b, "s", true, 1, 2, 3), 0);
    eio_packet p;
    assert_int_equal(eio_decode_text(b.data, b.len, &p), EIO_CODEC_OK);
    assert_int_equal(p.type, EIO_OPEN);
    assert_int_equal(p.data[0], '{');
    assert_int_equal(p.data[p.len - 1], '}');
    sio_buf_free(&b);
}

/* --- base64 -------------------------------------------------------------- */

static void b64_encode_is(const char *in, size_t n, const char *want)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(sio_base64_encode(&b, (const unsigned char *)in, n), 0);
    assert_int_equal(b.len, strlen(want));
    if (b.len)
        assert_memory_equal(b.data, want, b.len);
    sio_buf_free(&b);
}

/* Decodes an exactly-sized copy of `in`. Returns the code; on success *out
 * holds the bytes. */
static int b64_decode(const char *in, size_t n, sio_buf *out)
{
    char *exact = (char *)dup_exact(in, n);
    int rc = sio_base64_decode(out, exact, n);
    free(exact);
    return rc;
}

static void test_base64_vectors(void **state)
{
    (void)state;
    /* RFC 4648, section 10. */
    static const struct {
        const char *raw, *enc;
    } v[] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        b64_encode_is(v[i].raw, strlen(v[i].raw), v[i].enc);
        sio_buf b;
        sio_buf_init(&b, 0);
        assert_int_equal(b64_decode(v[i].enc, strlen(v[i].enc), &b), 0);
        assert_int_equal(b.len, strlen(v[i].raw));
        if (b.len)
            assert_memory_equal(b.data, v[i].raw, b.len);
        sio_buf_free(&b);
    }
    /* Both ends of the alphabet, and high bytes. */
    b64_encode_is("\xfb\xff\xbf", 3, "+/+/");
    b64_encode_is("\x00\x00\x00", 3, "AAAA");
    b64_encode_is("\xff\xff\xff", 3, "////");
    b64_encode_is("\x00", 1, "AA==");
    b64_encode_is("\xff\xff", 2, "//8=");
}

static void test_base64_round_trips(void **state)
{
    (void)state;
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    /* Every length up to 256 over every byte value, and reversed. */
    for (size_t n = 0; n <= sizeof(all); n++) {
        for (int rev = 0; rev < 2; rev++) {
            unsigned char in[256];
            for (size_t i = 0; i < n; i++)
                in[i] = rev ? all[255 - i] : all[(i * 7) & 255];
            sio_buf enc, dec;
            sio_buf_init(&enc, 0);
            sio_buf_init(&dec, 0);
            assert_int_equal(sio_base64_encode(&enc, in, n), 0);
            assert_int_equal(enc.len, (n + 2) / 3 * 4);
            assert_int_equal(b64_decode((const char *)enc.data, enc.len, &dec), 0);
            assert_int_equal(dec.len, n);
            if (n)
                assert_memory_equal(dec.data, in, n);
            sio_buf_free(&enc);
            sio_buf_free(&dec);
        }
    }
}

/* Encode and decode append to what the buffer holds. */
static void test_base64_appends(void **state)
{
    (void)state;
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(sio_buf_puts(&b, "b"), 0);
    assert_int_equal(sio_base64_encode(&b, (const unsigned char *)"hi", 2), 0);
    expect_buf(&b, "baGk=");
    assert_int_equal(sio_base64_decode(&b, "aGk=", 4), 0);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "baGk=hi", 7);
    sio_buf_free(&b);
}

static void decode_fails(const char *in, size_t n)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(sio_buf_puts(&b, "keep"), 0);
    if (b64_decode(in, n, &b) != -1)
        fail_msg("accepted invalid base64 \"%.*s\" (%zu bytes)", (int)n, in, n);
    /* The buffer is unchanged. */
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "keep", 4);
    sio_buf_free(&b);
}

static void test_base64_bad_chars(void **state)
{
    (void)state;
    /* Every byte outside the alphabet, at every position of a quantum. */
    for (int c = 0; c < 256; c++) {
        bool in_alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (in_alphabet || c == '=')
            continue;
        for (int k = 0; k < 4; k++) {
            char q[8] = "QUJDQUJD"; /* "ABCABC" */
            q[4 + k] = (char)c;
            decode_fails(q, 8);
            q[4 + k] = 'Q';
            q[k] = (char)c;
            decode_fails(q, 8);
        }
    }
    /* The URL-safe alphabet is not this one; nor is whitespace allowed. */
    decode_fails("-_-_", 4);
    decode_fails("Zm9v\n", 5);
    decode_fails(" Zm9", 4);
    decode_fails("Zm9v\r\nYmFy", 10);
}

static void test_base64_bad_padding(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Z",        "Zg",       "Zg=",      "Zm9",      "Zm9vY",    "Zm9vYg",   "Zm9vYg=",
        "=",        "==",       "===",      "====",     "Z===",     "=Zg=",     "Zg=A",
        "Z=g=",     "Zg==Zg==", "Zm8=Zm9v", "Zm9vZg==Z", "Zm9v====",
        "Zg===",    "Zm8==",    "AA==A===",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        decode_fails(bad[i], strlen(bad[i]));
    decode_fails("Zg==\0\0\0\0", 8); /* NUL bytes after the padding */
    decode_fails("Zm9v\0\0\0\0", 8);
}

static void test_base64_noncanonical(void **state)
{
    (void)state;
    /* One byte: the second character's low 4 bits must be zero; two bytes:
     * the third character's low 2 bits. */
    static const char *const bad[] = {"Zh==", "Zn==", "Zv==", "AB==", "AP==", "//==",
                                      "Zm9=", "Zm+=", "AAB=", "AAD=", "///=", "Zm9vYh=="};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        decode_fails(bad[i], strlen(bad[i]));
    /* Their canonical neighbours decode. */
    static const char *const good[] = {"Zg==", "AA==", "AQ==", "/w==", "Zm8=", "AAA=", "//8=",
                                       "Zm9vYg=="};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        sio_buf b;
        sio_buf_init(&b, 0);
        assert_int_equal(b64_decode(good[i], strlen(good[i]), &b), 0);
        sio_buf_free(&b);
    }
    /* Exhaustively for one-byte quanta: of the 64 second characters, only
     * the 4 with zero low bits are canonical. */
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; i++) {
        char q[4] = {'Q', alphabet[i], '=', '='};
        sio_buf b;
        sio_buf_init(&b, 0);
        int rc = b64_decode(q, 4, &b);
        assert_int_equal(rc, (i & 15) ? -1 : 0);
        if (!rc) {
            assert_int_equal(b.len, 1);
            assert_int_equal(b.data[0], (16 << 2) | (i >> 4));
        }
        sio_buf_free(&b);
        char q2[4] = {'Q', 'Q', alphabet[i], '='};
        sio_buf_init(&b, 0);
        rc = b64_decode(q2, 4, &b);
        assert_int_equal(rc, (i & 3) ? -1 : 0);
        sio_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_every_type),
        cmocka_unit_test(test_decode_named_packets),
        cmocka_unit_test(test_decode_invalid),
        cmocka_unit_test(test_payload_basic),
        cmocka_unit_test(test_payload_empty_is_error),
        cmocka_unit_test(test_payload_scratch_reused),
        cmocka_unit_test(test_fixtures_valid),
        cmocka_unit_test(test_fixtures_invalid),
        cmocka_unit_test(test_fixture_truncations),
        cmocka_unit_test(test_fixture_mutations),
        cmocka_unit_test(test_payload_append),
        cmocka_unit_test(test_payload_round_trip),
        cmocka_unit_test(test_encode_open),
        cmocka_unit_test(test_base64_vectors),
        cmocka_unit_test(test_base64_round_trips),
        cmocka_unit_test(test_base64_appends),
        cmocka_unit_test(test_base64_bad_chars),
        cmocka_unit_test(test_base64_bad_padding),
        cmocka_unit_test(test_base64_noncanonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
