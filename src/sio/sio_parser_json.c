/* socket.io-parser, Node's default parser: a packet is a text message
 * ("4" then the packet as sio_codec.h writes it), and a binary packet is
 * followed by its attachments, one binary message each. */
#include "sio/sio_parser.h"

#include <stdlib.h>
#include <string.h>

void sio_decoder_reset(sio_decoder *d)
{
    for (unsigned i = 0; i < d->n_bins; i++)
        sio_buf_free(&d->bins[i]);
    free(d->bins);
    free(d->text);
    memset(d, 0, sizeof(*d));
}

static int encode(const sio_out_packet *p, sio_msg **out, sio_msg ***atts, size_t *natts)
{
    *out = NULL;
    *atts = NULL;
    *natts = 0;
    sio_packet_type kind = p->type;
    if (p->nbins)
        kind = kind == SIO_PKT_EVENT ? SIO_PKT_BINARY_EVENT : SIO_PKT_BINARY_ACK;
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    int err = sio_buf_putc(&b, '4');
    err |= sio_encode_header(&b, kind, p->nsp, p->id, (unsigned)p->nbins);
    if (p->type == SIO_PKT_EVENT)
        err |= sio_encode_event_payload(&b, p->event, p->data, p->data ? p->data_len : 0);
    else if (p->type == SIO_PKT_ACK)
        err |= p->data ? sio_buf_append(&b, p->data, p->data_len) : sio_buf_puts(&b, "[]");
    else if (p->data)
        err |= sio_buf_append(&b, p->data, p->data_len);
    sio_msg *m = err ? NULL : sio_msg_from_buf(&b, false);
    sio_buf_free(&b);
    if (!m)
        return SIO_ENOMEM;
    sio_msg **a = NULL;
    if (p->nbins) {
        if (!(a = calloc(p->nbins, sizeof(*a)))) {
            sio_msg_unref(m);
            return SIO_ENOMEM;
        }
        for (size_t i = 0; i < p->nbins; i++) {
            if (!(a[i] = sio_msg_new(0, p->bins[i].data, p->bins[i].len, true))) {
                for (size_t k = 0; k < i; k++)
                    sio_msg_unref(a[k]);
                free(a);
                sio_msg_unref(m);
                return SIO_ENOMEM;
            }
        }
    }
    *out = m;
    *atts = a;
    *natts = p->nbins;
    return SIO_OK;
}

/* A text packet announcing attachments is kept, and decoded again once the
 * last has come: what it decoded to borrowed the message. */
static int decode(sio_decoder *d, const unsigned char *p, size_t n, bool binary, const sio_codec_limits *lim,
                  sio_packet *out)
{
    if (binary) {
        if (!d->expected) /* an attachment nobody announced */
            return SIO_E_MESSAGE;
        sio_buf_init(&d->bins[d->n_bins], 0);
        if (sio_buf_append(&d->bins[d->n_bins], p, n))
            return SIO_E_NOMEM;
        if (++d->n_bins < d->expected)
            return SIO_PARSE_MORE;
        d->expected = 0;
        int rc = sio_decode(d->text, d->text_len, lim, out);
        return rc == SIO_DECODE_OK ? SIO_PARSE_PACKET : rc;
    }
    if (d->expected) /* text while attachments are awaited */
        return SIO_E_MESSAGE;
    int rc = sio_decode((const char *)p, n, lim, out);
    if (rc != SIO_DECODE_OK)
        return rc;
    if (!out->attachments)
        return SIO_PARSE_PACKET;
    unsigned count = out->attachments;
    sio_packet_free(out);
    d->text = malloc(n);
    d->bins = calloc(count, sizeof(*d->bins));
    if (!d->text || !d->bins)
        return SIO_E_NOMEM;
    memcpy(d->text, p, n);
    d->text_len = n;
    d->expected = count;
    return SIO_PARSE_MORE;
}

const sio_parser sio_parser_json = {"default", encode, decode};
