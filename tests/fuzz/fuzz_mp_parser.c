/* Fuzz target: the msgpack parser's decoder (msgpack/mp_parser.c), which
 * every message of a client of a `--parser msgpack` server goes through:
 * the bounded unpack, the packet map's checks, the value's conversion to
 * JSON text with placeholders, and the packet rules of sio_packet_check.
 *
 * Feeds: the input as one binary message, with the default limits; and as
 * a text message, which must be refused.
 * Checks, beyond memory safety and leaks:
 *   - a decoded packet is a type the server takes (not CONNECT_ERROR), its
 *     namespace UTF-8 without control characters, its ack id in
 *     [-1, 2^53 - 1], its attachments within max_attachments and exactly
 *     the binaries decoded;
 *   - its data written back with the encoder (an EVENT's as an ACK's array)
 *     decodes again, and a second round gives the same text and binaries
 *     as the first (the conversion settles after one round). */
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "msgpack/mp_parser.h"
#include "util/utf8.h"

typedef struct round {
    sio_decoder d;
    sio_packet pkt;
    int rc;
    sio_msg *input; /* what pkt borrows from, for the rounds after the first */
} round;

static void decode(round *r, const void *p, size_t n, const sio_codec_limits *lim)
{
    memset(&r->d, 0, sizeof(r->d));
    r->input = NULL;
    r->rc = sio_parser_msgpack.decode(&r->d, p, n, true, lim, &r->pkt);
}

static void release(round *r)
{
    if (r->rc == SIO_PARSE_PACKET)
        sio_packet_free(&r->pkt);
    sio_decoder_reset(&r->d);
    sio_msg_unref(r->input);
}

/* Writes r's packet back (an event as an ack of its whole array) and
 * decodes that into next. */
static void again(const round *r, round *next, const sio_codec_limits *lim)
{
    sio_binary bins[16];
    FUZZ_CHECK(r->d.n_bins <= 16);
    for (unsigned i = 0; i < r->d.n_bins; i++)
        bins[i] = (sio_binary){r->d.bins[i].data, r->d.bins[i].len};
    char *nsp = strndup(r->pkt.nsp, r->pkt.nsp_len);
    FUZZ_CHECK(nsp);
    sio_packet_type t = r->pkt.type;
    if (t != SIO_PKT_CONNECT && t != SIO_PKT_DISCONNECT)
        t = SIO_PKT_ACK;
    sio_out_packet out = {.type = t, .nsp = nsp, .id = t == SIO_PKT_ACK && r->pkt.id < 0 ? 0 : r->pkt.id,
                          .data = r->pkt.data, .data_len = r->pkt.data_len, .bins = bins, .nbins = r->d.n_bins};
    if (t != SIO_PKT_ACK)
        out.id = -1;
    sio_msg *m, **atts;
    size_t natts;
    int rc = sio_parser_msgpack.encode(&out, &m, &atts, &natts);
    FUZZ_CHECK(rc == SIO_OK || rc == SIO_ENOMEM);
    free(nsp);
    if (rc != SIO_OK) {
        next->rc = SIO_E_NOMEM;
        next->input = NULL;
        memset(&next->d, 0, sizeof(next->d));
        return;
    }
    FUZZ_CHECK(m->binary && natts == 0 && !atts);
    decode(next, m->data, m->len, lim);
    next->input = m;
    FUZZ_CHECK(next->rc == SIO_PARSE_PACKET || next->rc == SIO_E_NOMEM);
}

static bool same(const round *a, const round *b)
{
    if (a->pkt.data_len != b->pkt.data_len || (a->pkt.data_len && memcmp(a->pkt.data, b->pkt.data, a->pkt.data_len)))
        return false;
    if (a->d.n_bins != b->d.n_bins)
        return false;
    for (unsigned i = 0; i < a->d.n_bins; i++)
        if (a->d.bins[i].len != b->d.bins[i].len ||
            (a->d.bins[i].len && memcmp(a->d.bins[i].data, b->d.bins[i].data, a->d.bins[i].len)))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sio_codec_limits lim;
    sio_codec_limits_default(&lim);
    round r, r2, r3;

    sio_decoder text = {0};
    sio_packet pkt;
    FUZZ_CHECK(sio_parser_msgpack.decode(&text, data, size, false, &lim, &pkt) == SIO_E_MESSAGE);
    sio_decoder_reset(&text);

    decode(&r, data, size, &lim);
    FUZZ_CHECK(r.rc == SIO_PARSE_PACKET || r.rc < 0);
    if (r.rc != SIO_PARSE_PACKET) {
        release(&r);
        return 0;
    }
    const sio_packet *p = &r.pkt;
    FUZZ_CHECK(p->type != SIO_PKT_CONNECT_ERROR && p->type <= SIO_PKT_BINARY_ACK);
    FUZZ_CHECK(p->nsp_len > 0 && sio_utf8_valid((const unsigned char *)p->nsp, p->nsp_len));
    for (size_t i = 0; i < p->nsp_len; i++)
        FUZZ_CHECK((unsigned char)p->nsp[i] >= 0x20);
    FUZZ_CHECK(p->id >= -1 && p->id <= SIO_MAX_ACK_ID);
    FUZZ_CHECK(r.d.n_bins <= lim.max_attachments && p->attachments == r.d.n_bins);
    FUZZ_CHECK((p->type == SIO_PKT_BINARY_EVENT || p->type == SIO_PKT_BINARY_ACK) == (r.d.n_bins > 0) ||
               p->type == SIO_PKT_CONNECT);

    again(&r, &r2, &lim);
    if (r2.rc == SIO_PARSE_PACKET) {
        again(&r2, &r3, &lim);
        if (r3.rc == SIO_PARSE_PACKET)
            FUZZ_CHECK(same(&r2, &r3));
        release(&r3);
    }
    release(&r2);
    release(&r);
    return 0;
}
