/* Unit tests for the Engine.IO v3 polling payloads of eio/eio_codec:
 * eio_payload3_next (text framing), eio_payload3_next_binary (binary
 * framing), eio_payload3_append_text / eio_payload3_append_binary and
 * eio_utf16_units.
 *
 * Text framing is "<length>:<packet>" per packet, the length counting UTF-16
 * code units ("2:4€", "3:4𝕊"); a binary packet there is "b4" + base64.
 * Binary framing is, per packet, a kind byte (0 text, 1 binary), the length
 * as one byte per decimal digit, 0xFF, then the packet (for binary: the type
 * byte 4 first, then the bytes).
 *
 * The walkers run over the wire fixtures in proto/eio/:
 *   v3_text_valid/    v3_text_invalid/    (text framing, *.txt)
 *   v3_binary_valid/  v3_binary_invalid/  (binary framing, *.bin)
 * The valid ones (but leading_zero_length.txt, made by hand) were produced by
 * the real engine.io-parser 2.2.1 (the Engine.IO v3 parser used by
 * engine.io-client 3.5 / socket.io-client 2.x): encodePayload(packets, false)
 * and encodePayloadAsBinary(packets). Every valid fixture must decode to the
 * packets listed in `expected` below, and those marked `enc` must be rebuilt
 * byte for byte by the append functions. Every invalid fixture must fail with
 * the listed error. Every truncation of every fixture is walked from an
 * exactly-sized malloc'd copy (for ASan) and against a guard page (for plain
 * builds): no crash, no over-read, and a cut between two records gives the
 * first records while any other cut is an error.
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
#include "util/buf.h"
#include "util/msg.h"

/* UTF-8 of a few characters, as C escapes. */
#define EURO "\xe2\x82\xac"        /* U+20AC: 3 bytes, 1 UTF-16 unit */
#define DSS "\xf0\x9d\x95\x8a"     /* U+1D54A: 4 bytes, 2 UTF-16 units */
#define GRIN "\xf0\x9f\x98\x80"    /* U+1F600: 4 bytes, 2 units */
#define E_ACUTE "\xc3\xa9"         /* U+00E9: 2 bytes, 1 unit */
#define NIHONGO "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"

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

static void expect_bytes(const sio_buf *b, const void *want, size_t n, const char *what)
{
    if (b->len != n || (n && memcmp(b->data, want, n) != 0)) {
        sio_buf w, g;
        sio_buf_init(&w, 0);
        sio_buf_init(&g, 0);
        put_hex(&w, want, n);
        put_hex(&g, b->data, b->len);
        assert_int_equal(sio_buf_putc(&w, 0), 0);
        assert_int_equal(sio_buf_putc(&g, 0), 0);
        fail_msg("%s:\n want %s (%zu bytes)\n got  %s (%zu bytes)", what, (const char *)w.data, n,
                 (const char *)g.data, b->len);
    }
}
#define EXPECT_LIT(b, lit, what) expect_bytes((b), (lit), sizeof(lit) - 1, (what))

/* --- walking ------------------------------------------------------------- */

typedef enum framing { TEXT, BINARY } framing;

static bool known_error(int rc)
{
    return rc == EIO_CODEC_EMPTY || rc == EIO_CODEC_BAD_TYPE || rc == EIO_CODEC_BAD_BASE64;
}

#define MAX_RECORDS 64

/* Walks p[0..n) to its end or first error with the walker of `f`, checking
 * on every step that it stays inside the input, and writes a transcript of
 * the packets to `t` (may be NULL). The offsets just past each record go to
 * ends[] (up to MAX_RECORDS) when given. Returns the final code (0 at the
 * end, or the negative error). */
static int walk(framing f, const unsigned char *p, size_t n, sio_buf *t, size_t *npackets,
                size_t *ends)
{
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    size_t pos = 0, count = 0;
    int rc;
    for (size_t steps = 0;; steps++) {
        /* Each record takes at least two bytes, plus the end call. */
        if (steps > n + 1)
            fail_msg("walker does not terminate on %zu bytes", n);
        size_t before = pos;
        eio_packet pkt;
        memset(&pkt, 0xa5, sizeof(pkt));
        rc = f == TEXT ? eio_payload3_next(p, n, &pos, &scratch, &pkt)
                       : eio_payload3_next_binary(p, n, &pos, &pkt);
        if (rc != 1)
            break;
        assert_true(pos > before);
        assert_true(pos <= n);
        assert_true(pkt.type >= EIO_OPEN && pkt.type <= EIO_NOOP);
        if (f == TEXT && pkt.binary) {
            /* Decoded from base64 into the scratch buffer. */
            assert_true(pkt.len <= scratch.len);
            if (pkt.len)
                assert_ptr_equal(pkt.data, scratch.data);
        } else {
            /* A view of the input: the rest of the record. */
            assert_true(pkt.data > p + before && pkt.data <= p + pos);
            assert_true(pkt.data + pkt.len == p + pos);
            if (!pkt.binary && eio_utf16_units(pkt.data, pkt.len) < 0)
                fail_msg("text packet at %zu is not valid UTF-8", before);
        }
        if (ends && count < MAX_RECORDS)
            ends[count] = pos;
        count++;
        if (t)
            put_packet(t, (int)pkt.type, pkt.binary, pkt.data, pkt.len);
    }
    assert_true(rc <= 0);
    if (rc < 0 && !known_error(rc))
        fail_msg("unknown error code %d", rc);
    if (rc == 0) {
        /* The end stays the end. */
        eio_packet pkt;
        size_t again = pos;
        int rc2 = f == TEXT ? eio_payload3_next(p, n, &again, &scratch, &pkt)
                            : eio_payload3_next_binary(p, n, &again, &pkt);
        assert_int_equal(rc2, 0);
    }
    sio_buf_free(&scratch);
    if (npackets)
        *npackets = count;
    return rc;
}

/* --- fixtures ------------------------------------------------------------ */

/* Every file of proto/eio/<sub>, which must all end in `ext`, sorted by name. */
static fixture_set load_fixtures(const char *sub, const char *ext)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "eio/%s", sub);
    return fixture_load(dir, ext, true, false);
}
#define free_fixtures fixture_free

/* What the valid fixtures decode to. */
typedef struct xpkt {
    int type;
    bool binary;
    const char *data;
    size_t len;
} xpkt;

#define T(type, lit) {type, false, lit, sizeof(lit) - 1}
#define BIN(lit) {EIO_MESSAGE, true, lit, sizeof(lit) - 1}
#define DYN {-1, false, "", 0} /* filled in by expectation_init */
#define MAX_XPKT 24

typedef struct expectation {
    const char *dir;
    const char *name;
    bool enc; /* the append functions rebuild the fixture byte for byte */
    xpkt p[MAX_XPKT];
    size_t n; /* filled at run time */
} expectation;

/* Data of the two long fixtures, made in expectation_init. */
static char long_text[1 + 1000 + 10 * 3 + 5 * 4];
static unsigned char bytes_300_2[300], bytes_300_3[300];

static void fill_bytes(unsigned char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)((i * 37 + seed) & 0xff);
}

static expectation expected[] = {
    /* text framing */
    {"v3_text_valid", "single_message.txt", true, {T(4, "hello")}, 0},
    {"v3_text_valid", "euro.txt", true, {T(4, EURO)}, 0},
    {"v3_text_valid", "astral.txt", true, {T(4, DSS)}, 0},
    {"v3_text_valid", "unicode_mixed.txt", true,
     {T(4, "h" E_ACUTE "llo " EURO " " DSS " " GRIN " " NIHONGO), T(4, GRIN GRIN),
      T(4, "\xc3\xbcn\xc3\xaf")},
     0},
    {"v3_text_valid", "three_messages.txt", true, {T(4, "hello"), T(4, "world"), T(4, "!")}, 0},
    {"v3_text_valid", "every_type_empty.txt", true,
     {T(0, ""), T(1, ""), T(2, ""), T(3, ""), T(4, ""), T(5, ""), T(6, "")},
     0},
    {"v3_text_valid", "every_type_with_data.txt", true,
     {T(0, "{\"sid\":\"x\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":5000}"),
      T(1, "close"), T(2, "probe"), T(3, "probe"), T(4, "data"), T(5, "up"), T(6, "noop")},
     0},
    {"v3_text_valid", "ping_probe.txt", true, {T(2, "probe")}, 0},
    {"v3_text_valid", "empty_message.txt", true, {T(4, "")}, 0},
    {"v3_text_valid", "binary_small.txt", true, {BIN("\x01\x02\x03")}, 0},
    {"v3_text_valid", "binary.txt", true, {BIN("\x01\x02\x03\x04")}, 0},
    {"v3_text_valid", "binary_empty.txt", true, {BIN("")}, 0},
    {"v3_text_valid", "mixed_text_binary.txt", true, {T(4, "text"), BIN("\x00\x01\x02\xff"), T(3, "")}, 0},
    {"v3_text_valid", "socketio_events.txt", true,
     {T(4, "2[\"event\",{\"a\":1,\"u\":\"" EURO DSS "\"}]"),
      T(4, "51-[\"bin\",{\"_placeholder\":true,\"num\":0}]"), BIN("\x01\x26\x4b\x70\x95"),
      T(4, "0/custom?token=abc")},
     0},
    {"v3_text_valid", "twenty_messages.txt", true,
     {T(4, "m1"), T(4, "m2"), T(4, "m3"), T(4, "m4"), T(4, "m5"), T(4, "m6"), T(4, "m7"),
      T(4, "m8"), T(4, "m9"), T(4, "m10"), T(4, "m11"), T(4, "m12"), T(4, "m13"), T(4, "m14"),
      T(4, "m15"), T(4, "m16"), T(4, "m17"), T(4, "m18"), T(4, "m19"), T(4, "m20")},
     0},
    /* 'x' x 1000, then 10 euro signs, then 5 U+1D54A (1021 units); 300 bytes */
    {"v3_text_valid", "long_message.txt", true, {DYN, DYN}, 0},
    {"v3_text_valid", "colon_digits.txt", true, {T(4, "12:34:"), T(4, "1:4"), T(4, "b4AQID")}, 0},
    {"v3_text_valid", "control_bytes.txt", true,
     {T(4, "line\nbreak\r\x00nul"), T(4, "\x7f"), T(4, "\x1e"), T(4, ":")},
     0},
    {"v3_text_valid", "astral_then_ascii.txt", true, {T(4, DSS), T(4, "a"), T(4, GRIN "x" GRIN)}, 0},
    /* Made by hand: Node's decoder reads the length as Number("06"). */
    {"v3_text_valid", "leading_zero_length.txt", false, {T(4, "hello")}, 0},

    /* binary framing */
    {"v3_binary_valid", "text_message.bin", true, {T(4, "hello")}, 0},
    {"v3_binary_valid", "binary_message.bin", true, {BIN("\x01\x02\x03")}, 0},
    {"v3_binary_valid", "mixed.bin", true, {T(4, "text"), BIN("\x00\x01\x02\xff"), T(3, "")}, 0},
    {"v3_binary_valid", "unicode_text.bin", true, {T(4, EURO), T(4, DSS " h" E_ACUTE "llo " GRIN)}, 0},
    {"v3_binary_valid", "binary_empty.bin", true, {BIN("")}, 0},
    {"v3_binary_valid", "binary_300.bin", true, {DYN}, 0},
    {"v3_binary_valid", "every_type_empty.bin", true,
     {T(0, ""), T(1, ""), T(2, ""), T(3, ""), T(4, ""), T(5, ""), T(6, "")},
     0},
    {"v3_binary_valid", "socketio_binary_event.bin", true,
     {T(4, "51-[\"bin\",{\"_placeholder\":true,\"num\":0}]"), BIN("\x01\x26\x4b\x70\x95"),
      T(4, "2[\"after\"]")},
     0},
    {"v3_binary_valid", "two_digit_length.bin", true, {T(4, "hello world!"), T(2, "probe")}, 0},
    {"v3_binary_valid", "binary_ff_bytes.bin", true,
     {BIN("\xff\x00\xff\x01\xff"), BIN("\xff"), T(4, "x")},
     0},
};

static expectation *find_expectation(const char *dir, const char *name)
{
    for (size_t k = 0; k < sizeof(expected) / sizeof(expected[0]); k++)
        if (strcmp(expected[k].dir, dir) == 0 && strcmp(expected[k].name, name) == 0)
            return &expected[k];
    return NULL;
}

static void expectation_init(void)
{
    long_text[0] = '4';
    memset(long_text + 1, 'x', 1000);
    size_t o = 1001;
    for (int i = 0; i < 10; i++, o += 3)
        memcpy(long_text + o, EURO, 3);
    for (int i = 0; i < 5; i++, o += 4)
        memcpy(long_text + o, DSS, 4);
    assert_int_equal(o, sizeof(long_text));
    fill_bytes(bytes_300_2, sizeof(bytes_300_2), 2);
    fill_bytes(bytes_300_3, sizeof(bytes_300_3), 3);

    expectation *x = find_expectation("v3_text_valid", "long_message.txt");
    assert_non_null(x);
    x->p[0] = (xpkt){4, false, long_text + 1, sizeof(long_text) - 1};
    x->p[1] = (xpkt){4, true, (const char *)bytes_300_2, sizeof(bytes_300_2)};
    x = find_expectation("v3_binary_valid", "binary_300.bin");
    assert_non_null(x);
    x->p[0] = (xpkt){4, true, (const char *)bytes_300_3, sizeof(bytes_300_3)};

    for (size_t k = 0; k < sizeof(expected) / sizeof(expected[0]); k++) {
        size_t n = 0;
        while (n < MAX_XPKT && expected[k].p[n].data)
            n++;
        expected[k].n = n;
    }
}

static void expected_transcript(const expectation *x, sio_buf *want)
{
    for (size_t j = 0; j < x->n; j++)
        put_packet(want, x->p[j].type, x->p[j].binary, (const unsigned char *)x->p[j].data,
                   x->p[j].len);
}

/* The expected packets as messages, as the server would queue them. */
static sio_msg *xpkt_msg(const xpkt *p)
{
    sio_msg *m = p->binary ? sio_msg_new(0, p->data, p->len, true)
                           : sio_msg_new((char)('0' + p->type), p->data, p->len, false);
    assert_non_null(m);
    return m;
}

/* The error each invalid fixture must produce; ANY_ERROR: any error (the
 * framing errors have no code of their own). */
#define ANY_ERROR 1
static const struct {
    const char *dir, *name;
    int rc;
} expected_errors[] = {
    {"v3_text_invalid", "empty.txt", EIO_CODEC_EMPTY},
    {"v3_text_invalid", "zero_length.txt", ANY_ERROR},
    {"v3_text_invalid", "zero_length_second.txt", ANY_ERROR},
    {"v3_text_invalid", "no_length.txt", ANY_ERROR},
    {"v3_text_invalid", "not_a_length.txt", ANY_ERROR},
    {"v3_text_invalid", "negative_length.txt", ANY_ERROR},
    {"v3_text_invalid", "nul_length.txt", ANY_ERROR},
    {"v3_text_invalid", "length_too_long.txt", ANY_ERROR},
    {"v3_text_invalid", "length_too_long_astral.txt", ANY_ERROR},
    {"v3_text_invalid", "length_ends_in_utf8.txt", ANY_ERROR},
    {"v3_text_invalid", "length_ends_in_utf8_4byte.txt", ANY_ERROR},
    {"v3_text_invalid", "length_splits_surrogate_pair.txt", ANY_ERROR},
    {"v3_text_invalid", "length_splits_pair_then_more.txt", ANY_ERROR},
    {"v3_text_invalid", "ten_digits.txt", ANY_ERROR},
    {"v3_text_invalid", "ten_digits_leading_zeros.txt", ANY_ERROR},
    {"v3_text_invalid", "missing_colon.txt", ANY_ERROR},
    {"v3_text_invalid", "length_only.txt", ANY_ERROR},
    {"v3_text_invalid", "trailing_length.txt", ANY_ERROR},
    {"v3_text_invalid", "trailing_garbage.txt", ANY_ERROR},
    {"v3_text_invalid", "space_in_length.txt", ANY_ERROR},
    {"v3_text_invalid", "plus_length.txt", ANY_ERROR},
    {"v3_text_invalid", "invalid_utf8_ff.txt", ANY_ERROR},
    {"v3_text_invalid", "invalid_utf8_overlong.txt", ANY_ERROR},
    {"v3_text_invalid", "invalid_utf8_surrogate.txt", ANY_ERROR},
    {"v3_text_invalid", "invalid_utf8_continuation.txt", ANY_ERROR},
    {"v3_text_invalid", "invalid_utf8_above_max.txt", ANY_ERROR},
    {"v3_text_invalid", "invalid_utf8_second_record.txt", ANY_ERROR},
    {"v3_text_invalid", "bad_type_7.txt", EIO_CODEC_BAD_TYPE},
    {"v3_text_invalid", "bad_type_letter.txt", EIO_CODEC_BAD_TYPE},
    {"v3_text_invalid", "bad_type_second_record.txt", EIO_CODEC_BAD_TYPE},
    {"v3_text_invalid", "binary_no_type.txt", EIO_CODEC_BAD_TYPE},
    {"v3_text_invalid", "binary_bad_type.txt", EIO_CODEC_BAD_TYPE},
    {"v3_text_invalid", "base64_bad_length.txt", EIO_CODEC_BAD_BASE64},
    {"v3_text_invalid", "base64_bad_char.txt", EIO_CODEC_BAD_BASE64},
    {"v3_text_invalid", "base64_url_alphabet.txt", EIO_CODEC_BAD_BASE64},
    {"v3_text_invalid", "base64_noncanonical.txt", EIO_CODEC_BAD_BASE64},
    {"v3_text_invalid", "base64_second_record.txt", EIO_CODEC_BAD_BASE64},

    {"v3_binary_invalid", "empty.bin", EIO_CODEC_EMPTY},
    {"v3_binary_invalid", "kind_2.bin", ANY_ERROR},
    {"v3_binary_invalid", "kind_255.bin", ANY_ERROR},
    {"v3_binary_invalid", "kind_2_second_record.bin", ANY_ERROR},
    {"v3_binary_invalid", "digit_10.bin", ANY_ERROR},
    {"v3_binary_invalid", "digit_ascii.bin", ANY_ERROR},
    {"v3_binary_invalid", "missing_ff.bin", ANY_ERROR},
    {"v3_binary_invalid", "missing_ff_digits.bin", ANY_ERROR},
    {"v3_binary_invalid", "kind_only.bin", ANY_ERROR},
    {"v3_binary_invalid", "length_beyond_end.bin", ANY_ERROR},
    {"v3_binary_invalid", "binary_length_beyond_end.bin", ANY_ERROR},
    {"v3_binary_invalid", "zero_length.bin", ANY_ERROR},
    {"v3_binary_invalid", "zero_length_binary.bin", ANY_ERROR},
    {"v3_binary_invalid", "no_digits.bin", ANY_ERROR},
    {"v3_binary_invalid", "ten_digits.bin", ANY_ERROR},
    {"v3_binary_invalid", "ten_digits_leading_zeros.bin", ANY_ERROR},
    {"v3_binary_invalid", "text_invalid_utf8.bin", ANY_ERROR},
    {"v3_binary_invalid", "text_utf8_surrogate.bin", ANY_ERROR},
    {"v3_binary_invalid", "text_truncated_utf8.bin", ANY_ERROR},
    {"v3_binary_invalid", "text_bad_type.bin", EIO_CODEC_BAD_TYPE},
    {"v3_binary_invalid", "binary_bad_type.bin", EIO_CODEC_BAD_TYPE},
    {"v3_binary_invalid", "trailing_kind.bin", ANY_ERROR},
    {"v3_binary_invalid", "trailing_partial_record.bin", ANY_ERROR},
};

/* The four fixture directories. */
static const struct {
    const char *dir, *ext;
    framing f;
    bool valid;
} dirs[] = {
    {"v3_text_valid", ".txt", TEXT, true},
    {"v3_text_invalid", ".txt", TEXT, false},
    {"v3_binary_valid", ".bin", BINARY, true},
    {"v3_binary_invalid", ".bin", BINARY, false},
};
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))

/* --- eio_utf16_units ----------------------------------------------------- */

static long units_of(const char *s, size_t n)
{
    unsigned char *m = dup_exact(s, n);
    long u = eio_utf16_units(m, n);
    free(m);
    return u;
}
#define UNITS(lit) units_of((lit), sizeof(lit) - 1)

static void test_utf16_units_literals(void **state)
{
    (void)state;
    assert_int_equal(UNITS(""), 0);
    assert_int_equal(UNITS("a"), 1);
    assert_int_equal(UNITS("4hello"), 6);
    assert_int_equal(UNITS("\x00"), 1);
    assert_int_equal(UNITS("\x7f"), 1);
    assert_int_equal(UNITS(E_ACUTE), 1);
    assert_int_equal(UNITS(EURO), 1);
    assert_int_equal(UNITS("4" EURO), 2);
    assert_int_equal(UNITS(DSS), 2);
    assert_int_equal(UNITS("4" DSS), 3);
    assert_int_equal(UNITS(GRIN GRIN), 4);
    assert_int_equal(UNITS(NIHONGO), 3);
    assert_int_equal(UNITS("h" E_ACUTE "llo " EURO " " DSS " " GRIN " " NIHONGO), 17);
    /* The ends of each sequence length. */
    assert_int_equal(UNITS("\xc2\x80"), 1);             /* U+0080 */
    assert_int_equal(UNITS("\xdf\xbf"), 1);             /* U+07FF */
    assert_int_equal(UNITS("\xe0\xa0\x80"), 1);         /* U+0800 */
    assert_int_equal(UNITS("\xed\x9f\xbf"), 1);         /* U+D7FF */
    assert_int_equal(UNITS("\xee\x80\x80"), 1);         /* U+E000 */
    assert_int_equal(UNITS("\xef\xbf\xbf"), 1);         /* U+FFFF */
    assert_int_equal(UNITS("\xef\xbb\xbf"), 1);         /* BOM: counted like any other */
    assert_int_equal(UNITS("\xf0\x90\x80\x80"), 2);     /* U+10000 */
    assert_int_equal(UNITS("\xf4\x8f\xbf\xbf"), 2);     /* U+10FFFF */

    /* Invalid: lone continuation, overlong forms, UTF-16 surrogates, past
     * U+10FFFF, bytes never in UTF-8, truncated sequences. */
    static const char *const bad[] = {
        "\x80",         "\xbf",         "\xc0\x80",         "\xc1\xbf",         "\xe0\x80\x80",
        "\xe0\x9f\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xed\xa0\x80",   "\xed\xbf\xbf",
        "\xed\xa0\xbd\xed\xb8\x80",         "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80",
        "\xfe",         "\xff",         "\xc3",             "\xe2\x82",         "\xf0\x9d\x95",
        "\xc3\x28",     "\xe2\x28\xac", "\xe2\x82\x28",     "a\xff",            "\xc3\xa9\x80",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long u = units_of(bad[i], strlen(bad[i]));
        if (u != -1)
            fail_msg("invalid UTF-8 #%zu counted as %ld units", i, u);
    }
    /* Every cut of a multi-byte character is invalid; the whole is not. */
    static const char *const whole[] = {E_ACUTE, EURO, DSS, GRIN, "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
        size_t n = strlen(whole[i]);
        for (size_t k = 1; k < n; k++) {
            assert_int_equal(units_of(whole[i], k), -1);
            assert_int_equal(units_of(whole[i] + k, n - k), -1);
        }
    }
}

/* Encodes code point cp as UTF-8; returns its length. */
static size_t utf8_put(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Every Unicode scalar value counts 1 below U+10000 and 2 from it, alone and
 * after an ASCII byte. */
static void test_utf16_units_every_code_point(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            continue;
        unsigned char b[5] = {'4'};
        size_t n = utf8_put(cp, b + 1);
        long want = cp >= 0x10000 ? 2 : 1;
        long got = eio_utf16_units(b + 1, n);
        if (got != want)
            fail_msg("U+%04X: %ld units, want %ld", (unsigned)cp, got, want);
        if (eio_utf16_units(b, n + 1) != want + 1)
            fail_msg("'4' U+%04X: wrong count", (unsigned)cp);
    }
}

/* Well-formed UTF-8 as Unicode's table 3-7 defines it, for 2- and 3-byte
 * sequences: the walker accepts exactly these. */
static bool wellformed(const unsigned char *b, size_t n)
{
    unsigned c = b[0];
    if (n == 2)
        return c >= 0xc2 && c <= 0xdf && b[1] >= 0x80 && b[1] <= 0xbf;
    unsigned lo = 0x80, hi = 0xbf;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c < 0xe0 || c > 0xef)
        return false;
    return b[1] >= lo && b[1] <= hi && b[2] >= 0x80 && b[2] <= 0xbf;
}

static void test_utf16_units_every_short_sequence(void **state)
{
    (void)state;
    unsigned char b[4];
    for (unsigned x = 0; x < 256; x++) {
        b[0] = (unsigned char)x;
        assert_int_equal(eio_utf16_units(b, 1), x < 0x80 ? 1 : -1);
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (unsigned char)y;
            long want = x < 0x80 ? (y < 0x80 ? 2 : -1) : (wellformed(b, 2) ? 1 : -1);
            if (eio_utf16_units(b, 2) != want)
                fail_msg("%02x %02x: %ld, want %ld", x, y, eio_utf16_units(b, 2), want);
        }
    }
    /* Every 3-byte sequence led by E0..EF. */
    for (unsigned x = 0xe0; x <= 0xef; x++) {
        b[0] = (unsigned char)x;
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (unsigned char)y;
            for (unsigned z = 0; z < 256; z++) {
                b[2] = (unsigned char)z;
                long want = wellformed(b, 3) ? 1 : -1;
                long got = eio_utf16_units(b, 3);
                if (got != want)
                    fail_msg("%02x %02x %02x: %ld, want %ld", x, y, z, got, want);
            }
        }
    }
    /* 4-byte sequences: each lead byte with the edges of each continuation. */
    static const unsigned char conts[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0xbf, 0xc0, 0xff};
    for (unsigned x = 0xf0; x <= 0xff; x++) {
        for (size_t i = 0; i < sizeof(conts); i++) {
            for (size_t j = 0; j < sizeof(conts); j++) {
                for (size_t k = 0; k < sizeof(conts); k++) {
                    b[0] = (unsigned char)x;
                    b[1] = conts[i];
                    b[2] = conts[j];
                    b[3] = conts[k];
                    unsigned lo = x == 0xf0 ? 0x90 : 0x80, hi = x == 0xf4 ? 0x8f : 0xbf;
                    bool ok = x <= 0xf4 && b[1] >= lo && b[1] <= hi && b[2] >= 0x80 &&
                              b[2] <= 0xbf && b[3] >= 0x80 && b[3] <= 0xbf;
                    assert_int_equal(eio_utf16_units(b, 4), ok ? 2 : -1);
                }
            }
        }
    }
}

/* --- the walkers on literals --------------------------------------------- */

static void test_text_literals(void **state)
{
    (void)state;
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    eio_packet p;

    /* "2:4€": the length counts the euro sign as one unit. */
    static const unsigned char euro[] = "2:4" EURO;
    unsigned char *m = dup_exact(euro, sizeof(euro) - 1);
    size_t pos = 0;
    assert_int_equal(eio_payload3_next(m, sizeof(euro) - 1, &pos, &scratch, &p), 1);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_false(p.binary);
    assert_ptr_equal(p.data, m + 3);
    assert_int_equal(p.len, 3);
    assert_memory_equal(p.data, EURO, 3);
    assert_int_equal(pos, 6);
    assert_int_equal(eio_payload3_next(m, sizeof(euro) - 1, &pos, &scratch, &p), 0);
    assert_int_equal(eio_payload3_next(m, sizeof(euro) - 1, &pos, &scratch, &p), 0);
    free(m);

    /* "3:4𝕊": the astral character counts two. */
    static const unsigned char dss[] = "3:4" DSS "2:2x";
    m = dup_exact(dss, sizeof(dss) - 1);
    pos = 0;
    assert_int_equal(eio_payload3_next(m, sizeof(dss) - 1, &pos, &scratch, &p), 1);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_int_equal(p.len, 4);
    assert_memory_equal(p.data, DSS, 4);
    assert_int_equal(pos, 7);
    assert_int_equal(eio_payload3_next(m, sizeof(dss) - 1, &pos, &scratch, &p), 1);
    assert_int_equal(p.type, EIO_PING);
    assert_int_equal(p.len, 1);
    assert_memory_equal(p.data, "x", 1);
    assert_int_equal(pos, sizeof(dss) - 1);
    assert_int_equal(eio_payload3_next(m, sizeof(dss) - 1, &pos, &scratch, &p), 0);
    free(m);

    /* "b4" + base64 in text framing; the scratch buffer is reset by each call. */
    static const unsigned char bins[] = "6:b4AQID6:b4BAU=2:b46:4hello";
    m = dup_exact(bins, sizeof(bins) - 1);
    pos = 0;
    assert_int_equal(eio_payload3_next(m, sizeof(bins) - 1, &pos, &scratch, &p), 1);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_true(p.binary);
    assert_int_equal(p.len, 3);
    assert_memory_equal(p.data, "\x01\x02\x03", 3);
    assert_int_equal(pos, 8);
    assert_int_equal(eio_payload3_next(m, sizeof(bins) - 1, &pos, &scratch, &p), 1);
    assert_true(p.binary);
    assert_int_equal(p.len, 2);
    assert_memory_equal(p.data, "\x04\x05", 2);
    assert_int_equal(scratch.len, 2);
    assert_int_equal(eio_payload3_next(m, sizeof(bins) - 1, &pos, &scratch, &p), 1);
    assert_true(p.binary);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_int_equal(p.len, 0);
    assert_int_equal(eio_payload3_next(m, sizeof(bins) - 1, &pos, &scratch, &p), 1);
    assert_false(p.binary);
    assert_int_equal(p.len, 5);
    assert_memory_equal(p.data, "hello", 5);
    assert_int_equal(eio_payload3_next(m, sizeof(bins) - 1, &pos, &scratch, &p), 0);
    free(m);

    /* An empty payload is an error, not zero packets. */
    unsigned char one[1] = {'1'};
    pos = 0;
    assert_int_equal(eio_payload3_next(one, 0, &pos, &scratch, &p), EIO_CODEC_EMPTY);
    sio_buf_free(&scratch);
}

/* A length far beyond the data, against a guard page: an error, no read
 * past the end. */
static void test_text_huge_lengths(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "999999999:4abc", "999999999:", "99999999:4", "1:", "2:4", "100:4" EURO DSS,
        "9999999999", "99999999999999999999:4", "18446744073709551617:4",
    };
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i]), maplen, pos = 0;
        void *base;
        unsigned char *g = dup_guarded(cases[i], n, &base, &maplen);
        eio_packet p;
        int rc = eio_payload3_next(g, n, &pos, &scratch, &p);
        if (rc >= 0)
            fail_msg("\"%s\" accepted", cases[i]);
        assert_true(known_error(rc));
        munmap(base, maplen);
    }
    sio_buf_free(&scratch);
}

static void test_binary_literals(void **state)
{
    (void)state;
    eio_packet p;
    /* A text record, a binary record (type byte 4 first), a two-digit length. */
    static const unsigned char pl[] = "\x00\x06\xff"
                                      "4hello"
                                      "\x01\x04\xff\x04\x01\x02\x03"
                                      "\x00\x01\x02\xff"
                                      "4abcdefghijk"
                                      "\x00\x04\xff"
                                      "4" EURO;
    size_t n = sizeof(pl) - 1;
    unsigned char *m = dup_exact(pl, n);
    size_t pos = 0;
    assert_int_equal(eio_payload3_next_binary(m, n, &pos, &p), 1);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_false(p.binary);
    assert_ptr_equal(p.data, m + 4);
    assert_int_equal(p.len, 5);
    assert_int_equal(pos, 9);
    assert_int_equal(eio_payload3_next_binary(m, n, &pos, &p), 1);
    assert_int_equal(p.type, EIO_MESSAGE);
    assert_true(p.binary);
    assert_ptr_equal(p.data, m + 13);
    assert_int_equal(p.len, 3);
    assert_memory_equal(p.data, "\x01\x02\x03", 3);
    assert_int_equal(pos, 16);
    assert_int_equal(eio_payload3_next_binary(m, n, &pos, &p), 1);
    assert_false(p.binary);
    assert_int_equal(p.len, 11);
    assert_memory_equal(p.data, "abcdefghijk", 11);
    assert_int_equal(eio_payload3_next_binary(m, n, &pos, &p), 1);
    assert_false(p.binary);
    assert_int_equal(p.len, 3);
    assert_memory_equal(p.data, EURO, 3);
    assert_int_equal(pos, n);
    assert_int_equal(eio_payload3_next_binary(m, n, &pos, &p), 0);
    assert_int_equal(eio_payload3_next_binary(m, n, &pos, &p), 0);
    free(m);

    /* Binary framing counts bytes, not UTF-16 units: "4𝕊" is 5. */
    static const unsigned char astral[] = "\x00\x05\xff"
                                          "4" DSS;
    m = dup_exact(astral, sizeof(astral) - 1);
    pos = 0;
    assert_int_equal(eio_payload3_next_binary(m, sizeof(astral) - 1, &pos, &p), 1);
    assert_int_equal(p.len, 4);
    assert_int_equal(eio_payload3_next_binary(m, sizeof(astral) - 1, &pos, &p), 0);
    free(m);

    unsigned char one[1] = {0};
    pos = 0;
    assert_int_equal(eio_payload3_next_binary(one, 0, &pos, &p), EIO_CODEC_EMPTY);
}

/* Each malformed binary framing alone, in an exactly-sized copy and against
 * a guard page. */
static void test_binary_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        const char *b;
        size_t n;
    } cases[] = {
#define C(what, lit) {what, lit, sizeof(lit) - 1}
        C("kind byte 2", "\x02\x01\xff"
                         "4"),
        C("kind byte 0x30", "\x30\x01\xff"
                            "4"),
        C("digit byte 10", "\x00\x0a\xff"
                           "4hello7890"),
        C("digit byte 0x31", "\x00\x31\xff"
                             "4"),
        C("no 0xff", "\x00\x01"),
        C("no 0xff after many digits", "\x00\x01\x02\x03\x04\x05\x06\x07\x08"),
        C("no digits", "\x00\xff"
                       "4"),
        C("zero length", "\x00\x00\xff"),
        C("zero length before data", "\x00\x00\xff"
                                     "4"),
        C("zero length, binary", "\x01\x00\xff\x04"),
        C("length beyond the end", "\x00\x02\xff"
                                   "4"),
        C("length 999999999", "\x00\x09\x09\x09\x09\x09\x09\x09\x09\x09\xff"
                               "4"),
        C("ten digits", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xff"
                        "4"),
        C("twenty digits", "\x01\x01\x08\x04\x04\x06\x07\x04\x04\x00\x07\x03\x07\x00\x09\x05\x05\x01\x06\x01\x07\xff\x04"),
        C("kind only", "\x00"),
        C("binary kind only", "\x01"),
        C("text record with invalid UTF-8", "\x00\x02\xff"
                                            "4\xff"),
        C("text record cut in a UTF-8 sequence", "\x00\x03\xff"
                                                 "4\xf0\x9d"),
        C("text record type 7", "\x00\x01\xff"
                                "7"),
        C("text record type 'b'", "\x00\x05\xff"
                                  "b4AQI"),
        C("binary record type 7", "\x01\x02\xff\x07\x01"),
        C("binary record type '4' (ASCII)", "\x01\x02\xff"
                                            "4\x01"),
        C("garbage after a record", "\x00\x01\xff"
                                    "4"
                                    "\x05"),
#undef C
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char *m = dup_exact(cases[i].b, cases[i].n);
        int rc = walk(BINARY, m, cases[i].n, NULL, NULL, NULL);
        free(m);
        if (rc >= 0)
            fail_msg("%s: accepted", cases[i].what);
        void *base;
        size_t maplen;
        unsigned char *g = dup_guarded(cases[i].b, cases[i].n, &base, &maplen);
        assert_int_equal(walk(BINARY, g, cases[i].n, NULL, NULL, NULL), rc);
        munmap(base, maplen);
    }
}

/* --- the fixtures -------------------------------------------------------- */

static void test_fixtures_valid(void **state)
{
    (void)state;
    size_t matched = 0;
    for (size_t d = 0; d < NDIRS; d++) {
        if (!dirs[d].valid)
            continue;
        fixture_set set = load_fixtures(dirs[d].dir, dirs[d].ext);
        assert_true(set.n >= 10);
        for (size_t i = 0; i < set.n; i++) {
            fixture *fx = &set.f[i];
            const expectation *x = find_expectation(dirs[d].dir, fx->name);
            if (!x)
                fail_msg("%s/%s: no expected packets listed for it", dirs[d].dir, fx->name);
            sio_buf got, want;
            sio_buf_init(&got, 0);
            sio_buf_init(&want, 0);
            size_t npk = 0;
            int rc = walk(dirs[d].f, fx->data, fx->len, &got, &npk, NULL);
            if (rc != 0)
                fail_msg("%s/%s: valid fixture failed with %d after %zu packets", dirs[d].dir, fx->name,
                         rc, npk);
            expected_transcript(x, &want);
            assert_int_equal(sio_buf_putc(&want, 0), 0);
            assert_int_equal(sio_buf_putc(&got, 0), 0);
            if (strcmp((const char *)want.data, (const char *)got.data) != 0)
                fail_msg("%s/%s:\n want %s\n got  %s", dirs[d].dir, fx->name, want.data, got.data);
            assert_int_equal(npk, x->n);
            sio_buf_free(&want);
            sio_buf_free(&got);
            matched++;
        }
        free_fixtures(&set);
    }
    /* Every expectation names a fixture that exists. */
    if (matched != sizeof(expected) / sizeof(expected[0]))
        fail_msg("%zu of %zu expected fixtures found", matched, sizeof(expected) / sizeof(expected[0]));
}

static void test_fixtures_invalid(void **state)
{
    (void)state;
    size_t matched = 0;
    for (size_t d = 0; d < NDIRS; d++) {
        if (dirs[d].valid)
            continue;
        fixture_set set = load_fixtures(dirs[d].dir, dirs[d].ext);
        assert_true(set.n >= 10);
        for (size_t i = 0; i < set.n; i++) {
            fixture *fx = &set.f[i];
            int rc = walk(dirs[d].f, fx->data, fx->len, NULL, NULL, NULL);
            if (rc >= 0)
                fail_msg("%s/%s: invalid fixture accepted", dirs[d].dir, fx->name);
            size_t k = 0;
            for (; k < sizeof(expected_errors) / sizeof(expected_errors[0]); k++)
                if (strcmp(expected_errors[k].dir, dirs[d].dir) == 0 &&
                    strcmp(expected_errors[k].name, fx->name) == 0)
                    break;
            if (k == sizeof(expected_errors) / sizeof(expected_errors[0]))
                fail_msg("%s/%s: no expected error listed for it", dirs[d].dir, fx->name);
            if (expected_errors[k].rc != ANY_ERROR && rc != expected_errors[k].rc)
                fail_msg("%s/%s: want %d, got %d", dirs[d].dir, fx->name, expected_errors[k].rc, rc);
            matched++;
        }
        free_fixtures(&set);
    }
    if (matched != sizeof(expected_errors) / sizeof(expected_errors[0]))
        fail_msg("%zu of %zu invalid fixtures found", matched,
                 sizeof(expected_errors) / sizeof(expected_errors[0]));
}

/* Every prefix of every fixture, in an exactly-sized heap copy and against a
 * guard page: the walker yields packets then 0 or an error, and never reads
 * past the end. For a valid fixture, a prefix that ends between two records
 * decodes to exactly the first records; every other non-empty prefix is an
 * error (it cuts a record). */
static void test_fixture_truncations(void **state)
{
    (void)state;
    for (size_t d = 0; d < NDIRS; d++) {
        fixture_set set = load_fixtures(dirs[d].dir, dirs[d].ext);
        for (size_t i = 0; i < set.n; i++) {
            const fixture *fx = &set.f[i];
            sio_buf full;
            sio_buf_init(&full, 0);
            size_t ends[MAX_RECORDS], nrec = 0;
            int rc_full = walk(dirs[d].f, fx->data, fx->len, &full, &nrec, ends);
            assert_int_equal(rc_full == 0, dirs[d].valid);
            assert_true(nrec <= MAX_RECORDS);
            for (size_t k = 0; k <= fx->len; k++) {
                unsigned char *m = dup_exact(fx->data, k);
                sio_buf t1;
                sio_buf_init(&t1, 0);
                size_t n1 = 0;
                int rc1 = walk(dirs[d].f, m, k, &t1, &n1, NULL);
                free(m);
                if (k == 0)
                    assert_int_equal(rc1, EIO_CODEC_EMPTY);

                void *base;
                size_t maplen;
                unsigned char *g = dup_guarded(fx->data, k, &base, &maplen);
                sio_buf t2;
                sio_buf_init(&t2, 0);
                int rc2 = walk(dirs[d].f, g, k, &t2, NULL, NULL);
                munmap(base, maplen);
                /* Same bytes, same answer, wherever they sit. */
                assert_int_equal(rc1, rc2);
                assert_int_equal(t1.len, t2.len);
                if (t1.len)
                    assert_memory_equal(t1.data, t2.data, t1.len);

                if (dirs[d].valid && k > 0) {
                    size_t j = 0;
                    while (j < nrec && ends[j] < k)
                        j++;
                    bool boundary = j < nrec && ends[j] == k;
                    if (boundary) {
                        if (rc1 != 0)
                            fail_msg("%s/%s cut after record %zu (%zu bytes): %d", dirs[d].dir,
                                     fx->name, j + 1, k, rc1);
                        assert_int_equal(n1, j + 1);
                        assert_true(t1.len <= full.len);
                        assert_memory_equal(t1.data, full.data, t1.len);
                    } else if (rc1 >= 0) {
                        fail_msg("%s/%s cut at %zu bytes (inside record %zu) accepted", dirs[d].dir,
                                 fx->name, k, j + 1);
                    } else {
                        /* The complete records before the cut still came out. */
                        assert_int_equal(n1, j);
                        assert_true(t1.len <= full.len);
                        if (t1.len)
                            assert_memory_equal(t1.data, full.data, t1.len);
                    }
                }
                sio_buf_free(&t1);
                sio_buf_free(&t2);
            }
            sio_buf_free(&full);
        }
        free_fixtures(&set);
    }
}

/* Every byte of every fixture replaced by a few troublesome values: no
 * crash, no over-read (exactly-sized copies), a definite answer. */
static void test_fixture_mutations(void **state)
{
    (void)state;
    static const unsigned char text_subst[] = {0x00, ':', '0', '9', 'b', '=', 0x80, 0xc3, 0xed, 0xf0, 0xff};
    static const unsigned char bin_subst[] = {0x00, 0x01, 0x02, 0x09, 0x0a, '4', 0x80, 0xf0, 0xff};
    for (size_t d = 0; d < NDIRS; d++) {
        const unsigned char *subst = dirs[d].f == TEXT ? text_subst : bin_subst;
        size_t ns = dirs[d].f == TEXT ? sizeof(text_subst) : sizeof(bin_subst);
        fixture_set set = load_fixtures(dirs[d].dir, dirs[d].ext);
        for (size_t i = 0; i < set.n; i++) {
            const fixture *fx = &set.f[i];
            /* The two long fixtures: their first and last 64 bytes. */
            for (size_t k = 0; k < fx->len; k++) {
                if (fx->len > 256 && k == 64)
                    k = fx->len - 64;
                for (size_t v = 0; v < ns; v++) {
                    unsigned char *m = dup_exact(fx->data, fx->len);
                    m[k] = subst[v];
                    (void)walk(dirs[d].f, m, fx->len, NULL, NULL, NULL);
                    free(m);
                }
            }
        }
        free_fixtures(&set);
    }
}

/* --- encoding ------------------------------------------------------------ */

static void append_text_is(sio_msg *m, const void *want, size_t n, const char *what)
{
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_payload3_append_text(&b, m), 0);
    expect_bytes(&b, want, n, what);
    sio_buf_free(&b);
}

static void append_binary_is(sio_msg *m, const void *want, size_t n, const char *what)
{
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_payload3_append_binary(&b, m), 0);
    expect_bytes(&b, want, n, what);
    sio_buf_free(&b);
}

/* The bytes engine.io-parser 2.2.1 makes for the same packets (its
 * encodePayload(packets, false) and encodePayloadAsBinary(packets)). */
static void test_append_literals(void **state)
{
    (void)state;
    long base = sio_msg_live_count();
    sio_msg *euro = sio_msg_new('4', EURO, 3, false);
    sio_msg *dss = sio_msg_new('4', DSS, 4, false);
    sio_msg *hello = sio_msg_new('4', "hello", 5, false);
    sio_msg *probe = sio_msg_new('2', "probe", 5, false);
    sio_msg *pong = sio_msg_new('3', NULL, 0, false);
    sio_msg *empty = sio_msg_new('4', NULL, 0, false);
    sio_msg *bin = sio_msg_new(0, "\x01\x02\x03", 3, true);
    sio_msg *bin1 = sio_msg_new(0, "\xff", 1, true);
    sio_msg *bin0 = sio_msg_new(0, NULL, 0, true);
    sio_msg *mixed = sio_msg_new('4', "h" E_ACUTE "llo " EURO " " DSS " " GRIN " " NIHONGO,
                                 sizeof("h" E_ACUTE "llo " EURO " " DSS " " GRIN " " NIHONGO) - 1, false);
    assert_non_null(euro);
    assert_non_null(dss);
    assert_non_null(hello);
    assert_non_null(probe);
    assert_non_null(pong);
    assert_non_null(empty);
    assert_non_null(bin);
    assert_non_null(bin1);
    assert_non_null(bin0);
    assert_non_null(mixed);

    /* Text framing: lengths in UTF-16 units, binary as "b4" + base64. */
    append_text_is(euro, "2:4" EURO, 6, "text framing, \"4€\"");
    append_text_is(dss, "3:4" DSS, 7, "text framing, \"4𝕊\"");
    append_text_is(hello, "6:4hello", 8, "text framing, \"4hello\"");
    append_text_is(probe, "6:2probe", 8, "text framing, ping probe");
    append_text_is(pong, "1:3", 3, "text framing, pong");
    append_text_is(empty, "1:4", 3, "text framing, empty message");
    append_text_is(bin, "6:b4AQID", 8, "text framing, binary [1,2,3]");
    append_text_is(bin1, "6:b4/w==", 8, "text framing, binary [255]");
    append_text_is(bin0, "2:b4", 4, "text framing, empty binary");
    append_text_is(mixed, "18:4h" E_ACUTE "llo " EURO " " DSS " " GRIN " " NIHONGO,
                   sizeof("18:4h" E_ACUTE "llo " EURO " " DSS " " GRIN " " NIHONGO) - 1,
                   "text framing, mixed unicode");

    /* Binary framing: kind byte, length digits as bytes, 0xff, the packet;
     * lengths in bytes; binary packets start with the type byte 4. */
    append_binary_is(hello, "\x00\x06\xff"
                            "4hello",
                     9, "binary framing, \"4hello\"");
    append_binary_is(euro, "\x00\x04\xff"
                           "4" EURO,
                     7, "binary framing, \"4€\"");
    append_binary_is(dss, "\x00\x05\xff"
                          "4" DSS,
                     8, "binary framing, \"4𝕊\"");
    append_binary_is(pong, "\x00\x01\xff"
                           "3",
                     4, "binary framing, pong");
    append_binary_is(bin, "\x01\x04\xff\x04\x01\x02\x03", 7, "binary framing, binary [1,2,3]");
    append_binary_is(bin1, "\x01\x02\xff\x04\xff", 5, "binary framing, binary [255]");
    append_binary_is(bin0, "\x01\x01\xff\x04", 4, "binary framing, empty binary");

    /* Several messages: appended one after the other, with no separator. */
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_payload3_append_text(&b, hello), 0);
    assert_int_equal(eio_payload3_append_text(&b, bin), 0);
    assert_int_equal(eio_payload3_append_text(&b, euro), 0);
    assert_int_equal(eio_payload3_append_text(&b, pong), 0);
    EXPECT_LIT(&b, "6:4hello6:b4AQID2:4" EURO "1:3", "text framing, four messages");
    sio_buf_free(&b);
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_payload3_append_binary(&b, hello), 0);
    assert_int_equal(eio_payload3_append_binary(&b, bin), 0);
    assert_int_equal(eio_payload3_append_binary(&b, euro), 0);
    assert_int_equal(eio_payload3_append_binary(&b, pong), 0);
    EXPECT_LIT(&b,
               "\x00\x06\xff"
               "4hello"
               "\x01\x04\xff\x04\x01\x02\x03"
               "\x00\x04\xff"
               "4" EURO "\x00\x01\xff"
               "3",
               "binary framing, four messages");
    sio_buf_free(&b);

    /* Appending keeps what the buffer held. */
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(sio_buf_puts(&b, "keep"), 0);
    assert_int_equal(eio_payload3_append_text(&b, euro), 0);
    EXPECT_LIT(&b, "keep2:4" EURO, "text framing after existing bytes");
    sio_buf_free(&b);

    /* The messages are not consumed or changed (they may be shared). */
    assert_int_equal(euro->refs, 1);
    assert_int_equal(bin->refs, 1);
    assert_int_equal(bin->len, 3);
    assert_memory_equal(bin->data, "\x01\x02\x03", 3);
    assert_memory_equal(hello->data, "4hello", 6);

    sio_msg *all[] = {euro, dss, hello, probe, pong, empty, bin, bin1, bin0, mixed};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sio_msg_unref(all[i]);
    assert_int_equal(sio_msg_live_count(), base);
}

/* Lengths with several digits: 1234-byte binary data in binary framing
 * (1235 with the type byte), 12345 UTF-16 units in text framing. */
static void test_append_long(void **state)
{
    (void)state;
    long base = sio_msg_live_count();
    size_t nb = 1234;
    unsigned char *data = malloc(nb);
    assert_non_null(data);
    fill_bytes(data, nb, 5);
    sio_msg *bin = sio_msg_new(0, data, nb, true);
    assert_non_null(bin);
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_payload3_append_binary(&b, bin), 0);
    assert_int_equal(b.len, 7 + nb);
    assert_memory_equal(b.data, "\x01\x01\x02\x03\x05\xff\x04", 7);
    assert_memory_equal(b.data + 7, data, nb);
    sio_buf_free(&b);
    /* In text framing: base64 of 1234 bytes is 1648 characters, + "b4". */
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_payload3_append_text(&b, bin), 0);
    assert_true(b.len > 8);
    assert_memory_equal(b.data, "1650:b4", 7);
    assert_int_equal(b.len, 7 + 1648);
    sio_buf_free(&b);
    sio_msg_unref(bin);
    free(data);

    /* 4115 euro signs and an astral character: "4" + 4115 + 2 = 4118 units, in
     * 1 + 12345 + 4 bytes... */
    size_t nt = 1 + 4115 * 3 + 4;
    char *text = malloc(nt);
    assert_non_null(text);
    text[0] = '4';
    for (size_t i = 0; i < 4115; i++)
        memcpy(text + 1 + 3 * i, EURO, 3);
    memcpy(text + 1 + 4115 * 3, DSS, 4);
    sio_msg *t = sio_msg_new(0, text, nt, false);
    assert_non_null(t);
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_payload3_append_text(&b, t), 0);
    assert_int_equal(b.len, 5 + nt);
    assert_memory_equal(b.data, "4118:", 5);
    assert_memory_equal(b.data + 5, text, nt);
    sio_buf_free(&b);
    /* ... which binary framing counts as bytes. */
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(eio_payload3_append_binary(&b, t), 0);
    assert_int_equal(b.len, 7 + nt);
    assert_memory_equal(b.data, "\x00\x01\x02\x03\x05\x00\xff", 7);
    sio_buf_free(&b);
    sio_msg_unref(t);
    free(text);
    assert_int_equal(sio_msg_live_count(), base);
}

/* The valid fixtures made by engine.io-parser, rebuilt from their packets by
 * the append functions: byte for byte the same. */
static void test_append_rebuilds_fixtures(void **state)
{
    (void)state;
    long base = sio_msg_live_count();
    size_t rebuilt = 0;
    for (size_t d = 0; d < NDIRS; d++) {
        if (!dirs[d].valid)
            continue;
        fixture_set set = load_fixtures(dirs[d].dir, dirs[d].ext);
        for (size_t i = 0; i < set.n; i++) {
            const fixture *fx = &set.f[i];
            const expectation *x = find_expectation(dirs[d].dir, fx->name);
            assert_non_null(x);
            if (!x->enc)
                continue;
            sio_buf b;
            sio_buf_init(&b, SIO_HEADROOM);
            for (size_t j = 0; j < x->n; j++) {
                sio_msg *m = xpkt_msg(&x->p[j]);
                int rc = dirs[d].f == TEXT ? eio_payload3_append_text(&b, m)
                                           : eio_payload3_append_binary(&b, m);
                assert_int_equal(rc, 0);
                sio_msg_unref(m);
            }
            char what[600];
            snprintf(what, sizeof(what), "%s/%s rebuilt", dirs[d].dir, fx->name);
            expect_bytes(&b, fx->data, fx->len, what);
            sio_buf_free(&b);
            rebuilt++;
        }
        free_fixtures(&set);
    }
    assert_true(rebuilt >= 25);
    assert_int_equal(sio_msg_live_count(), base);
}

/* What append builds, the walker of the same framing reads back: binary data
 * of every length from 0 to 40, text with multi-byte and astral characters,
 * every packet type, and long records. */
static void test_round_trip(void **state)
{
    (void)state;
    long base = sio_msg_live_count();
    for (int f = TEXT; f <= BINARY; f++) {
        sio_buf b, want;
        sio_buf_init(&b, SIO_HEADROOM);
        sio_buf_init(&want, 0);
        size_t count = 0;
        unsigned char bytes[40];
        fill_bytes(bytes, sizeof(bytes), 11);
        for (size_t n = 0; n <= sizeof(bytes); n++) {
            sio_msg *m = sio_msg_new(0, bytes, n, true);
            assert_non_null(m);
            assert_int_equal(f == TEXT ? eio_payload3_append_text(&b, m) : eio_payload3_append_binary(&b, m), 0);
            put_packet(&want, EIO_MESSAGE, true, bytes, n);
            sio_msg_unref(m);
            char text[64];
            int tn = snprintf(text, sizeof(text), "msg %zu " E_ACUTE " " EURO " " DSS "%s", n,
                              n % 3 ? "" : GRIN);
            char type = (char)('0' + (n % 7));
            m = sio_msg_new(type, text, (size_t)tn, false);
            assert_non_null(m);
            assert_int_equal(f == TEXT ? eio_payload3_append_text(&b, m) : eio_payload3_append_binary(&b, m), 0);
            put_packet(&want, type - '0', false, (const unsigned char *)text, (size_t)tn);
            sio_msg_unref(m);
            count += 2;
        }
        /* Long ones: a 100000-byte binary, 30000 astral characters. */
        size_t nbig = 100000;
        unsigned char *big = malloc(nbig);
        assert_non_null(big);
        fill_bytes(big, nbig, 13);
        sio_msg *m = sio_msg_new(0, big, nbig, true);
        assert_non_null(m);
        assert_int_equal(f == TEXT ? eio_payload3_append_text(&b, m) : eio_payload3_append_binary(&b, m), 0);
        put_packet(&want, EIO_MESSAGE, true, big, nbig);
        sio_msg_unref(m);
        free(big);
        size_t nastral = 30000 * 4;
        char *astral = malloc(nastral);
        assert_non_null(astral);
        for (size_t i = 0; i < 30000; i++)
            memcpy(astral + 4 * i, GRIN, 4);
        m = sio_msg_new('4', astral, nastral, false);
        assert_non_null(m);
        assert_int_equal(f == TEXT ? eio_payload3_append_text(&b, m) : eio_payload3_append_binary(&b, m), 0);
        put_packet(&want, EIO_MESSAGE, false, (const unsigned char *)astral, nastral);
        sio_msg_unref(m);
        free(astral);
        count += 2;

        unsigned char *exact = dup_exact(b.data, b.len);
        sio_buf got;
        sio_buf_init(&got, 0);
        size_t npk;
        assert_int_equal(walk((framing)f, exact, b.len, &got, &npk, NULL), 0);
        assert_int_equal(npk, count);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        free(exact);
        sio_buf_free(&got);
        sio_buf_free(&want);
        sio_buf_free(&b);
    }
    assert_int_equal(sio_msg_live_count(), base);
}

static int setup(void **state)
{
    (void)state;
    expectation_init();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf16_units_literals),
        cmocka_unit_test(test_utf16_units_every_code_point),
        cmocka_unit_test(test_utf16_units_every_short_sequence),
        cmocka_unit_test(test_text_literals),
        cmocka_unit_test(test_text_huge_lengths),
        cmocka_unit_test(test_binary_literals),
        cmocka_unit_test(test_binary_malformed),
        cmocka_unit_test(test_fixtures_valid),
        cmocka_unit_test(test_fixtures_invalid),
        cmocka_unit_test(test_fixture_truncations),
        cmocka_unit_test(test_fixture_mutations),
        cmocka_unit_test(test_append_literals),
        cmocka_unit_test(test_append_long),
        cmocka_unit_test(test_append_rebuilds_fixtures),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
